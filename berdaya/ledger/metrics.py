"""Financial metrics of KUBE books (spec §7) filled from grouped queries and computed by the engine.

`kube_metrics` gives one KUBE's figures; `region_metrics` those of every KUBE a user may see plus the
totals, with the same six queries whatever the number of KUBEs: accounts, lines after the as-of date,
the two windows' movements, loans and loan repayments, each grouped by account (and so by KUBE).

Definitions (the formulas are the engine's, `bookkeeping.book_metrics`):
- the window is the `months` months ending on the as-of date; the prior window the same number of days
  before it (revenue growth compares the two);
- balances at the window's start are the as-of balances minus the window's movements;
- revenue = income accounts' credits − debits in the window, expenses = expense accounts' debits −
  credits, both without the year-end close (it empties them into SHU ditahan and is no income or cost);
- equity = assets − liabilities, so the surplus not yet closed counts as the group's own;
- IKS allocated = what allocations put into Dana IKS in the window (a reversed allocation taken back).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import BooleanField, Case, QuerySet, Sum, Value, When
from django.utils import timezone

from berdaya.core.models import Region, Role, User
from berdaya.core.scoping import region_q
from berdaya.engine import bookkeeping as bk
from berdaya.engine.mentoring import kecamatan_code
from berdaya.kube.models import Kube
from berdaya.ledger.models import Account, AccountType, JournalLine, MemberLoan, Operation
from berdaya.ledger.reports import loan_amounts, loans_q
from berdaya.ledger.selectors import books_for_user

__all__ = [
    "AGGREGATE_ROLES",
    "KubeMetricsRow",
    "RegionMetrics",
    "Window",
    "default_months",
    "kube_metrics",
    "metrics_window",
    "region_metrics",
]

# Regional viewers and evaluators see figures summed per kecamatan, never one KUBE's (spec §2).
AGGREGATE_ROLES = {Role.VIEWER, Role.EVALUATOR}


@dataclass(frozen=True)
class Window:
    start: dt.date  # first day of the window
    end: dt.date  # the as-of date
    prior_start: dt.date
    prior_end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def metrics_window(as_of: dt.date, months: int) -> Window:
    """The `months` months ending on `as_of` (e.g. 16 Mar 2025 – 15 Mar 2026 for 12) and the window of
    the same length before it."""
    start = bk.months_after(as_of, -max(1, months)) + dt.timedelta(days=1)
    days = (as_of - start).days + 1
    prior_end = start - dt.timedelta(days=1)
    return Window(start=start, end=as_of, prior_start=prior_end - dt.timedelta(days=days - 1), prior_end=prior_end)


def default_months() -> int:
    """The metrics window in months (settings.BERDAYA["METRICS_MONTHS"])."""
    return int(settings.BERDAYA["METRICS_MONTHS"])


def _months(months: int | None) -> int:
    return int(months) if months is not None else default_months()


def _inputs(kube_ids, as_of: dt.date, window: Window) -> dict[int, bk.MetricsInput]:
    """{kube id: MetricsInput} for the KUBEs in `kube_ids` (a list or a queryset of ids). Five queries."""
    accounts = list(
        Account.objects.filter(kube_id__in=kube_ids).values_list("id", "kube_id", "code", "type", "balance")
    )
    later: dict[int, int] = defaultdict(int)
    for account_id, d, c in (
        JournalLine.objects.filter(kube_id__in=kube_ids, date__gt=as_of)
        .values("account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("account_id", "d", "c")
        .order_by()
    ):
        later[account_id] = (d or 0) - (c or 0)
    # Both windows in one pass, grouped by account, window and operation (a reversal by what it reverses).
    moved: dict[tuple[int, bool], int] = defaultdict(int)  # all movements: start balances
    flows: dict[tuple[int, bool, str], int] = defaultdict(int)  # by effective operation
    trading: dict[tuple[int, bool], int] = defaultdict(int)  # without the year-end close: revenue, costs
    rows = (
        JournalLine.objects.filter(kube_id__in=kube_ids, date__gte=window.prior_start, date__lte=as_of)
        .annotate(
            current=Case(
                When(date__gte=window.start, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values("account_id", "current", "entry__operation", "entry__reverses__operation")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    )
    for row in rows:
        amount = (row["d"] or 0) - (row["c"] or 0)
        operation = row["entry__operation"]
        if operation == Operation.REVERSAL:
            operation = row["entry__reverses__operation"] or operation
        current = bool(row["current"])
        moved[(row["account_id"], current)] += amount
        flows[(row["account_id"], current, operation)] += amount
        if operation != Operation.YEAR_CLOSE:
            trading[(row["account_id"], current)] += amount

    statuses = _loan_statuses(kube_ids, as_of)

    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, kube_id, code, kind, balance in accounts:
        end = balance - later.get(account_id, 0)
        start = end - moved.get((account_id, True), 0)
        t = totals[kube_id]
        if kind == AccountType.ASSET:
            t["assets_end"] += end
            t["assets_start"] += start
        elif kind == AccountType.LIABILITY:
            t["liabilities_end"] -= end
            t["liabilities_start"] -= start
        if code in bk.CASH_ACCOUNTS:
            t["cash_end"] += end
        if code == bk.IKS:
            t["iks_balance"] -= end
            t["iks_allocated"] -= flows.get((account_id, True, str(Operation.IKS_ALLOCATION)), 0)
        if kind == AccountType.INCOME:
            t["revenue"] -= trading.get((account_id, True), 0)
            t["revenue_prior"] -= trading.get((account_id, False), 0)
        elif kind == AccountType.EXPENSE:
            t["expenses"] += trading.get((account_id, True), 0)
    return {
        kube_id: bk.MetricsInput(
            days=window.days,
            assets_start=t["assets_start"],
            assets_end=t["assets_end"],
            equity_start=t["assets_start"] - t["liabilities_start"],
            equity_end=t["assets_end"] - t["liabilities_end"],
            revenue=t["revenue"],
            revenue_prior=t["revenue_prior"],
            expenses=t["expenses"],
            cash_end=t["cash_end"],
            loans=tuple(statuses.get(kube_id, ())),
            iks_allocated=t["iks_allocated"],
            iks_balance=t["iks_balance"],
        )
        for kube_id, t in totals.items()
    }


def _loan_statuses(kube_ids, as_of: dt.date) -> dict[int, list[bk.LoanStatus]]:
    """{kube id: the status of each loan disbursed by `as_of`}. Two queries."""
    loans = list(
        MemberLoan.objects.filter(kube_id__in=kube_ids).values_list(
            "id", "kube_id", "principal", "term_months", "first_due_on"
        )
    )
    if not loans:
        return {}
    amounts = loan_amounts(JournalLine.objects.filter(loans_q(kube_ids)), as_of)
    statuses: dict[int, list[bk.LoanStatus]] = defaultdict(list)
    for loan_id, kube_id, principal, term, first_due in loans:
        disbursed, repaid = amounts.get(loan_id, (0, 0))
        if disbursed <= 0:
            continue
        statuses[kube_id].append(
            bk.loan_status(principal=principal, term_months=term, first_due=first_due, repaid=repaid, as_of=as_of)
        )
    return statuses


def _empty_input(days: int) -> bk.MetricsInput:
    return bk.MetricsInput(
        days=days,
        assets_start=0,
        assets_end=0,
        equity_start=0,
        equity_end=0,
        revenue=0,
        revenue_prior=0,
        expenses=0,
        cash_end=0,
    )


def _summed(inputs: Iterable[bk.MetricsInput], days: int) -> bk.MetricsInput:
    """Several KUBEs' inputs added up: the engine's formulas then give the region's ratios (weighted by
    size, not an average of ratios)."""
    total = _empty_input(days)
    loans: list[bk.LoanStatus] = []
    for data in inputs:
        loans.extend(data.loans)
        total = replace(
            total,
            assets_start=total.assets_start + data.assets_start,
            assets_end=total.assets_end + data.assets_end,
            equity_start=total.equity_start + data.equity_start,
            equity_end=total.equity_end + data.equity_end,
            revenue=total.revenue + data.revenue,
            revenue_prior=total.revenue_prior + data.revenue_prior,
            expenses=total.expenses + data.expenses,
            cash_end=total.cash_end + data.cash_end,
            iks_allocated=total.iks_allocated + data.iks_allocated,
            iks_balance=total.iks_balance + data.iks_balance,
        )
    return replace(total, loans=tuple(loans))


def kube_metrics(kube: Kube, as_of: dt.date | None = None, months: int | None = None) -> bk.Metrics:
    """One KUBE's metrics on `as_of` (default today) over the last `months` months (default
    settings.BERDAYA["METRICS_MONTHS"]). A KUBE whose books are not open gets zeros and no ratios."""
    as_of = as_of or timezone.localdate()
    window = metrics_window(as_of, _months(months))
    data = _inputs([kube.pk], as_of, window).get(kube.pk) or _empty_input(window.days)
    return bk.book_metrics(data)


@dataclass(frozen=True)
class KubeMetricsRow:
    """One line of the region table: a KUBE (officers) or a kecamatan (viewers), its count of KUBEs."""

    kube_id: int | None
    name: str
    region_code: str
    region_name: str
    kubes: int
    metrics: bk.Metrics


@dataclass(frozen=True)
class RegionMetrics:
    as_of: dt.date
    window: Window
    aggregated: bool  # rows are kecamatan, not KUBEs
    rows: list[KubeMetricsRow] = field(default_factory=list)
    total: bk.Metrics | None = None
    kubes: int = 0


def _kubes_in_scope(user: User) -> tuple[QuerySet[Kube], bool]:
    if user.is_authenticated and not user.is_superuser and user.role in AGGREGATE_ROLES:
        return Kube.objects.filter(region_q(user, "region")), True
    return books_for_user(user), False


def region_metrics(user: User, as_of: dt.date | None = None, months: int | None = None) -> RegionMetrics:
    """The metrics of every KUBE with open books that `user` may see, and of them all together.

    Officers, pendamping and KUBE officers get a row per KUBE (`books_for_user`); regional viewers and
    evaluators a row per kecamatan of their region, with no KUBE named. Totals come from the summed
    inputs. Eight queries however many KUBEs.
    """
    as_of = as_of or timezone.localdate()
    window = metrics_window(as_of, _months(months))
    scope, aggregated = _kubes_in_scope(user)
    kubes = list(scope.filter(book__isnull=False).select_related("region").order_by("region_id", "name", "id"))
    if not kubes:
        return RegionMetrics(as_of=as_of, window=window, aggregated=aggregated)
    ids = [k.pk for k in kubes]
    inputs = _inputs(ids, as_of, window)
    per_kube = {k.pk: inputs.get(k.pk) or _empty_input(window.days) for k in kubes}
    if aggregated:
        groups: dict[str, list[Kube]] = defaultdict(list)
        for kube in kubes:
            groups[kecamatan_code(kube.region_id)].append(kube)
        names = dict(Region.objects.filter(code__in=list(groups)).values_list("code", "name"))
        rows = [
            KubeMetricsRow(
                kube_id=None,
                name=names.get(code, code),
                region_code=code,
                region_name=names.get(code, code),
                kubes=len(members),
                metrics=bk.book_metrics(_summed((per_kube[k.pk] for k in members), window.days)),
            )
            for code, members in sorted(groups.items())
        ]
    else:
        rows = [
            KubeMetricsRow(
                kube_id=k.pk,
                name=k.name,
                region_code=k.region_id,
                region_name=k.region.name,
                kubes=1,
                metrics=bk.book_metrics(per_kube[k.pk]),
            )
            for k in kubes
        ]
    return RegionMetrics(
        as_of=as_of,
        window=window,
        aggregated=aggregated,
        rows=rows,
        total=bk.book_metrics(_summed(per_kube.values(), window.days)),
        kubes=len(kubes),
    )
