"""Bad input through the posting services is refused with a LedgerError that says what is wrong, and
nothing is written: no entry, line, loan or audit row, no balance moved, no entry number used.

(The admin and the API reach the same services; their own tests live with them.)
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from berdaya.core.models import AuditEvent
from berdaya.kube.models import KubeState
from berdaya.ledger.models import Account, Book, JournalEntry, JournalLine, MemberLoan
from berdaya.ledger.services import (
    LedgerError,
    account_create,
    account_update,
    entry_post,
    entry_reverse,
    month_close,
    operation_post,
    operations_post_bulk,
)
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 3)


@pytest.fixture
def kube(regions):
    """An active KUBE with Rp20.000.000 aid in the Bank, Rp5.000.000 of it drawn into Kas."""
    kube = make_kube(state=KubeState.ACTIVE)
    operation_post(actor=None, kube=kube, kind="from_bank", date=DAY, amount=5_000_000)
    return kube


@pytest.fixture
def other(regions):
    return make_kube(state=KubeState.ACTIVE)


@pytest.fixture
def member(kube):
    return kube.memberships.order_by("id").first()


def state() -> tuple:
    """Everything a refused posting must leave as it was, in every KUBE's books."""
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        MemberLoan.objects.count(),
        AuditEvent.objects.count(),
        sorted(Account.objects.values_list("kube_id", "code", "balance", "active")),
        sorted(Book.objects.values_list("kube_id", "next_number", "closed_through")),
    )


def assert_refused(pattern: str, call) -> LedgerError:
    """`call` raises LedgerError whose message matches `pattern` (a regex), and writes nothing."""
    before = state()
    with pytest.raises(LedgerError) as caught:
        call()
    message = str(caught.value)
    assert re.search(pattern, message), f"message {message!r} does not say {pattern!r}"
    assert state() == before, "a refused posting wrote something"
    return caught.value


def lines(debit, credit=None, *, debit_account="1200", credit_account="4300") -> list[dict]:
    return [
        {"account": debit_account, "debit": debit},
        {"account": credit_account, "credit": debit if credit is None else credit},
    ]


# ---- amounts --------------------------------------------------------------------------------------

NOT_POSITIVE = r"baris 1 harus lebih dari Rp0"
NOT_WHOLE = r"(bilangan bulat rupiah|bukan jumlah rupiah yang sah)"
TOO_LARGE = r"terlalu besar"

OPERATION_AMOUNTS = [
    (-1, NOT_POSITIVE),
    (0, NOT_POSITIVE),
    ("0", NOT_POSITIVE),
    (1.5, NOT_WHOLE),
    (1e6, NOT_WHOLE),
    (Decimal("1500"), NOT_WHOLE),
    (Decimal("1.500"), NOT_WHOLE),
    (True, NOT_WHOLE),
    (None, NOT_WHOLE),
    ("1.500,50", r"'1\.500,50' bukan jumlah rupiah yang sah"),
    ("abc", r"'abc' bukan jumlah rupiah yang sah"),
    ("-1.000", r"'-1\.000' bukan jumlah rupiah yang sah"),
    ("", r"bukan jumlah rupiah yang sah"),
    (10**13, TOO_LARGE),
    ("10.000.000.000.000", TOO_LARGE),
    (2**63, TOO_LARGE),
]


@pytest.mark.parametrize(("amount", "pattern"), OPERATION_AMOUNTS, ids=[repr(a) for a, _p in OPERATION_AMOUNTS])
def test_an_operation_refuses_an_amount_that_is_not_whole_positive_rupiah(kube, amount, pattern):
    assert_refused(pattern, lambda: operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=amount))


ENTRY_AMOUNTS = [
    (-1, NOT_POSITIVE),
    (0, NOT_POSITIVE),
    (1.5, NOT_WHOLE),
    (1e6, NOT_WHOLE),
    (2.125, NOT_WHOLE),  # str(2.125) is "2.125", which reads as Rp2.125
    (Decimal("1.500"), NOT_WHOLE),  # …and Decimal("1.500") as Rp1.500
    (Decimal("1500"), NOT_WHOLE),
    (True, NOT_WHOLE),
    ("1.500,50", r"'1\.500,50' bukan jumlah rupiah yang sah"),
    ("abc", r"'abc' bukan jumlah rupiah yang sah"),
    (10**13, TOO_LARGE),
    ("10.000.000.000.000", TOO_LARGE),
    (2**63, TOO_LARGE),
]


