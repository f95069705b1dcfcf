from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "berdaya.core"
    label = "core"
    verbose_name = "Inti"
