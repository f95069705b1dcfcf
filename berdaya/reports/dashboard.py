"""The region dashboard (issue 7): key figures for a region and one row per child region, scoped to the user.

Reads only. Every figure comes from grouped queries keyed by the child region's code prefix (region
codes are dotted strings, so a child's code is the first 2, 5, 8 or 13 characters of a village code),
or by KUBE id at kelurahan level, so the number of queries is fixed whatever the number of families,
KUBEs or meetings. Alert rules are the mentoring app's (`berdaya.mentoring.alerts`), not repeated here.

Who sees what (spec §2): admins the nation; a program officer, regional viewer, evaluator or pendamping
their own region and everything below it; a KUBE officer no dashboard (their own KUBE's profile only).
Dashboards hold aggregates: no family name reaches them. KUBE names appear at kelurahan level; only a
user who may open a KUBE gets a link to it, and a regional viewer gets no per-KUBE scores. Pendamping
names are left out for viewers and evaluators (as the alert page does).

Definitions:
- eligible families: families in the region whose latest eligibility decision is ELIGIBLE;
- KUBEs by state: all KUBEs whose village lies in the region; live = proposed … active;
- KUBEs by maturity: each KUBE's latest score (by its round's end date);
- members: live memberships; aid paid: the sum of Aid.amount;
- pendamping coverage: live KUBEs with a current assignment to an active pendamping / live KUBEs;
- KUBEs needing attention: live KUBEs with at least one high or medium mentoring alert on `as_of`;
- attendance trend: present / all attendance records per calendar month, the 12 months up to `as_of`;
  the per-child column uses the alert window (settings.BERDAYA["ATTENDANCE_MONTHS"]);
- indicator pass rates: per success indicator, KUBEs that met it over scored KUBEs (each KUBE's latest
  score; an indicator without data counts as not met and is reported as unknown);
- empowerment index: the mean of the latest scores' empowerment index (1 − M0);
- welfare M0: for KUBEs whose latest score is in a follow-up round (midline, endline) and that were
  scored in its baseline, the mean M0 at baseline and at the follow-up; the change is follow-up − baseline
  (negative is less deprivation).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from berdaya.core.models import Region, Role, User
from berdaya.core.scoping import code_in_scope
from berdaya.engine.evaluation.success import INDICATOR_CODES, INDICATOR_TITLES
from berdaya.engine.mentoring import AttendanceCounts, attendance_rate, attendance_window, months_back
from berdaya.evaluation.models import KubeScore, Maturity, RoundKind
from berdaya.kube.models import LIVE_STATES, Aid, Kube, KubeState, Membership
from berdaya.mentoring.models import Assignment, Attendance, Facilitator
from berdaya.registry.models import Decision, Family

__all__ = [
    "DASHBOARD_ROLES",
    "FacilitatorLoad",
    "Figures",
    "IndicatorRate",
    "RegionSummary",
    "TrendPoint",
    "can_see_dashboard",
    "child_length",
    "home_code",
    "in_region",
    "region_crumbs",
    "region_get",
    "region_summary",
    "trend_for",
]

# A KUBE officer works on their own KUBE: the region dashboard is not theirs (their KUBE profile is).
DASHBOARD_ROLES = {Role.ADMIN, Role.PROGRAM_OFFICER, Role.VIEWER, Role.EVALUATOR, Role.FACILITATOR}
AGGREGATE_ROLES = {Role.VIEWER, Role.EVALUATOR}
TREND_MONTHS = 12
# Length of a region code at each level; the child of a level is the next one (desa: KUBEs).
CODE_LENGTH = {"provinsi": 2, "kabkota": 5, "kecamatan": 8, "desa": 13}
NEXT_LEVEL = {None: "provinsi", "provinsi": "kabkota", "kabkota": "kecamatan", "kecamatan": "desa", "desa": None}
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


def can_see_dashboard(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in DASHBOARD_ROLES)


def sees_people(user: User) -> bool:
    """Pendamping names and links: everyone but the aggregate readers (viewers, evaluators)."""
    return user.is_authenticated and (user.is_superuser or user.role not in AGGREGATE_ROLES)


def home_code(user: User) -> str | None:
    """The region a user's dashboard opens on: None (nation) for an admin, else their own region."""
    prefix = user.region_prefix
    if prefix is None:
        return None
    if not prefix:
        raise Http404
    return prefix


