"""Scoring a round (spec §8.1–8.5): for each KUBE the nine success indicators and the verdict, the
members' empowerment, the households' welfare, the maturity stage, and the strengthening plan.

The rules are the engine's (`engine.evaluation`); this service gathers the facts (`evaluation.facts`),
stores one `KubeScore` per KUBE and round (recomputing replaces it) and the plan's actions (an action
already marked done is kept; open ones are replaced by what the rules now ask for).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Min

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.engine.evaluation import success as sx
from berdaya.engine.evaluation.answers import empowerment_items, household_from_answers
from berdaya.engine.evaluation.empowerment import EmpowermentError, empowerment_index, indicator_means
from berdaya.engine.evaluation.instruments import load_instrument
from berdaya.engine.evaluation.maturity import maturity_stage
from berdaya.engine.evaluation.plan import causes_from_results, plan_actions
from berdaya.engine.evaluation.welfare import WelfareError, welfare_index
from berdaya.evaluation.facts import success_facts
from berdaya.evaluation.models import InstrumentName, KubeScore, PlanAction, Response, Round
from berdaya.evaluation.options import (
    empowerment_options,
    maturity_thresholds,
    success_thresholds,
    welfare_options,
)
from berdaya.kube.models import Kube
from berdaya.mentoring.models import Facilitator


def _empowerment(round_: Round, kube: Kube) -> tuple[float | None, float | None]:
    responses = list(Response.objects.filter(round=round_, kube=kube, instrument=InstrumentName.EMPOWERMENT))
    if not responses:
        return None, None
    instrument = load_instrument(InstrumentName.EMPOWERMENT, round_.empowerment_version)
    try:
        means = indicator_means([empowerment_items(r.answers, instrument) for r in responses])
    except EmpowermentError:
        return None, None  # a member with an indicator unanswered: no index rather than a wrong one
    result = empowerment_index(means, options=empowerment_options())
    return result.share_empowered, result.index


def _welfare_m0(round_: Round, kube: Kube) -> float | None:
    responses = Response.objects.filter(round=round_, kube=kube, instrument=InstrumentName.WELFARE)
    households = [household_from_answers(r.answers, ref=str(r.pk)) for r in responses]
    if not households:
        return None
    try:
        return welfare_index(households, options=welfare_options(), drop_missing=True).M0
    except WelfareError:
        return None


def _causes(kube: Kube, results: list[sx.IndicatorResult]) -> set[str]:
    causes = causes_from_results(results)
    kecamatan = ".".join(kube.region_id.split(".")[:3])
    has_current = kube.assignments.filter(end__isnull=True).exists()
    if not has_current and not Facilitator.objects.filter(home_region_id=kecamatan, active=True).exists():
        causes.add("no_facilitator_in_kecamatan")
    return causes


def _previous_verdicts(round_: Round, kube: Kube) -> list[sx.Verdict]:
    earlier = KubeScore.objects.filter(kube=kube, round__end_on__lt=round_.end_on).order_by("round__end_on")
    return [sx.Verdict(successful=s.successful, unmet=list(s.unmet), missing=list(s.missing), met=[]) for s in earlier]


def _active_since(kube: Kube) -> dt.date:
    activated = kube.events.filter(action="activate").aggregate(first=Min("effective_on"))["first"]
    return activated or kube.decree_date or kube.formed_on or dt.date.today()


def kube_score(*, round: Round, kube: Kube) -> KubeScore:
    """Score one KUBE in one round and rewrite its open plan actions. Call inside a transaction."""
    facts = success_facts(round, kube)
    results = sx.success_indicators(facts, success_thresholds())
    verdict = sx.kube_verdict(results)
    share, index = _empowerment(round, kube)
    maturity = maturity_stage(
        _active_since(kube), round.end_on, [*_previous_verdicts(round, kube), verdict], maturity_thresholds()
    )
    score, _created = KubeScore.objects.update_or_create(
        round=round,
        kube=kube,
        defaults={
            "successful": verdict.successful,
            "unmet": list(verdict.unmet),
            "missing": list(verdict.missing),
            "indicators": {
                r.code: {"met": r.met, "value": r.value, "threshold": r.threshold, "reason": r.reason} for r in results
            },
            "empowered_share": share,
            "empowerment_index": index,
            "welfare_m0": _welfare_m0(round, kube),
            "maturity": str(maturity.stage),
            "maturity_reason": maturity.reason[:200],
        },
    )
    actions = plan_actions([*verdict.unmet, *verdict.missing], _causes(kube, results), round.end_on)
    done = set(PlanAction.objects.filter(round=round, kube=kube, done_on__isnull=False).values_list("rule", flat=True))
    PlanAction.objects.filter(round=round, kube=kube, done_on__isnull=True).delete()
    PlanAction.objects.bulk_create(
        PlanAction(
            round=round,
            kube=kube,
            indicator=",".join(action.indicators),
            cause=",".join(action.causes),
            rule=action.code,
            text=action.text,
            strategies={
                "tjokrowinoto": action.tjokrowinoto,
                "ismawan": action.ismawan,
                "suharto_level": action.suharto_level,
            },
            owner=action.owner,
            due_on=action.due,
        )
        for action in actions
        if action.code not in done
    )
    return score


def round_score(*, actor: User | None, round: Round) -> dict[str, int]:
    """Score every KUBE of the round. Returns {kubes, successful, actions}; audited."""
    with transaction.atomic():
        scores = [kube_score(round=round, kube=kube) for kube in round.kubes.order_by("region_id", "name")]
        counts = {
            "kubes": len(scores),
            "successful": sum(1 for s in scores if s.successful),
            "actions": PlanAction.objects.filter(round=round).count(),
        }
        audit_record(
            actor=actor, action="evaluation.round_score", object_type="evaluation.Round", object_id=round.pk,
            changes=counts,
        )  # fmt: skip
    return counts


@transaction.atomic
def plan_action_done(*, actor: User | None, action: PlanAction, on: dt.date, note: str = "") -> PlanAction:
    """Mark one action of the strengthening plan done."""
    action = PlanAction.objects.select_for_update().get(pk=action.pk)
    action.done_on = on
    action.done_by = actor if actor is not None and actor.pk else None
    action.done_note = (note or "").strip()[:300]
    action.save(update_fields=["done_on", "done_by", "done_note"])
    audit_record(
        actor=actor,
        action="evaluation.plan_action_done",
        object_type="evaluation.PlanAction",
        object_id=action.pk,
        changes={"on": on.isoformat()},
    )
    return action
