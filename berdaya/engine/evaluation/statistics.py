"""Baseline vs endline analysis (spec §8.6): paired tests, effect sizes with confidence intervals, and
difference-in-differences. Pure functions over arrays; the numbers come from SciPy and statsmodels so
that anyone can check them with the same libraries.

Common conventions:

- Inputs are array-likes of equal length (a list, NumPy array or pandas Series); `None` and NaN mark a
  missing value. A pair (or DiD row) with any missing value is dropped and counted in `n_dropped`.
  Mismatched lengths raise ValueError naming the lengths.
- Differences are `after − before`: a positive difference is an increase from baseline.
- `confidence` (default 0.95) sets every interval; intervals are `(low, high)` tuples.
"""

from __future__ import annotations

import math
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.formula.api as smf
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "EXACT_DISCORDANT_BELOW",
    "DidResult",
    "PairedBinaryResult",
    "PairedContinuousResult",
    "did",
    "paired_binary",
    "paired_continuous",
]

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20_061_124  # fixed, so the same data always gives the same interval
EXACT_DISCORDANT_BELOW = 25  # McNemar is exact (binomial) when discordant pairs < 25

Interval = tuple[float, float]


def _floats(name: str, values: Any) -> np.ndarray:
    """`values` as a float array, None / NaN / pd.NA as NaN; anything that is not a number raises."""
    try:
        array = pd.Series(values, dtype=object).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold numbers: {error}") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


def _same_length(**arrays: Sized) -> None:
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(f"inputs must have the same length; got {described}")


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return 1 - confidence


# ---- continuous: Wilcoxon signed-rank ---------------------------------------------------------------


@dataclass(frozen=True)
class PairedContinuousResult:
    """Wilcoxon signed-rank test of `after − before`, with effect size and intervals.

    - `statistic`, `p_value`: `scipy.stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided",
      method="auto")`. zero_method "wilcox" drops zero differences before ranking (`n_zero` of them);
      two-sided asks whether the differences are symmetric about zero in either direction. "auto"
      computes the exact null distribution when ≤ 50 non-zero differences without ties, exhaustive
      permutations when ≤ 13 with ties, the normal approximation otherwise. The statistic is the
      smaller of the positive- and negative-rank sums. None when every difference is zero.
    - `median_difference`, `mean_difference` over all complete pairs; `mean_difference_ci` is the
      t interval mean ± t(1−α/2, n−1)·sd/√n (as `scipy.stats.ttest_rel(...).confidence_interval`);
      None for fewer than 2 pairs.
    - `effect_size` is the matched-pairs rank-biserial correlation (Kerby 2014):
      r = (R₊ − R₋) ÷ (R₊ + R₋), with R₊/R₋ the sums of the ranks of |d| of the positive/negative
      differences, zeros dropped as in the test. It runs from −1 (every pair fell) to +1 (every pair
      rose); None when every difference is zero.
    - `effect_size_ci`: percentile bootstrap over pairs, `n_resamples` resamples drawn with
      `numpy.random.default_rng(seed)`; resamples whose differences are all zero are left out.
    """

    n: int
    n_dropped: int
    n_zero: int
    statistic: float | None
    p_value: float | None
    median_difference: float
    mean_difference: float
    mean_difference_ci: Interval | None
    effect_size: float | None
    effect_size_ci: Interval | None
    confidence: float
    n_resamples: int
    seed: int


def _rank_biserial(differences: np.ndarray) -> np.ndarray:
    """Rank-biserial r of each row of a 2-D array of differences; NaN for a row of zeros."""
    magnitudes = np.abs(differences)
    magnitudes[magnitudes == 0] = np.nan
    ranks = scipy.stats.rankdata(magnitudes, axis=1, nan_policy="omit")
    positive = np.nansum(np.where(differences > 0, ranks, 0.0), axis=1)
    total = np.nansum(ranks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (2 * positive - total) / total, np.nan)