def level_of(code: str | None) -> str | None:
    return None if code is None else LEVEL_OF_LENGTH.get(len(code))


def child_length(code: str | None) -> int | None:
    """The code length of a region's children (None at kelurahan level: its children are KUBEs)."""
    child = NEXT_LEVEL.get(level_of(code))
    return CODE_LENGTH[child] if child else None


def in_region(code: str | None, field: str) -> Q:
    """Rows whose region (`field`, a foreign key path to Region such as "kube__region") lies in region `code`."""
    if code is None:
        return Q()
    if len(code) == CODE_LENGTH["desa"]:
        # Nothing lies below a desa/kelurahan: equality alone, which SQLite answers from the index. Its LIKE
        # (case-insensitive) cannot use one, so the prefix test scanned all 100,000 families of the city.
        return Q(**{field: code})
    return Q(**{field: code}) | Q(**{f"{field}__code__startswith": code + "."})


def region_get(*, user: User, code: str | None) -> Region | None:
    """The region `code` if the user may see its dashboard (None for the nation), else Http404."""
    if not can_see_dashboard(user) or not code_in_scope(user, code):
        raise Http404
    if code is None:
        return None
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist as error:
        raise Http404 from error


def region_crumbs(*, user: User, code: str | None) -> list[tuple[str | None, str, bool]]:
    """(code, name, linked) from the nation down to `code`; a region above the user's scope is not linked.

    One query (the region and its ancestors by code prefix).
    """
    from django.utils.translation import gettext as _

    crumbs: list[tuple[str | None, str, bool]] = [(None, _("Indonesia"), code_in_scope(user, None))]
    if code is None:
        return crumbs
    prefixes = [code[:n] for n in CODE_LENGTH.values() if n <= len(code)]
    names = dict(Region.objects.filter(code__in=prefixes).values_list("code", "name"))
    crumbs += [(p, names.get(p, p), code_in_scope(user, p)) for p in prefixes]
    return crumbs


@dataclass
class Figures:
    """The key figures of a region, of a child region, or of one KUBE (at kelurahan level)."""

    code: str
    name: str
    kube_id: int | None = None
    eligible_families: int = 0
    kubes: int = 0
    live_kubes: int = 0
    by_state: Counter = field(default_factory=Counter)
    by_maturity: Counter = field(default_factory=Counter)
    members: int = 0
    aid_paid: int = 0
    covered: int = 0  # live KUBEs with a current pendamping
    facilitators: int | None = None  # None where pendamping cannot be placed (below kecamatan)
    attention: int = 0
    attendance: AttendanceCounts = field(default_factory=AttendanceCounts)
    scored: int = 0
    successful: int = 0
    empowerment_sum: float = 0.0
    empowerment_n: int = 0
    welfare_pairs: list[tuple[float, float]] = field(default_factory=list)
    state: str = ""  # a KUBE row's state
    linked: bool = False  # a KUBE row the user may open

    @property
    def coverage(self) -> float | None:
        return None if not self.live_kubes else 100.0 * self.covered / self.live_kubes

    @property
    def uncovered(self) -> int:
        return self.live_kubes - self.covered

    @property
    def attendance_rate(self) -> float | None:
        return attendance_rate(self.attendance)

    @property
    def empowerment_index(self) -> float | None:
        return None if not self.empowerment_n else self.empowerment_sum / self.empowerment_n

    @property
    def welfare_m0_baseline(self) -> float | None:
        return _mean(b for b, _f in self.welfare_pairs)

    @property
    def welfare_m0_latest(self) -> float | None:
        return _mean(f for _b, f in self.welfare_pairs)

    @property
    def welfare_m0_change(self) -> float | None:
        if not self.welfare_pairs:
            return None
        return self.welfare_m0_latest - self.welfare_m0_baseline  # type: ignore[operator]

    @property
    def success_rate(self) -> float | None:
        return None if not self.scored else 100.0 * self.successful / self.scored

    @property
    def has_data(self) -> bool:
        return bool(self.eligible_families or self.kubes or self.facilitators)


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    counts: AttendanceCounts

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.counts)


