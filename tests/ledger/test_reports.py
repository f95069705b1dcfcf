"""The book reports on a small KUBE whose figures are worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.kube.models import KubeState
from berdaya.ledger import reports
from berdaya.ledger.models import JournalEntry
from berdaya.ledger.services import entry_reverse, month_close, operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)


def post(kube, kind, day, amount, **kwargs):
    return operation_post(actor=None, kube=kube, kind=kind, date=day, amount=amount, **kwargs)


@pytest.fixture
def kube(regions):
    """Aid Rp20.000.000 into Bank on 20 Feb 2025 (the factory), then a spring of trading:

    Kas: +5.000.000 from bank, −1.200.000 materials, +2.500.000 sale, −1.000.000 loan, +260.000
    repayment (250.000 principal + 10.000 jasa), −40.000 IKS payout, −60.000 costs = 5.460.000.
    The loan (4 monthly instalments of 250.000 from 15 Apr) misses May and June.
    """
    kube = make_kube(state=KubeState.ACTIVE)
    member = kube.memberships.order_by("id").first()
    post(kube, "from_bank", dt.date(2025, 3, 1), 5_000_000)
    post(kube, "purchase", dt.date(2025, 3, 3), 1_200_000, description="Bibit cabai")
    post(kube, "sale", dt.date(2025, 3, 10), 2_500_000, description="Panen pertama")
    post(kube, "loan_out", dt.date(2025, 3, 15), 1_000_000, member=member, term_months=4,
         first_due_on=dt.date(2025, 4, 15))  # fmt: skip
    post(kube, "repayment", dt.date(2025, 4, 15), 250_000, fee=10_000, member=member)
    post(kube, "iks_allocation", dt.date(2025, 5, 20), 100_000)
    post(kube, "iks_payout", dt.date(2025, 6, 1), 40_000, description="Bantuan anggota sakit")
    post(kube, "expense", dt.date(2025, 6, 5), 60_000)
    return kube


def test_the_trial_balance_lists_each_balance_on_its_side_and_the_totals_agree(kube):
    report = reports.trial_balance(kube, JULY)
    rows = {r.code: (r.debit, r.credit) for r in report.rows}
    assert rows["1100"] == (5_460_000, 0)
    assert rows["1200"] == (15_000_000, 0)
    assert rows["1300"] == (750_000, 0)
    assert rows["2200"] == (0, 60_000)
    assert rows["3100"] == (0, 20_000_000)
    assert rows["3300"] == (100_000, 0)
    assert rows["4100"] == (0, 2_500_000)
    assert rows["4200"] == (0, 10_000)
    assert rows["5100"] == (1_200_000, 0)
    assert rows["5200"] == (60_000, 0)
    assert report.total_debit == report.total_credit == 22_570_000
    assert report.balanced


def test_a_past_trial_balance_leaves_out_later_lines(kube):
    rows = {r.code: (r.debit, r.credit) for r in reports.trial_balance(kube, dt.date(2025, 3, 12)).rows}
    assert rows["1100"] == (6_300_000, 0)
    assert rows["1300"] == (0, 0)
    assert rows["2200"] == (0, 0)


def test_the_cash_book_runs_a_balance_from_the_month_brought_forward(kube):
    march = reports.cash_book(kube, dt.date(2025, 3, 1))
    assert march.opening == 0
    assert [(r.date.day, r.amount_in, r.amount_out, r.balance) for r in march.rows] == [
        (1, 5_000_000, 0, 5_000_000),
        (3, 0, 1_200_000, 3_800_000),
        (10, 2_500_000, 0, 6_300_000),
        (15, 0, 1_000_000, 5_300_000),
    ]
    assert march.rows[1].description == "Bibit cabai"
    assert march.rows[1].operation_label == "Beli bahan"
    assert march.rows[1].counter == "5100 Bahan baku"
    assert (march.total_in, march.total_out, march.closing) == (7_500_000, 2_200_000, 5_300_000)
    april = reports.cash_book(kube, dt.date(2025, 4, 20))
    assert april.month == dt.date(2025, 4, 1)
    assert april.opening == 5_300_000
    assert april.rows[0].counter == "1300 Piutang pinjaman anggota, 4200 Jasa pinjaman"
    assert april.closing == 5_560_000


def test_the_bank_book_shows_the_aid(kube):
    february = reports.cash_book(kube, dt.date(2025, 2, 1), account="1200")
    assert [(r.amount_in, r.operation) for r in february.rows] == [(20_000_000, "aid_received")]
    assert february.closing == 20_000_000


def test_the_cash_book_takes_only_kas_or_bank(kube):
    with pytest.raises(ValueError):
        reports.cash_book(kube, dt.date(2025, 3, 1), account="4100")


def test_the_income_statement_adds_income_and_expenses_of_the_period(kube):
    report = reports.income_statement(kube, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    income = {a.code: a.amount for a in report.income}
    expenses = {a.code: a.amount for a in report.expenses}
    assert income == {"4100": 2_500_000, "4200": 10_000, "4300": 0}
    assert expenses == {"5100": 1_200_000, "5200": 60_000, "5300": 0, "5400": 0}
    assert (report.total_income, report.total_expenses, report.surplus) == (2_510_000, 1_260_000, 1_250_000)
    april = reports.income_statement(kube, dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    assert april.surplus == 10_000


def test_the_balance_sheet_balances_with_the_surplus_not_yet_closed(kube):
    report = reports.balance_sheet(kube, JULY)
    assert report.total_assets == 5_460_000 + 15_000_000 + 750_000
    assert report.total_liabilities == 60_000
    assert {a.code: a.amount for a in report.equity} == {"3100": 20_000_000, "3200": 0, "3300": -100_000}
    assert report.current_surplus == 1_250_000
    assert report.total_equity == 21_150_000
    assert report.balanced


def test_closing_december_keeps_the_years_income_statement_and_moves_the_surplus(kube):
    post(kube, "sale", dt.date(2025, 12, 5), 900)
    month_close(actor=None, kube=kube, month=dt.date(2025, 12, 1))
    assert JournalEntry.objects.filter(kube=kube, operation="year_close").exists()
    year = reports.income_statement(kube, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert year.surplus == 1_250_900
    sheet = reports.balance_sheet(kube, dt.date(2025, 12, 31))
    assert sheet.current_surplus == 0
    assert {a.code: a.amount for a in sheet.equity}["3300"] == 1_250_900 - 100_000
    assert sheet.balanced
    assert reports.income_statement(kube, dt.date(2026, 1, 1), dt.date(2026, 1, 31)).surplus == 0


def test_the_loan_ledger_ages_late_instalments(kube):
    report = reports.loan_ledger(kube, JULY)
    (row,) = report.rows
    head = kube.memberships.order_by("id").first().family.members.order_by("id").first()
    assert row.member_name == head.name
    assert (row.principal, row.repaid, row.outstanding) == (1_000_000, 250_000, 750_000)
    # Paid: the 15 April instalment. Oldest unpaid: 15 May, 47 days before 1 July.
    assert (row.due_to_date, row.overdue, row.days_past_due, row.bucket) == (750_000, 500_000, 47, "31-60")
    buckets = {b.bucket: (b.count, b.outstanding) for b in report.buckets}
    assert buckets["31-60"] == (1, 750_000)
    assert buckets["current"] == (0, 0)
    assert report.total_outstanding == 750_000


@pytest.mark.parametrize(
    ("as_of", "days", "bucket"),
    [
        (dt.date(2025, 3, 20), 0, "current"),  # before the first instalment
        (dt.date(2025, 5, 15), 0, "current"),  # due today: not late yet
        (dt.date(2025, 5, 20), 5, "1-30"),
        (dt.date(2025, 8, 14), 91, ">90"),
    ],
)
def test_the_aging_follows_the_as_of_date(kube, as_of, days, bucket):
    (row,) = reports.loan_ledger(kube, as_of).rows
    assert (row.days_past_due, row.bucket) == (days, bucket)


def test_a_loan_not_yet_made_or_reversed_is_not_listed(kube):
    assert reports.loan_ledger(kube, dt.date(2025, 3, 14)).rows == []
    other = kube.memberships.order_by("id")[1]
    entry = post(kube, "loan_out", dt.date(2025, 6, 10), 300_000, member=other, term_months=3)
    entry_reverse(actor=None, entry=entry, reason="salah anggota")
    assert [r.member_id for r in reports.loan_ledger(kube, JULY).rows] == [kube.memberships.order_by("id")[0].pk]


def test_a_paid_off_loan_is_current_and_owes_nothing(kube):
    member = kube.memberships.order_by("id").first()
    post(kube, "repayment", dt.date(2025, 6, 20), 750_000, member=member)
    (row,) = reports.loan_ledger(kube, JULY).rows
    assert row.paid_off and row.bucket == "current" and row.outstanding == 0


def test_the_iks_fund_shows_allocations_payouts_and_the_balance(kube):
    report = reports.iks_fund(kube, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert report.opening == 0
    assert [(r.amount_in, r.amount_out, r.balance) for r in report.rows] == [(100_000, 0, 100_000), (0, 40_000, 60_000)]
    assert (report.allocated, report.paid_out, report.closing) == (100_000, 40_000, 60_000)
    june = reports.iks_fund(kube, dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert (june.opening, june.closing) == (100_000, 60_000)


def test_reports_of_a_kube_without_books_are_empty(regions):
    kube = make_kube()
    assert reports.trial_balance(kube, JULY).rows == []
    assert reports.cash_book(kube, JULY).rows == []
    assert reports.balance_sheet(kube, JULY).balanced
    assert reports.loan_ledger(kube, JULY).rows == []
    assert reports.iks_fund(kube, JULY, JULY).closing == 0


def test_reports_read_with_a_few_queries_however_many_lines(kube, django_assert_max_num_queries):
    post(kube, "sale", dt.date(2025, 3, 11), 1, description="x")
    with django_assert_max_num_queries(4):
        reports.cash_book(kube, dt.date(2025, 3, 1))
    with django_assert_max_num_queries(2):
        reports.balance_sheet(kube, JULY)
    with django_assert_max_num_queries(3):
        reports.loan_ledger(kube, JULY)