def paired_continuous(
    before: Any,
    after: Any,
    *,
    confidence: float = 0.95,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> PairedContinuousResult:
    """Compare paired continuous (or ordinal, e.g. Likert means) values, baseline vs endline.

    Raises ValueError for mismatched lengths, a bad `confidence`, or no complete pair.
    """
    alpha = _check_confidence(confidence)
    x, y = _floats("before", before), _floats("after", after)
    _same_length(before=x, after=y)
    keep = ~(np.isnan(x) | np.isnan(y))
    d = y[keep] - x[keep]
    n = int(d.size)
    if n == 0:
        raise ValueError("no complete before/after pair")
    n_zero = int(np.count_nonzero(d == 0))
    statistic = p_value = None
    if n_zero < n:
        test = scipy.stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided", method="auto")
        statistic, p_value = float(test.statistic), float(test.pvalue)
    mean = float(np.mean(d))
    mean_ci: Interval | None = None
    if n >= 2:
        half = float(scipy.stats.t.ppf(1 - alpha / 2, n - 1)) * float(np.std(d, ddof=1)) / math.sqrt(n)
        mean_ci = (mean - half, mean + half)
    effect = float(_rank_biserial(d[np.newaxis, :])[0])
    effect_ci: Interval | None = None
    if not math.isnan(effect):
        rng = np.random.default_rng(seed)
        draws = []
        for start in range(0, n_resamples, 250):  # in chunks: n_resamples × n can be large
            size = min(250, n_resamples - start)
            draws.append(_rank_biserial(d[rng.integers(0, n, size=(size, n))]))
        boot = np.concatenate(draws)
        boot = boot[~np.isnan(boot)]
        low, high = np.percentile(boot, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        effect_ci = (float(low), float(high))
    return PairedContinuousResult(
        n=n,
        n_dropped=int(keep.size - n),
        n_zero=n_zero,
        statistic=statistic,
        p_value=p_value,
        median_difference=float(np.median(d)),
        mean_difference=mean,
        mean_difference_ci=mean_ci,
        effect_size=None if math.isnan(effect) else effect,
        effect_size_ci=effect_ci,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )


# ---- binary: McNemar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedBinaryResult:
    """McNemar test of a yes/no indicator before vs after, with effect sizes.

    - `table[i][j]` = pairs with before = i and after = j (i, j ∈ {0, 1}); the discordant cells are
      b = table[0][1] (0 → 1) and c = table[1][0] (1 → 0).
    - `statistic`, `p_value`: `statsmodels...mcnemar(table, exact=exact, correction=True)`. `exact`
      (binomial test of b among b + c) when b + c < 25; otherwise the χ² statistic with continuity
      correction, (|b − c| − 1)² ÷ (b + c), 1 df. With no discordant pair, p = 1.
    - `difference` = p_after − p_before = (b − c) ÷ n, with the Wald interval for paired proportions
      (Agresti 2013, §10.1): se = √((b + c) − (b − c)² ÷ n) ÷ n, clipped to [−1, 1].
    - `odds_ratio` = b ÷ c, the conditional odds ratio of the discordant pairs (∞ when c = 0 < b, None
      when b = c = 0); `odds_ratio_ci` is exact: the Clopper–Pearson interval [pₗ, pᵤ] for b of b + c
      turned into odds p ÷ (1 − p) (the upper bound is ∞ when c = 0).
    """

    n: int
    n_dropped: int
    table: tuple[tuple[int, int], tuple[int, int]]
    exact: bool
    statistic: float
    p_value: float
    proportion_before: float
    proportion_after: float
    difference: float
    difference_ci: Interval
    odds_ratio: float | None
    odds_ratio_ci: Interval | None
    confidence: float


def _odds(p: float) -> float:
    return math.inf if p >= 1 else p / (1 - p)


def _binary(name: str, values: np.ndarray) -> None:
    present = values[~np.isnan(values)]
    bad = present[(present != 0) & (present != 1)]
    if bad.size:
        raise ValueError(f"{name} must hold 0/1 (or True/False) values; found {bad[0]!r}")


def paired_binary(before: Any, after: Any, *, confidence: float = 0.95) -> PairedBinaryResult:
    """Compare a paired yes/no indicator (1/True = yes), baseline vs endline.

    Raises ValueError for mismatched lengths, values other than 0/1, or no complete pair.
    """
    alpha = _check_confidence(confidence)
    x, y = _floats("before", before), _floats("after", after)
    _same_length(before=x, after=y)
    _binary("before", x)
    _binary("after", y)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep].astype(int), y[keep].astype(int)
    n = int(x.size)
    if n == 0:
        raise ValueError("no complete before/after pair")
    cells = [[int(np.count_nonzero((x == i) & (y == j))) for j in (0, 1)] for i in (0, 1)]
    b, c = cells[0][1], cells[1][0]
    exact = b + c < EXACT_DISCORDANT_BELOW
    test = mcnemar(np.array(cells), exact=exact, correction=True)
    difference = (b - c) / n
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    se = math.sqrt(max(0.0, (b + c) - (b - c) ** 2 / n)) / n
    odds_ratio: float | None = None
    odds_ci: Interval | None = None
    if b + c > 0:
        odds_ratio = math.inf if c == 0 else b / c
        low, high = proportion_confint(b, b + c, alpha=alpha, method="beta")
        odds_ci = (_odds(float(low)), _odds(float(high)))
    return PairedBinaryResult(
        n=n,
        n_dropped=int(keep.size - n),
        table=((cells[0][0], cells[0][1]), (cells[1][0], cells[1][1])),
        exact=exact,
        statistic=float(test.statistic),
        p_value=float(test.pvalue),
        proportion_before=(cells[1][0] + cells[1][1]) / n,
        proportion_after=(cells[0][1] + cells[1][1]) / n,
        difference=difference,
        difference_ci=(max(-1.0, difference - z * se), min(1.0, difference + z * se)),
        odds_ratio=odds_ratio,
        odds_ratio_ci=odds_ci,
        confidence=confidence,
    )


# ---- difference-in-differences -------------------------------------------------------------------------


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences from `y ~ treated + post + treated:post` (statsmodels OLS).

    `estimate` is the `treated:post` coefficient, which in this saturated model equals
    (ȳ_T,post − ȳ_T,pre) − (ȳ_C,post − ȳ_C,pre) (the four `cell_means`). Without clusters the
    standard error is the classical OLS one (t with n − 4 df). With clusters (e.g. the member or the
    KUBE, since the same people are surveyed twice) it is cluster-robust (`cov_type="cluster"`, with
    statsmodels' small-sample factor G/(G−1)·(N−1)/(N−K)) and intervals and p use t with G − 1 df
    (`use_t=True`), which is safer with few clusters.
    """

    estimate: float
    se: float
    ci: Interval
    p_value: float
    n: int
    n_dropped: int
    n_clusters: int | None
    cell_means: dict[str, float]
    covariance: str
    confidence: float


def did(
    outcome: Any,
    treated: Any,
    post: Any,
    cluster: Any = None,
    *,
    data: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> DidResult:
    """Difference-in-differences of `outcome` between members (treated = 1) and a comparison group of
    eligible non-members (treated = 0), baseline (post = 0) vs endline (post = 1).

    Pass arrays, or column names together with `data=` (a DataFrame). `cluster` (optional) labels the
    cluster of each row. Rows with a missing value in any given column are dropped (`n_dropped`).
    Raises ValueError for mismatched lengths, treated/post other than 0/1, an empty cell of the 2×2
    design, or fewer than two clusters.
    """
    alpha = _check_confidence(confidence)
    if data is not None:
        columns = {"outcome": outcome, "treated": treated, "post": post}
        if cluster is not None:
            columns["cluster"] = cluster
        for role, name in columns.items():
            if name not in data.columns:
                raise ValueError(f"{role} column {name!r} is not in the data")
        outcome, treated, post = data[outcome], data[treated], data[post]
        cluster = None if cluster is None else data[cluster]
    y, t, p = _floats("outcome", outcome), _floats("treated", treated), _floats("post", post)
    groups = None if cluster is None else pd.Series(list(cluster), dtype=object)
    if groups is None:
        _same_length(outcome=y, treated=t, post=p)
    else:
        _same_length(outcome=y, treated=t, post=p, cluster=groups)
    _binary("treated", t)
    _binary("post", p)
    keep = ~(np.isnan(y) | np.isnan(t) | np.isnan(p))
    if groups is not None:
        keep &= ~groups.isna().to_numpy()
    frame = pd.DataFrame({"y": y[keep], "treated": t[keep].astype(int), "post": p[keep].astype(int)})
    names = {(0, 0): "control_pre", (0, 1): "control_post", (1, 0): "treated_pre", (1, 1): "treated_post"}
    means = frame.groupby(["treated", "post"])["y"].mean()
    for key, name in names.items():
        if key not in means.index:
            raise ValueError(f"no observation in the {name} cell; difference-in-differences needs all four")
    model = smf.ols("y ~ treated + post + treated:post", data=frame)
    n_clusters: int | None = None
    if groups is None:
        fit = model.fit()
        covariance = "nonrobust"
    else:
        codes = pd.factorize(groups[keep].reset_index(drop=True))[0]
        n_clusters = int(codes.max()) + 1 if codes.size else 0
        if n_clusters < 2:
            raise ValueError("cluster-robust standard errors need at least two clusters")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        covariance = "cluster"
    term = "treated:post"
    low, high = fit.conf_int(alpha=alpha).loc[term]
    return DidResult(
        estimate=float(fit.params[term]),
        se=float(fit.bse[term]),
        ci=(float(low), float(high)),
        p_value=float(fit.pvalues[term]),
        n=len(frame),
        n_dropped=int(keep.size - len(frame)),
        n_clusters=n_clusters,
        cell_means={name: float(means.loc[key]) for key, name in names.items()},
        covariance=covariance,
        confidence=confidence,
    )