@dataclass(frozen=True)
class IndicatorRate:
    code: str
    title: str
    met: int
    unknown: int  # scored KUBEs without the data to judge it
    scored: int

    @property
    def share(self) -> float | None:
        return None if not self.scored else 100.0 * self.met / self.scored


@dataclass(frozen=True)
class FacilitatorLoad:
    id: int
    name: str  # empty for aggregate readers
    home_code: str
    home_name: str
    load: int
    cap: int
    linked: bool

    @property
    def over_cap(self) -> bool:
        return self.load > self.cap


@dataclass
class RegionSummary:
    code: str | None
    name: str
    level: str | None  # None for the nation
    as_of: dt.date
    total: Figures
    children: list[Figures]
    children_are_kubes: bool
    child_level: str | None
    crumbs: list[tuple[str | None, str, bool]]
    trend: list[TrendPoint]
    indicators: list[IndicatorRate]
    facilitators: list[FacilitatorLoad]
    alerts_by_code: list[tuple[str, str, int]]  # (code, title, count)
    kecamatan_without_facilitator: int
    states: list[tuple[str, str]]  # lifecycle order (value, label)
    maturities: list[tuple[str, str]]
    per_kube_scores: bool  # False for a regional viewer (aggregates only)
    shows_people: bool

    @property
    def over_cap(self) -> int:
        return sum(1 for f in self.facilitators if f.over_cap)


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _key(length: int | None, field: str, id_field: str):
    """The grouping expression: a code prefix of `field`, or the KUBE id (`id_field`) at kelurahan level."""
    return F(id_field) if length is None else Substr(field, 1, length)


def _child_of(code: str, length: int | None) -> str:
    return code if length is None else code[:length]


