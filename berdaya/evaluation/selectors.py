"""Who may see and do what in evaluation (spec §2, §9), and the reads pages share.

- admin: everything; program officer: rounds, responses, scores and plans in their kab/kota;
- evaluator / researcher: rounds and scores in their region, and exports without NIK, No KK or names;
- pendamping: enter surveys and group assessments for the KUBEs assigned to them, see their plans;
- KUBE officer: their own KUBE's scores and plan; viewer: aggregates only (dashboards).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from berdaya.core.models import Role, User
from berdaya.core.scoping import region_q
from berdaya.evaluation.models import Round
from berdaya.kube.models import Kube
from berdaya.kube.selectors import kubes_for_user

ROUND_MANAGERS = {Role.ADMIN, Role.PROGRAM_OFFICER}
ROUND_READERS = {Role.ADMIN, Role.PROGRAM_OFFICER, Role.EVALUATOR, Role.VIEWER}


def can_manage_rounds(user: User) -> bool:
    """Create rounds, import submissions, score, mark plan actions done."""
    return user.is_authenticated and (user.is_superuser or user.role in ROUND_MANAGERS)


def rounds_for_user(user: User) -> QuerySet[Round]:
    """Rounds whose kab/kota lies in the user's region (a pendamping or KUBE officer: rounds of their KUBEs)."""
    rounds = Round.objects.all()
    if not user.is_authenticated:
        return rounds.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return rounds
    if user.role in ROUND_READERS:
        prefix = user.region_prefix or ""
        if not prefix:
            return rounds.none()
        # A round belongs to a kab/kota; a provincial viewer sees the rounds of its kab/kota,
        # a kab/kota officer the rounds of their own (a round's region is never below kab/kota).
        return rounds.filter(region_q(user, "region") | _region_above(prefix))
    return rounds.filter(kubes__in=kubes_for_user(user)).distinct()


def _region_above(prefix: str) -> Q:
    """Rounds of a kab/kota that contains the user's region (an evaluator of one kecamatan)."""
    parts = prefix.split(".")
    above = [".".join(parts[:i]) for i in range(1, len(parts))]
    return Q(region_id__in=above) if above else Q(pk__in=[])


def round_get_for_user(*, user: User, pk: int) -> Round:
    try:
        return rounds_for_user(user).select_related("region", "baseline").get(pk=pk)
    except Round.DoesNotExist as error:
        raise Http404 from error


def can_enter_responses(user: User, kube: Kube) -> bool:
    """Surveys and group assessments: the managers in scope and the KUBE's current pendamping."""
    if can_manage_rounds(user):
        return kubes_for_user(user).filter(pk=kube.pk).exists()
    if user.is_authenticated and user.role == Role.FACILITATOR:
        return kube.assignments.filter(facilitator__user=user, end__isnull=True).exists()
    return False


def sees_names(user: User) -> bool:
    """Evaluators and viewers work pseudonymised: no NIK, No KK or names on their pages and exports."""
    return user.is_authenticated and (user.is_superuser or user.role not in {Role.EVALUATOR, Role.VIEWER})
