"""Empowerment (spec §8.2): scores 0–100, the 80 % rule at its edges, and the AF index of disempowerment."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berdaya.engine.evaluation.alkire_foster import AlkireFosterError
from berdaya.engine.evaluation.empowerment import (
    INDICATOR_TITLES,
    INDICATORS,
    POWERS,
    EmpowermentError,
    EmpowermentOptions,
    adequacy,
    empowerment_index,
    indicator_means,
    member_scores,
    rescale,
)

# Eight indicators weigh 1 and the last four (OVER_SOCIAL, WITH_*) weigh 0.5: total 10, so two
# weight-1 indicators (or the four half-weight ones) are exactly 20 % of the weighted indicators.
UNEVEN = (1.0,) * 8 + (0.5,) * 4


def member(inadequate=(), *, adequate_mean=3.0, inadequate_mean=2.0):
    """One member's 12 indicator means: `inadequate` (indices) at 2, the rest at exactly 3."""
    return [inadequate_mean if j in inadequate else adequate_mean for j in range(12)]


def test_the_twelve_codes_are_power_by_sphere_in_order():
    assert len(INDICATORS) == 12 and INDICATORS[0] == "WITHIN_ECON" and INDICATORS[-1] == "WITH_SOCIAL"
    assert "TO_SOCIAL" in INDICATORS and "OVER_SERVICES" in INDICATORS
    assert set(INDICATOR_TITLES) == set(INDICATORS)


def test_item_answers_become_indicator_means_skipping_unanswered_items():
    answers = {code: [3, 4] for code in INDICATORS}
    answers["TO_ECON"] = [1, None, 2]
    means = indicator_means([answers])
    assert means.shape == (1, 12)
    assert means[0, INDICATORS.index("TO_ECON")] == 1.5
    assert means[0, 0] == 3.5


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"POWER_X": [3]}, "unknown_indicator"),
        ({"TO_ECON": [None]}, "missing_indicator"),
        ({"TO_ECON": [5]}, "bad_answer"),
        ({"TO_ECON": [2.5]}, "bad_answer"),
    ],
)
def test_bad_item_answers_are_refused_naming_member_and_indicator(change, code):
    answers = {code: [3] for code in INDICATORS} | change
    with pytest.raises(EmpowermentError) as error:
        indicator_means([{code: [3] for code in INDICATORS}, answers])
    assert error.value.code == code
    assert "Anggota ke-2" in str(error.value)


def test_the_rescale_maps_one_to_zero_and_four_to_a_hundred():
    assert rescale([1, 2.5, 4]).tolist() == [0.0, 50.0, 100.0]
    assert float(rescale(3)) == pytest.approx(200 / 3)


def test_scores_per_power_and_overall():
    # WITHIN all 4 (100), TO all 1 (0), OVER all 2.5 (50), WITH 3, 3, 4 → mean 10/3 → (7/3)/3 × 100 = 77.8.
    means = [4, 4, 4, 1, 1, 1, 2.5, 2.5, 2.5, 3, 3, 4]
    scores = member_scores([means])
    assert scores.powers.shape == (1, len(POWERS))
    assert scores.powers[0].tolist() == pytest.approx([100, 0, 50, 700 / 9])
    # Overall: mean of the 12 = 32.5 / 12 → (32.5/12 − 1)/3 × 100 = 56.94...
    assert scores.overall[0] == pytest.approx((32.5 / 12 - 1) / 3 * 100)
    weighted = member_scores([means], weights=[1] * 3 + [0] * 9)
    assert weighted.overall[0] == pytest.approx(100)


def test_a_mean_of_exactly_three_is_adequate_and_just_below_is_not():
    result = adequacy([member(adequate_mean=3.0), member(adequate_mean=2.99)])
    assert result[0].all() and not result[1].any()
    assert adequacy([member()], threshold=3.5).sum() == 0


def test_exactly_eighty_percent_of_the_weighted_indicators_is_empowered():
    options = EmpowermentOptions(weights=UNEVEN)
    result = empowerment_index(
        [
            member((0, 1)),  # inadequate weight 2/10: adequate in exactly 80 %
            member((8, 9, 10, 11)),  # 4 × 0.5 = 2/10: exactly 80 % again
            member((0, 1, 8)),  # 2.5/10: one (half) indicator short → 75 %
            member((0, 1, 2)),  # 3/10: one indicator short → 70 %
        ],
        options=options,
    )
    assert result.empowered.tolist() == [True, True, False, False]
    assert result.adequacy_share.tolist() == pytest.approx([0.8, 0.8, 0.75, 0.7])


def test_with_equal_weights_ten_of_twelve_is_empowered_and_nine_is_not():
    result = empowerment_index([member((0, 1)), member((0, 1, 2))])
    # 10/12 = 83 % ≥ 80 %; 9/12 = 75 % < 80 %.
    assert result.empowered.tolist() == [True, False]


