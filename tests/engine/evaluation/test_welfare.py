"""Welfare (spec §8.3): each dimension's deprivation rule at its threshold, then AF H, A, M0 by region."""

from __future__ import annotations

from dataclasses import replace

import pytest

from berdaya.engine.evaluation.alkire_foster import AlkireFosterError
from berdaya.engine.evaluation.welfare import (
    DEPRIVATION_RULES,
    DIMENSIONS,
    HouseholdAnswers,
    WelfareError,
    WelfareOptions,
    household_deprivations,
    welfare_index,
)

LINE = 600_000  # rupiah per capita per month, for these tests
OPTIONS = WelfareOptions(poverty_line=LINE)

# Four people, income at exactly the line, 32 m² (exactly 8 m² per person): deprived in nothing.
WELL = HouseholdAnswers(
    income_per_month=4 * LINE,
    household_size=4,
    meals_per_day=2,
    food_insecure=False,
    new_clothes_yearly=True,
    floor_poor=False,
    wall_poor=False,
    roof_poor=False,
    floor_area_m2=32,
    sick_untreated=False,
    child_out_of_school=False,
    religious_unable=False,
    community_participation=True,
)


def deprived_in(household, options=OPTIONS):
    row = household_deprivations([household], options=options)[0]
    return [name for name, value in zip(DIMENSIONS, row, strict=True) if value == 1]


def test_a_household_at_every_threshold_is_deprived_in_nothing():
    assert deprived_in(WELL) == []


@pytest.mark.parametrize(
    ("change", "dimension"),
    [
        ({"income_per_month": 4 * LINE - 1}, "INCOME"),
        ({"household_size": 5}, "INCOME"),  # same income, one more mouth
        ({"meals_per_day": 1}, "FOOD"),
        ({"food_insecure": True}, "FOOD"),
        ({"new_clothes_yearly": False}, "CLOTHING"),
        ({"floor_poor": True}, "HOUSING"),
        ({"wall_poor": True}, "HOUSING"),
        ({"roof_poor": True}, "HOUSING"),
        ({"floor_area_m2": 31.9}, "HOUSING"),
        ({"sick_untreated": True}, "HEALTH"),
        ({"child_out_of_school": True}, "EDUCATION"),
        ({"religious_unable": True}, "RELIGIOUS"),
        ({"community_participation": False}, "SOCIAL"),
    ],
)
def test_each_rule_deprives_just_past_its_threshold(change, dimension):
    household = replace(WELL, **change)
    expected = ["INCOME", "HOUSING"] if "household_size" in change else [dimension]
    assert deprived_in(household) == expected


def test_the_rules_are_documented_with_their_thresholds():
    assert set(DEPRIVATION_RULES) == set(DIMENSIONS)
    assert "Rp600.000" in OPTIONS.rule_text("INCOME")
    assert "8 m²" in OPTIONS.rule_text("HOUSING")
    assert "2 kali" in OPTIONS.rule_text("FOOD")


def poor_in(*dimensions, ref=""):
    return replace(WELL, ref=ref, **{_CHANGE[d][0]: _CHANGE[d][1] for d in dimensions})


_CHANGE = {
    "INCOME": ("income_per_month", 0),
    "FOOD": ("meals_per_day", 1),
    "CLOTHING": ("new_clothes_yearly", False),
    "HEALTH": ("sick_untreated", True),
    "EDUCATION": ("child_out_of_school", True),
    "SOCIAL": ("community_participation", False),
}


def test_h_a_m0_with_the_default_k_of_one_third():
    households = [
        poor_in("INCOME", "FOOD", "CLOTHING"),  # 3/8 = 0.375 ≥ 1/3 → poor
        poor_in("INCOME", "FOOD"),  # 2/8 = 0.25 < 1/3 → not poor (censored)
        poor_in("INCOME", "FOOD", "CLOTHING", "HEALTH", "EDUCATION", "SOCIAL"),  # 6/8 → poor
        poor_in(),  # 0
    ]
    result = welfare_index(households, options=OPTIONS)
    # H = 2/4; A = (3/8 + 6/8) / 2 = 9/16; M0 = 9/32.
    assert pytest.approx((0.5, 9 / 16, 9 / 32)) == (result.H, result.A, result.M0)
    by_dimension = result.by_dimension()
    assert by_dimension["INCOME"]["headcount"] == pytest.approx(3 / 4)
    assert by_dimension["INCOME"]["censored_headcount"] == pytest.approx(2 / 4)
    assert by_dimension["HEALTH"]["censored_headcount"] == pytest.approx(1 / 4)
    assert sum(d["absolute_contribution"] for d in by_dimension.values()) == pytest.approx(result.M0)
    assert sum(d["contribution"] for d in by_dimension.values()) == pytest.approx(1)


