"""Django's flush, which also empties the append-only audit log (see berdaya/core/append_only.py).

The test runner flushes between transactional tests; nothing else in Berdaya calls it.
"""

from django.core.management.commands import flush

from berdaya.core.append_only import audit_flush_unlocked


class Command(flush.Command):
    help = flush.Command.help + " The audit log is emptied too (its triggers let flush through)."

    def handle(self, **options):
        with audit_flush_unlocked(options["database"]):
            return super().handle(**options)
