"""The KUBE profile and the pendamping profile of the dashboard (issue 7): reads only.

- KUBE profile: whoever may open the KUBE (`kube_get_for_user`: admin, program officer in scope, its
  current pendamping, its own officers); a viewer or evaluator gets 404 (they read aggregates).
- pendamping profile: admins, program officers whose region holds the pendamping's home kecamatan, and
  the pendamping themself; anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from berdaya.core.models import Role, User
from berdaya.core.scoping import code_in_scope
from berdaya.kube.models import LIVE_STATES, Kube
from berdaya.mentoring.models import Facilitator


def kube_profile(*, user: User, kube_id: int, as_of: dt.date | None = None) -> dict:
    """What the KUBE profile shows: the KUBE page's context (kube selectors), book metrics, the attendance
    trend, the latest score and its open plan actions. Http404 when the user may not open the KUBE."""
    from berdaya.engine.evaluation.success import INDICATOR_TITLES
    from berdaya.evaluation.selectors import latest_score
    from berdaya.kube.selectors import kube_detail_context, kube_get_for_user
    from berdaya.ledger.metrics import default_months, kube_metrics
    from berdaya.reports.dashboard import region_crumbs, trend_for

    as_of = as_of or timezone.localdate()
    kube = kube_get_for_user(user=user, pk=kube_id)
    context = kube_detail_context(kube)
    score = latest_score(kube)
    actions = []
    indicators = []
    if score is not None:
        actions = list(score.round.plan_actions.filter(kube=kube, done_on__isnull=True).order_by("owner", "due_on"))
        for code, result in (score.indicators or {}).items():
            indicators.append((code, INDICATOR_TITLES.get(code, code), (result or {}).get("met")))
    crumbs = region_crumbs(user=user, code=kube.region_id) if _may_see_region(user, kube.region_id) else []
    return {
        "kube": kube,
        "as_of": as_of,
        "live_count": context["live_count"],
        "officers": context["officers"],
        "aid": context["aid"],
        "aid_total": context["aid_total"],
        "assignment": context["assignment"],
        "meetings": list(context["meetings"][:5]),
        "visits": list(context["visits"][:5]),
        "attendance": context["attendance"],
        "metrics": kube_metrics(kube, as_of),
        "metrics_months": default_months(),
        "trend": trend_for(Q(meeting__kube=kube), as_of),
        "score": score,
        "indicators": indicators,
        "actions": actions,
        "crumbs": crumbs,
    }


def _may_see_region(user: User, code: str) -> bool:
    from berdaya.reports.dashboard import can_see_dashboard

    return can_see_dashboard(user) and code_in_scope(user, code)


def facilitator_get_for_user(*, user: User, pk: int) -> Facilitator:
    """A pendamping the user may read the profile of, or 404."""
    try:
        facilitator = Facilitator.objects.select_related("home_region").get(pk=pk)
    except Facilitator.DoesNotExist as error:
        raise Http404 from error
    if not user.is_authenticated:
        raise Http404
    if facilitator.user_id is not None and facilitator.user_id == user.pk:
        return facilitator
    manager = user.is_superuser or user.role in (Role.ADMIN, Role.PROGRAM_OFFICER)
    if manager and code_in_scope(user, facilitator.home_region_id):
        return facilitator
    raise Http404


@dataclass(frozen=True)
class CaseloadRow:
    kube: Kube
    last_visit: dt.date | None
    last_meeting: dt.date | None
    members: int
    alerts: list
    linked: bool


def facilitator_profile(*, user: User, facilitator_id: int, as_of: dt.date | None = None) -> dict:
    """A pendamping's home kecamatan, caseload against cap, and the KUBEs assigned now, each with its last
    visit and meeting and its alerts (the mentoring app's rules). Eight queries whatever the caseload."""
    from berdaya.kube.selectors import kubes_for_user
    from berdaya.mentoring.alerts import kube_alerts
    from berdaya.reports.dashboard import last_dates, region_crumbs

    as_of = as_of or timezone.localdate()
    facilitator = facilitator_get_for_user(user=user, pk=facilitator_id)
    current = Kube.objects.filter(
        assignments__facilitator=facilitator, assignments__end__isnull=True, state__in=LIVE_STATES
    ).distinct()
    kubes = list(
        current.select_related("region")
        .annotate(size=Count("memberships", filter=Q(memberships__live=True), distinct=True))
        .order_by("region_id", "name")
    )
    ids = [k.pk for k in kubes]
    dates = last_dates(ids)
    alerts: dict[int, list] = defaultdict(list)
    for alert in kube_alerts(Kube.objects.filter(pk__in=ids), as_of, linked=False):
        alerts[alert.kube_id].append(alert)
    openable = set(kubes_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = [
        CaseloadRow(
            kube=k,
            last_visit=dates[k.pk][0],
            last_meeting=dates[k.pk][1],
            members=k.size,
            alerts=alerts.get(k.pk, []),
            linked=k.pk in openable,
        )
        for k in kubes
    ]
    return {
        "facilitator": facilitator,
        "as_of": as_of,
        "rows": rows,
        "load": len(kubes),
        "cap": facilitator.cap,
        "over_cap": len(kubes) > facilitator.cap,
        "crumbs": region_crumbs(user=user, code=facilitator.home_region_id)
        if _may_see_region(user, facilitator.home_region_id)
        else [],
    }
