"""A small world for the dashboard tests, counted by hand.

Kota Pontianak (61.71):
- Siantan Hulu (61.71.04.1001): KUBE "Jagung" active, 5 members, aid Rp20.000.000, pendamping "Andi"
  (home Pontianak Utara, cap 1), visited on 10 June 2025, one June meeting with 4 of 5 present; scored
  in a baseline (M0 0.40) and an endline (M0 0.25, empowerment 0.60, S1 met, S2 not, the rest no data),
  one open plan action (cause no_facilitator_in_kecamatan, owner dinas) in the endline and one in the
  baseline (superseded); plus 3 eligible families outside any KUBE and 1 ineligible.
- Siantan Tengah (61.71.04.1002): KUBE "Kerupuk" proposed, 5 members, no pendamping (an alert).
- Sungaibangkong (61.71.05.1001): 2 eligible families, no KUBE.
Kota Singkawang (61.72.01.1001): KUBE "Lain" active, 5 members (outside the officer's scope).
"""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.core.models import Region
from berdaya.evaluation.models import KubeScore, PlanAction
from berdaya.evaluation.services import round_create
from berdaya.kube.models import KubeState
from berdaya.registry.models import Decision, EligibilityDecision, EligibilityRun
from tests.factories import assign, make_facilitator, make_family, make_kube, make_meeting, make_visit

AS_OF = dt.date(2025, 6, 15)


def decide(families, decision):
    run = EligibilityRun.objects.create(ruleset_name="uji", ruleset_version=1, ruleset_digest="x", as_of=AS_OF)
    for family in families:
        family.latest_decision = EligibilityDecision.objects.create(run=run, family=family, decision=decision)
        family.save(update_fields=["latest_decision"])


def score(round_, kube, *, m0, empowerment=None, indicators=None):
    return KubeScore.objects.create(
        round=round_,
        kube=kube,
        successful=False,
        unmet=["S2_SOCIAL_DYNAMICS"],
        indicators=indicators or {},
        empowerment_index=empowerment,
        welfare_m0=m0,
        maturity="PENUMBUHAN",
    )


def action(round_, kube, rule):
    return PlanAction.objects.create(
        round=round_,
        kube=kube,
        indicator="S2_SOCIAL_DYNAMICS",
        cause="no_facilitator_in_kecamatan",
        rule=rule,
        text="Tugaskan pendamping di kecamatan",
        strategies={"tjokrowinoto": "mentoring"},
        owner="dinas",
        due_on=dt.date(2025, 9, 1),
    )


@pytest.fixture
def world(regions, officer):
    return build_world(officer)


def build_world(officer) -> dict:
    """The world above; `officer` (of 61.71) creates the evaluation rounds."""
    jagung = make_kube(name="KUBE Jagung", size=5, state=KubeState.ACTIVE)
    kerupuk = make_kube(name="KUBE Kerupuk", size=5, state=KubeState.PROPOSED, region="61.71.04.1002")
    lain = make_kube(name="KUBE Lain", size=5, state=KubeState.ACTIVE, region="61.72.01.1001")
    andi = make_facilitator(name="Andi", cap=1)
    assign(jagung, andi)
    make_visit(jagung, dt.date(2025, 6, 10), facilitator=andi)
    make_meeting(jagung, dt.date(2025, 6, 5), statuses=["present"] * 4 + ["absent"])
    decide([make_family() for _ in range(3)], Decision.ELIGIBLE)
    decide([make_family()], Decision.INELIGIBLE)
    decide([make_family(region="61.71.05.1001") for _ in range(2)], Decision.ELIGIBLE)
    city = Region.objects.get(code="61.71")
    baseline = round_create(
        actor=officer, name="Awal", kind="baseline", region=city,
        start_on=dt.date(2025, 3, 1), end_on=dt.date(2025, 3, 31), kubes=[jagung],
    )  # fmt: skip
    endline = round_create(
        actor=officer, name="Akhir", kind="endline", region=city, baseline=baseline,
        start_on=dt.date(2025, 6, 1), end_on=dt.date(2025, 6, 10), kubes=[jagung],
    )  # fmt: skip
    score(baseline, jagung, m0=0.40)
    indicators = {"S1_BASIC_NEEDS": {"met": True}, "S2_SOCIAL_DYNAMICS": {"met": False}}
    score(endline, jagung, m0=0.25, empowerment=0.60, indicators=indicators)
    action(baseline, jagung, "old_rule")
    action(endline, jagung, "new_rule")
    return {"jagung": jagung, "kerupuk": kerupuk, "lain": lain, "andi": andi}