def test_a_score_exactly_at_k_is_poor():
    households = [poor_in("INCOME", "FOOD"), poor_in("INCOME")]
    result = welfare_index(households, options=replace(OPTIONS, k=0.25))  # 2/8 = 0.25 exactly
    assert result.af.poor.tolist() == [True, False]


def test_region_decomposition_sums_to_the_total():
    households = [
        poor_in("INCOME", "FOOD", "CLOTHING"),
        poor_in("INCOME", "FOOD", "CLOTHING", "HEALTH"),
        poor_in(),
        poor_in("SOCIAL"),
        poor_in("INCOME", "FOOD", "CLOTHING", "HEALTH", "EDUCATION", "SOCIAL"),
    ]
    regions = ["617101", "617101", "617102", "617102", "617103"]
    result = welfare_index(households, options=OPTIONS, regions=regions)
    assert result.by_region is not None
    parts = {g.label: g for g in result.by_region.groups}
    # 617101: both poor, A = (3/8 + 4/8)/2 = 7/16; 617102: nobody; 617103: 6/8.
    assert pytest.approx(7 / 16) == parts["617101"].result.M0
    assert parts["617102"].result.M0 == 0
    assert pytest.approx(6 / 8) == parts["617103"].result.M0
    assert sum(g.share * g.result.M0 for g in parts.values()) == pytest.approx(result.M0)
    # (2/5)(7/16) + (1/5)(6/8) = 0.175 + 0.15 = 0.325
    assert pytest.approx(0.325) == result.M0


def test_custom_weights_change_who_is_poor():
    income_heavy = WelfareOptions(poverty_line=LINE, weights=(5, 1, 1, 1, 1, 1, 1, 1))  # income = 5/12
    result = welfare_index([poor_in("INCOME"), poor_in("FOOD")], options=income_heavy)
    assert result.af.poor.tolist() == [True, False]
    with pytest.raises(AlkireFosterError):
        welfare_index([WELL], options=WelfareOptions(weights=(1, 1)))


def test_a_missing_answer_is_refused_naming_household_and_answer():
    households = [WELL, replace(WELL, meals_per_day=None, ref="RT-7")]
    with pytest.raises(WelfareError) as error:
        welfare_index(households, options=OPTIONS)
    assert error.value.code == "missing"
    assert error.value.params["answer"] == "meals_per_day" and error.value.params["dimension"] == "FOOD"
    assert "RT-7" in str(error.value)


def test_missing_answers_can_be_dropped_and_regions_still_line_up():
    households = [poor_in("INCOME", "FOOD", "CLOTHING"), replace(WELL, sick_untreated=None), WELL]
    result = welfare_index(households, options=OPTIONS, regions=["a", "b", "b"], drop_missing=True)
    assert result.af.kept.tolist() == [True, False, True]
    assert result.af.n == 2 and pytest.approx(0.5) == result.H
    assert [g.result.n for g in result.by_region.groups] == [1, 1]
    with pytest.raises(WelfareError) as error:
        welfare_index([replace(WELL, roof_poor=None)], options=OPTIONS, drop_missing=True)
    assert error.value.code == "all_dropped"


def test_impossible_answers_and_settings_are_refused():
    with pytest.raises(WelfareError) as error:
        household_deprivations([replace(WELL, household_size=0)])
    assert error.value.code == "household_size"
    with pytest.raises(WelfareError) as error:
        household_deprivations([replace(WELL, income_per_month=-1)])
    assert error.value.code == "negative"
    with pytest.raises(WelfareError):
        WelfareOptions(poverty_line=0)
    with pytest.raises(WelfareError):
        welfare_index([])
