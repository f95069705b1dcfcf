"""Baseline vs endline statistics (spec §8.6) equal SciPy/statsmodels computed directly on the same numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.formula.api as smf
from statsmodels.stats.contingency_tables import mcnemar

from berdaya.engine.evaluation.statistics import did, paired_binary, paired_continuous

# Likert item means of twelve members at baseline and endline (two unchanged, ties among the rest).
BEFORE = [2.0, 2.5, 3.0, 1.5, 2.0, 2.75, 3.25, 2.0, 1.75, 2.5, 3.0, 2.25]
AFTER = [2.5, 3.0, 3.0, 2.5, 2.25, 2.5, 3.5, 2.75, 2.25, 2.5, 3.5, 3.0]


def test_wilcoxon_equals_scipy_on_the_same_numbers():
    result = paired_continuous(BEFORE, AFTER)
    direct = scipy.stats.wilcoxon(AFTER, BEFORE, zero_method="wilcox", alternative="two-sided")
    assert result.statistic == pytest.approx(direct.statistic)
    assert result.p_value == pytest.approx(direct.pvalue)
    assert (result.n, result.n_zero, result.n_dropped) == (12, 2, 0)


def test_mean_difference_and_its_interval_equal_the_paired_t_interval():
    result = paired_continuous(BEFORE, AFTER)
    differences = np.subtract(AFTER, BEFORE)
    interval = scipy.stats.ttest_rel(AFTER, BEFORE).confidence_interval(0.95)
    assert result.mean_difference == pytest.approx(differences.mean())
    assert result.median_difference == pytest.approx(np.median(differences))
    assert result.mean_difference_ci == pytest.approx((interval.low, interval.high))


def test_the_rank_biserial_effect_equals_the_one_from_scipy_rank_sums():
    result = paired_continuous(BEFORE, AFTER)
    differences = np.subtract(AFTER, BEFORE)
    nonzero = int(np.count_nonzero(differences))
    positive_ranks = scipy.stats.wilcoxon(differences, zero_method="wilcox", alternative="greater").statistic
    total = nonzero * (nonzero + 1) / 2
    assert result.effect_size == pytest.approx((2 * positive_ranks - total) / total)
    low, high = result.effect_size_ci
    assert -1 <= low <= result.effect_size <= high <= 1
    assert paired_continuous(BEFORE, AFTER).effect_size_ci == result.effect_size_ci  # fixed seed


def test_missing_pairs_are_dropped_and_counted():
    result = paired_continuous([*BEFORE, None, 2.0], [*AFTER, 3.0, float("nan")])
    assert (result.n, result.n_dropped) == (12, 2)
    assert result.p_value == pytest.approx(paired_continuous(BEFORE, AFTER).p_value)


def test_no_change_at_all_has_no_test_and_no_effect():
    result = paired_continuous([1, 2, 3], [1, 2, 3])
    assert result.statistic is None and result.p_value is None and result.effect_size is None
    assert result.mean_difference_ci == pytest.approx((0.0, 0.0))


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="before=3, after=2"):
        paired_continuous([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="same length"):
        paired_binary([1, 0], [1])
    with pytest.raises(ValueError, match="same length"):
        did([1.0, 2.0], [0, 1], [0, 1], cluster=[1])


# ---- McNemar ------------------------------------------------------------------------------------------

# Deprived in food (1) at baseline and endline for twenty families: 7 left, 2 fell in.
FOOD_BEFORE = [1] * 7 + [0] * 2 + [1] * 4 + [0] * 7
FOOD_AFTER = [0] * 7 + [1] * 2 + [1] * 4 + [0] * 7


def test_mcnemar_is_exact_below_25_discordant_pairs_and_equals_statsmodels():
    result = paired_binary(FOOD_BEFORE, FOOD_AFTER)
    assert result.table == ((7, 2), (7, 4))
    direct = mcnemar(np.array([[7, 2], [7, 4]]), exact=True)
    assert result.exact
    assert result.statistic == pytest.approx(direct.statistic)
    assert result.p_value == pytest.approx(direct.pvalue)
    assert result.p_value == pytest.approx(scipy.stats.binomtest(2, 9, 0.5).pvalue)


def test_mcnemar_uses_the_corrected_chi_square_from_25_discordant_pairs():
    before = [0] * 20 + [1] * 5 + [1] * 10 + [0] * 10
    after = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 10
    result = paired_binary(before, after)
    direct = mcnemar(np.array([[10, 20], [5, 10]]), exact=False, correction=True)
    assert not result.exact
    assert result.statistic == pytest.approx(direct.statistic)
    assert result.statistic == pytest.approx((abs(20 - 5) - 1) ** 2 / 25)
    assert result.p_value == pytest.approx(direct.pvalue)


def test_paired_proportions_difference_interval_and_discordant_odds_ratio():
    result = paired_binary(FOOD_BEFORE, FOOD_AFTER)
    n, b, c = 20, 2, 7
    assert result.difference == pytest.approx((b - c) / n)
    assert result.difference == pytest.approx(result.proportion_after - result.proportion_before)
    se = math.sqrt(b + c - (b - c) ** 2 / n) / n
    z = scipy.stats.norm.ppf(0.975)
    assert result.difference_ci == pytest.approx((-0.25 - z * se, -0.25 + z * se))
    assert result.odds_ratio == pytest.approx(b / c)
    exact = scipy.stats.binomtest(b, b + c).proportion_ci(0.95, method="exact")
    assert result.odds_ratio_ci == pytest.approx((exact.low / (1 - exact.low), exact.high / (1 - exact.high)))


def test_binary_values_must_be_zero_or_one():
    with pytest.raises(ValueError, match="0/1"):
        paired_binary([0, 2], [1, 1])
    assert paired_binary([True, None, False], [False, True, True]).n_dropped == 1


# ---- difference-in-differences ---------------------------------------------------------------------------


def panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for person in range(40):
        treated = int(person < 24)
        kube = person // 4
        level = rng.normal(1_000, 150)
        for post in (0, 1):
            income = level + 60 * post + 90 * treated * post + rng.normal(0, 40)
            rows.append({"person": person, "kube": kube, "treated": treated, "post": post, "income": income})
    return pd.DataFrame(rows)


def test_did_point_estimate_is_the_difference_of_the_four_means():
    frame = panel()
    result = did("income", "treated", "post", data=frame)
    mean = frame.groupby(["treated", "post"])["income"].mean()
    by_hand = (mean[(1, 1)] - mean[(1, 0)]) - (mean[(0, 1)] - mean[(0, 0)])
    assert result.estimate == pytest.approx(by_hand)
    assert result.cell_means["treated_post"] == pytest.approx(mean[(1, 1)])


def test_did_equals_statsmodels_ols_with_classical_errors():
    frame = panel()
    result = did(frame["income"].to_numpy(), frame["treated"].tolist(), frame["post"])
    fit = smf.ols("income ~ treated + post + treated:post", data=frame).fit()
    assert result.se == pytest.approx(fit.bse["treated:post"])
    assert result.p_value == pytest.approx(fit.pvalues["treated:post"])
    assert result.ci == pytest.approx(tuple(fit.conf_int().loc["treated:post"]))
    assert (result.covariance, result.n_clusters) == ("nonrobust", None)


def test_did_with_clusters_equals_statsmodels_cluster_robust_errors():
    frame = panel()
    result = did("income", "treated", "post", "kube", data=frame)
    fit = smf.ols("income ~ treated + post + treated:post", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["kube"].to_numpy()}, use_t=True
    )
    assert result.se == pytest.approx(fit.bse["treated:post"])
    assert result.p_value == pytest.approx(fit.pvalues["treated:post"])
    assert result.ci == pytest.approx(tuple(fit.conf_int().loc["treated:post"]))
    assert result.n_clusters == 10


def test_did_drops_incomplete_rows_and_needs_all_four_cells():
    frame = panel()
    frame.loc[0, "income"] = np.nan
    frame.loc[3, "kube"] = None
    result = did("income", "treated", "post", "kube", data=frame)
    assert (result.n, result.n_dropped) == (78, 2)
    with pytest.raises(ValueError, match="control_pre"):
        did([1.0, 2.0, 3.0], [1, 1, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="0/1"):
        did([1.0, 2.0], [2, 0], [0, 1])
