"""The facts a round's scoring reads about one KUBE (spec §8.1): from its survey responses, meetings,
trainings and books, gathered with a few queries and handed to the pure engine (`engine.evaluation`).

The period a round looks at runs from the end of its baseline round (or, for a baseline, the
`EVALUATION_PERIOD_MONTHS` months before it ends, not before the aid) to the round's end.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Q

from berdaya.engine import bookkeeping as bk
from berdaya.engine.evaluation import success as sx
from berdaya.engine.evaluation.answers import household_from_answers, indicator_mean
from berdaya.engine.evaluation.instruments import load_instrument
from berdaya.engine.evaluation.welfare import DIMENSIONS, household_deprivations
from berdaya.engine.mentoring import month_start
from berdaya.evaluation.models import InstrumentName, Response, Round
from berdaya.evaluation.options import welfare_options
from berdaya.kube.models import Kube
from berdaya.ledger.metrics import kube_metrics
from berdaya.ledger.models import JournalEntry, Operation
from berdaya.mentoring.alerts import kube_attendance
from berdaya.mentoring.models import Meeting, TrainingParticipant

# Operations that are the business itself (a month with one of these "had a business transaction").
BUSINESS_OPERATIONS = (
    Operation.SALE,
    Operation.PURCHASE,
    Operation.EQUIPMENT,
    Operation.EXPENSE,
    Operation.WAGES,
    Operation.OTHER_INCOME,
)
BASIC_NEEDS = ("FOOD", "CLOTHING", "HOUSING")
# An IKS allocation counts for a quarter when dated in it or within this many days after it ends.
IKS_GRACE_DAYS = 45


def _months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = bk.months_after(month, 1)
    return months


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        return _months_between(self.start, self.end)


def round_period(round_: Round, kube: Kube) -> Period:
    """What a round looks back on for one KUBE: from its baseline's end (or N months) to its end, from the aid on."""
    if round_.baseline_id:
        start = round_.baseline.end_on + dt.timedelta(days=1)
    else:
        months = int(getattr(settings, "BERDAYA", {}).get("EVALUATION_PERIOD_MONTHS", 6))
        start = bk.months_after(round_.end_on, -months) + dt.timedelta(days=1)
    aid = kube.aid.aggregate(first=Min("paid_on"))["first"]
    if aid is not None and aid > start:
        start = aid
    return Period(start=min(start, round_.end_on), end=round_.end_on)


def _responses(round_: Round | None, kube: Kube, instrument: str) -> list[Response]:
    if round_ is None:
        return []
    return list(Response.objects.filter(round=round_, kube=kube, instrument=instrument, comparison=False))


def _basic_needs_share(responses: list[Response]) -> float | None:
    """Share of member households deprived in food, clothing or housing (spec S1)."""
    if not responses:
        return None
    households = [household_from_answers(r.answers, ref=str(r.pk)) for r in responses]
    matrix = household_deprivations(households, options=welfare_options())
    columns = [DIMENSIONS.index(code) for code in BASIC_NEEDS]
    deprived = known = 0
    for row in matrix:
        values = [row[c] for c in columns]
        if any(v == 1 for v in values):
            deprived += 1
            known += 1
        elif all(v == 0 for v in values):
            known += 1
    return deprived / known if known else None


def _median_income(responses: list[Response]) -> float | None:
    incomes = [r.answers.get("income_month") for r in responses]
    incomes = [float(i) for i in incomes if i not in (None, "")]
    return statistics.median(incomes) if incomes else None


def _group_mean(responses: list[Response], indicator: str) -> float | None:
    if not responses:
        return None
    instrument = load_instrument(InstrumentName.GROUP_ASSESSMENT, responses[0].version)
    return indicator_mean(responses[0].answers, instrument, indicator)


def _answer(responses: list[Response], code: str):
    return responses[0].answers.get(code) if responses else None


def _quarters(period: Period) -> list[tuple[dt.date, dt.date]]:
    quarters = []
    for month in period.months:
        if month.month in (1, 4, 7, 10):
            end = bk.months_after(month, 3) - dt.timedelta(days=1)
            if end <= period.end:
                quarters.append((month, end))
    return quarters


