from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "berdaya.mentoring"
    label = "mentoring"
    verbose_name = "Pendampingan"