@pytest.mark.parametrize(("amount", "pattern"), ENTRY_AMOUNTS, ids=[repr(a) for a, _p in ENTRY_AMOUNTS])
def test_a_general_entry_refuses_an_amount_that_is_not_whole_positive_rupiah(kube, amount, pattern):
    assert_refused(
        rf"(?i){pattern}",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(amount)),
    )


def test_a_negative_or_fractional_jasa_is_refused(kube, member):
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member)
    repay = dict(actor=None, kube=kube, kind="repayment", date=DAY, amount=100_000, member=member)
    assert_refused(r"Jasa pinjaman tidak boleh negatif", lambda: operation_post(**repay, fee=-5))
    assert_refused(r"baris 3 harus bilangan bulat", lambda: operation_post(**repay, fee=1.5))
    assert_refused(r"bukan jumlah rupiah yang sah", lambda: operation_post(**repay, fee="1.000,50"))


# ---- accounts -------------------------------------------------------------------------------------


def test_an_account_code_that_only_another_kube_has_is_refused(kube, other):
    account_create(actor=None, kube=other, code="4400", name="Sewa alat")
    assert_refused(
        r"Baris 2: akun '4400' tidak ada di buku",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(500, credit_account="4400")),
    )


@pytest.mark.parametrize("by", ["pk", "object"])
def test_an_account_of_another_kube_is_refused_by_pk_and_by_object(kube, other, by):
    theirs = Account.objects.get(kube=other, code="4300")
    ref = theirs.pk if by == "pk" else theirs
    assert_refused(
        r"Baris 2: akun .* bukan akun buku",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(500, credit_account=ref)),
    )


def test_an_operation_naming_another_kubes_account_is_refused(kube, other):
    theirs = Account.objects.get(kube=other, code="4300")
    assert_refused(
        r"bukan akun buku",
        lambda: operation_post(actor=None, kube=kube, kind="other_income", date=DAY, amount=500, account=theirs),
    )


def test_an_account_of_the_wrong_kind_for_the_operation_is_refused(kube):
    assert_refused(
        r"tidak cocok untuk Biaya operasional",
        lambda: operation_post(actor=None, kube=kube, kind="expense", date=DAY, amount=500, account="4100"),
    )


def test_a_retired_account_takes_no_new_lines(kube):
    account = account_create(actor=None, kube=kube, code="5500", name="Sewa tempat")
    account_update(actor=None, account=account, name=account.name, active=False)
    assert_refused(
        r"akun 5500 Sewa tempat sudah tidak dipakai",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(500, debit_account="5500")),
    )


@pytest.mark.parametrize("cash", ["1300", "4100", "kas"])
def test_only_kas_or_bank_can_be_the_cash_side(kube, cash):
    assert_refused(
        rf"1100 \(Kas\) atau 1200 \(Bank\), bukan {cash}",
        lambda: operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=500, cash=cash),
    )


def test_an_unknown_operation_is_refused(kube):
    assert_refused(
        r"Jenis transaksi 'gift' tidak dikenal",
        lambda: operation_post(actor=None, kube=kube, kind="gift", date=DAY, amount=500),
    )


# ---- the shape of a general entry --------------------------------------------------------------------


def test_an_unbalanced_entry_is_refused(kube):
    assert_refused(
        r"Jurnal tidak seimbang: debit Rp1\.000.*kredit Rp999",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(1_000, 999)),
    )


@pytest.mark.parametrize("count", [0, 1])
def test_an_entry_of_fewer_than_two_lines_is_refused(kube, count):
    assert_refused(
        r"sedikitnya dua baris",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=lines(500)[:count]),
    )


def test_a_line_with_both_a_debit_and_a_credit_is_refused(kube):
    both = [{"account": "1200", "debit": 500, "credit": 500}, {"account": "4300", "debit": 500, "credit": 500}]
    assert_refused(
        r"Baris 1 harus berisi debit atau kredit, tidak keduanya",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=both),
    )