def success_facts(round_: Round, kube: Kube) -> sx.SuccessFacts:
    """Everything the nine success indicators need for one KUBE in one round."""
    period = round_period(round_, kube)
    baseline = round_.baseline
    welfare_now = _responses(round_, kube, InstrumentName.WELFARE)
    welfare_before = _responses(baseline, kube, InstrumentName.WELFARE)
    group_now = _responses(round_, kube, InstrumentName.GROUP_ASSESSMENT)
    group_before = _responses(baseline, kube, InstrumentName.GROUP_ASSESSMENT)

    attendance = kube_attendance(kube, period.start, period.end)
    live_members = kube.memberships.filter(Q(live=True) | Q(left_on__gt=period.end)).count()
    quarters = max(1.0, len(period.months) / 3)
    trainings = TrainingParticipant.objects.filter(
        kube=kube, training__date__gte=period.start, training__date__lte=period.end
    )
    reached = trainings.values("family_id").distinct().count()

    entries = JournalEntry.objects.filter(kube=kube, date__gte=period.start, date__lte=period.end)
    booked_months = {month_start(d) for d in entries.values_list("date", flat=True)}
    business_months = {
        month_start(d) for d in entries.filter(operation__in=BUSINESS_OPERATIONS).values_list("date", flat=True)
    }
    meeting_months = {
        month_start(d)
        for d in Meeting.objects.filter(kube=kube, date__gte=period.start, date__lte=period.end).values_list(
            "date", flat=True
        )
    }
    months = period.months
    year = kube_metrics(kube, as_of=period.end, months=12)
    has_loans = kube.loans.filter(created_at__date__lte=period.end).exists() or year.loans_outstanding > 0

    positive = with_iks = 0
    iks_dates = list(
        entries.model.objects.filter(
            kube=kube, operation=Operation.IKS_ALLOCATION, reversed_by__isnull=True
        ).values_list("date", flat=True)
    )
    for start, end in _quarters(period):
        quarter = kube_metrics(kube, as_of=end, months=3)
        if quarter.net_surplus > 0:
            positive += 1
            if any(start <= d <= end + dt.timedelta(days=IKS_GRACE_DAYS) for d in iks_dates):
                with_iks += 1
    iks_use = _answer(group_now, "iks_use")
    new_product = _answer(group_now, "new_product_market")
    aid_report = _answer(group_now, "aid_report_submitted")

    return sx.SuccessFacts(
        basic_needs=sx.BasicNeedsFacts(
            deprived_share_baseline=_basic_needs_share(welfare_before),
            deprived_share_now=_basic_needs_share(welfare_now),
        ),
        social_dynamics=sx.SocialDynamicsFacts(
            # kube_attendance gives a percentage; the engine takes a share.
            attendance_rate=None if attendance.rate is None else attendance.rate / 100,
            participation_mean_baseline=_group_mean(group_before, "S2_SOCIAL_DYNAMICS"),
            participation_mean_now=_group_mean(group_now, "S2_SOCIAL_DYNAMICS"),
        ),
        skills=sx.SkillsFacts(
            trainings_per_quarter=trainings.values("training_id").distinct().count() / quarters,
            member_reach=reached / live_members if live_members else None,
            skill_mean_baseline=_group_mean(group_before, "S3_SKILLS"),
            skill_mean_now=_group_mean(group_now, "S3_SKILLS"),
        ),
        cooperation=sx.CooperationFacts(
            partnerships=_answer(group_now, "partner_count"),
            cooperation_mean=_group_mean(group_now, "G1_COOPERATION"),
        ),
        trusted=sx.TrustFacts(
            months_with_books=len(booked_months & set(months)),
            active_months=len(months),
            aid_report_submitted=None if aid_report is None else str(aid_report) == "1",
            par30=year.par30,
            has_loans=has_loans,
        ),
        regularity=sx.RegularityFacts(
            months_regular=len(set(months) & meeting_months & business_months),
            months_in_period=len(months),
        ),
        expansion=sx.ExpansionFacts(
            equity_growth_per_year=year.equity_growth,
            revenue_growth_per_year=year.revenue_growth,
            new_product_or_market=None if new_product is None else str(new_product) == "1",
        ),
        income=sx.IncomeFacts(
            median_income_baseline=_median_income(welfare_before),
            median_income_now=_median_income(welfare_now),
        ),
        solidarity=sx.SolidarityFacts(
            positive_surplus_periods=positive,
            periods_with_iks=with_iks,
            iks_used_or_kept=None if iks_use is None else str(iks_use) in ("sosial", "disimpan"),
        ),
    )
