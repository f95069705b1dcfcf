"""Mentoring alerts (spec §6): what needs attention, for whom, computed in a fixed number of queries.

The rules themselves are in `berdaya.engine.mentoring`; this module fetches the dates and counts they
need with grouped queries (one per kind of fact, never one per KUBE), applies them and scopes the
result by role (spec §2):

- admin: everything; program officer: the KUBEs and pendamping of their kab/kota, and its kecamatan;
- pendamping: the KUBEs currently assigned to them and their own caseload;
- KUBE officer: their own KUBE;
- regional viewer and evaluator: counts per kecamatan only, never a KUBE's or a person's name.

Rule definitions (thresholds from `settings.BERDAYA`):

- CAPITAL_LOAN_READY: a KUBE not yet funded (proposed, verified, established) that held more than
  CAPITAL_LOAN_MEETINGS meetings (distinct days) in the month of `as_of` so far or in the full month
  before it.
- NO_VISIT: a KUBE from verified onward with no visit in the NO_VISIT_DAYS days up to `as_of` (a visit
  exactly that many days ago still counts); one never visited is flagged once that many days have
  passed since it was formed. Proposed groups are left out: they have not held their musyawarah yet,
  the lifecycle already tracks that step, and a formation run would otherwise flood the list.
- LOW_ATTENDANCE: attendance records with status present, over all records, in the last
  ATTENDANCE_MONTHS calendar months (this month so far and the full months before), below
  ATTENDANCE_MIN_PERCENT. Excused (izin) counts as not present. No records, no alert.
- NO_MEETINGS (information): a KUBE from verified onward with no meeting in that window.
- FACILITATOR_OVER_CAP: a pendamping's current assignments to live KUBEs above their own cap.
- KUBE_WITHOUT_FACILITATOR: a live KUBE (any state from proposed to active: a proposed group needs a
  pendamping to reach its musyawarah) with no current assignment to an active pendamping.
- KECAMATAN_WITHOUT_FACILITATOR: a kecamatan holding live KUBEs and no active pendamping whose home
  is that kecamatan (the Makassar failure in the seed).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Exists, Max, OuterRef, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from berdaya.core.models import Region, Role, User
from berdaya.core.scoping import region_q
from berdaya.engine.mentoring import (
    AttendanceCounts,
    attendance_is_low,
    attendance_rate,
    attendance_window,
    capital_loan_ready,
    days_without_visit,
    kecamatan_code,
    months_back,
    over_cap,
    visit_overdue,
)
from berdaya.kube.models import LIVE_STATES, UNFUNDED_STATES, Kube, KubeState
from berdaya.kube.selectors import can_manage_kubes, kubes_for_user
from berdaya.mentoring.models import Assignment, Attendance, Facilitator, Meeting, Visit

CAPITAL_LOAN_READY = "CAPITAL_LOAN_READY"
NO_VISIT = "NO_VISIT"
LOW_ATTENDANCE = "LOW_ATTENDANCE"
NO_MEETINGS = "NO_MEETINGS"
FACILITATOR_OVER_CAP = "FACILITATOR_OVER_CAP"
KUBE_WITHOUT_FACILITATOR = "KUBE_WITHOUT_FACILITATOR"
KECAMATAN_WITHOUT_FACILITATOR = "KECAMATAN_WITHOUT_FACILITATOR"

# Page order: the missing pendamping first (nothing else happens without one), opportunities last.
CODES = (
    KECAMATAN_WITHOUT_FACILITATOR,
    KUBE_WITHOUT_FACILITATOR,
    FACILITATOR_OVER_CAP,
    NO_VISIT,
    LOW_ATTENDANCE,
    NO_MEETINGS,
    CAPITAL_LOAN_READY,
)
HIGH, MEDIUM, INFO = "high", "medium", "info"
SEVERITY = {
    KECAMATAN_WITHOUT_FACILITATOR: HIGH,
    KUBE_WITHOUT_FACILITATOR: HIGH,
    FACILITATOR_OVER_CAP: MEDIUM,
    NO_VISIT: MEDIUM,
    LOW_ATTENDANCE: MEDIUM,
    NO_MEETINGS: INFO,
    CAPITAL_LOAN_READY: INFO,
}
# The badge classes of berdaya.css.
SEVERITY_CSS = {HIGH: "bad", MEDIUM: "warn", INFO: "ok"}
# Months counted by CAPITAL_LOAN_READY: the month of as_of and the one before it.
CAPITAL_LOAN_MONTHS = 2
# From verification on a group has met and chosen officers, so visits and meetings are expected.
MEETING_STATES = (KubeState.VERIFIED, KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE)
AGGREGATE_ROLES = {Role.VIEWER, Role.EVALUATOR}


@dataclass(frozen=True)
class Alert:
    """One thing that needs attention: about a KUBE, a pendamping or a kecamatan (`count` of them for
    the aggregated alerts a viewer gets)."""

    code: str
    severity: str
    title: str
    message: str
    kube_id: int | None = None
    kube_name: str = ""
    facilitator_id: int | None = None
    facilitator_name: str = ""
    region_code: str = ""
    region_name: str = ""
    url: str = ""
    count: int = 1
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def css(self) -> str:
        return SEVERITY_CSS[self.severity]


@dataclass(frozen=True)
class AlertGroup:
    """All alerts of one code, for the page: the title, what the rule means, and how many."""

    code: str
    title: str
    severity: str
    rule: str
    total: int
    alerts: list[Alert]

    @property
    def css(self) -> str:
        return SEVERITY_CSS[self.severity]


def thresholds() -> dict[str, int]:
    """The thresholds in force, from `settings.BERDAYA` (spec §6 defaults: 4, 30, 60 %, 3 months, 10)."""
    config = settings.BERDAYA
    return {
        "capital_loan_meetings": int(config["CAPITAL_LOAN_MEETINGS"]),
        "no_visit_days": int(config["NO_VISIT_DAYS"]),
        "attendance_min_percent": int(config["ATTENDANCE_MIN_PERCENT"]),
        "attendance_months": int(config["ATTENDANCE_MONTHS"]),
        "facilitator_cap": int(config["FACILITATOR_CAP"]),
    }


def alert_title(code: str) -> str:
    """The Indonesian title of an alert code."""
    return str(_TITLES[code])


# Lazy: translated in the language of the request that reads them. A dict built per call translated all
# seven titles for every alert (a city dashboard has thousands).
_TITLES = {
    CAPITAL_LOAN_READY: gettext_lazy("Siap pinjaman modal"),
    NO_VISIT: gettext_lazy("Tidak ada kunjungan pendamping"),
    LOW_ATTENDANCE: gettext_lazy("Kehadiran pertemuan rendah"),
    NO_MEETINGS: gettext_lazy("Tidak ada pertemuan"),
    FACILITATOR_OVER_CAP: gettext_lazy("Pendamping melebihi batas beban"),
    KUBE_WITHOUT_FACILITATOR: gettext_lazy("KUBE tanpa pendamping"),
    KECAMATAN_WITHOUT_FACILITATOR: gettext_lazy("Kecamatan tanpa pendamping"),
}


def alert_rule(code: str) -> str:
    """What an alert code means, in Indonesian, with the thresholds in force."""
    t = thresholds()
    return {
        CAPITAL_LOAN_READY: _(
            "KUBE yang belum menerima bantuan UEP dan mengadakan lebih dari %(n)d pertemuan dalam satu bulan "
            "kalender (bulan berjalan atau bulan lalu; satu hari dihitung satu pertemuan)."
        )
        % {"n": t["capital_loan_meetings"]},
        NO_VISIT: _(
            "KUBE (sejak terverifikasi) tanpa kunjungan pendamping dalam %(days)d hari terakhir; KUBE yang belum "
            "pernah dikunjungi dihitung sejak tanggal dibentuk."
        )
        % {"days": t["no_visit_days"]},
        LOW_ATTENDANCE: _(
            "Kehadiran di bawah %(pct)d%% selama %(months)d bulan kalender terakhir (termasuk bulan berjalan): "
            "hadir dibagi semua catatan kehadiran; izin dihitung tidak hadir."
        )
        % {"pct": t["attendance_min_percent"], "months": t["attendance_months"]},
        NO_MEETINGS: _("KUBE (sejak terverifikasi) tanpa pertemuan tercatat selama %(months)d bulan kalender terakhir.")
        % {"months": t["attendance_months"]},
        FACILITATOR_OVER_CAP: _(
            "Pendamping yang saat ini mendampingi lebih banyak KUBE aktif daripada batas bebannya."
        ),
        KUBE_WITHOUT_FACILITATOR: _("KUBE hidup (diusulkan sampai aktif) tanpa penugasan pendamping aktif saat ini."),
        KECAMATAN_WITHOUT_FACILITATOR: _(
            "Kecamatan yang memiliki KUBE hidup tetapi tidak ada pendamping aktif yang berdomisili di sana."
        ),
    }[code]


def alerts_for(*, user: User, as_of: dt.date | None = None) -> list[Alert]:
    """The alerts `user` may see on `as_of` (default today), ordered by code, then region and name.

    Viewers and evaluators get per-kecamatan counts (`count`) instead of KUBE or pendamping alerts.
    An anonymous user, or a role without KUBEs in scope, gets an empty list.
    """
    if not user.is_authenticated:
        return []
    as_of = as_of or timezone.localdate()
    role = Role.ADMIN if user.is_superuser else user.role
    if role in (Role.ADMIN, Role.PROGRAM_OFFICER, *AGGREGATE_ROLES):
        kubes: QuerySet[Kube] = Kube.objects.filter(region_q(user, "region"))
        facilitators = Facilitator.objects.filter(region_q(user, "home_region"))
        with_kecamatan = True
    elif role in (Role.FACILITATOR, Role.KUBE_OFFICER):
        kubes = kubes_for_user(user)
        facilitators = Facilitator.objects.filter(user=user) if role == Role.FACILITATOR else Facilitator.objects.none()
        with_kecamatan = False
    else:
        return []
    linked = role not in AGGREGATE_ROLES
    alerts = kube_alerts(kubes, as_of, linked=linked) + _facilitator_alerts(facilitators)
    if with_kecamatan:
        alerts += kecamatan_alerts(kubes, linked=linked and can_manage_kubes(user))
    if role in AGGREGATE_ROLES:
        alerts = _aggregate(alerts)
    return sorted(alerts, key=lambda a: (CODES.index(a.code), a.region_code, a.kube_name, a.facilitator_name))


def alerts_grouped(alerts: list[Alert]) -> list[AlertGroup]:
    """Alerts by code in page order, only the codes that occur, each with its total."""
    by_code: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_code[alert.code].append(alert)
    return [
        AlertGroup(
            code=code,
            title=alert_title(code),
            severity=SEVERITY[code],
            rule=alert_rule(code),
            total=sum(a.count for a in by_code[code]),
            alerts=by_code[code],
        )
        for code in CODES
        if by_code[code]
    ]


def _alert(code: str, message: str, **fields: Any) -> Alert:
    return Alert(code=code, severity=SEVERITY[code], title=alert_title(code), message=message, **fields)


def kube_alerts(scoped: QuerySet[Kube], as_of: dt.date, *, linked: bool) -> list[Alert]:
    """Rules about one KUBE each, from four grouped queries whatever the number of KUBEs."""
    t = thresholds()
    attendance_start, _end = attendance_window(as_of, t["attendance_months"])
    loan_start = months_back(as_of, CAPITAL_LOAN_MONTHS)[0]
    live = scoped.filter(state__in=LIVE_STATES)
    # A subquery, not a list of ids, so that a national admin's thousands of KUBEs stay one parameter-free query.
    live_ids = live.values("pk")
    current = Assignment.objects.filter(kube=OuterRef("pk"), end__isnull=True, facilitator__active=True)
    kubes = list(live.select_related("region").annotate(has_facilitator=Exists(current)).order_by("region_id", "name"))
    if not kubes:
        return []
    last_visits = dict(
        Visit.objects.filter(kube__in=live_ids, date__lte=as_of)
        .values("kube")
        .annotate(last=Max("date"))
        .values_list("kube", "last")
    )
    meeting_days: dict[int, list[dt.date]] = defaultdict(list)
    for kube_id, day in (
        Meeting.objects.filter(kube__in=live_ids, date__gte=min(attendance_start, loan_start), date__lte=as_of)
        .order_by()  # without the model's ordering, DISTINCT is over (kube, date) only
        .values_list("kube", "date")
        .distinct()
    ):
        meeting_days[kube_id].append(day)
    statuses: dict[int, Counter[str]] = defaultdict(Counter)
    for kube_id, status, n in (
        Attendance.objects.filter(
            meeting__kube__in=live_ids, meeting__date__gte=attendance_start, meeting__date__lte=as_of
        )
        .values("meeting__kube", "status")
        .annotate(n=Count("id"))
        .values_list("meeting__kube", "status", "n")
    ):
        statuses[kube_id][status] += n

    alerts: list[Alert] = []
    for kube in kubes:
        base: dict[str, Any] = {
            "kube_id": kube.pk,
            "kube_name": kube.name,
            "region_code": kube.region_id,
            "region_name": kube.region.name,
            "url": reverse("kube:detail", args=[kube.pk]) if linked else "",
        }
        if not kube.has_facilitator:
            alerts.append(_alert(KUBE_WITHOUT_FACILITATOR, _("Belum ada pendamping aktif yang ditugaskan."), **base))
        if kube.state in UNFUNDED_STATES:
            loan = capital_loan_ready(
                meeting_days[kube.pk], as_of, threshold=t["capital_loan_meetings"], months=CAPITAL_LOAN_MONTHS
            )
            if loan.ready:
                message = _(
                    "%(n)d pertemuan pada %(month)s (lebih dari %(limit)d): dapat diusulkan pinjaman modal."
                ) % {
                    "n": loan.meetings,
                    "month": date_format(loan.month, "YEAR_MONTH_FORMAT"),
                    "limit": loan.threshold,
                }
                numbers = {"meetings": loan.meetings, "month": loan.month}
                alerts.append(_alert(CAPITAL_LOAN_READY, message, numbers=numbers, **base))
        if kube.state in MEETING_STATES:
            last = last_visits.get(kube.pk)
            since = kube.formed_on or timezone.localdate(kube.created_at)
            if visit_overdue(last, as_of, t["no_visit_days"], since=since):
                days = days_without_visit(last, as_of, since)
                if last is None:
                    message = _("Belum pernah dikunjungi pendamping.")
                else:
                    message = _("Kunjungan terakhir %(date)s, %(days)d hari yang lalu.") % {
                        "date": date_format(last, "j F Y"),
                        "days": days,
                    }
                alerts.append(_alert(NO_VISIT, message, numbers={"days": days, "last_visit": last}, **base))
            in_window = [day for day in meeting_days[kube.pk] if day >= attendance_start]
            if not in_window:
                message = _("Tidak ada pertemuan tercatat sejak %(date)s.") % {
                    "date": date_format(attendance_start, "j F Y")
                }
                alerts.append(_alert(NO_MEETINGS, message, **base))
        counts = _counts(statuses[kube.pk])
        if attendance_is_low(counts, t["attendance_min_percent"]):
            rate = attendance_rate(counts)
            message = _("Kehadiran %(rate)s%% (%(present)d hadir dari %(total)d catatan; batas %(min)d%%).") % {
                "rate": f"{rate:.1f}".replace(".", ","),
                "present": counts.present,
                "total": counts.total,
                "min": t["attendance_min_percent"],
            }
            numbers = {"rate": rate, "present": counts.present, "excused": counts.excused, "absent": counts.absent}
            alerts.append(_alert(LOW_ATTENDANCE, message, numbers=numbers, **base))
    return alerts


def _counts(statuses: Counter[str]) -> AttendanceCounts:
    """Counts by status; the keys are the stored values of `AttendanceStatus` (present, excused, absent)."""
    return AttendanceCounts(
        present=statuses["present"],
        excused=statuses["excused"],
        absent=statuses["absent"],
    )


def _facilitator_alerts(facilitators: QuerySet[Facilitator]) -> list[Alert]:
    """Pendamping over their cap: one query counting current assignments to live KUBEs."""
    current = Q(assignments__end__isnull=True, assignments__kube__state__in=LIVE_STATES)
    rows = facilitators.select_related("home_region").annotate(load=Count("assignments", filter=current))
    alerts = []
    for facilitator in rows:
        if over_cap(facilitator.load, facilitator.cap):
            message = _("Mendampingi %(load)d KUBE, batas %(cap)d.") % {
                "load": facilitator.load,
                "cap": facilitator.cap,
            }
            alerts.append(
                _alert(
                    FACILITATOR_OVER_CAP,
                    message,
                    facilitator_id=facilitator.pk,
                    facilitator_name=facilitator.name,
                    url=reverse("mentoring:facilitator_list"),
                    region_code=facilitator.home_region_id,
                    region_name=facilitator.home_region.name,
                    numbers={"load": facilitator.load, "cap": facilitator.cap},
                )
            )
    return alerts


def kecamatan_alerts(scoped: QuerySet[Kube], *, linked: bool) -> list[Alert]:
    """Kecamatan with live KUBEs and no active pendamping at home there: three small queries."""
    per_village = (
        scoped.filter(state__in=LIVE_STATES).values("region").annotate(n=Count("id")).values_list("region", "n")
    )
    per_kecamatan: Counter[str] = Counter()
    for village, n in per_village:
        per_kecamatan[kecamatan_code(village)] += n
    if not per_kecamatan:
        return []
    homes = Facilitator.objects.filter(active=True, home_region__in=list(per_kecamatan)).values_list(
        "home_region", flat=True
    )
    covered = {kecamatan_code(code) for code in homes}
    missing = sorted(code for code in per_kecamatan if code not in covered)
    names = dict(Region.objects.filter(code__in=missing).values_list("code", "name")) if missing else {}
    alerts = []
    for code in missing:
        n = per_kecamatan[code]
        message = ngettext(
            "%(n)d KUBE hidup tanpa pendamping aktif di kecamatan ini.",
            "%(n)d KUBE hidup tanpa pendamping aktif di kecamatan ini.",
            n,
        ) % {"n": n}
        url = f"{reverse('kube:list')}?wilayah={code}" if linked else ""
        fields = {"region_code": code, "region_name": names.get(code, ""), "url": url, "numbers": {"kubes": n}}
        alerts.append(_alert(KECAMATAN_WITHOUT_FACILITATOR, message, **fields))
    return alerts


def _aggregate(alerts: list[Alert]) -> list[Alert]:
    """Per-kecamatan counts for viewers and evaluators: no KUBE, pendamping or member name leaves here."""
    counts: Counter[tuple[str, str]] = Counter()
    kecamatan_alerts = []
    for alert in alerts:
        if alert.code == KECAMATAN_WITHOUT_FACILITATOR:
            kecamatan_alerts.append(alert)
        else:
            counts[(alert.code, kecamatan_code(alert.region_code))] += 1
    names = dict(Region.objects.filter(code__in={k for _c, k in counts}).values_list("code", "name")) if counts else {}
    aggregated = []
    for (code, kecamatan), n in counts.items():
        if code == FACILITATOR_OVER_CAP:
            message = ngettext("%(n)d pendamping", "%(n)d pendamping", n) % {"n": n}
        else:
            message = ngettext("%(n)d KUBE", "%(n)d KUBE", n) % {"n": n}
        aggregated.append(_alert(code, message, region_code=kecamatan, region_name=names.get(kecamatan, ""), count=n))
    return aggregated + kecamatan_alerts


@dataclass(frozen=True)
class MemberAttendance:
    """One member family's attendance over a period (for the KUBE page)."""

    family_id: int
    name: str
    counts: AttendanceCounts
    rate: float | None
    low: bool