def test_a_line_that_cannot_be_read_is_refused(kube):
    assert_refused(
        r"Baris 2 tidak bisa dibaca",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="uji", lines=[lines(5)[0], ("4300", 0, 5)]),
    )


def test_a_general_entry_needs_a_description(kube):
    assert_refused(
        r"wajib diberi keterangan",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="  ", lines=lines(500)),
    )
    assert_refused(
        r"paling panjang 200",
        lambda: entry_post(actor=None, kube=kube, date=DAY, description="x" * 201, lines=lines(500)),
    )


def test_an_overlong_idempotency_key_is_refused(kube):
    assert_refused(
        r"Kunci pengiriman terlalu panjang",
        lambda: operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=5, idempotency_key="k" * 65),
    )


# ---- dates ----------------------------------------------------------------------------------------


def test_a_closed_month_takes_nothing(kube):
    sale = operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 3, 10), amount=900)
    month_close(actor=None, kube=kube, month=dt.date(2025, 3, 1))
    closed = r"ditutup sampai 2025-03-31; tanggal 2025-03-31 tidak bisa diisi"
    assert_refused(
        closed,
        lambda: operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 3, 31), amount=5),
    )
    assert_refused(
        closed,
        lambda: entry_post(actor=None, kube=kube, date=dt.date(2025, 3, 31), description="uji", lines=lines(5)),
    )
    assert_refused(closed, lambda: entry_reverse(actor=None, entry=sale, reason="salah", date=dt.date(2025, 3, 31)))
    assert_refused(
        closed,
        lambda: operations_post_bulk(
            actor=None, kube=kube, operations=[{"kind": "sale", "date": dt.date(2025, 3, 31), "amount": 5}]
        ),
    )
    assert_refused(r"sudah ditutup sampai 2025-03-31", lambda: month_close(actor=None, kube=kube, month=DAY))
    assert_refused(
        r"sudah ditutup sampai 2025-03-31",
        lambda: month_close(actor=None, kube=kube, month=dt.date(2025, 2, 1)),
    )


def test_a_month_that_has_not_ended_cannot_be_closed(kube):
    today = timezone.localdate()
    assert_refused(r"belum berakhir", lambda: month_close(actor=None, kube=kube, month=today))
    next_month = (today.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    assert_refused(r"belum berakhir", lambda: month_close(actor=None, kube=kube, month=next_month))


def test_a_future_date_is_refused(kube):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    sale = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=900)
    future = rf"Tanggal {tomorrow.isoformat()} belum terjadi"
    assert_refused(future, lambda: operation_post(actor=None, kube=kube, kind="sale", date=tomorrow, amount=5))
    assert_refused(future, lambda: entry_post(actor=None, kube=kube, date=tomorrow, description="uji", lines=lines(5)))
    assert_refused(future, lambda: entry_reverse(actor=None, entry=sale, reason="salah", date=tomorrow))
    assert_refused(
        future,
        lambda: operations_post_bulk(
            actor=None, kube=kube, operations=[{"kind": "sale", "date": tomorrow, "amount": 5}]
        ),
    )


def test_a_date_before_the_kube_was_formed_is_refused(kube):
    assert_refused(
        r"sebelum KUBE dibentuk \(2025-01-06\)",
        lambda: operation_post(actor=None, kube=kube, kind="sale", date=dt.date(2025, 1, 5), amount=5),
    )


@pytest.mark.parametrize("date", [None, "2025-03-03", dt.datetime(2025, 3, 3, 10, 0)], ids=["none", "text", "datetime"])
def test_a_date_that_is_not_a_calendar_day_is_refused(kube, date):
    assert_refused(r"Tanggal", lambda: operation_post(actor=None, kube=kube, kind="sale", date=date, amount=5))


def test_a_reversal_cannot_be_dated_before_its_entry(kube):
    sale = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=900)
    assert_refused(
        r"tidak boleh bertanggal sebelum jurnal aslinya",
        lambda: entry_reverse(actor=None, entry=sale, reason="salah", date=DAY - dt.timedelta(days=1)),
    )


# ---- reversals ------------------------------------------------------------------------------------


