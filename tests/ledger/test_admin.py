"""The ledger in the admin: the books can be read, never written; accounts change only through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine, MemberLoan
from berdaya.ledger.services import operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
READ_ONLY = ("journalentry", "journalline", "book", "memberloan")


@pytest.fixture
def kube(regions):
    kube = make_kube(state=KubeState.ACTIVE)
    member = kube.memberships.order_by("id").first()
    operation_post(actor=None, kube=kube, kind="from_bank", date=dt.date(2025, 3, 1), amount=2_000_000)
    operation_post(actor=None, kube=kube, kind="loan_out", date=dt.date(2025, 3, 2), amount=500_000, member=member)
    return kube


@pytest.fixture
def client(client, admin_user):
    client.force_login(admin_user)
    return client


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:ledger_{model}_{view}", args=args)


def snapshot(kube) -> list:
    lines = JournalLine.objects.filter(kube=kube).order_by("id").values_list("id", "account_id", "debit", "credit")
    entries = JournalEntry.objects.filter(kube=kube).order_by("id").values_list("id", "number", "date", "description")
    accounts = Account.objects.filter(kube=kube).order_by("id").values_list("id", "code", "name", "active", "balance")
    return [list(lines), list(entries), list(accounts)]


@pytest.mark.parametrize("model", [*READ_ONLY, "account"])
def test_the_changelists_open(client, kube, model):
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "changelist"), {"kube": kube.pk}).status_code == 200


def test_an_entry_shows_its_lines_read_only(client, kube):
    entry = JournalEntry.objects.get(kube=kube, operation="loan_out")
    response = client.get(url("journalentry", "change", entry.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1300 Piutang pinjaman anggota" in body and "500000" in body.replace(".", "").replace(",", "")
    assert 'name="lines-0-debit"' not in body and 'name="_save"' not in body


@pytest.mark.parametrize("model", READ_ONLY)
def test_nothing_can_be_added(client, kube, model):
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {}).status_code == 403


def test_a_posted_line_cannot_be_changed(client, kube):
    before = snapshot(kube)
    line = JournalLine.objects.filter(kube=kube, debit__gt=0).first()
    response = client.post(
        url("journalline", "change", line.pk),
        {"entry": line.entry_id, "account": line.account_id, "kube": kube.pk, "date": "2025-03-01",
         "debit": line.debit + 1, "credit": 0},
    )  # fmt: skip
    assert response.status_code == 403
    assert snapshot(kube) == before


def test_a_posted_entry_cannot_be_changed_through_its_inline(client, kube):
    before = snapshot(kube)
    entry = JournalEntry.objects.get(kube=kube, operation="from_bank")
    response = client.post(
        url("journalentry", "change", entry.pk),
        {"description": "diubah", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 403
    assert snapshot(kube) == before


@pytest.mark.parametrize("model", READ_ONLY)
def test_nothing_can_be_deleted(client, kube, model):
    before = snapshot(kube)
    obj = {
        "journalentry": JournalEntry.objects.filter(kube=kube).first(),
        "journalline": JournalLine.objects.filter(kube=kube).first(),
        "book": Book.objects.get(kube=kube),
        "memberloan": MemberLoan.objects.get(kube=kube),
    }[model]
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert snapshot(kube) == before


def test_an_account_cannot_be_deleted(client, kube):
    account = Account.objects.get(kube=kube, code="1400")
    assert client.post(url("account", "delete", account.pk), {"post": "yes"}).status_code == 403
    assert Account.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [("9100", "Kode akun harus 4 angka"), ("12a4", "Kode akun harus 4 angka"), ("1100", "sudah ada di buku ini")],
)
def test_an_account_with_a_bad_code_is_refused_with_the_services_message(client, kube, code, message):
    before = snapshot(kube)
    audits = AuditEvent.objects.count()
    response = client.post(url("account", "add"), {"kube": kube.pk, "code": code, "name": "Akun baru"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(kube) == before
    assert AuditEvent.objects.count() == audits


def test_a_good_account_is_created_by_the_service_with_the_type_its_code_says(client, kube, admin_user):
    response = client.post(url("account", "add"), {"kube": kube.pk, "code": "1600", "name": "Persediaan kain"})
    assert response.status_code == 302
    account = Account.objects.get(kube=kube, code="1600")
    assert (account.name, account.type, account.active, account.balance) == ("Persediaan kain", "asset", True, 0)
    event = AuditEvent.objects.get(action="ledger.account_create")
    assert (event.actor, event.object_id) == (admin_user, str(account.pk))


def test_an_account_is_renamed_through_the_service(client, kube):
    account = Account.objects.get(kube=kube, code="4300")
    response = client.post(url("account", "change", account.pk), {"name": "Pendapatan sewa", "active": "on"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Pendapatan sewa" and account.type == "income"
    assert AuditEvent.objects.filter(action="ledger.account_update", object_id=str(account.pk)).exists()


def test_retiring_an_account_the_operations_use_is_refused(client, kube):
    before = snapshot(kube)
    account = Account.objects.get(kube=kube, code="1100")
    response = client.post(url("account", "change", account.pk), {"name": "Kas"})  # "active" unticked
    assert response.status_code == 200
    assert "tidak bisa dinonaktifkan" in response.content.decode()
    assert snapshot(kube) == before