@dataclass(frozen=True)
class KubeAttendance:
    """A KUBE's attendance over `start`..`end`: meetings held, counts by status, rate, per member."""

    start: dt.date
    end: dt.date
    meetings: int
    counts: AttendanceCounts
    rate: float | None
    low: bool
    min_percent: int
    members: list[MemberAttendance]


def kube_attendance(kube: Kube, start: dt.date, end: dt.date) -> KubeAttendance:
    """Attendance at `kube`'s meetings from `start` to `end` (inclusive): four queries.

    Members are the live member families plus any family with a record in the period (one who left
    still has their history); a member without records has rate None. Excused counts as not present.
    Names are of the family's head (or main earner); the caller must already have scoped `kube`.
    """
    from berdaya.registry.models import Person

    min_percent = thresholds()["attendance_min_percent"]
    in_period = Q(meeting__kube=kube, meeting__date__gte=start, meeting__date__lte=end)
    meetings = Meeting.objects.filter(kube=kube, date__gte=start, date__lte=end).count()
    per_family: dict[int, Counter[str]] = defaultdict(Counter)
    for family_id, status, n in (
        Attendance.objects.filter(in_period)
        .values("family", "status")
        .annotate(n=Count("id"))
        .values_list("family", "status", "n")
    ):
        per_family[family_id][status] += n
    family_ids = set(kube.memberships.filter(live=True).values_list("family", flat=True)) | set(per_family)
    names: dict[int, str] = {}
    # Head of family first, then the main earner, then anyone: the first name per family wins.
    for family_id, name in (
        Person.objects.filter(family__in=family_ids)
        .annotate(
            rank=Case(
                When(relationship__iexact="KEPALA KELUARGA", then=0), When(is_main_earner=True, then=1), default=2
            )
        )
        .order_by("family", "rank", "id")
        .values_list("family", "name")
    ):
        names.setdefault(family_id, name)
    members = []
    total = AttendanceCounts()
    for family_id in sorted(family_ids, key=lambda f: (names.get(f, ""), f)):
        counts = _counts(per_family[family_id])
        total = total + counts
        members.append(
            MemberAttendance(
                family_id=family_id,
                name=names.get(family_id, ""),
                counts=counts,
                rate=attendance_rate(counts),
                low=attendance_is_low(counts, min_percent),
            )
        )
    return KubeAttendance(
        start=start,
        end=end,
        meetings=meetings,
        counts=total,
        rate=attendance_rate(total),
        low=attendance_is_low(total, min_percent),
        min_percent=min_percent,
        members=members,
    )
