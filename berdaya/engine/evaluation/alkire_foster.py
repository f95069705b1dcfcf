"""The Alkire–Foster counting method (Alkire & Foster 2011) over numpy arrays: identification with a
cross-indicator cut-off k, censoring of the non-poor, and the adjusted headcount ratio M0 = H × A with
its breakdown by indicator and by subgroup.

Notation, for n persons and d indicators with weights w_j (normalised so that Σ w_j = 1):

    g_ij   = 1 when person i is deprived in indicator j, else 0
             (from achievements: g_ij = 1 exactly when x_ij < z_j, the indicator's cut-off)
    c_i    = Σ_j w_j g_ij                        the weighted deprivation score, 0 ≤ c_i ≤ 1
    poor_i = c_i ≥ k                             identification (the "≥" convention, 0 < k ≤ 1)
    g0_ij  = g_ij × poor_i                        censoring: a non-poor person's deprivations are dropped
    q      = Σ_i poor_i
    H      = q / n                                headcount ratio
    A      = Σ_i c_i poor_i / q   (0 when q = 0)   average intensity among the poor
    M0     = H × A = (1/n) Σ_i Σ_j w_j g0_ij        adjusted headcount ratio
    h_j    = (1/n) Σ_i g0_ij                      censored headcount ratio of indicator j
    M0     = Σ_j w_j h_j                          so w_j h_j is j's absolute contribution,
    φ_j    = w_j h_j / M0   (0 when M0 = 0)        and φ_j its relative contribution, Σ_j φ_j = 1.

Identification at the edge: scores are sums of float weights, so a person deprived in exactly k of the
weighted indicators may score 0.3333333333333333 against a k of 0.33333333333333337. Scores are
therefore compared with a tolerance of `SCORE_TOLERANCE` (1e-9, far below any weight a survey would
use): poor when c_i ≥ k − 1e-9, so a score equal to k counts as poor. `strict=True` turns the rule
into c_i > k + 1e-9 (poor only *above* k), which is what the empowerment index needs (see
`empowerment.py`: disempowered when inadequate in *more than* 20 %).

Subgroups (regions, rounds) decompose exactly: with population shares s_g = n_g / n,
M0 = Σ_g s_g M0_g, and likewise H = Σ_g s_g H_g and h_j = Σ_g s_g h_jg.

Missing values (NaN) are refused with the person and indicator named, unless the caller asks for the
persons with a missing value to be dropped (`drop_missing=True`); the result then says which were kept.

Errors are `AlkireFosterError(code, **params)`; `str(error)` is the Bahasa Indonesia text.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "SCORE_TOLERANCE",
    "AFDecomposition",
    "AFResult",
    "AFSubgroup",
    "AlkireFosterError",
    "af_decompose",
    "alkire_foster",
    "deprivation_matrix",
    "normalize_weights",
]

# How far a weighted score may sit from k and still count as equal to it (see the module docstring).
SCORE_TOLERANCE = 1e-9

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MESSAGES = {
    "empty": "Tidak ada orang untuk dihitung (matriks kosong).",
    "no_indicators": "Tidak ada indikator (kolom) untuk dihitung.",
    "not_matrix": "Data harus berbentuk tabel orang × indikator (2 dimensi), bukan {ndim} dimensi.",
    "not_numeric": "Data harus berupa angka.",
    "weights_length": "Jumlah bobot ({given}) tidak sama dengan jumlah indikator ({expected}).",
    "weight_negative": "Bobot indikator {indicator} negatif ({value}); bobot harus ≥ 0.",
    "weight_not_finite": "Bobot indikator {indicator} bukan angka yang sah ({value}).",
    "weights_zero_sum": "Jumlah bobot harus lebih dari 0.",
    "cutoffs_length": "Jumlah batas (cut-off) ({given}) tidak sama dengan jumlah indikator ({expected}).",
    "cutoff_not_finite": "Batas (cut-off) indikator {indicator} bukan angka yang sah ({value}).",
    "k_range": "k harus lebih dari 0 dan paling besar 1, bukan {k}.",
    "k_range_strict": "k harus paling kecil 0 dan kurang dari 1 bila identifikasi ketat (>), bukan {k}.",
    "missing": "Nilai hilang pada orang ke-{person} (indeks {row}), indikator {indicator}.",
    "not_finite": "Nilai tak hingga pada orang ke-{person} (indeks {row}), indikator {indicator}.",
    "not_binary": "Deprivasi harus 0 atau 1; orang ke-{person} (indeks {row}), indikator {indicator} bernilai {value}.",
    "indicator_names": "Jumlah nama indikator ({given}) tidak sama dengan jumlah indikator ({expected}).",
    "all_dropped": "Semua orang punya nilai hilang; tidak ada yang bisa dihitung.",
    "groups_length": "Jumlah label kelompok ({given}) tidak sama dengan jumlah orang ({expected}).",
}


class AlkireFosterError(ValueError):
    """Input the method cannot use. `code` names the problem; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(_MESSAGES.get(code, code).format(**params))


