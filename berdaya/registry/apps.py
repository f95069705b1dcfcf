from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "berdaya.registry"
    label = "registry"
    verbose_name = "Registri DTKS"
