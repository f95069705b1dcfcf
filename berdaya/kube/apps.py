from django.apps import AppConfig


class KubeConfig(AppConfig):
    name = "berdaya.kube"
    label = "kube"
    verbose_name = "KUBE"