@dataclass(frozen=True)
class AFResult:
    """H, A and M0 of one population, with the per-indicator breakdown and each person's score.

    Per-indicator tuples follow `indicators`. `score`, `poor` and `deprivations` cover the persons
    counted (all of them, or those `kept` when missing values were dropped), in input order.
    """

    n: int
    k: float
    strict: bool
    indicators: tuple[str, ...]
    weights: tuple[float, ...]  # normalised, Σ = 1
    q: int  # number identified as poor
    H: float
    A: float
    M0: float
    uncensored_headcount: tuple[float, ...]  # share deprived in j among everyone, before censoring
    censored_headcount: tuple[float, ...]  # h_j
    absolute_contribution: tuple[float, ...]  # w_j h_j; Σ = M0
    contribution: tuple[float, ...]  # w_j h_j / M0; Σ = 1 when M0 > 0, all 0 when M0 = 0
    score: FloatArray = field(repr=False, compare=False)  # c_i
    poor: BoolArray = field(repr=False, compare=False)
    deprivations: BoolArray = field(repr=False, compare=False)  # g_ij before censoring
    kept: BoolArray = field(repr=False, compare=False)  # which input rows were counted

    @property
    def censored_deprivations(self) -> BoolArray:
        """g0_ij: the deprivations of the poor only."""
        return self.deprivations & self.poor[:, None]


@dataclass(frozen=True)
class AFSubgroup:
    """One subgroup of a decomposition: its population share s_g = n_g / n, its own result, and its
    contribution to the total, s_g M0_g / M0 (0 when M0 = 0)."""

    label: Hashable
    share: float
    result: AFResult
    contribution: float


@dataclass(frozen=True)
class AFDecomposition:
    """The total and its subgroups, in order of first appearance; Σ_g share × M0_g = total M0."""

    total: AFResult
    groups: tuple[AFSubgroup, ...]

    def group(self, label: Hashable) -> AFSubgroup:
        """The subgroup with `label` (KeyError when absent)."""
        for subgroup in self.groups:
            if subgroup.label == label:
                return subgroup
        raise KeyError(label)


def _names(indicators: Sequence[str] | None, count: int) -> tuple[str, ...]:
    if indicators is None:
        return tuple(f"I{j + 1}" for j in range(count))
    names = tuple(str(name) for name in indicators)
    if len(names) != count:
        raise AlkireFosterError("indicator_names", given=len(names), expected=count)
    return names


def normalize_weights(
    weights: Sequence[float] | npt.ArrayLike | None, count: int, *, indicators: Sequence[str] | None = None
) -> FloatArray:
    """Weights scaled to sum to 1: w_j / Σ w. `None` gives equal weights 1/count.

    Refuses a list of the wrong length, a negative or non-finite weight, and weights summing to 0.
    A single weight of 0 is allowed (the indicator is then reported but counts for nothing).
    """
    names = _names(indicators, count)
    if weights is None:
        return np.full(count, 1.0 / count)
    values = np.asarray(weights, dtype=np.float64).reshape(-1)
    if values.shape[0] != count:
        raise AlkireFosterError("weights_length", given=values.shape[0], expected=count)
    for j, value in enumerate(values):
        if not np.isfinite(value):
            raise AlkireFosterError("weight_not_finite", indicator=names[j], value=value)
        if value < 0:
            raise AlkireFosterError("weight_negative", indicator=names[j], value=value)
    total = float(values.sum())
    if total <= 0:
        raise AlkireFosterError("weights_zero_sum")
    return values / total


