"""The demo's evaluation (spec §8, §10): a baseline and an endline round, answered by every member family
and a comparison group, scored, with a strengthening plan.

The demo is built once for the module (it is slow), and a second time with the same seed to show the
answers come out identical; both builds are rolled back afterwards.
"""

from __future__ import annotations

import hashlib
import statistics

import pytest

from berdaya.evaluation.models import KubeScore, PlanAction, Response, Round
from berdaya.kube.models import Kube, Membership
from tests.demo.conftest import demo_built_twice

pytestmark = pytest.mark.django_db

BASELINE, ENDLINE = "Survei awal 2025", "Survei akhir 2026"
PONTIANAK_KOTA = "61.71.05."


def evaluation_digest() -> str:
    """Every answer and score, named by round, KUBE and No KK rather than by database id."""
    rows = Response.objects.values_list(
        "round__name", "instrument", "kube__name", "family__no_kk", "comparison", "collected_on", "source", "answers"
    )
    responses = [
        (*row[:7], sorted((k, v) for k, v in row[7].items() if k not in ("kube_id", "family_id"))) for row in rows
    ]
    scores = list(
        KubeScore.objects.order_by("round__name", "kube__name").values_list(
            "round__name", "kube__name", "successful", "unmet", "missing", "maturity"
        )
    )
    return hashlib.sha256(repr((sorted(responses, key=repr), scores)).encode()).hexdigest()


@pytest.fixture(scope="module")
def first_digest(django_db_setup, django_db_blocker, kalbar_regions_csv):
    yield from demo_built_twice(django_db_blocker, kalbar_regions_csv, evaluation_digest)


@pytest.fixture
def rounds(first_digest):
    return Round.objects.get(name=BASELINE), Round.objects.get(name=ENDLINE)


def incomes(round_: Round, *, comparison: bool) -> dict[int, int]:
    answers = Response.objects.filter(round=round_, instrument="welfare", comparison=comparison)
    return {family: a["income_month"] for family, a in answers.values_list("family", "answers")}


def test_an_endline_follows_a_baseline_over_the_funded_kubes_of_the_city(rounds):
    baseline, endline = rounds
    assert (baseline.kind, endline.kind, endline.baseline) == ("baseline", "endline", baseline)
    assert baseline.region_id == endline.region_id == "61.71"
    early, later = set(baseline.kubes.all()), set(endline.kubes.all())
    assert len(early) >= 20 and early < later  # groups funded after the baseline only appear at the endline
    for kube in later - early:
        assert kube.aid.order_by("paid_on").first().paid_on >= baseline.start_on


def test_every_member_family_answers_both_surveys_and_every_group_is_assessed(rounds):
    for round_ in rounds:
        kubes = list(round_.kubes.all())
        members = set(Membership.objects.filter(kube__in=kubes).values_list("family", flat=True))
        answers = Response.objects.filter(round=round_, comparison=False, source="demo")
        for instrument in ("welfare", "empowerment"):
            assert set(answers.filter(instrument=instrument).values_list("family", flat=True)) == members
        assessed = answers.filter(instrument="group_assessment").values_list("kube", flat=True)
        assert sorted(assessed) == sorted(k.pk for k in kubes)


def test_about_thirty_comparison_families_outside_any_kube_answer_the_welfare_survey_twice(rounds):
    baseline, endline = rounds
    first, second = incomes(baseline, comparison=True), incomes(endline, comparison=True)
    assert 25 <= len(first) <= 30 and set(first) == set(second)
    assert not Membership.objects.filter(family__in=first).exists()
    answers = Response.objects.filter(comparison=True)
    assert set(answers.values_list("instrument", flat=True)) == {"welfare"}
    assert not answers.filter(kube__isnull=False).exists()
    assert all(a["sample"] == "pembanding" and "kube_id" not in a for a in answers.values_list("answers", flat=True))


def test_every_round_kube_is_scored_in_both_rounds_with_a_plan_for_what_is_unmet(rounds):
    for round_ in rounds:
        scored = set(KubeScore.objects.filter(round=round_).values_list("kube", flat=True))
        assert scored == set(round_.kubes.values_list("pk", flat=True))
        for score in KubeScore.objects.filter(round=round_, successful=False):
            assert PlanAction.objects.filter(round=round_, kube=score.kube).exists(), score.kube.name


def test_member_incomes_rise_more_than_the_comparison_groups(rounds):
    baseline, endline = rounds
    before, after = incomes(baseline, comparison=False), incomes(endline, comparison=False)
    paired = sorted(set(before) & set(after))
    assert len(paired) >= 200
    member_change = statistics.median(after[f] for f in paired) / statistics.median(before[f] for f in paired) - 1
    comparison_before, comparison_after = incomes(baseline, comparison=True), incomes(endline, comparison=True)
    families = sorted(comparison_before)
    comparison_change = sum(comparison_after[f] for f in families) / sum(comparison_before[f] for f in families) - 1
    assert 0.05 <= member_change <= 0.25
    assert 0.0 < comparison_change < member_change  # a positive difference in differences


def test_struggling_groups_gain_little_while_healthy_ones_gain_more(rounds):
    baseline, endline = rounds
    before, after = incomes(baseline, comparison=False), incomes(endline, comparison=False)
    changes = {}
    for kube in baseline.kubes.all():
        families = [f for f in kube.memberships.values_list("family", flat=True) if f in before and f in after]
        changes[kube.name] = statistics.median(after[f] / before[f] - 1 for f in families)
    assert min(changes.values()) < 0.03 < 0.10 < max(changes.values())
    assert changes["KUBE Jagung Manis 8"] >= 0.10


def test_some_kubes_are_not_yet_successful_and_jagung_manis_8_is_successful(rounds):
    _baseline, endline = rounds
    scores = KubeScore.objects.filter(round=endline)
    assert scores.filter(successful=False).count() >= 3
    corn = scores.get(kube__name="KUBE Jagung Manis 8")
    # The demo's trainings (kubes._trainings) reach one member of eight groups four times in 18 months,
    # far from S3's "a training every quarter reaching 70 % of members": that is all that keeps it back.
    assert corn.missing == [] and corn.unmet == [] and corn.successful


def test_only_kubes_with_a_pendamping_are_successful_at_the_endline(rounds):
    successful = KubeScore.objects.filter(round=rounds[1], successful=True)
    assert successful.count() >= 3
    assert all(code.startswith("61.71.04.") for code in successful.values_list("kube__region_id", flat=True))


def test_the_kubes_of_pontianak_kota_are_told_they_need_a_pendamping(rounds):
    _baseline, endline = rounds
    actions = PlanAction.objects.filter(round=endline, cause__contains="no_facilitator_in_kecamatan")
    kubes = set(actions.values_list("kube__region_id", flat=True))
    assert kubes and all(code.startswith(PONTIANAK_KOTA) for code in kubes)
    assert actions.filter(rule="assign_facilitator", owner="dinas").exists()
    staffed = Kube.objects.filter(region__code__startswith="61.71.04.", plan_actions__round=endline)
    assert staffed.exists() and not actions.filter(kube__in=staffed).exists()


def test_the_same_seed_gives_identical_answers_and_scores(first_digest):
    assert evaluation_digest() == first_digest
