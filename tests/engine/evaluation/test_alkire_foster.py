"""Alkire–Foster on a hand-worked example, at the edge of k, by subgroup, and for every input (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from berdaya.engine.evaluation.alkire_foster import (
    SCORE_TOLERANCE,
    AlkireFosterError,
    af_decompose,
    alkire_foster,
    deprivation_matrix,
    normalize_weights,
)

INDICATORS = ("income", "school", "water", "health")
# Raw weights 2:1:1:1, normalised to w = (0.4, 0.2, 0.2, 0.2).
WEIGHTS = (2, 1, 1, 1)

# g_ij, one row per person:                    score c_i = Σ w_j g_ij
DEPRIVED = np.array(
    [
        [1, 0, 0, 0],  # P1: 0.4                  = 0.4  → poor (exactly k)
        [0, 1, 1, 0],  # P2: 0.2 + 0.2            = 0.4  → poor (exactly k)
        [0, 0, 0, 1],  # P3: 0.2                  < 0.4  → not poor; health deprivation censored
        [1, 1, 1, 1],  # P4: 0.4 + 0.2 + 0.2 + 0.2 = 1.0  → poor
        [0, 0, 0, 0],  # P5: 0                     → not poor
    ]
)
K = 0.4
# The same people as achievements against cut-offs (deprived when strictly below):
#   income per capita < 500 (P3's 500 is *at* the cut-off: not deprived), years of school < 6,
#   safe water 0/1 < 1, treated when sick 0/1 < 1.
CUTOFFS = (500, 6, 1, 1)
ACHIEVEMENTS = np.array(
    [
        [300, 9, 1, 1],
        [800, 4, 0, 1],
        [500, 6, 1, 0],
        [100, 0, 0, 0],
        [900, 12, 1, 1],
    ]
)


@pytest.fixture
def example():
    return alkire_foster(DEPRIVED, k=K, weights=WEIGHTS, indicators=INDICATORS)


def test_it_identifies_the_poor_with_k_counting_a_score_equal_to_k(example):
    assert example.score.tolist() == pytest.approx([0.4, 0.4, 0.2, 1.0, 0.0])
    assert example.poor.tolist() == [True, True, False, True, False]
    assert example.q == 3


def test_it_computes_h_a_and_m0_by_hand(example):
    # H = q / n = 3 / 5; A = (0.4 + 0.4 + 1.0) / 3 = 0.6; M0 = H × A = 0.36.
    assert example.n == 5
    assert pytest.approx(0.6) == example.H
    assert pytest.approx(0.6) == example.A
    assert pytest.approx(0.36) == example.M0


def test_it_censors_the_deprivations_of_the_non_poor(example):
    # Health: P3 and P4 are deprived (2/5 = 0.4) but P3 is not poor, so only P4 counts (1/5 = 0.2).
    assert example.uncensored_headcount == pytest.approx((0.4, 0.4, 0.4, 0.4))
    assert example.censored_headcount == pytest.approx((0.4, 0.4, 0.4, 0.2))
    assert example.censored_deprivations[2].tolist() == [False, False, False, False]


def test_contributions_sum_to_m0_and_to_one(example):
    # Absolute w_j h_j: 0.4×0.4, 0.2×0.4, 0.2×0.4, 0.2×0.2 = 0.16 + 0.08 + 0.08 + 0.04 = 0.36 = M0.
    assert example.absolute_contribution == pytest.approx((0.16, 0.08, 0.08, 0.04))
    assert sum(example.absolute_contribution) == pytest.approx(example.M0)
    # Relative: 0.16/0.36 = 4/9, 2/9, 2/9, 1/9.
    assert example.contribution == pytest.approx((4 / 9, 2 / 9, 2 / 9, 1 / 9))
    assert sum(example.contribution) == pytest.approx(1.0)
    assert example.weights == pytest.approx((0.4, 0.2, 0.2, 0.2))
    assert example.indicators == INDICATORS


def test_a_score_equal_to_k_counts_even_when_floats_disagree_in_the_last_digit():
    # A k computed elsewhere may land one float step above 0.4; P1 and P2 (score 0.4) still count.
    k = float(np.nextafter(0.4, 1.0))
    assert k > 0.4
    result = alkire_foster(DEPRIVED, k=k, weights=WEIGHTS)
    assert result.q == 3
    # Thirds: deprived in 1 of 3 equally weighted indicators against k = 1/3.
    thirds = alkire_foster([[1, 0, 0], [0, 0, 0]], k=1 / 3)
    assert thirds.poor.tolist() == [True, False]
    # k = 1 needs every indicator, and a full score that sums to 0.9999999999999999 still reaches it.
    assert sum([0.1] * 10) < 1.0
    tenths = alkire_foster([[1] * 10, [1] * 9 + [0]], k=1.0, weights=[0.1] * 10)
    assert tenths.poor.tolist() == [True, False]


def test_a_score_just_below_k_is_not_poor():
    result = alkire_foster(DEPRIVED, k=0.4 + 10 * SCORE_TOLERANCE, weights=WEIGHTS)
    assert result.poor.tolist() == [False, False, False, True, False]
    assert pytest.approx(0.2) == result.H and pytest.approx(1.0) == result.A


def test_strict_identification_needs_a_score_above_k():
    result = alkire_foster(DEPRIVED, k=K, weights=WEIGHTS, strict=True)
    assert result.poor.tolist() == [False, False, False, True, False]
    assert alkire_foster(DEPRIVED, k=0, weights=WEIGHTS, strict=True).q == 4


def test_cutoffs_and_zero_one_mode_give_the_same_result(example):
    assert deprivation_matrix(ACHIEVEMENTS, CUTOFFS).astype(int).tolist() == DEPRIVED.tolist()
    from_achievements = alkire_foster(ACHIEVEMENTS, k=K, weights=WEIGHTS, cutoffs=CUTOFFS, indicators=INDICATORS)
    assert from_achievements == example
    assert from_achievements.score.tolist() == example.score.tolist()


def test_subgroups_decompose_the_total():
    total = alkire_foster(DEPRIVED, k=K, weights=WEIGHTS)
    parts = af_decompose(total, ["A", "A", "B", "B", "B"])
    a, b = parts.group("A"), parts.group("B")
    # A = {P1, P2}: both poor at 0.4 → H = 1, A = 0.4, M0 = 0.4; share 2/5.
    assert (a.share, a.result.H, a.result.A, a.result.M0) == pytest.approx((0.4, 1.0, 0.4, 0.4))
    # B = {P3, P4, P5}: only P4, at 1.0 → H = 1/3, A = 1, M0 = 1/3; share 3/5.
    assert (b.share, b.result.H, b.result.A, b.result.M0) == pytest.approx((0.6, 1 / 3, 1.0, 1 / 3))
    # 0.4 × 0.4 + 0.6 × 1/3 = 0.16 + 0.20 = 0.36 = M0; contributions 0.16/0.36 and 0.2/0.36.
    assert a.share * a.result.M0 + b.share * b.result.M0 == pytest.approx(total.M0)
    assert (a.contribution, b.contribution) == pytest.approx((4 / 9, 5 / 9))
    for j in range(4):
        combined = a.share * a.result.censored_headcount[j] + b.share * b.result.censored_headcount[j]
        assert combined == pytest.approx(total.censored_headcount[j])
    with pytest.raises(KeyError):
        parts.group("C")


def test_it_refuses_missing_values_naming_person_and_indicator():
    matrix = ACHIEVEMENTS.astype(float)
    matrix[2, 1] = np.nan
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster(matrix, k=K, weights=WEIGHTS, cutoffs=CUTOFFS, indicators=INDICATORS)
    assert error.value.code == "missing"
    assert error.value.params["row"] == 2 and error.value.params["indicator"] == "school"
    assert "orang ke-3" in str(error.value)


def test_it_drops_persons_with_missing_values_when_asked_and_groups_still_line_up():
    matrix = ACHIEVEMENTS.astype(float)
    matrix[2, 1] = np.nan  # P3, the censored one
    result = alkire_foster(matrix, k=K, weights=WEIGHTS, cutoffs=CUTOFFS, drop_missing=True)
    assert result.kept.tolist() == [True, True, False, True, True]
    # Without P3: q = 3 of 4, A unchanged.
    assert (result.n, result.H, result.A) == pytest.approx((4, 0.75, 0.6))
    parts = af_decompose(result, ["A", "A", "B", "B", "B"])
    assert [g.result.n for g in parts.groups] == [2, 2]


@pytest.mark.parametrize(
    ("weights", "code"),
    [
        ((1, 1, 1), "weights_length"),
        ((1, -1, 1, 1), "weight_negative"),
        ((0, 0, 0, 0), "weights_zero_sum"),
        ((1, float("nan"), 1, 1), "weight_not_finite"),
    ],
)
def test_it_refuses_bad_weights_with_a_clear_error(weights, code):
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster(DEPRIVED, k=K, weights=weights, indicators=INDICATORS)
    assert error.value.code == code


def test_weights_are_normalised_and_a_zero_weight_is_allowed():
    assert normalize_weights(None, 4).tolist() == [0.25] * 4
    assert normalize_weights([0, 1, 1, 2], 4).tolist() == [0, 0.25, 0.25, 0.5]


@pytest.mark.parametrize("k", [0, -0.1, 1.01, float("nan")])
def test_it_refuses_k_outside_zero_to_one(k):
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster(DEPRIVED, k=k)
    assert error.value.code == "k_range"


def test_it_refuses_a_zero_one_matrix_with_other_values_and_bad_cutoffs():
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster([[0, 1], [2, 0]], k=0.5, indicators=("a", "b"))
    assert error.value.code == "not_binary" and error.value.params["indicator"] == "a"
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster(ACHIEVEMENTS, k=K, cutoffs=(1, 2))
    assert error.value.code == "cutoffs_length"
    with pytest.raises(AlkireFosterError) as error:
        alkire_foster(np.empty((0, 3)), k=K)
    assert error.value.code == "empty"


def test_nobody_poor_gives_zeros_not_a_division_error():
    result = alkire_foster([[0, 0], [1, 0]], k=1.0)
    assert (result.q, result.H, result.A, result.M0) == (0, 0.0, 0.0, 0.0)
    assert result.contribution == (0.0, 0.0)
    assert af_decompose(result, ["x", "y"]).groups[0].contribution == 0.0


# --- properties -------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None)


@st.composite
def populations(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    d = draw(st.integers(min_value=1, max_value=7))
    deprived = draw(hnp.arrays(np.int8, (n, d), elements=st.integers(0, 1)))
    weights = draw(st.lists(st.floats(min_value=0, max_value=10), min_size=d, max_size=d))
    if sum(weights) <= 0:
        weights[0] = 1.0
    k = draw(st.floats(min_value=1e-6, max_value=1.0))
    groups = draw(st.lists(st.sampled_from("ABC"), min_size=n, max_size=n))
    return deprived, weights, k, groups


@PROPERTY
@given(populations())
def test_contributions_always_sum_to_m0_and_the_measures_stay_in_range(population):
    deprived, weights, k, _groups = population
    result = alkire_foster(deprived, k=k, weights=weights)
    assert math.isclose(sum(result.absolute_contribution), result.M0, abs_tol=1e-12)
    # M0 = H × A is also the mean censored score (1/n) Σ_i c_i poor_i.
    assert math.isclose(result.M0, float((result.score * result.poor).mean()), abs_tol=1e-12)
    if result.M0 > 0:
        assert math.isclose(sum(result.contribution), 1.0, rel_tol=1e-9)
    assert 0 <= result.A <= 1 + 1e-12
    assert 0 <= result.H <= 1
    assert result.M0 <= result.H + 1e-12
    assert all(c <= u + 1e-12 for c, u in zip(result.censored_headcount, result.uncensored_headcount, strict=True))
    # Every poor person's score reaches k; nobody else's does.
    assert (result.score[result.poor] >= k - SCORE_TOLERANCE).all()
    assert (result.score[~result.poor] < k - SCORE_TOLERANCE).all()


@PROPERTY
@given(populations())
def test_subgroup_shares_times_m0_always_sum_to_the_total(population):
    deprived, weights, k, groups = population
    total = alkire_foster(deprived, k=k, weights=weights)
    parts = af_decompose(total, groups)
    assert math.isclose(sum(g.share for g in parts.groups), 1.0, rel_tol=1e-12)
    assert math.isclose(sum(g.share * g.result.M0 for g in parts.groups), total.M0, abs_tol=1e-12)
    assert math.isclose(sum(g.share * g.result.H for g in parts.groups), total.H, abs_tol=1e-12)
    if total.M0 > 0:
        assert math.isclose(sum(g.contribution for g in parts.groups), 1.0, rel_tol=1e-9)