def _as_matrix(matrix: npt.ArrayLike) -> FloatArray:
    try:
        values = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AlkireFosterError("not_numeric") from error
    if values.ndim != 2:
        raise AlkireFosterError("not_matrix", ndim=values.ndim)
    if values.shape[1] == 0:
        raise AlkireFosterError("no_indicators")
    return values


def _check_finite(values: FloatArray, names: tuple[str, ...], rows: npt.NDArray[np.intp]) -> None:
    """Refuse NaN and ±inf, naming the first offending cell (`rows` maps positions to input rows)."""
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        code = "missing" if np.isnan(values[i, j]) else "not_finite"
        row = int(rows[i])
        raise AlkireFosterError(code, person=row + 1, row=row, indicator=names[j])


def deprivation_matrix(
    matrix: npt.ArrayLike,
    cutoffs: Sequence[float] | npt.ArrayLike | None = None,
    *,
    indicators: Sequence[str] | None = None,
) -> BoolArray:
    """g_ij as booleans: from achievements and cut-offs (deprived when x_ij < z_j, strictly), or, when
    `cutoffs` is None, from a matrix whose cells must already be 0 or 1 (booleans are fine).

    Refuses missing or infinite cells, cells other than 0/1 in the 0/1 mode, and cut-offs of the wrong
    length or not finite.
    """
    values = _as_matrix(matrix)
    names = _names(indicators, values.shape[1])
    _check_finite(values, names, np.arange(values.shape[0]))
    return _deprive(values, cutoffs, names, np.arange(values.shape[0]))


def _deprive(
    values: FloatArray,
    cutoffs: Sequence[float] | npt.ArrayLike | None,
    names: tuple[str, ...],
    rows: npt.NDArray[np.intp],
) -> BoolArray:
    if cutoffs is None:
        not_binary = (values != 0) & (values != 1)
        if not_binary.any():
            i, j = (int(x) for x in np.argwhere(not_binary)[0])
            row = int(rows[i])
            raise AlkireFosterError(
                "not_binary", person=row + 1, row=row, indicator=names[j], value=float(values[i, j])
            )
        return values == 1
    limits = np.asarray(cutoffs, dtype=np.float64).reshape(-1)
    if limits.shape[0] != values.shape[1]:
        raise AlkireFosterError("cutoffs_length", given=limits.shape[0], expected=values.shape[1])
    for j, value in enumerate(limits):
        if not np.isfinite(value):
            raise AlkireFosterError("cutoff_not_finite", indicator=names[j], value=value)
    return values < limits[None, :]


def _check_k(k: float, strict: bool) -> float:
    value = float(k)
    if strict:
        if not (0 <= value < 1):
            raise AlkireFosterError("k_range_strict", k=k)
    elif not (0 < value <= 1):
        raise AlkireFosterError("k_range", k=k)
    return value


def _measure(
    deprived: BoolArray,
    weights: FloatArray,
    k: float,
    strict: bool,
    names: tuple[str, ...],
    kept: BoolArray,
) -> AFResult:
    """The method proper, on a checked boolean matrix (n ≥ 1) and normalised weights."""
    n = deprived.shape[0]
    score = deprived.astype(np.float64) @ weights
    poor = score > k + SCORE_TOLERANCE if strict else score >= k - SCORE_TOLERANCE
    q = int(poor.sum())
    headcount = q / n
    intensity = float(score[poor].mean()) if q else 0.0
    m0 = headcount * intensity
    censored = (deprived & poor[:, None]).mean(axis=0)
    absolute = weights * censored
    relative = absolute / m0 if m0 > 0 else np.zeros_like(absolute)
    return AFResult(
        n=n,
        k=k,
        strict=strict,
        indicators=names,
        weights=tuple(float(w) for w in weights),
        q=q,
        H=headcount,
        A=intensity,
        M0=m0,
        uncensored_headcount=tuple(float(x) for x in deprived.mean(axis=0)),
        censored_headcount=tuple(float(x) for x in censored),
        absolute_contribution=tuple(float(x) for x in absolute),
        contribution=tuple(float(x) for x in relative),
        score=score,
        poor=poor,
        deprivations=deprived,
        kept=kept,
    )