def test_a_reversal_needs_a_reason_and_happens_once(kube):
    sale = operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=900)
    assert_refused(r"alasan pembatalan", lambda: entry_reverse(actor=None, entry=sale, reason=" "))
    reversal = entry_reverse(actor=None, entry=sale, reason="salah catat")
    assert_refused(
        rf"#{sale.number} sudah dibalik oleh jurnal #{reversal.number}",
        lambda: entry_reverse(actor=None, entry=sale, reason="lagi"),
    )
    assert_refused(r"tidak bisa dibalik lagi", lambda: entry_reverse(actor=None, entry=reversal, reason="lagi"))


def test_a_loan_with_repayments_cannot_be_reversed(kube, member):
    loan_out = operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member)
    operation_post(actor=None, kube=kube, kind="repayment", date=DAY, amount=100_000, member=member)
    assert_refused(r"sudah punya angsuran", lambda: entry_reverse(actor=None, entry=loan_out, reason="salah"))


# ---- the KUBE, its members, loans and savings ---------------------------------------------------------


def test_a_dissolved_kubes_books_take_nothing(regions):
    dissolved = make_kube(state=KubeState.DISSOLVED)
    aid = JournalEntry.objects.get(kube=dissolved, operation="aid_received")
    frozen = r"berstatus Dibubarkan; bukunya tidak menerima jurnal"
    assert_refused(frozen, lambda: operation_post(actor=None, kube=dissolved, kind="sale", date=DAY, amount=5))
    assert_refused(frozen, lambda: entry_post(actor=None, kube=dissolved, date=DAY, description="uji", lines=lines(5)))
    assert_refused(frozen, lambda: entry_reverse(actor=None, entry=aid, reason="salah"))
    assert_refused(
        frozen,
        lambda: operations_post_bulk(
            actor=None, kube=dissolved, operations=[{"kind": "sale", "date": DAY, "amount": 5}]
        ),
    )


def test_a_repayment_above_what_is_owed_is_refused(kube, member):
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member)
    operation_post(actor=None, kube=kube, kind="repayment", date=DAY, amount=400_000, member=member)
    assert_refused(
        r"Angsuran pokok Rp600\.001 melebihi sisa pinjaman Rp600\.000",
        lambda: operation_post(actor=None, kube=kube, kind="repayment", date=DAY, amount=600_001, member=member),
    )


def test_two_repayments_in_one_batch_above_what_is_owed_are_refused(kube, member):
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member)
    instalment = {"kind": "repayment", "date": DAY, "amount": 600_000, "member": member}
    assert_refused(
        r"Transaksi ke-2 .*melebihi sisa pinjaman Rp400\.000",
        lambda: operations_post_bulk(actor=None, kube=kube, operations=[instalment, instalment]),
    )


def test_a_repayment_without_a_loan_is_refused(kube, member):
    assert_refused(
        r"tidak punya pinjaman yang belum lunas",
        lambda: operation_post(actor=None, kube=kube, kind="repayment", date=DAY, amount=5, member=member),
    )


def test_a_repayment_of_another_members_loan_is_refused(kube, member):
    operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=1_000_000, member=member)
    loan = MemberLoan.objects.get(kube=kube)
    someone_else = kube.memberships.exclude(pk=member.pk).first()
    assert_refused(
        r"bukan pinjaman anggota ini",
        lambda: operation_post(
            actor=None, kube=kube, kind="repayment", date=DAY, amount=5, member=someone_else, loan=loan
        ),
    )


def test_taking_out_more_savings_than_the_member_holds_is_refused(kube, member):
    operation_post(actor=None, kube=kube, kind="savings_in", date=DAY, amount=50_000, member=member)
    assert_refused(
        r"Simpanan anggota ini hanya Rp50\.000; tidak bisa diambil Rp50\.001",
        lambda: operation_post(actor=None, kube=kube, kind="savings_out", date=DAY, amount=50_001, member=member),
    )
    # Another member's savings are not this member's.
    someone_else = kube.memberships.exclude(pk=member.pk).first()
    assert_refused(
        r"hanya Rp0",
        lambda: operation_post(actor=None, kube=kube, kind="savings_out", date=DAY, amount=1, member=someone_else),
    )


@pytest.mark.parametrize("by", ["object", "pk"])
@pytest.mark.parametrize("kind", ["savings_in", "loan_out", "sale"])
def test_a_member_of_another_kube_is_refused(kube, other, kind, by):
    stranger = other.memberships.first()
    assert_refused(
        r"Anggota itu bukan anggota",
        lambda: operation_post(
            actor=None, kube=kube, kind=kind, date=DAY, amount=5, member=stranger if by == "object" else stranger.pk
        ),
    )