def test_exactly_eighty_percent_counts_when_float_weights_do_not_sum_exactly():
    tenths = (0.1,) * 8 + (0.05,) * 4  # sums to 1.0000000000000002 in floats
    result = empowerment_index([member((0, 1)), member((0, 1, 11))], options=EmpowermentOptions(weights=tenths))
    assert result.empowered.tolist() == [True, False]


def test_the_af_index_of_disempowerment_by_hand():
    # Equal weights 1/12. Members inadequate in: 0, 2 (8 % — empowered), 3 (25 %), 6 (50 %), 12 (100 %).
    result = empowerment_index([member(()), member((0, 1)), member(range(3)), member(range(6)), member(range(12))])
    assert result.empowered.tolist() == [True, True, False, False, False]
    # H = 3/5; A = (3/12 + 6/12 + 12/12) / 3 = (0.25 + 0.5 + 1) / 3 = 7/12; M0 = 0.6 × 7/12 = 0.35.
    assert result.share_empowered == pytest.approx(0.4)
    assert pytest.approx(0.6) == result.H
    assert pytest.approx(7 / 12) == result.A
    assert pytest.approx(0.35) == result.M0
    assert result.index == pytest.approx(1 - 0.35)
    # The empowered member inadequate in two indicators is censored: WITHIN_ECON counts 3 of 5, not 4.
    assert result.disempowerment.uncensored_headcount[0] == pytest.approx(4 / 5)
    assert result.disempowerment.censored_headcount[0] == pytest.approx(3 / 5)
    assert sum(result.disempowerment.absolute_contribution) == pytest.approx(result.M0)


def test_groups_report_share_empowered_and_decompose_m0():
    result = empowerment_index(
        [member(()), member(range(3)), member(range(6)), member(range(12))],
        groups=["KUBE Mawar", "KUBE Mawar", "KUBE Melati", "KUBE Melati"],
    )
    mawar, melati = result.groups
    assert (mawar.label, mawar.n, mawar.share_empowered) == ("KUBE Mawar", 2, 0.5)
    # Mawar: H = 1/2, A = 3/12 → M0 = 0.125; Melati: H = 1, A = (0.5 + 1) / 2 = 0.75 → M0 = 0.75.
    assert pytest.approx((0.125, 0.75)) == (mawar.M0, melati.M0)
    assert (mawar.index, melati.index) == pytest.approx((0.875, 0.25))
    assert mawar.share * mawar.M0 + melati.share * melati.M0 == pytest.approx(result.M0)


def test_bad_settings_and_means_are_refused():
    with pytest.raises(EmpowermentError):
        EmpowermentOptions(empowered_share=0)
    with pytest.raises(EmpowermentError):
        EmpowermentOptions(adequacy_threshold=5)
    with pytest.raises(AlkireFosterError):
        empowerment_index([member()], options=EmpowermentOptions(weights=(1.0,) * 11))
    with pytest.raises(EmpowermentError) as error:
        empowerment_index([member(), [3.0] * 11 + [float("nan")]])
    assert error.value.code == "missing_mean" and "WITH_SOCIAL" in str(error.value)
    with pytest.raises(EmpowermentError) as error:
        empowerment_index([[3.0] * 11])
    assert error.value.code == "shape"
    with pytest.raises(EmpowermentError) as error:
        empowerment_index([[0.5] * 12])
    assert error.value.code == "mean_range"


def test_a_share_of_one_needs_every_indicator():
    result = empowerment_index([member(()), member((5,))], options=EmpowermentOptions(empowered_share=1.0))
    assert result.empowered.tolist() == [True, False]


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=6), min_size=12, max_size=12),
    rows=st.lists(st.lists(st.booleans(), min_size=12, max_size=12), min_size=1, max_size=15),
    share=st.sampled_from([Fraction(4, 5), Fraction(2, 3), Fraction(1, 2), Fraction(3, 4)]),
)
def test_af_identification_agrees_exactly_with_the_adequacy_rule(weights, rows, share):
    """Against exact fractions: empowered ⇔ Σ w_j adequate_j / Σ w ≥ share, and disempowered is its
    complement, member by member, with H = 1 − share empowered and index = 1 − M0."""
    means = [[3.0 if ok else 2.0 for ok in row] for row in rows]
    result = empowerment_index(
        means, options=EmpowermentOptions(weights=tuple(map(float, weights)), empowered_share=float(share))
    )
    total = sum(weights)
    expected = [Fraction(sum(w for w, ok in zip(weights, row, strict=True) if ok), total) >= share for row in rows]
    assert result.empowered.tolist() == expected
    assert (result.empowered == ~result.disempowerment.poor).all()
    assert result.share_empowered == pytest.approx(np.mean(expected))
    assert pytest.approx(1 - np.mean(expected)) == result.H
    assert result.index == pytest.approx(1 - result.M0)
    assert 0 <= result.M0 <= result.H + 1e-12