def alkire_foster(
    matrix: npt.ArrayLike,
    *,
    k: float,
    weights: Sequence[float] | npt.ArrayLike | None = None,
    cutoffs: Sequence[float] | npt.ArrayLike | None = None,
    indicators: Sequence[str] | None = None,
    drop_missing: bool = False,
    strict: bool = False,
) -> AFResult:
    """Alkire–Foster H, A, M0 and the indicator breakdown for one population.

    `matrix` is persons × indicators: achievements when `cutoffs` is given (deprived when x_ij < z_j),
    otherwise 0/1 deprivations. `weights` (default equal) are normalised to sum to 1. A person is poor
    when c_i ≥ k (0 < k ≤ 1), compared with `SCORE_TOLERANCE` so that c_i = k counts; `strict=True`
    means c_i > k (0 ≤ k < 1). `indicators` names the columns for the result and the errors (default
    I1, I2, ...). Missing cells (NaN) raise `AlkireFosterError` naming person and indicator, unless
    `drop_missing=True`, which leaves out every person with one (see `AFResult.kept`).
    """
    values = _as_matrix(matrix)
    names = _names(indicators, values.shape[1])
    w = normalize_weights(weights, values.shape[1], indicators=names)
    k_value = _check_k(k, strict)
    if values.shape[0] == 0:
        raise AlkireFosterError("empty")
    kept: BoolArray = np.ones(values.shape[0], dtype=np.bool_)
    if drop_missing:
        kept = np.asarray(~np.isnan(values).any(axis=1), dtype=np.bool_)
    if not kept.any():
        raise AlkireFosterError("all_dropped")
    rows = np.flatnonzero(kept)
    counted = values[kept]
    _check_finite(counted, names, rows)
    deprived = _deprive(counted, cutoffs, names, rows)
    return _measure(deprived, w, k_value, strict, names, kept)


def af_decompose(result: AFResult, groups: Sequence[Hashable] | npt.ArrayLike) -> AFDecomposition:
    """The same measures for each subgroup of a population already measured (regions, rounds, sexes).

    `groups` holds one label per *input* row of `result` (rows dropped for missing values are skipped,
    so the labels line up with the original matrix). Each subgroup keeps the population's weights and
    k; its share is n_g / n, and Σ_g share × M0_g equals the total M0 (and likewise for H and the
    censored headcounts), up to float rounding.
    """
    labels = list(np.asarray(groups, dtype=object).reshape(-1))
    if len(labels) != result.kept.shape[0]:
        raise AlkireFosterError("groups_length", given=len(labels), expected=result.kept.shape[0])
    counted = [label for label, keep in zip(labels, result.kept, strict=True) if keep]
    weights = np.asarray(result.weights, dtype=np.float64)
    order: dict[Hashable, list[int]] = {}
    for position, label in enumerate(counted):
        order.setdefault(label, []).append(position)
    subgroups = []
    for label, positions in order.items():
        index = np.asarray(positions, dtype=np.intp)
        everyone = np.ones(len(index), dtype=np.bool_)
        sub = _measure(result.deprivations[index], weights, result.k, result.strict, result.indicators, everyone)
        share = sub.n / result.n
        subgroups.append(
            AFSubgroup(
                label=label,
                share=share,
                result=sub,
                contribution=share * sub.M0 / result.M0 if result.M0 > 0 else 0.0,
            )
        )
    return AFDecomposition(total=result, groups=tuple(subgroups))
