"""Posting plain-word operations: each gives the right balanced entry, and the rules refuse bad ones."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, JournalEntry, JournalLine, MemberLoan
from berdaya.ledger.services import LedgerError, entry_post, entry_reverse, month_close, operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 3)


@pytest.fixture
def kube(regions):
    return make_kube(state=KubeState.ACTIVE)


def balances(kube) -> dict[str, int]:
    return dict(Account.objects.filter(kube=kube).values_list("code", "balance"))


def test_aid_recorded_on_the_kube_lands_in_the_bank_as_uep_capital(kube):
    entry = JournalEntry.objects.get(kube=kube, operation="aid_received")
    assert entry.total == 20_000_000
    assert balances(kube)["1200"] == 20_000_000
    assert balances(kube)["3100"] == -20_000_000


def test_a_sale_debits_kas_and_credits_penjualan(kube):
    entry = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount="1.250.000")
    lines = {(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")}
    assert lines == {("1100", 1_250_000, 0), ("4100", 0, 1_250_000)}


def test_a_repayment_splits_principal_and_jasa(kube):
    member = kube.memberships.first()
    operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=5_000_000)
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member, term_months=4)
    entry = operation_post(
        actor=None,
        kube=kube,
        kind="repayment",
        date=DAY + dt.timedelta(days=30),
        amount=250_000,
        fee=10_000,
        member=member,
    )
    assert entry.loan == MemberLoan.objects.get(kube=kube)
    assert balances(kube)["1300"] == 750_000
    assert balances(kube)["4200"] == -10_000


def test_paying_out_more_cash_than_the_box_holds_is_refused(kube):
    with pytest.raises(LedgerError, match="tidak cukup"):
        operation_post(actor=None, kube=kube, kind="purchase", date=DAY, amount=1)
    assert JournalEntry.objects.filter(kube=kube).count() == 1


def test_an_account_of_another_kube_is_refused(kube, regions):
    other = make_kube(state=KubeState.ACTIVE)
    theirs = Account.objects.get(kube=other, code="4100")
    with pytest.raises(LedgerError, match="bukan akun buku"):
        entry_post(
            actor=None, kube=kube, date=DAY, description="x",
            lines=[{"account": "1200", "debit": 5}, {"account": theirs, "credit": 5}],
        )  # fmt: skip
    with pytest.raises(LedgerError, match="bukan akun buku"):
        entry_post(
            actor=None, kube=kube, date=DAY, description="x",
            lines=[{"account": "1200", "debit": 5}, {"account": theirs.pk, "credit": 5}],
        )  # fmt: skip
    assert JournalLine.objects.filter(kube=kube).count() == 2


def test_the_same_key_posts_once(kube):
    first = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=100, idempotency_key="k1")
    again = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=100, idempotency_key="k1")
    assert first.pk == again.pk
    assert JournalEntry.objects.filter(kube=kube, operation="sale").count() == 1


def test_a_reversal_restores_balances_and_cannot_be_repeated(kube):
    before = balances(kube)
    sale = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=700)
    entry_reverse(actor=None, entry=sale, reason="salah catat")
    assert balances(kube) == before
    with pytest.raises(LedgerError, match="sudah dibalik"):
        entry_reverse(actor=None, entry=sale, reason="lagi")


def test_a_closed_month_takes_nothing_and_december_closes_the_year(kube):
    operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 12, 5), amount=900)
    month_close(actor=None, kube=kube, month=dt.date(2025, 12, 1))
    with pytest.raises(LedgerError, match="ditutup"):
        operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 12, 31), amount=1)
    close = JournalEntry.objects.get(kube=kube, operation="year_close")
    assert close.date == dt.date(2025, 12, 31)
    assert balances(kube)["4100"] == 0
    assert balances(kube)["3300"] == -900


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [("1.500,50", "bukan jumlah rupiah"), (0, "lebih dari Rp0"), (-5, "lebih dari Rp0"), (1.5, "bilangan bulat")],
)
def test_a_bad_amount_is_refused_with_a_message_not_a_crash(kube, amount, fragment):
    with pytest.raises(LedgerError, match=fragment):
        operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=amount)
    assert JournalEntry.objects.filter(kube=kube).count() == 1


def test_a_loan_made_and_repaid_in_one_batch_is_stored_once(kube):
    from berdaya.ledger.services import operations_post_bulk

    member = kube.memberships.first()
    operations_post_bulk(
        actor=None,
        kube=kube,
        operations=[
            {"kind": "from_bank", "date": DAY, "amount": 2_000_000},
            {"kind": "loan_out", "date": DAY, "amount": 600_000, "member": member, "term_months": 3, "loan_ref": "a"},
            {"kind": "repayment", "date": DAY + dt.timedelta(days=31), "amount": 200_000, "member": member,
             "loan_ref": "a"},
            {"kind": "repayment", "date": DAY + dt.timedelta(days=60), "amount": 200_000, "member": member,
             "loan_ref": "a"},
        ],
    )  # fmt: skip
    loan = MemberLoan.objects.get(kube=kube)
    assert loan.entries.count() == 3
    assert balances(kube)["1300"] == 200_000


def test_the_first_close_looks_only_at_years_with_entries(kube, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        month_close(actor=None, kube=kube, month=dt.date(2025, 3, 1))


def test_a_repayment_naming_a_loan_the_batch_never_made_is_refused(kube):
    from berdaya.ledger.services import operations_post_bulk

    member = kube.memberships.first()
    with pytest.raises(LedgerError, match="belum dibuat"):
        operations_post_bulk(
            actor=None,
            kube=kube,
            operations=[{"kind": "repayment", "date": DAY, "amount": 1, "member": member, "loan_ref": "x"}],
        )
    assert JournalEntry.objects.filter(kube=kube).count() == 1
