"""The database side of the append-only audit log (triggers: migration core/0003_audit_append_only).

The triggers refuse every UPDATE and DELETE of an audit row, with one way through: Django's `flush`
command (overridden in core/management/commands/flush.py), which empties *every* table — what the
test runner does between transactional tests, never something a page or service does. Flush unlocks
the audit table on its own database connection only, for the length of the command:

- PostgreSQL: flush uses TRUNCATE, which row triggers do not see; a statement trigger refuses TRUNCATE
  unless the session setting `berdaya.audit_flush` is `on`. Row UPDATE and DELETE are always refused.
- SQLite: flush uses DELETE; the delete trigger asks the SQL function `berdaya_audit_unlocked()`, which
  Django registers on each of its connections. Another client (the sqlite3 shell) has no such function,
  so its DELETE fails too.

This guards against mistakes in the code and careless SQL, not against the database owner, who can drop
a trigger; the audit of that is the database's own log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

SQLITE_FUNCTION = "berdaya_audit_unlocked"
PG_SETTING = "berdaya.audit_flush"

# Aliases of the connections whose audit table flush may empty right now.
_unlocked: ContextVar[frozenset[str]] = ContextVar("berdaya_audit_unlocked", default=frozenset())


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created receiver: give each SQLite connection the function its delete trigger calls."""
    if connection.vendor != "sqlite":
        return
    alias = connection.alias
    connection.connection.create_function(
        SQLITE_FUNCTION, 0, lambda: 1 if alias in _unlocked.get() else 0, deterministic=False
    )


@contextmanager
def audit_flush_unlocked(alias: str) -> Iterator[None]:
    """Let `flush` empty the audit table on connection `alias` while the block runs."""
    connection = connections[alias]
    token = _unlocked.set(_unlocked.get() | {alias})
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
        yield
    finally:
        _unlocked.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PG_SETTING])
