from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "berdaya.ledger"
    label = "ledger"
    verbose_name = "Buku KUBE"
