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


# ---- reads the evaluation pages share ---------------------------------------------------------------


def sees_kube_scores(user: User) -> bool:
    """Per-KUBE scores and plans: everyone who reads rounds except the regional viewer (aggregates only)."""
    return user.is_authenticated and (user.is_superuser or user.role != Role.VIEWER)


def round_kubes_in_scope(*, user: User, round: Round) -> QuerySet[Kube]:
    """The round's KUBEs whose results the user may read (as rows, or summed up for a viewer).

    Readers by region (officer, evaluator, viewer) see the round's KUBEs inside their region, so an
    evaluator of one kecamatan in a kab/kota round sees that kecamatan's; a pendamping or KUBE officer
    sees the round's KUBEs they may open.
    """
    kubes = round.kubes.all()
    if not user.is_authenticated:
        return kubes.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return kubes
    if user.role in ROUND_READERS:
        return kubes.filter(region_q(user, "region"))
    return kubes.filter(pk__in=kubes_for_user(user).values("pk"))


def round_kube_ids_in_scope(*, user: User, rounds: list[Round]) -> dict[int, list[int]]:
    """{round id: ids of its KUBEs the user may read}, as `round_kubes_in_scope` per round, in one query."""
    found: dict[int, list[int]] = {r.pk: [] for r in rounds}
    links = Round.kubes.through.objects.filter(round_id__in=list(found))
    if not user.is_authenticated:
        return found
    if not (user.is_superuser or user.role == Role.ADMIN):
        readable = Kube.objects.filter(region_q(user, "region")) if user.role in ROUND_READERS else kubes_for_user(user)
        links = links.filter(kube_id__in=readable.values("pk"))
    for round_id, kube_id in links.order_by("kube_id").values_list("round_id", "kube_id"):
        found[round_id].append(kube_id)
    return found


def survey_kubes(*, user: User, round: Round) -> QuerySet[Kube]:
    """The round's KUBEs the user may enter surveys for: `can_enter_responses` as one query."""
    kubes = round.kubes.all()
    if can_manage_rounds(user):
        return kubes.filter(pk__in=kubes_for_user(user).values("pk"))
    if user.is_authenticated and user.role == Role.FACILITATOR:
        return kubes.filter(assignments__facilitator__user=user, assignments__end__isnull=True).distinct()
    return kubes.none()


def survey_families(*, kubes: list[Kube], names: bool) -> dict[int, list[tuple[int, str]]]:
    """KUBE id -> [(family id, label)] of its current members, for the survey's family picker.

    The label is the head of family's name when `names`, else only the pseudonymous Berdaya id (never a
    NIK or No KK: surveys name families by that id).
    """
    from django.db.models import Prefetch
    from django.utils.translation import gettext as _

    from berdaya.kube.models import Membership
    from berdaya.registry.models import Person

    memberships = Membership.objects.filter(kube__in=kubes, left_on__isnull=True).order_by("kube_id", "family_id")
    if names:
        heads = Person.objects.order_by("id").only("id", "name", "family_id")
        memberships = memberships.prefetch_related(Prefetch("family__members", queryset=heads))
    found: dict[int, list[tuple[int, str]]] = {kube.pk: [] for kube in kubes}
    for membership in memberships:
        label = _("Keluarga #%(id)s") % {"id": membership.family_id}
        if names:
            head = next(iter(membership.family.members.all()), None)
            if head is not None:
                label = f"{head.name} (#{membership.family_id})"
        found[membership.kube_id].append((membership.family_id, label))
    return found


def round_regions_for_user(user: User) -> QuerySet:
    """The kab/kota a user may create rounds for: their own (an officer's region or the one above it)."""
    from berdaya.core.models import Region

    regions = Region.objects.filter(level=Region.Level.KABKOTA)
    prefix = user.region_prefix
    if prefix is None:
        return regions
    if not prefix:
        return regions.none()
    own = ".".join(prefix.split(".")[:2])
    return regions.filter(Q(code=own) | Q(code__startswith=prefix + "."))


def latest_score(kube: Kube):
    """The KUBE's score in its most recent scored round (None before any), for the KUBE page."""
    from berdaya.evaluation.models import KubeScore

    return KubeScore.objects.filter(kube=kube).select_related("round").order_by("-round__end_on", "-round_id").first()


def plan_action_get_for_user(*, user: User, pk: int):
    """One plan action of a round and KUBE whose scores the user may read, or 404."""
    from berdaya.evaluation.models import PlanAction

    try:
        action = PlanAction.objects.select_related("round", "kube").get(pk=pk)
    except PlanAction.DoesNotExist as error:
        raise Http404 from error
    round_ = round_get_for_user(user=user, pk=action.round_id)
    in_scope = round_kubes_in_scope(user=user, round=round_).filter(pk=action.kube_id).exists()
    if not sees_kube_scores(user) or not in_scope:
        raise Http404
    return action


ANALYSTS = {Role.ADMIN, Role.PROGRAM_OFFICER, Role.EVALUATOR}


def can_analyse(user: User) -> bool:
    """Baseline–endline analysis and research exports: managers and evaluators (pseudonymised)."""
    return user.is_authenticated and (user.is_superuser or user.role in ANALYSTS)
