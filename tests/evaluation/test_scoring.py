"""A round from creation to scores and a plan, through the services."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from berdaya.core.models import Region
from berdaya.evaluation.models import KubeScore, PlanAction, Response
from berdaya.evaluation.services import EvaluationError, response_record, round_create, round_score
from berdaya.kube.models import KubeState
from tests.factories import make_kube

pytestmark = pytest.mark.django_db


@pytest.fixture
def kube(regions):
    return make_kube(state=KubeState.ACTIVE)


@pytest.fixture
def baseline(kube, officer):
    return round_create(
        actor=officer,
        name="Baseline 2025",
        kind="baseline",
        region=Region.objects.get(code="61.71"),
        start_on=dt.date(2025, 3, 1),
        end_on=dt.date(2025, 3, 31),
    )


def welfare(kube, family, **overrides):
    values = {
        "sample": "anggota", "kube_id": kube.pk, "family_id": family.pk, "round": "baseline",
        "survey_date": dt.date(2025, 3, 10), "consent": 1, "income_month": 1_500_000, "household_size": 4,
        "meals_per_day": 3, "food_shortage_month": 0, "new_clothes_year": 1, "floor_material": "semen",
        "wall_material": "tembok", "roof_material": "seng", "floor_area": 36, "sick_untreated": 0,
        "children_7_15": 0, "worship_able": 1, "community_activity_3m": 1, "protein_week": 1, "health_insurance": 1,
    }  # fmt: skip
    values.update(overrides)
    return values


def test_a_round_takes_the_funded_kubes_of_its_kab_kota(baseline, kube):
    assert list(baseline.kubes.all()) == [kube]
    assert baseline.welfare_version == 1


def test_an_endline_needs_its_baseline(officer, kube):
    with pytest.raises(EvaluationError, match="putaran awal"):
        round_create(
            actor=officer, name="Akhir", kind="endline", region=Region.objects.get(code="61.71"),
            start_on=dt.date(2026, 3, 1), end_on=dt.date(2026, 3, 31),
        )  # fmt: skip


def test_a_web_response_is_stored_once_and_a_stranger_family_is_refused(baseline, kube, officer):
    family = kube.memberships.first().family
    key = str(uuid.uuid4())
    first = response_record(actor=officer, round=baseline, instrument="welfare", values=welfare(kube, family),
                            instance_id=key)  # fmt: skip
    again = response_record(actor=officer, round=baseline, instrument="welfare", values=welfare(kube, family),
                            instance_id=key)  # fmt: skip
    assert first.pk == again.pk and Response.objects.count() == 1
    with pytest.raises(EvaluationError, match="bukan anggota"):
        response_record(actor=officer, round=baseline, instrument="welfare",
                        values=welfare(kube, family, family_id=999_999), instance_id=str(uuid.uuid4()))  # fmt: skip


def test_scoring_gives_a_verdict_a_maturity_and_a_plan_for_what_is_unmet(baseline, kube, officer):
    for membership in kube.memberships.all():
        response_record(actor=officer, round=baseline, instrument="welfare",
                        values=welfare(kube, membership.family), instance_id=str(uuid.uuid4()))  # fmt: skip
    counts = round_score(actor=officer, round=baseline)
    score = KubeScore.objects.get(round=baseline, kube=kube)
    assert counts["kubes"] == 1
    assert score.successful is False  # no group assessment, no meetings: indicators are unmet or missing
    assert set(score.unmet) | set(score.missing) >= {"G1_COOPERATION", "S2_SOCIAL_DYNAMICS"}
    assert score.indicators["S1_BASIC_NEEDS"]["met"] is True  # nobody deprived in food, clothing, housing
    assert score.maturity == "PENUMBUHAN"
    assert PlanAction.objects.filter(round=baseline, kube=kube).count() > 0


def test_an_answer_the_instrument_does_not_allow_is_refused(baseline, kube, officer):
    family = kube.memberships.first().family
    for bad in (
        {"protein_week": 3},
        {"floor_material": "emas"},
        {"household_size": 0},
        {"income_month": "banyak"},
        {"children_7_15": 1, "children_not_school": 2},
    ):
        with pytest.raises(EvaluationError, match="tidak sah"):
            response_record(actor=officer, round=baseline, instrument="welfare",
                            values=welfare(kube, family, **bad), instance_id=str(uuid.uuid4()))  # fmt: skip
    assert Response.objects.count() == 0
