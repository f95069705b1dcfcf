"""KUBE success indicators (spec §8.1): each at its threshold, and the all-or-nothing verdict."""

from __future__ import annotations

import pytest

from berdaya.engine.evaluation.success import (
    INDICATOR_CODES,
    BasicNeedsFacts,
    CooperationFacts,
    ExpansionFacts,
    IncomeFacts,
    IndicatorResult,
    RegularityFacts,
    SkillsFacts,
    SocialDynamicsFacts,
    SolidarityFacts,
    SuccessFacts,
    SuccessThresholds,
    TrustFacts,
    basic_needs,
    cooperation,
    expansion,
    income,
    kube_verdict,
    regularity,
    skills,
    social_dynamics,
    solidarity,
    success_indicators,
    trusted,
)

GOOD = SuccessFacts(
    basic_needs=BasicNeedsFacts(0.40, 0.20),
    social_dynamics=SocialDynamicsFacts(0.75, 2.5, 2.75),
    skills=SkillsFacts(1.0, 0.70, 2.0, 2.5),
    cooperation=CooperationFacts(1, 3.0),
    trusted=TrustFacts(12, 12, True, 0.10, True),
    regularity=RegularityFacts(12, 12),
    expansion=ExpansionFacts(0.10, None, False),
    income=IncomeFacts(1_000_000, 1_100_000),
    solidarity=SolidarityFacts(2, 2, True),
)


def test_every_indicator_is_met_exactly_at_its_threshold():
    results = success_indicators(GOOD)
    assert [r.code for r in results] == list(INDICATOR_CODES)
    assert {r.code: r.met for r in results} == dict.fromkeys(INDICATOR_CODES, True)
    assert kube_verdict(results).successful


def test_basic_needs_is_met_at_twenty_percent_or_on_any_fall():
    assert basic_needs(BasicNeedsFacts(None, 0.20)).met is True
    assert basic_needs(BasicNeedsFacts(0.20, 0.21)).met is False
    assert basic_needs(BasicNeedsFacts(0.60, 0.50)).met is True
    assert basic_needs(BasicNeedsFacts(0.50, 0.50)).met is False
    assert basic_needs(BasicNeedsFacts(0.50, None)).met is None


def test_social_dynamics_needs_attendance_at_least_75_percent_and_participation_up():
    assert social_dynamics(SocialDynamicsFacts(0.7499, 2.0, 3.0)).met is False
    assert social_dynamics(SocialDynamicsFacts(0.75, 2.5, 2.5)).met is False  # a tie is not "up"
    assert social_dynamics(SocialDynamicsFacts(0.80, None, 3.0)).met is None
    # a known failure is not hidden behind missing data
    assert social_dynamics(SocialDynamicsFacts(0.50, None, None)).met is False


def test_skills_needs_a_training_a_quarter_reaching_70_percent_and_skills_up():
    assert skills(SkillsFacts(0.99, 0.9, 2.0, 3.0)).met is False
    assert skills(SkillsFacts(1.0, 0.69, 2.0, 3.0)).met is False
    assert skills(SkillsFacts(1.0, 0.70, 2.0, 2.01)).met is True


def test_cooperation_needs_a_partnership_and_items_at_least_three_of_four():
    assert cooperation(CooperationFacts(0, 4.0)).met is False
    assert cooperation(CooperationFacts(2, 2.99)).met is False
    assert cooperation(CooperationFacts(1, 3.0)).value == 1.0


def test_trusted_needs_books_every_month_the_aid_report_and_par30_at_most_ten_percent():
    assert trusted(TrustFacts(11, 12, True, 0.0, True)).met is False
    assert trusted(TrustFacts(12, 12, False, 0.0, True)).met is False
    assert trusted(TrustFacts(12, 12, True, 0.1001, True)).met is False
    assert trusted(TrustFacts(12, 12, True, None, False)).met is True  # no loans: nothing at risk
    assert trusted(TrustFacts(12, 12, True, None, None)).met is None
    assert trusted(TrustFacts(0, 0, True, 0.0, True)).met is None


def test_regular_needs_a_meeting_and_a_transaction_every_month():
    assert regularity(RegularityFacts(11, 12)).met is False
    assert regularity(RegularityFacts(None, 12)).met is None
    with pytest.raises(ValueError):
        regularity(RegularityFacts(13, 12))


def test_expansion_is_met_by_either_growth_or_something_new():
    assert expansion(ExpansionFacts(0.05, 0.10, False)).met is True
    assert expansion(ExpansionFacts(0.09, 0.09, True)).met is True
    assert expansion(ExpansionFacts(0.09, 0.09, False)).met is False
    assert expansion(ExpansionFacts(0.09, None, False)).met is None


def test_income_growth_of_exactly_ten_percent_is_met():
    assert income(IncomeFacts(1_000_000, 1_100_000)).met is True
    assert income(IncomeFacts(1_250_000, 1_375_000)).met is True
    assert income(IncomeFacts(1_000_000, 1_099_999)).met is False
    assert income(IncomeFacts(0, 500_000)).met is None


def test_solidarity_needs_iks_from_every_positive_surplus_used_or_kept():
    assert solidarity(SolidarityFacts(3, 2, True)).met is False
    assert solidarity(SolidarityFacts(3, 3, False)).met is False
    assert solidarity(SolidarityFacts(0, 0, True)).met is False  # no surplus yet: no fund raised


def test_one_indicator_short_is_not_successful_and_names_it():
    results = success_indicators(GOOD)
    results[5] = regularity(RegularityFacts(11, 12))
    verdict = kube_verdict(results)
    assert not verdict.successful
    assert verdict.unmet == ["G3_REGULAR"]
    assert verdict.missing == []
    assert len(verdict.met) == 8


def test_missing_data_is_listed_apart_and_keeps_the_verdict_from_success():
    results = [r for r in success_indicators(GOOD) if r.code != "G5_INCOME"]
    results.append(income(IncomeFacts(None, 1_000_000)))
    verdict = kube_verdict(results)
    assert not verdict.successful
    assert verdict.unmet == []
    assert verdict.missing == ["G5_INCOME"]


def test_an_indicator_left_out_counts_as_missing():
    verdict = kube_verdict(success_indicators(GOOD)[:-1])
    assert verdict.missing == ["G6_SOLIDARITY"]
    assert not verdict.successful


def test_the_verdict_refuses_unknown_and_repeated_codes():
    with pytest.raises(ValueError, match="unknown indicator"):
        kube_verdict([IndicatorResult("G7_FAME", True, 1.0, 1.0, "")])
    with pytest.raises(ValueError, match="twice"):
        kube_verdict(success_indicators(GOOD) + [success_indicators(GOOD)[0]])


def test_thresholds_are_settings():
    lenient = SuccessThresholds(attendance_min=0.6)
    assert social_dynamics(SocialDynamicsFacts(0.6, 2.0, 3.0), lenient).met is True
    with pytest.raises(ValueError, match="attendance_min"):
        SuccessThresholds(attendance_min=75)


def test_results_name_the_condition_that_failed():
    result = trusted(TrustFacts(12, 12, True, 0.25, True))
    assert result.condition("par30").met is False
    assert result.condition("books_share").met is True
    assert "PAR30" in result.reason
