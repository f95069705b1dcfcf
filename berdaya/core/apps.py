from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "berdaya.core"
    label = "core"
    verbose_name = "Inti"

    def ready(self) -> None:
        from berdaya.core.append_only import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="berdaya_audit_unlocked")
