"""The database itself refuses what must never happen to posted books (migration 0002 and the model
constraints), even for code that skips the services. Runs on SQLite and PostgreSQL alike; the balance
check at COMMIT exists on PostgreSQL only.

If one of these fails on SQLite after a new migration, the migration rebuilt a ledger table and dropped
its triggers: recreate them in that migration.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, JournalEntry, JournalLine
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 3)


@pytest.fixture
def kube(regions):
    return make_kube(state=KubeState.ACTIVE)


def aid_entry(kube) -> JournalEntry:
    return JournalEntry.objects.get(kube=kube, operation="aid_received")


def line_values(kube) -> list:
    return list(JournalLine.objects.filter(kube=kube).order_by("id").values_list("account_id", "debit", "credit"))


def new_entry(kube, *, number: int = 99, total: int = 1_000) -> JournalEntry:
    return JournalEntry.objects.create(kube=kube, number=number, date=DAY, operation="manual", total=total)


def test_a_raw_update_of_a_posted_line_is_refused(kube):
    before = line_values(kube)
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        JournalLine.objects.filter(kube=kube, debit__gt=0).update(debit=F("debit") + 1)
    assert line_values(kube) == before


def test_a_raw_update_of_a_posted_entry_is_refused(kube):
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        JournalEntry.objects.filter(kube=kube).update(description="diubah diam-diam")
    assert aid_entry(kube).description != "diubah diam-diam"


def test_saving_a_loaded_line_again_is_refused(kube):
    line = JournalLine.objects.filter(kube=kube).first()
    line.debit, line.credit = line.credit, line.debit
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        line.save()


def test_a_line_with_another_kubes_account_is_refused(kube, regions):
    theirs = Account.objects.get(kube=make_kube(state=KubeState.ACTIVE), code="1100")
    entry = aid_entry(kube)
    with pytest.raises(DatabaseError, match="same books"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=theirs, kube=kube, date=entry.date, debit=5)
    with pytest.raises(DatabaseError, match="same books"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=theirs, kube=theirs.kube, date=entry.date, debit=5)
    assert not JournalLine.objects.filter(account=theirs).exists()


def test_a_line_dated_apart_from_its_entry_is_refused(kube):
    entry = aid_entry(kube)
    kas = Account.objects.get(kube=kube, code="1100")
    with pytest.raises(DatabaseError, match="same books"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=kas, kube=kube, date=entry.date + dt.timedelta(days=1), debit=5)


@pytest.mark.parametrize(("debit", "credit"), [(500, 500), (0, 0), (-5, 0), (0, -5)])
def test_a_line_must_be_one_positive_debit_or_credit(kube, debit, credit):
    # Added to a posted entry (not a new one): on PostgreSQL a new entry without lines would itself be
    # refused when the test's constraints are checked at teardown.
    entry = aid_entry(kube)
    kas = Account.objects.get(kube=kube, code="1100")
    with pytest.raises(IntegrityError, match="line_one_positive_side"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=kas, kube=kube, date=entry.date, debit=debit, credit=credit)


def test_an_entry_number_is_used_once_per_book(kube):
    with pytest.raises(IntegrityError), transaction.atomic():
        new_entry(kube, number=aid_entry(kube).number)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers only")
def test_a_raw_delete_of_a_posted_line_is_refused_on_postgresql(kube):
    before = line_values(kube)
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        JournalLine.objects.filter(kube=kube).delete()
    assert line_values(kube) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_entry_cannot_commit_on_postgresql(kube):
    kas = Account.objects.get(kube=kube, code="1100")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        entry = new_entry(kube, total=1_000)
        JournalLine.objects.create(entry=entry, account=kas, kube=kube, date=DAY, debit=1_000)
    assert not JournalEntry.objects.filter(kube=kube, number=99).exists()
    assert not JournalLine.objects.filter(kube=kube, date=DAY).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_balanced_entry_written_directly_commits_on_postgresql(kube):
    kas, sales = (Account.objects.get(kube=kube, code=code) for code in ("1100", "4100"))
    with transaction.atomic():
        entry = new_entry(kube, total=1_000)
        JournalLine.objects.create(entry=entry, account=kas, kube=kube, date=DAY, debit=1_000)
        JournalLine.objects.create(entry=entry, account=sales, kube=kube, date=DAY, credit=1_000)
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_line_added_to_a_posted_entry_cannot_commit_on_postgresql(kube):
    entry = aid_entry(kube)
    kas = Account.objects.get(kube=kube, code="1100")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=kas, kube=kube, date=entry.date, debit=5)