def region_summary(*, user: User, code: str | None, as_of: dt.date | None = None) -> RegionSummary:
    """The dashboard of region `code` (None: the nation) for `user` on `as_of` (default today).

    Raises Http404 when the user may not see dashboards or the region lies outside their scope. About
    twenty queries, the same for any number of rows.
    """
    from django.utils.translation import gettext as _

    from berdaya.evaluation.selectors import sees_kube_scores
    from berdaya.kube.selectors import kubes_for_user

    as_of = as_of or timezone.localdate()
    region = region_get(user=user, code=code)
    level = level_of(code)
    length = child_length(code)
    children_are_kubes = length is None
    name = region.name if region else _("Indonesia")
    total = Figures(code=code or "", name=name)
    rows: dict[str, Figures] = {}

    def row(key) -> Figures:
        key = str(key)
        if key not in rows:
            rows[key] = Figures(code=key, name=key)
        return rows[key]

    kubes = Kube.objects.filter(in_region(code, "region"))

    # Eligible families (none at KUBE level: they are not in a KUBE yet).
    families = Family.objects.filter(in_region(code, "region"), latest_decision__decision=Decision.ELIGIBLE)
    if children_are_kubes:
        total.eligible_families = families.count()
    else:
        for key, n in (
            families.annotate(child=_key(length, "region_id", "id")).values("child").annotate(n=Count("id"))
        ).values_list("child", "n"):
            total.eligible_families += n
            row(key).eligible_families = n

    # KUBEs by state and pendamping coverage, in one grouped query.
    current = Assignment.objects.filter(kube=OuterRef("pk"), end__isnull=True, facilitator__active=True)
    for key, state, covered, n in (
        kubes.annotate(child=_key(length, "region_id", "id"), covered=Exists(current))
        .values("child", "state", "covered")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("child", "state", "covered", "n")
    ):
        for target in (total, row(key)):
            target.kubes += n
            target.by_state[state] += n
            if state in LIVE_STATES:
                target.live_kubes += n
                if covered:
                    target.covered += n

    # Members and aid.
    for key, n in (
        Membership.objects.filter(in_region(code, "kube__region"), live=True)
        .annotate(child=_key(length, "kube__region_id", "kube_id"))
        .values("child")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("child", "n")
    ):
        total.members += n
        row(key).members = n
    for key, amount in (
        Aid.objects.filter(in_region(code, "kube__region"))
        .annotate(child=_key(length, "kube__region_id", "kube_id"))
        .values("child")
        .annotate(amount=Sum("amount"))
        .order_by()
        .values_list("child", "amount")
    ):
        total.aid_paid += amount or 0
        row(key).aid_paid = amount or 0

    # Attendance: the region's monthly trend, and each child's rate over the alert window, from one pass
    # over the attendance records grouped by child, meeting day and status (a few thousand rows for a city;
    # the records themselves, 300,000 for the city demo, are read once instead of twice).
    in_kubes = in_region(code, "meeting__kube__region")
    firsts = months_back(as_of, TREND_MONTHS)
    window_start, _end = attendance_window(as_of, int(settings.BERDAYA["ATTENDANCE_MONTHS"]))
    per_month: dict[dt.date, Counter] = defaultdict(Counter)
    per_child: dict[str, Counter] = defaultdict(Counter)
    for key, day, status, n in (
        Attendance.objects.filter(in_kubes, meeting__date__gte=min(firsts[0], window_start), meeting__date__lte=as_of)
        .annotate(child=_key(length, "meeting__kube__region_id", "meeting__kube_id"))
        .values("child", "meeting__date", "status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("child", "meeting__date", "status", "n")
    ):
        if day >= firsts[0]:
            per_month[day.replace(day=1)][status] += n
        if day >= window_start:
            per_child[str(key)][status] += n
    trend = [TrendPoint(month=m, counts=_counts(per_month.get(m, Counter()))) for m in firsts]
    for key, statuses in per_child.items():
        row(key).attendance = _counts(statuses)
        total.attendance = total.attendance + row(key).attendance

    # Scores: each KUBE's latest, and its baseline M0 when the latest is a follow-up round.
    indicators = _scores(kubes, length, total, row)

    # Alerts: the mentoring app's rules on the region's KUBEs (one grouped query per kind of fact).
    alerts_by_code, without_facilitator = _alerts(kubes, as_of, length, total, row)

    # Pendamping at home in the region or currently assigned to a KUBE in it, with their caseload.
    facilitators = _facilitators(user, code, length, total, row)

    # Names of the child rows: regions, or KUBEs (with the ones the user may open linked).
    if children_are_kubes:
        openable = set(kubes_for_user(user).filter(region_id=code).values_list("pk", flat=True))
        for pk, kube_name, state in kubes.values_list("pk", "name", "state"):
            figures = row(pk)
            figures.kube_id, figures.name, figures.state = pk, kube_name, state
            figures.linked = pk in openable
        children = sorted(rows.values(), key=lambda r: (r.name, r.code))
    else:
        names = dict(Region.objects.filter(code__in=list(rows)).values_list("code", "name"))
        for key, figures in rows.items():
            figures.name = names.get(key, key)
        children = sorted((r for r in rows.values() if r.has_data), key=lambda r: r.code)

    per_kube_scores = sees_kube_scores(user)
    if children_are_kubes and not per_kube_scores:
        for figures in children:
            _hide_scores(figures)
    return RegionSummary(
        code=code,
        name=name,
        level=level,
        as_of=as_of,
        total=total,
        children=children,
        children_are_kubes=children_are_kubes,
        child_level=NEXT_LEVEL.get(level),
        crumbs=region_crumbs(user=user, code=code),
        trend=trend,
        indicators=indicators,
        facilitators=facilitators,
        alerts_by_code=alerts_by_code,
        kecamatan_without_facilitator=without_facilitator,
        states=[(value, str(label)) for value, label in KubeState.choices],
        maturities=[(value, str(label)) for value, label in Maturity.choices],
        per_kube_scores=per_kube_scores,
        shows_people=sees_people(user),
    )


def trend_for(meetings: Q, as_of: dt.date, months: int = TREND_MONTHS) -> list[TrendPoint]:
    """Attendance per calendar month over the `months` months up to `as_of`, for the attendance records
    matching `meetings` (a filter on Attendance). One grouped query.

    Grouped by meeting date and summed into months here: at most a year of dates comes back, and the
    database does no per-row month arithmetic (SQLite's TruncMonth is a Python function called on every
    attendance record: on the city demo's 300,000 records this query took 0.71 s of CPU with it, 0.17 s
    without)."""
    firsts = months_back(as_of, months)
    per_month: dict[dt.date, Counter] = defaultdict(Counter)
    for day, status, n in (
        Attendance.objects.filter(meetings, meeting__date__gte=firsts[0], meeting__date__lte=as_of)
        .values("meeting__date", "status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("meeting__date", "status", "n")
    ):
        per_month[day.replace(day=1)][status] += n
    return [TrendPoint(month=m, counts=_counts(per_month.get(m, Counter()))) for m in firsts]


def _counts(statuses: Counter) -> AttendanceCounts:
    return AttendanceCounts(present=statuses["present"], excused=statuses["excused"], absent=statuses["absent"])


def _hide_scores(figures: Figures) -> None:
    """A regional viewer reads no single KUBE's scores (evaluation.selectors.sees_kube_scores)."""
    figures.by_maturity = Counter()
    figures.scored = figures.successful = figures.empowerment_n = 0
    figures.empowerment_sum = 0.0
    figures.welfare_pairs = []


def latest_scores(kubes: QuerySet[Kube]) -> tuple[dict[int, dict], dict[tuple[int, int], float | None]]:
    """({kube id: its latest score's values}, {(kube id, round id): welfare M0}) in one query."""
    latest: dict[int, dict] = {}
    m0: dict[tuple[int, int], float | None] = {}
    rows = KubeScore.objects.filter(kube__in=kubes.values("pk")).values(
        "kube_id",
        "kube__region_id",
        "round_id",
        "round__kind",
        "round__baseline_id",
        "round__end_on",
        "successful",
        "indicators",
        "empowerment_index",
        "welfare_m0",
        "maturity",
    )
    for score in rows:
        m0[(score["kube_id"], score["round_id"])] = score["welfare_m0"]
        kept = latest.get(score["kube_id"])
        if kept is None or (score["round__end_on"], score["round_id"]) > (kept["round__end_on"], kept["round_id"]):
            latest[score["kube_id"]] = score
    return latest, m0


def _scores(kubes, length, total: Figures, row) -> list[IndicatorRate]:
    latest, m0 = latest_scores(kubes)
    met: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for kube_id, score in latest.items():
        key = _child_of(score["kube__region_id"], length) if length else kube_id
        baseline = None
        if score["round__kind"] != RoundKind.BASELINE and score["round__baseline_id"] is not None:
            baseline = m0.get((kube_id, score["round__baseline_id"]))
        for target in (total, row(key)):
            target.scored += 1
            target.successful += 1 if score["successful"] else 0
            target.by_maturity[score["maturity"]] += 1
            if score["empowerment_index"] is not None:
                target.empowerment_sum += score["empowerment_index"]
                target.empowerment_n += 1
            if baseline is not None and score["welfare_m0"] is not None:
                target.welfare_pairs.append((baseline, score["welfare_m0"]))
        results = score["indicators"] or {}
        for code in INDICATOR_CODES:
            result = results.get(code)
            verdict = result.get("met") if isinstance(result, dict) else None
            if verdict is True:
                met[code] += 1
            elif verdict is None:
                unknown[code] += 1
    return [
        IndicatorRate(code=c, title=INDICATOR_TITLES.get(c, c), met=met[c], unknown=unknown[c], scored=total.scored)
        for c in INDICATOR_CODES
    ]


def _alerts(kubes, as_of, length, total: Figures, row) -> tuple[list[tuple[str, str, int]], int]:
    # The rules are the alert module's own: the same alerts the "Perlu perhatian" page shows.
    from berdaya.mentoring.alerts import (
        CODES,
        HIGH,
        KECAMATAN_WITHOUT_FACILITATOR,
        MEDIUM,
        SEVERITY,
        alert_title,
        kecamatan_alerts,
        kube_alerts,
    )

    per_kube = kube_alerts(kubes, as_of, linked=False)
    per_kecamatan = kecamatan_alerts(kubes, linked=False)
    needing: dict[int, str] = {}
    for alert in per_kube:
        if alert.kube_id is not None and SEVERITY[alert.code] in (HIGH, MEDIUM):
            needing[alert.kube_id] = alert.region_code
    for kube_id, region_code in needing.items():
        key = _child_of(region_code, length) if length else kube_id
        total.attention += 1
        row(key).attention += 1
    counts = Counter(a.code for a in per_kube) + Counter(a.code for a in per_kecamatan)
    by_code = [(c, alert_title(c), counts[c]) for c in CODES if counts[c]]
    return by_code, counts[KECAMATAN_WITHOUT_FACILITATOR]


def _facilitators(user: User, code: str | None, length, total: Figures, row) -> list[FacilitatorLoad]:
    current_here = Assignment.objects.filter(
        in_region(code, "kube__region"), facilitator=OuterRef("pk"), end__isnull=True
    )
    load = Q(assignments__end__isnull=True, assignments__kube__state__in=LIVE_STATES)
    facilitators = Facilitator.objects.filter(active=True)
    if code is not None:
        facilitators = facilitators.filter(in_region(code, "home_region") | Q(Exists(current_here)))
    facilitators = (
        facilitators.select_related("home_region")
        .annotate(load=Count("assignments", filter=load))
        .order_by("home_region_id", "name")
    )
    people = sees_people(user)
    may_open = user.is_superuser or user.role in (Role.ADMIN, Role.PROGRAM_OFFICER)
    placeable = length is not None and length <= CODE_LENGTH["kecamatan"]
    total.facilitators = 0
    result = []
    for f in facilitators:
        home_inside = code is None or f.home_region_id == code or f.home_region_id.startswith(code + ".")
        if home_inside:
            total.facilitators += 1
        if placeable and home_inside:
            child = row(f.home_region_id[:length])
            child.facilitators = (child.facilitators or 0) + 1
        own = f.user_id is not None and f.user_id == user.pk
        result.append(
            FacilitatorLoad(
                id=f.pk,
                name=f.name if people else "",
                home_code=f.home_region_id,
                home_name=f.home_region.name,
                load=f.load,
                cap=f.cap,
                linked=own or (may_open and code_in_scope(user, f.home_region_id)),
            )
        )
    return result


def last_dates(kube_ids: list[int]) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """{kube id: (last visit, last meeting)} in two grouped queries."""
    from berdaya.mentoring.models import Meeting, Visit

    visits = dict(
        Visit.objects.filter(kube__in=kube_ids).values("kube").annotate(last=Max("date")).values_list("kube", "last")
    )
    meetings = dict(
        Meeting.objects.filter(kube__in=kube_ids).values("kube").annotate(last=Max("date")).values_list("kube", "last")
    )
    return {pk: (visits.get(pk), meetings.get(pk)) for pk in kube_ids}
