"""The strengthening plan by region (spec §8.5): open actions rolled up by cause and owner per child region.

The actions counted are the open ones (not done) of each KUBE's latest scored round: an older round's
actions are superseded by the newer score. The roll-up is the engine's (`plan_rollup`,
`regions_with_cause`); at national level its kab/kota rows are summed per province. At kelurahan level
the page lists each KUBE's actions too (not for a regional viewer, who reads aggregates only).
Four queries whatever the number of actions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from berdaya.core.models import Region, User
from berdaya.engine.evaluation import plan as engine_plan
from berdaya.evaluation.models import PlanAction, PlanOwner
from berdaya.kube.models import Kube
from berdaya.reports.dashboard import (
    NEXT_LEVEL,
    child_length,
    in_region,
    level_of,
    region_crumbs,
    region_get,
)

NO_FACILITATOR = "no_facilitator_in_kecamatan"
ENGINE_LEVEL = {"kabkota": "kabkota", "kecamatan": "kecamatan", "desa": "kelurahan"}


@dataclass(frozen=True)
class PlanRow:
    code: str
    name: str
    cause: str  # the cause's label ("indikator belum terpenuhi" without one)
    owner: str  # the owner's label
    actions: int
    sources: int  # kelurahan the actions come from


@dataclass(frozen=True)
class KubeActions:
    kube_id: int
    name: str
    linked: bool
    actions: list[PlanAction]


@dataclass
class PlanSummary:
    code: str | None
    name: str
    level: str | None
    as_of: dt.date
    crumbs: list
    rows: list[PlanRow]
    open_actions: int
    by_owner: list[tuple[str, int]]
    needing_facilitator: list[tuple[str, str]]  # (kecamatan code, name)
    per_kube: list[KubeActions] = field(default_factory=list)
    per_kube_shown: bool = False


def _engine_action(action: PlanAction) -> engine_plan.PlanAction:
    return engine_plan.PlanAction(
        code=action.rule,
        text=action.text,
        tjokrowinoto=action.strategies.get("tjokrowinoto", ""),
        ismawan=action.strategies.get("ismawan", ""),
        suharto_level=action.strategies.get("suharto_level", ""),
        owner=action.owner,
        due=action.due_on,
        indicators=tuple(c for c in action.indicator.split(",") if c),
        causes=tuple(c for c in action.cause.split(",") if c),
    )


def open_plan_actions(kubes) -> list[PlanAction]:
    """Open actions of each KUBE's latest scored round (two queries)."""
    from berdaya.reports.dashboard import latest_scores

    latest, _m0 = latest_scores(kubes)
    rounds = {kube_id: score["round_id"] for kube_id, score in latest.items()}
    actions = (
        PlanAction.objects.filter(kube__in=kubes.values("pk"), done_on__isnull=True)
        .select_related("kube")
        .order_by("kube__name", "kube_id", "owner", "due_on", "id")
    )
    return [a for a in actions if rounds.get(a.kube_id) == a.round_id]


def plan_summary(*, user: User, code: str | None, as_of: dt.date | None = None) -> PlanSummary:
    """The open strengthening-plan actions of region `code`, rolled up per child region, cause and owner.

    Raises Http404 outside the user's scope (the dashboard's rule).
    """
    from django.utils.translation import gettext as _

    from berdaya.evaluation.selectors import sees_kube_scores
    from berdaya.kube.selectors import kubes_for_user

    as_of = as_of or timezone.localdate()
    region = region_get(user=user, code=code)
    level = level_of(code)
    kubes = Kube.objects.filter(in_region(code, "region"))
    actions = open_plan_actions(kubes)
    by_region: dict[str, list[engine_plan.PlanAction]] = defaultdict(list)
    for action in actions:
        by_region[action.kube.region_id].append(_engine_action(action))

    child = NEXT_LEVEL.get(level)
    if child is None:  # kelurahan: its own roll-up, then the KUBEs
        engine_rows = engine_plan.plan_rollup(by_region, "kelurahan")
    elif child == "provinsi":
        engine_rows = _per_province(engine_plan.plan_rollup(by_region, "kabkota"))
    else:
        engine_rows = engine_plan.plan_rollup(by_region, ENGINE_LEVEL[child])
    kecamatan_rows = engine_plan.plan_rollup(by_region, "kecamatan") if by_region else []
    needing = engine_plan.regions_with_cause(kecamatan_rows, NO_FACILITATOR, "dinas")

    names = dict(
        Region.objects.filter(code__in={r.region_code for r in engine_rows} | set(needing)).values_list("code", "name")
    )
    causes = engine_plan.load_plan_rules().causes
    owners = dict(PlanOwner.choices)
    rows = [
        PlanRow(
            code=r.region_code,
            name=names.get(r.region_code, r.region_code),
            cause=causes.get(r.cause, r.cause) if r.cause else _("indikator belum terpenuhi"),
            owner=str(owners.get(r.owner, r.owner)),
            actions=r.actions,
            sources=r.sources,
        )
        for r in engine_rows
    ]
    owner_counts = Counter(a.owner for a in actions)
    summary = PlanSummary(
        code=code,
        name=region.name if region else _("Indonesia"),
        level=level,
        as_of=as_of,
        crumbs=region_crumbs(user=user, code=code),
        rows=rows,
        open_actions=len(actions),
        by_owner=[(str(label), owner_counts[value]) for value, label in PlanOwner.choices],
        needing_facilitator=[(c, names.get(c, c)) for c in needing],
    )
    if child is None and sees_kube_scores(user):
        openable = set(kubes_for_user(user).filter(region_id=code).values_list("pk", flat=True))
        grouped: dict[int, list[PlanAction]] = defaultdict(list)
        for action in actions:
            grouped[action.kube_id].append(action)
        summary.per_kube = [
            KubeActions(kube_id=pk, name=items[0].kube.name, linked=pk in openable, actions=items)
            for pk, items in grouped.items()
        ]
        summary.per_kube_shown = True
    return summary


def _per_province(rows: list[engine_plan.RollupRow]) -> list[engine_plan.RollupRow]:
    """Kab/kota roll-up rows summed per province (kelurahan sources are disjoint, so they add up)."""
    actions: Counter = Counter()
    sources: Counter = Counter()
    for r in rows:
        key = (r.region_code[: child_length(None)], r.cause, r.owner)
        actions[key] += r.actions
        sources[key] += r.sources
    merged = [
        engine_plan.RollupRow(
            region_code=code, level="provinsi", cause=cause, owner=owner, actions=n, sources=sources[k]
        )
        for k, n in actions.items()
        for code, cause, owner in [k]
    ]
    merged.sort(key=lambda r: (r.region_code, engine_plan.OWNERS.index(r.owner), r.cause or ""))
    return merged
