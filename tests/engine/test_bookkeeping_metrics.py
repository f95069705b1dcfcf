"""The metric formulas of engine.bookkeeping.book_metrics on numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.engine.bookkeeping import LoanStatus, MetricsInput, book_metrics, loan_status

AS_OF = dt.date(2025, 7, 1)


def status(outstanding: int, due: int, repaid: int, days: int) -> LoanStatus:
    return LoanStatus(
        outstanding=outstanding,
        due_to_date=due,
        repaid=repaid,
        overdue=max(0, due - repaid),
        days_past_due=days,
        bucket="",
    )


def data(**overrides) -> MetricsInput:
    values = dict(
        days=365,
        assets_start=10_000_000,
        assets_end=14_000_000,
        equity_start=8_000_000,
        equity_end=10_000_000,
        revenue=3_000_000,
        revenue_prior=2_000_000,
        expenses=1_800_000,
        cash_end=3_000_000,
        loans=(status(600_000, 800_000, 400_000, 45), status(400_000, 200_000, 200_000, 0)),
        iks_allocated=120_000,
        iks_balance=80_000,
    )
    values.update(overrides)
    return MetricsInput(**values)


def test_net_surplus_is_revenue_minus_expenses():
    assert book_metrics(data()).net_surplus == 1_200_000


def test_roa_divides_the_surplus_by_mean_assets_and_annualises():
    # 1.200.000 / ((10.000.000 + 14.000.000) / 2) = 0,10 for a full year
    assert book_metrics(data()).roa_annualised == pytest.approx(0.10)
    # the same surplus in half a year is twice the yearly rate
    assert book_metrics(data(days=182)).roa_annualised == pytest.approx(0.10 * 365 / 182)


def test_par30_is_the_share_of_outstanding_principal_more_than_30_days_late():
    assert book_metrics(data()).par30 == pytest.approx(600_000 / 1_000_000)
    on_time = data(loans=(status(600_000, 800_000, 400_000, 30),))
    assert book_metrics(on_time).par30 == 0


def test_repayment_rate_counts_what_was_paid_of_what_fell_due():
    # min(400k, 800k) + min(200k, 200k) over 800k + 200k
    assert book_metrics(data()).repayment_rate == pytest.approx(0.6)
    ahead = data(loans=(status(0, 200_000, 1_000_000, 0),))
    assert book_metrics(ahead).repayment_rate == 1  # paying early does not lift it above 100 %


def test_loan_fund_utilisation_is_lent_money_over_lent_plus_cash():
    assert book_metrics(data()).loan_fund_utilisation == pytest.approx(1_000_000 / 4_000_000)


def test_growth_compares_with_the_window_before():
    m = book_metrics(data())
    assert m.revenue_growth == pytest.approx(0.5)
    assert m.equity_growth == pytest.approx(0.25)


def test_a_ratio_without_a_denominator_is_none_not_zero():
    m = book_metrics(data(assets_start=0, assets_end=0, revenue_prior=0, equity_start=0, loans=(), cash_end=0))
    assert m.roa_annualised is None
    assert m.par30 is None
    assert m.repayment_rate is None
    assert m.loan_fund_utilisation is None
    assert m.revenue_growth is None
    assert m.equity_growth is None


def test_totals_of_loans_and_iks_are_passed_through():
    m = book_metrics(data())
    assert (m.loans_outstanding, m.loans_overdue) == (1_000_000, 400_000)
    assert (m.iks_allocated, m.iks_balance, m.assets) == (120_000, 80_000, 14_000_000)


def test_a_late_loan_status_feeds_par_and_repayment():
    late = loan_status(principal=1_000_000, term_months=4, first_due=dt.date(2025, 4, 15), repaid=250_000, as_of=AS_OF)
    m = book_metrics(data(loans=(late,)))
    assert m.par30 == 1
    assert m.repayment_rate == pytest.approx(250_000 / 750_000)
