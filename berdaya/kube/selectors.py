"""Reads of the kube app, scoped: the only way a page or export gets KUBEs is through these helpers.

Who sees which KUBE (spec §2): an admin all; a program officer those in their kab/kota; a pendamping
those currently assigned to them; a KUBE officer their own KUBE. Viewers and evaluators read
aggregates (dashboards, issue 7), not member lists, so they see no KUBE record here.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from berdaya.core.models import Role, User
from berdaya.core.scoping import region_q
from berdaya.kube.models import Kube

KUBE_MANAGERS = {Role.ADMIN, Role.PROGRAM_OFFICER}


def can_manage_kubes(user: User) -> bool:
    """May create, form, move through the lifecycle, pay aid and assign pendamping."""
    return user.is_authenticated and (user.is_superuser or user.role in KUBE_MANAGERS)


def kubes_for_user(user: User) -> QuerySet[Kube]:
    """Every KUBE the user may open."""
    kubes = Kube.objects.all()
    if not user.is_authenticated:
        return kubes.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return kubes
    if user.role == Role.PROGRAM_OFFICER:
        return kubes.filter(region_q(user, "region"))
    if user.role == Role.FACILITATOR:
        return kubes.filter(assignments__facilitator__user=user, assignments__end__isnull=True).distinct()
    if user.role == Role.KUBE_OFFICER:
        return kubes.filter(officers__user=user).distinct()
    return kubes.none()


def kube_get_for_user(*, user: User, pk: int) -> Kube:
    """One KUBE the user may open, or 404 (never a hint that it exists)."""
    try:
        return kubes_for_user(user).select_related("region").get(pk=pk)
    except Kube.DoesNotExist as error:
        raise Http404 from error


def can_record_activity(user: User, kube: Kube) -> bool:
    """Meetings, attendance and visits: the managers, the KUBE's current pendamping, its own officers."""
    if can_manage_kubes(user):
        return kubes_for_user(user).filter(pk=kube.pk).exists()
    if user.role == Role.FACILITATOR:
        return kube.assignments.filter(facilitator__user=user, end__isnull=True).exists()
    if user.role == Role.KUBE_OFFICER:
        return kube.officers.filter(user=user).exists()
    return False


def kube_list_rows(queryset: QuerySet[Kube]) -> QuerySet[Kube]:
    """A list page's rows with member counts, without one query per row."""
    return queryset.select_related("region").annotate(size=Count("memberships", filter=Q(memberships__live=True)))


def kube_detail_context(kube: Kube) -> dict:
    """What the KUBE page shows: members, officers, history, aid, plans, pendamping, recent activity."""
    from django.conf import settings
    from django.utils import timezone

    from berdaya.engine.mentoring import attendance_window
    from berdaya.mentoring.alerts import kube_attendance
    from berdaya.mentoring.models import Assignment, Meeting, Visit

    members = kube.memberships.select_related("family").prefetch_related("family__members").order_by("-live", "id")
    meetings = (
        Meeting.objects.filter(kube=kube)
        .annotate(present=Count("attendance", filter=Q(attendance__status="present")), total=Count("attendance"))
        .order_by("-date", "-id")[:20]
    )
    return {
        "members": members,
        "live_count": sum(1 for m in members if m.live),
        "officers": kube.officers.select_related("person").all(),
        "events": kube.events.select_related("actor").order_by("-at", "-id")[:50],
        "aid": kube.aid.all(),
        "aid_total": sum(a.amount for a in kube.aid.all()),
        "plans": kube.plans.prefetch_related("lines").all()[:3],
        "plan_rows": plan_rows(kube),
        # Lazy: only evaluated when the page renders the add-member form (managers, live KUBE).
        "member_candidates": member_candidates(kube),
        "assignment": Assignment.objects.filter(kube=kube, end__isnull=True).select_related("facilitator").first(),
        "meetings": meetings,
        "visits": Visit.objects.filter(kube=kube).select_related("facilitator").order_by("-date", "-id")[:20],
        "attendance": kube_attendance(
            kube, *attendance_window(timezone.localdate(), settings.BERDAYA["ATTENDANCE_MONTHS"])
        ),
    }


def kube_state_counts(user: User) -> list[tuple[str, str, int]]:
    """(state, label, count) of the KUBEs the user may open, in lifecycle order, for the home page."""
    from berdaya.kube.models import KubeState

    counts = dict(kubes_for_user(user).values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return [(state, str(label), counts.get(state, 0)) for state, label in KubeState.choices if counts.get(state)]


def family_head(family) -> object | None:
    """The head of a family among its (prefetched) members: the KEPALA KELUARGA, else the first listed."""
    members = list(family.members.all())
    return next((p for p in members if p.relationship.upper() == "KEPALA KELUARGA"), members[0] if members else None)


def plan_rows(kube: Kube, *, limit: int = 3) -> list[dict]:
    """The latest business plans with totals per kind and the agreeing musyawarah's attendance.

    Each row: plan, lines, totals [(kind, label, amount)], total, meeting (or None), present,
    attendees (the meeting's attendance count), present_names (heads of the families present).
    """
    from django.db.models import Prefetch

    from berdaya.kube.models import BusinessPlanLine
    from berdaya.mentoring.models import Attendance, AttendanceStatus

    attendance = Attendance.objects.select_related("family").prefetch_related("family__members").order_by("id")
    plans = (
        kube.plans.select_related("agreed_meeting")
        .prefetch_related("lines", Prefetch("agreed_meeting__attendance", queryset=attendance))
        .order_by("-version")[:limit]
    )
    rows = []
    for plan in plans:
        lines = list(plan.lines.all())
        totals = [
            (kind, str(label), sum(line.amount for line in lines if line.kind == kind))
            for kind, label in BusinessPlanLine.Kind.choices
        ]
        meeting = plan.agreed_meeting
        marks = list(meeting.attendance.all()) if meeting is not None else []
        present = [a for a in marks if a.status == AttendanceStatus.PRESENT]
        names = [getattr(family_head(a.family), "name", "") or str(a.family) for a in present]
        rows.append(
            {
                "plan": plan,
                "lines": lines,
                "totals": totals,
                "total": sum(line.amount for line in lines),
                "meeting": meeting,
                "present": len(present),
                "attendees": len(marks),
                "present_names": names,
            }
        )
    return rows


def member_candidates(kube: Kube) -> QuerySet:
    """Families that may be added to the KUBE: same village, latest decision ELIGIBLE, in no live KUBE."""
    from berdaya.registry.models import Decision, Family

    return (
        Family.objects.filter(region_id=kube.region_id, latest_decision__decision=Decision.ELIGIBLE)
        .exclude(memberships__live=True)
        .prefetch_related("members")
        .order_by("no_kk")
    )
