"""KUBE and region metrics filled from the books: windows, revenue without the year-end close, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from berdaya.kube.models import KubeState
from berdaya.ledger.metrics import kube_metrics, metrics_window, region_metrics
from berdaya.ledger.services import month_close, operation_post
from tests.factories import make_kube

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)


def post(kube, kind, day, amount, **kwargs):
    return operation_post(actor=None, kube=kube, kind=kind, date=day, amount=amount, **kwargs)


def trade(kube):
    """As in test_reports: Kas 5.460.000, Bank 15.000.000, loan 750.000 out and 47 days late on 1 July,
    revenue 2.510.000 (2.500.000 in March, 10.000 in April), expenses 1.260.000, Dana IKS 60.000."""
    member = kube.memberships.order_by("id").first()
    post(kube, "from_bank", dt.date(2025, 3, 1), 5_000_000)
    post(kube, "purchase", dt.date(2025, 3, 3), 1_200_000)
    post(kube, "sale", dt.date(2025, 3, 10), 2_500_000)
    post(kube, "loan_out", dt.date(2025, 3, 15), 1_000_000, member=member, term_months=4,
         first_due_on=dt.date(2025, 4, 15))  # fmt: skip
    post(kube, "repayment", dt.date(2025, 4, 15), 250_000, fee=10_000, member=member)
    post(kube, "iks_allocation", dt.date(2025, 5, 20), 100_000)
    post(kube, "iks_payout", dt.date(2025, 6, 1), 40_000)
    post(kube, "expense", dt.date(2025, 6, 5), 60_000)
    return kube


@pytest.fixture
def kube(regions):
    return trade(make_kube(state=KubeState.ACTIVE))


def test_the_window_is_the_months_before_the_date_and_the_prior_one_as_long():
    window = metrics_window(JULY, 3)
    assert (window.start, window.end, window.days) == (dt.date(2025, 4, 2), JULY, 91)
    assert (window.prior_start, window.prior_end) == (dt.date(2025, 1, 1), dt.date(2025, 4, 1))


def test_a_year_of_trading_gives_the_hand_worked_metrics(kube):
    m = kube_metrics(kube, JULY, months=12)
    assert m.assets == 21_210_000
    assert m.net_surplus == 1_250_000
    # assets were 0 before the aid: mean assets 10.605.000 over a 365-day window
    assert m.roa_annualised == pytest.approx(1_250_000 / 10_605_000)
    assert m.par30 == 1
    assert m.repayment_rate == pytest.approx(1 / 3)
    assert m.loan_fund_utilisation == pytest.approx(750_000 / (750_000 + 20_460_000))
    assert m.revenue_growth is None  # nothing earned the year before
    assert m.equity_growth is None
    assert (m.iks_allocated, m.iks_balance) == (100_000, 60_000)
    assert (m.loans_outstanding, m.loans_overdue) == (750_000, 500_000)


def test_a_short_window_compares_with_the_one_before(kube):
    m = kube_metrics(kube, JULY, months=3)
    assert m.net_surplus == 10_000 - 60_000
    assert m.revenue_growth == pytest.approx(10_000 / 2_500_000 - 1)
    # equity (assets − liabilities) on 1 April: 21.300.000; on 1 July: 21.210.000 − 60.000
    assert m.equity_growth == pytest.approx(21_150_000 / 21_300_000 - 1)
    assert m.iks_allocated == 100_000


def test_the_year_end_close_is_neither_revenue_nor_cost(kube):
    month_close(actor=None, kube=kube, month=dt.date(2025, 12, 1))
    m = kube_metrics(kube, dt.date(2025, 12, 31), months=12)
    assert m.net_surplus == 1_250_000


def test_the_default_window_comes_from_settings(kube, settings):
    settings.BERDAYA = {**settings.BERDAYA, "METRICS_MONTHS": 3}
    assert kube_metrics(kube, JULY).net_surplus == -50_000


def test_a_kube_without_books_has_no_ratios(regions):
    m = kube_metrics(make_kube(), JULY)
    assert m.assets == 0 and m.roa_annualised is None and m.par30 is None


def test_an_officer_sees_each_kube_and_the_summed_total(kube, officer):
    other = make_kube(state=KubeState.ACTIVE)
    post(other, "from_bank", dt.date(2025, 3, 1), 1_000_000)
    post(other, "sale", dt.date(2025, 3, 2), 490_000)
    region = region_metrics(officer, JULY, months=12)
    assert not region.aggregated
    rows = {r.kube_id: r.metrics for r in region.rows}
    assert set(rows) == {kube.pk, other.pk}
    assert rows[other.pk].net_surplus == 490_000
    assert region.total.net_surplus == 1_250_000 + 490_000
    assert region.total.assets == 21_210_000 + 20_490_000
    assert region.total.par30 == pytest.approx(1.0)


def test_a_stranger_sees_nothing_and_a_viewer_sees_kecamatan_totals(kube, stranger, make_user):
    assert region_metrics(stranger, JULY).rows == []
    viewer = make_user("pemantau", "viewer", "61.71")
    region = region_metrics(viewer, JULY, months=12)
    assert region.aggregated
    (row,) = region.rows
    assert row.kube_id is None and row.region_code == "61.71.04" and row.kubes == 1
    assert row.name != kube.name
    assert row.metrics.net_surplus == 1_250_000


def test_region_metrics_take_the_same_queries_for_one_kube_or_many(kube, officer):
    with CaptureQueriesContext(connection) as one:
        region_metrics(officer, JULY)
    for _ in range(3):
        trade(make_kube(state=KubeState.ACTIVE))
    with CaptureQueriesContext(connection) as many:
        region = region_metrics(officer, JULY)
    assert region.kubes == 4
    assert len(many) == len(one) <= 8
