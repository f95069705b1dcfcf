"""Maturity stages (spec §8.4): PENUMBUHAN, PENGEMBANGAN, MANDIRI."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.engine.evaluation.maturity import MaturityThresholds, Stage, active_years_reached, maturity_stage
from berdaya.engine.evaluation.success import INDICATOR_CODES, Verdict

SINCE = dt.date(2024, 3, 1)


def verdict(met: int) -> Verdict:
    codes = list(INDICATOR_CODES)
    return Verdict(successful=met == len(codes), unmet=codes[met:], missing=[], met=codes[:met])


def test_a_group_without_rounds_is_growing():
    result = maturity_stage(SINCE, dt.date(2027, 1, 1), [])
    assert result.stage is Stage.PENUMBUHAN


def test_two_years_counts_from_the_anniversary_day():
    assert active_years_reached(SINCE, dt.date(2026, 3, 1), 2)
    assert not active_years_reached(SINCE, dt.date(2026, 2, 28), 2)
    assert active_years_reached(dt.date(2024, 2, 29), dt.date(2026, 2, 28), 2)


def test_at_least_half_met_after_two_years_is_development():
    result = maturity_stage(SINCE, dt.date(2026, 3, 1), [verdict(5)])
    assert result.stage is Stage.PENGEMBANGAN
    assert (result.latest_met, result.latest_total) == (5, 9)


def test_under_half_met_stays_growing():
    result = maturity_stage(SINCE, dt.date(2027, 3, 1), [verdict(9), verdict(4)])
    assert result.stage is Stage.PENUMBUHAN
    assert "4 dari 9" in result.reason


def test_a_young_group_stays_growing_however_well_it_does_in_one_round():
    result = maturity_stage(SINCE, dt.date(2026, 2, 28), [verdict(8)])
    assert result.stage is Stage.PENUMBUHAN
    assert not result.active_enough


def test_all_met_in_the_two_latest_rounds_is_self_reliant():
    assert maturity_stage(SINCE, dt.date(2026, 6, 1), [verdict(3), verdict(9), verdict(9)]).stage is Stage.MANDIRI


def test_all_met_in_rounds_that_are_not_consecutive_is_not_self_reliant():
    stage = maturity_stage(SINCE, dt.date(2026, 6, 1), [verdict(9), verdict(8), verdict(9)]).stage
    assert stage is Stage.PENGEMBANGAN


def test_a_failed_latest_round_drops_a_self_reliant_group_back():
    stage = maturity_stage(SINCE, dt.date(2027, 6, 1), [verdict(9), verdict(9), verdict(2)]).stage
    assert stage is Stage.PENUMBUHAN


def test_a_verdict_without_its_met_list_is_read_against_the_nine_codes():
    short = Verdict(successful=False, unmet=["G3_REGULAR"], missing=["G5_INCOME"])
    result = maturity_stage(SINCE, dt.date(2026, 6, 1), [short])
    assert (result.latest_met, result.latest_total) == (7, 9)


def test_thresholds_are_settings_and_dates_are_checked():
    result = maturity_stage(SINCE, dt.date(2025, 3, 1), [verdict(5)], MaturityThresholds(min_active_years=1))
    assert result.stage is Stage.PENGEMBANGAN
    with pytest.raises(ValueError):
        maturity_stage(SINCE, dt.date(2024, 2, 1), [])
