"""The audit log is append-only in the database too: triggers refuse UPDATE and DELETE of its rows.

PostgreSQL: row UPDATE and DELETE are always refused; TRUNCATE (a statement the row triggers do not
see) is refused unless the session setting `berdaya.audit_flush` is on, which only Django's flush sets.
SQLite: UPDATE is always refused; DELETE unless `berdaya_audit_unlocked()` says flush is running on
this connection (a Python function Django registers; other clients lack it, so their DELETE fails).
Why flush may pass, and how: berdaya/core/append_only.py.

An actor who left audit rows can no longer be deleted (PROTECT instead of SET_NULL, which would have
rewritten the rows). SQLite rebuilds a table to alter it, which drops its triggers: a later migration
that alters core_auditevent must create them again (tests/core/test_audit_append_only.py checks).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PG_FORWARD = """
CREATE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' AND current_setting('berdaya.audit_flush', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'audit: % on % refused; the audit log is append-only', TG_OP, TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER core_auditevent_no_change BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION core_audit_append_only();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION core_audit_append_only();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent;
DROP FUNCTION IF EXISTS core_audit_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit: UPDATE refused; the audit log is append-only'); END""",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       WHEN NOT berdaya_audit_unlocked()
       BEGIN SELECT RAISE(ABORT, 'audit: DELETE refused; the audit log is append-only'); END""",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
]


def forward(apps, schema_editor):
    _run(schema_editor, PG_FORWARD, SQLITE_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, PG_BACKWARD, SQLITE_BACKWARD)


def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, None)  # None: the % in the messages are not placeholders
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_job")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
