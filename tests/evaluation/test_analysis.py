"""Baseline vs endline analysis: paired tests per indicator and difference in differences, checked against
SciPy and statsmodels run directly on the same numbers.

`build_world` (also used by the export and page tests) surveys four member families in each of two KUBEs
and six comparison families in a baseline and an endline round, with planned changes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.stats
import statsmodels.formula.api as smf
from statsmodels.stats.contingency_tables import mcnemar

from berdaya.core.models import Region
from berdaya.engine.evaluation.statistics import paired_binary, paired_continuous
from berdaya.evaluation.analysis import round_comparison
from berdaya.evaluation.models import KubeScore, Round
from berdaya.evaluation.services import response_record, round_create, round_score
from berdaya.kube.models import Kube, KubeState
from berdaya.registry.models import Family
from tests.factories import make_family, make_kube

pytestmark = pytest.mark.django_db

OTHER_VILLAGE = "61.71.04.1002"
# Member families (in family-id order): monthly income and household size, baseline -> endline.
MEMBER_INCOME = [
    (1_200_000, 1_900_000), (2_000_000, 2_600_000), (900_000, 1_500_000), (2_500_000, 2_400_000),
    (1_500_000, 2_700_000), (1_800_000, 1_800_000), (1_000_000, 2_200_000), (3_000_000, 3_500_000),
]  # fmt: skip
MEMBER_SIZE = [4, 3, 5, 4, 4, 3, 5, 4]
# Food: 1 = ran short of food in the last month.
MEMBER_FOOD_SHORT = [(1, 0), (1, 0), (1, 1), (0, 0), (1, 0), (0, 1), (1, 0), (0, 0)]
# Clothing: 1 = could not buy every member new clothes this year (with food and income: poor at k = 1/3).
MEMBER_NO_CLOTHES = [(0, 0), (0, 0), (1, 0), (0, 0), (1, 1), (0, 0), (1, 0), (0, 0)]
# Empowerment: every Likert item of a member at this value, baseline -> endline.
MEMBER_LIKERT = [(2, 3), (2, 4), (3, 3), (1, 3), (2, 2), (3, 4), (2, 3), (4, 3)]
COMPARISON_INCOME = [
    (1_100_000, 1_300_000), (1_600_000, 1_500_000), (1_300_000, 1_600_000),
    (2_000_000, 2_100_000), (900_000, 1_200_000), (1_700_000, 1_700_000),
]  # fmt: skip
COMPARISON_SIZE = [4, 4, 3, 5, 4, 3]


@dataclass
class World:
    baseline: Round
    endline: Round
    kubes: list[Kube]
    members: list[Family]
    comparison: list[Family]


def welfare_values(
    *, family, kube=None, income, size, food_short=0, no_clothes=0, when=dt.date(2025, 3, 10), round="baseline"
):
    values = {
        "sample": "pembanding" if kube is None else "anggota", "family_id": family.pk, "round": round,
        "survey_date": when, "consent": 1, "income_month": income, "household_size": size, "meals_per_day": 3,
        "food_shortage_month": food_short, "protein_week": 1, "new_clothes_year": 1 - no_clothes,
        "floor_material": "semen", "wall_material": "tembok", "roof_material": "seng", "floor_area": 60,
        "sick_untreated": 0, "health_insurance": 1, "children_7_15": 1, "children_not_school": 0, "worship_able": 1,
        "community_activity_3m": 1, "community_activity_types": ["gotong_royong", "arisan"],
    }  # fmt: skip
    if kube is not None:
        values["kube_id"] = kube.pk
    return values


def empowerment_values(*, family, kube, level, instrument, when=dt.date(2025, 3, 10), round="baseline"):
    values = {"kube_id": kube.pk, "family_id": family.pk, "round": round, "survey_date": when, "consent": 1}
    values.update({item.code: level for item in instrument.answer_items})
    return values


def build_world(officer) -> World:
    from berdaya.engine.evaluation.instruments import load_instrument

    kubes = [
        make_kube(name="KUBE Jagung Manis 8", size=5, state=KubeState.ACTIVE),
        make_kube(name="KUBE Anggrek 6", size=5, state=KubeState.ACTIVE),
    ]
    comparison = [make_family() for _ in range(3)] + [make_family(region=OTHER_VILLAGE) for _ in range(3)]
    city = Region.objects.get(code="61.71")
    baseline = round_create(actor=officer, name="Awal 2025", kind="baseline", region=city,
                            start_on=dt.date(2025, 3, 1), end_on=dt.date(2025, 3, 31), kubes=kubes)  # fmt: skip
    endline = round_create(actor=officer, name="Akhir 2026", kind="endline", region=city, baseline=baseline,
                           start_on=dt.date(2026, 3, 1), end_on=dt.date(2026, 3, 31), kubes=kubes)  # fmt: skip
    # Four of each KUBE's five member families are surveyed (the fifth was away both times).
    members = sorted(
        (m.family for kube in kubes for m in kube.memberships.select_related("family").order_by("family_id")[:4]),
        key=lambda f: f.pk,
    )
    kube_of = {m.family_id: m.kube for kube in kubes for m in kube.memberships.select_related("kube")}
    empowerment = load_instrument("empowerment")
    for phase, round_, when in ((0, baseline, dt.date(2025, 3, 10)), (1, endline, dt.date(2026, 3, 10))):
        for i, family in enumerate(members):
            values = welfare_values(
                family=family, kube=kube_of[family.pk], income=MEMBER_INCOME[i][phase], size=MEMBER_SIZE[i],
                food_short=MEMBER_FOOD_SHORT[i][phase], no_clothes=MEMBER_NO_CLOTHES[i][phase], when=when,
                round=round_.kind,
            )  # fmt: skip
            response_record(actor=officer, round=round_, instrument="welfare", values=values,
                            instance_id=str(uuid.uuid4()))  # fmt: skip
            values = empowerment_values(family=family, kube=kube_of[family.pk], level=MEMBER_LIKERT[i][phase],
                                        instrument=empowerment, when=when, round=round_.kind)  # fmt: skip
            response_record(actor=officer, round=round_, instrument="empowerment", values=values,
                            instance_id=str(uuid.uuid4()))  # fmt: skip
        for i, family in enumerate(comparison):
            values = welfare_values(family=family, income=COMPARISON_INCOME[i][phase], size=COMPARISON_SIZE[i],
                                    when=when, round=round_.kind)  # fmt: skip
            response_record(actor=officer, round=round_, instrument="welfare", values=values,
                            instance_id=str(uuid.uuid4()))  # fmt: skip
        round_score(actor=officer, round=round_)
    return World(baseline=baseline, endline=endline, kubes=kubes, members=members, comparison=comparison)


@pytest.fixture
def world(officer):
    return build_world(officer)


@pytest.fixture
def comparison(world):
    return round_comparison(world.endline)


def row(comparison, code):
    return next(r for r in comparison.rows if r.code == code)


def per_capita(incomes, sizes, phase):
    return np.array([income[phase] / size for income, size in zip(incomes, sizes, strict=True)])


def test_every_member_family_is_paired(comparison):
    assert comparison.pairs == {"welfare": 8, "empowerment": 8, "kube": 2}
    assert comparison.comparison_families["welfare"] == 6


def test_income_per_capita_is_wilcoxon_on_the_paired_differences(comparison):
    before, after = per_capita(MEMBER_INCOME, MEMBER_SIZE, 0), per_capita(MEMBER_INCOME, MEMBER_SIZE, 1)
    found = row(comparison, "income_pc")
    expected = scipy.stats.wilcoxon(after - before, zero_method="wilcox")
    assert found.test.startswith("Wilcoxon") and found.n == 8
    assert found.p_value == pytest.approx(expected.pvalue)
    assert found.baseline == pytest.approx(before.mean()) and found.endline == pytest.approx(after.mean())
    assert found.difference == pytest.approx((after - before).mean())
    interval = scipy.stats.ttest_rel(after, before).confidence_interval(0.95)
    assert found.ci == pytest.approx((interval.low, interval.high))
    assert found.effect_size == pytest.approx(paired_continuous(before, after).effect_size)
    assert found.improved is True


def test_food_deprivation_is_mcnemar_on_the_paired_table(comparison):
    before = np.array([b for b, _a in MEMBER_FOOD_SHORT])
    after = np.array([a for _b, a in MEMBER_FOOD_SHORT])
    table = [[int(np.sum((before == i) & (after == j))) for j in (0, 1)] for i in (0, 1)]
    found = row(comparison, "dep_food")
    assert found.test == "McNemar eksak" and found.n == 8
    assert found.p_value == pytest.approx(mcnemar(np.array(table), exact=True).pvalue)
    assert (found.baseline, found.endline) == (pytest.approx(before.mean()), pytest.approx(after.mean()))
    assert found.difference == pytest.approx(after.mean() - before.mean())
    assert found.effect_size == pytest.approx(table[0][1] / table[1][0])
    assert found.improved is True  # fewer families short of food


def test_empowerment_indicators_and_the_80_percent_rule_are_paired(comparison):
    before = np.array([float(b) for b, _a in MEMBER_LIKERT])
    after = np.array([float(a) for _b, a in MEMBER_LIKERT])
    indicator = row(comparison, "ind_to_econ")
    assert indicator.p_value == pytest.approx(scipy.stats.wilcoxon(after - before).pvalue)
    assert indicator.difference == pytest.approx((after - before).mean())
    overall = row(comparison, "score_overall")
    assert overall.difference == pytest.approx(((after - 1) / 3 * 100 - (before - 1) / 3 * 100).mean())
    empowered = row(comparison, "empowered")
    expected = paired_binary(before >= 3, after >= 3)
    assert empowered.p_value == pytest.approx(expected.p_value)
    assert (empowered.baseline, empowered.endline) == (expected.proportion_before, expected.proportion_after)


def test_group_indicators_are_paired_over_the_kubes(world, comparison):
    rows = {r.code: r for r in comparison.section("kube")}
    assert "successful" in rows
    for code, found in rows.items():
        before, after = [], []
        for kube in world.kubes:
            scores = [KubeScore.objects.get(round=r, kube=kube) for r in (world.baseline, world.endline)]
            met = [s.successful if code == "successful" else s.indicators[code]["met"] for s in scores]
            before.append(np.nan if met[0] is None else float(met[0]))
            after.append(np.nan if met[1] is None else float(met[1]))
        expected = paired_binary(before, after)
        assert (found.n, found.p_value, found.difference) == (expected.n, expected.p_value, expected.difference)
    judged_once = {n.split(":")[0] for n in comparison.notes}
    assert judged_once.isdisjoint(rows)  # an indicator never judged in both rounds is a note, not a row


def test_did_equals_the_difference_of_the_four_means(comparison):
    found = next(r for r in comparison.did_rows if r.code == "income_pc")
    members = per_capita(MEMBER_INCOME, MEMBER_SIZE, 1) - per_capita(MEMBER_INCOME, MEMBER_SIZE, 0)
    others = per_capita(COMPARISON_INCOME, COMPARISON_SIZE, 1) - per_capita(COMPARISON_INCOME, COMPARISON_SIZE, 0)
    assert found.estimate == pytest.approx(members.mean() - others.mean())
    assert found.n == 28 and found.n_clusters == 4  # two KUBEs, two kelurahan of comparison families
    assert found.covariance == "cluster"


def test_did_matches_statsmodels_run_directly(comparison):
    import pandas as pd

    y, treated, post, cluster = [], [], [], []
    for phase in (0, 1):
        y += list(per_capita(MEMBER_INCOME, MEMBER_SIZE, phase)) + list(
            per_capita(COMPARISON_INCOME, COMPARISON_SIZE, phase)
        )
        treated += [1] * 8 + [0] * 6
        post += [phase] * 14
    frame = pd.DataFrame({"y": y, "treated": treated, "post": post})
    fit = smf.ols("y ~ treated + post + treated:post", data=frame).fit()
    found = next(r for r in comparison.did_rows if r.code == "income_pc")
    assert found.estimate == pytest.approx(fit.params["treated:post"])
    del cluster


def test_a_baseline_round_has_nothing_to_compare(world):
    result = round_comparison(world.baseline)
    assert result.baseline_id is None and result.rows == ()
