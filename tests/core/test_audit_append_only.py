"""The audit log is append-only: the model, the queryset and the database all refuse to change a row;
only Django's flush (the test runner between transactional tests) may empty the table."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from berdaya.core.models import AuditEvent
from berdaya.core.services import audit_record


@pytest.fixture
def event(db):
    return audit_record(actor=None, action="test.thing", object_type="thing", object_id="1", changes={"a": 1})


def test_an_audit_row_refuses_save_and_delete(event):
    event.note = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_the_queryset_refuses_update_and_delete(event):
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(ValueError):
        AuditEvent.objects.all().delete()
    with pytest.raises(ValueError):
        AuditEvent.objects.bulk_update([event], ["note"])
    assert AuditEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET note = 'changed'",
        "DELETE FROM core_auditevent",
    ],
)
def test_the_database_refuses_raw_update_and_delete(event, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event.pk, note="").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate_outside_flush(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else "pending trigger events" refuses it first
        cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_user_with_audit_rows_cannot_be_deleted(make_user):
    user = make_user("pelaku", "admin")
    audit_record(actor=user, action="test.thing")
    with pytest.raises(ProtectedError):
        user.delete()


def test_the_triggers_survive_every_migration(db):
    """SQLite drops a table's triggers when a migration rebuilds it; PostgreSQL keeps them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'")
            expected = {"core_auditevent_no_update", "core_auditevent_no_delete"}
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal"
            )
            expected = {"core_auditevent_no_change", "core_auditevent_no_truncate"}
        assert {row[0] for row in cursor.fetchall()} == expected


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_log_and_locks_it_again():
    audit_record(actor=None, action="test.before_flush")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    # Once flush is over, the table is locked again on the same connection.
    audit_record(actor=None, action="test.after_flush")
    statement = "TRUNCATE core_auditevent" if connection.vendor == "postgresql" else "DELETE FROM core_auditevent"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.after_flush").exists()