def test_a_member_operation_without_a_member_is_refused(kube):
    assert_refused(
        r"Pilih anggota",
        lambda: operation_post(actor=None, kube=kube, kind="loan_out", date=DAY, amount=5),
    )


@pytest.mark.parametrize("term", [0, -1, 61, "abc"])
def test_a_loan_term_outside_one_to_sixty_months_is_refused(kube, member, term):
    # 0 is not "no term given": a treasurer who typed 0 must not get the default ten-month loan.
    assert_refused(
        r"Lama pinjaman harus 1 sampai 60 bulan",
        lambda: operation_post(
            actor=None, kube=kube, kind="loan_out", date=DAY, amount=5, member=member, term_months=term
        ),
    )


def test_the_first_instalment_must_fall_due_after_the_loan(kube, member):
    assert_refused(
        r"jatuh tempo setelah tanggal pinjaman",
        lambda: operation_post(
            actor=None, kube=kube, kind="loan_out", date=DAY, amount=5, member=member, first_due_on=DAY
        ),
    )


def test_paying_out_more_than_the_box_holds_is_refused(kube):
    assert_refused(
        r"Saldo Kas tidak cukup: ada Rp5\.000\.000, dibutuhkan Rp5\.000\.001",
        lambda: operation_post(actor=None, kube=kube, kind="purchase", date=DAY, amount=5_000_001),
    )


# ---- batches --------------------------------------------------------------------------------------


def five(third: dict, member) -> list[dict]:
    good = {"kind": "sale", "date": DAY, "amount": 1_000}
    return [good, {**good, "kind": "savings_in", "member": member, "idempotency_key": "b-2"}, third, good, good]


THIRD = {
    "bad amount": ({"kind": "sale", "date": DAY, "amount": "abc"}, r"'abc' bukan jumlah rupiah yang sah"),
    "float amount": ({"kind": "sale", "date": DAY, "amount": 1.5}, NOT_WHOLE),
    "future date": ({"kind": "sale", "date": dt.date(2099, 1, 1), "amount": 5}, r"belum terjadi"),
    "unknown kind": ({"kind": "gift", "date": DAY, "amount": 5}, r"tidak dikenal"),
    "too much cash out": ({"kind": "purchase", "date": DAY, "amount": 5_002_001}, r"Saldo Kas tidak cukup"),
    "savings not held": (
        {"kind": "savings_out", "date": DAY, "amount": 1_001, "member": "same"},
        r"hanya Rp1\.000",
    ),
    "key twice in the batch": (
        {"kind": "sale", "date": DAY, "amount": 5, "idempotency_key": "b-2"},
        r"b-2 dipakai dua kali",
    ),
    "stranger": ({"kind": "savings_in", "date": DAY, "amount": 5, "member": "stranger"}, r"bukan anggota"),
}


@pytest.mark.parametrize("case", list(THIRD))
def test_a_batch_with_a_bad_third_operation_writes_none_of_the_five(kube, other, member, case):
    third, pattern = THIRD[case]
    third = dict(third)
    if third.get("member") == "same":
        third["member"] = member
    elif third.get("member") == "stranger":
        third["member"] = other.memberships.first()
    assert_refused(
        rf"Transaksi ke-3 \(.*{pattern}",
        lambda: operations_post_bulk(actor=None, kube=kube, operations=five(third, member)),
    )


def test_a_batch_resending_a_key_already_posted_does_not_post_it_twice(kube):
    operation_post(actor=None, kube=kube, kind="sale", date=DAY, amount=700, idempotency_key="outbox-1")
    before = state()
    batch = [{"kind": "sale", "date": DAY, "amount": 700, "idempotency_key": "outbox-1"}]
    try:
        operations_post_bulk(actor=None, kube=kube, operations=batch)
    except LedgerError as error:  # refusing the batch is fine; crashing on the unique index is not
        assert "outbox-1" in str(error)
        assert state() == before
    assert JournalEntry.objects.filter(kube=kube, idempotency_key="outbox-1").count() == 1
