"""Member empowerment (spec §8.2): four powers × three spheres = 12 indicators of Likert 1–4 items,
per-member scores, the 80 % adequacy rule, and the Alkire–Foster index of disempowerment (as in the
Women's Empowerment in Agriculture Index, Alkire et al. 2013).

Indicators are coded `<POWER>_<SPHERE>`, in this order (power-major), which is also the column order
of every persons × 12 array here:

    power   WITHIN (awareness and will to change)      sphere  ECON     (economic)
            TO     (capacity and access)                        SERVICES (access to welfare services)
            OVER   (overcoming barriers)                        SOCIAL   (socio-cultural and political)
            WITH   (cooperation and solidarity)

    WITHIN_ECON WITHIN_SERVICES WITHIN_SOCIAL  TO_ECON TO_SERVICES TO_SOCIAL
    OVER_ECON   OVER_SERVICES   OVER_SOCIAL    WITH_ECON WITH_SERVICES WITH_SOCIAL

Formulas, for member i with indicator means m_ij (the mean of the answered Likert items of j, 1–4) and
indicator weights w_j (equal by default, normalised to Σ w_j = 1):

    rescale(m)      = (m − 1) / 3 × 100                   1 → 0, 2.5 → 50, 4 → 100
    power score     = rescale(mean of the power's three sphere means)
    overall score   = rescale(Σ_j w_j m_ij)                (with equal weights: the mean of the powers)
    adequate_ij     = m_ij ≥ t                             t = adequacy threshold, default 3 ("agree")
    c_i             = Σ_j w_j (1 − adequate_ij)             the weighted inadequacy score
    empowered_i     = 1 − c_i ≥ s  ⇔  c_i ≤ 1 − s           s = empowered share, default 0.8

Disempowerment is Alkire–Foster on the inadequacy matrix with k = 1 − s and *strict* identification:
a member is disempowered when c_i > 1 − s, i.e. inadequate in more than 20 % of the weighted
indicators — exactly the members who are not empowered (WEAI: "adequate in 80 % or more" is empowered,
so a member at exactly 80 % is empowered). Both are decided once, from the same score c_i and the same
tolerance (`SCORE_TOLERANCE`), so `empowered == ~disempowerment.poor` holds member by member, and a
member at exactly 80 % of the weighted indicators counts as empowered even when float sums of the
weights land a hair below 0.8. Means are compared with the threshold with the same tolerance.

    H  = share disempowered = 1 − share empowered
    A  = average inadequacy score among the disempowered
    M0 = H × A,   empowerment index = 1 − M0.

Errors are `EmpowermentError(code, **params)`; `str(error)` is the Bahasa Indonesia text.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from berdaya.engine.evaluation.alkire_foster import (
    SCORE_TOLERANCE,
    AFDecomposition,
    AFResult,
    af_decompose,
    alkire_foster,
    normalize_weights,
)

__all__ = [
    "INDICATORS",
    "INDICATOR_TITLES",
    "LIKERT_MAX",
    "LIKERT_MIN",
    "POWERS",
    "SPHERES",
    "EmpowermentError",
    "EmpowermentGroup",
    "EmpowermentOptions",
    "EmpowermentResult",
    "MemberScores",
    "adequacy",
    "empowerment_index",
    "indicator_means",
    "member_scores",
    "rescale",
]

POWERS = ("WITHIN", "TO", "OVER", "WITH")
SPHERES = ("ECON", "SERVICES", "SOCIAL")
INDICATORS = tuple(f"{power}_{sphere}" for power in POWERS for sphere in SPHERES)
LIKERT_MIN, LIKERT_MAX = 1, 4

_POWER_TITLES = {
    "WITHIN": "Kekuatan dari dalam",
    "TO": "Kekuatan untuk",
    "OVER": "Kekuatan atas",
    "WITH": "Kekuatan bersama",
}
_SPHERE_TITLES = {
    "ECON": "ekonomi",
    "SERVICES": "akses layanan kesejahteraan",
    "SOCIAL": "sosial-budaya dan politik",
}
# Labels for forms, reports and codebooks.
INDICATOR_TITLES = {
    f"{power}_{sphere}": f"{_POWER_TITLES[power]} — {_SPHERE_TITLES[sphere]}" for power in POWERS for sphere in SPHERES
}

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MESSAGES = {
    "unknown_indicator": "Anggota ke-{member}: kode indikator {indicator!r} tidak dikenal.",
    "missing_indicator": "Anggota ke-{member}: indikator {indicator} tidak punya jawaban.",
    "bad_answer": "Anggota ke-{member}, indikator {indicator}: jawaban {value!r} harus bilangan 1 sampai 4.",
    "shape": "Data harus berbentuk anggota × 12 indikator, bukan {shape}.",
    "empty": "Tidak ada anggota untuk dihitung.",
    "missing_mean": "Anggota ke-{member}: nilai indikator {indicator} hilang.",
    "mean_range": "Anggota ke-{member}: nilai indikator {indicator} ({value}) harus antara 1 dan 4.",
    "threshold": "Ambang kecukupan harus antara 1 dan 4, bukan {value}.",
    "share": "Bagian indikator untuk berdaya harus lebih dari 0 dan paling besar 1, bukan {value}.",
}


class EmpowermentError(ValueError):
    """Answers or settings the index cannot use. `code` names the problem; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(_MESSAGES.get(code, code).format(**params))


@dataclass(frozen=True)
class EmpowermentOptions:
    """Settings of the index (spec §8.2 defaults): an indicator is adequate when its mean is at least
    `adequacy_threshold`; a member is empowered when adequate in at least `empowered_share` of the
    weighted indicators. `weights` follow `INDICATORS` (None: equal)."""

    adequacy_threshold: float = 3.0
    empowered_share: float = 0.8
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not (LIKERT_MIN <= self.adequacy_threshold <= LIKERT_MAX):
            raise EmpowermentError("threshold", value=self.adequacy_threshold)
        if not (0 < self.empowered_share <= 1):
            raise EmpowermentError("share", value=self.empowered_share)


def rescale(mean: npt.ArrayLike) -> FloatArray:
    """Likert mean 1–4 to a score 0–100: (mean − 1) / 3 × 100, element-wise (a number gives a 0-d array;
    `float(rescale(2.5))` is 50.0)."""
    values = np.asarray(mean, dtype=np.float64)
    return np.asarray((values - LIKERT_MIN) / (LIKERT_MAX - LIKERT_MIN) * 100, dtype=np.float64)


def indicator_means(members: Sequence[Mapping[str, Sequence[float | None]]]) -> FloatArray:
    """Members × 12 indicator means from each member's item answers keyed by indicator code.

    `members[i]["TO_ECON"]` is the list of that member's answers (1–4) to the TO_ECON items; `None`
    marks an unanswered item and is left out of the mean. Every indicator needs at least one answer.
    Raises `EmpowermentError` for an unknown code, an indicator without answers, or an answer that is
    not a whole number 1–4.
    """
    means = np.empty((len(members), len(INDICATORS)), dtype=np.float64)
    column = {code: j for j, code in enumerate(INDICATORS)}
    for i, answers in enumerate(members):
        for code in answers:
            if code not in column:
                raise EmpowermentError("unknown_indicator", member=i + 1, indicator=code)
        for code, j in column.items():
            given = [value for value in answers.get(code, ()) if value is not None]
            if not given:
                raise EmpowermentError("missing_indicator", member=i + 1, indicator=code)
            for value in given:
                if isinstance(value, bool) or value not in range(LIKERT_MIN, LIKERT_MAX + 1):
                    raise EmpowermentError("bad_answer", member=i + 1, indicator=code, value=value)
            means[i, j] = sum(given) / len(given)
    return means


def _checked(means: npt.ArrayLike) -> FloatArray:
    values = np.asarray(means, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(INDICATORS):
        raise EmpowermentError("shape", shape=values.shape)
    if values.shape[0] == 0:
        raise EmpowermentError("empty")
    for i, j in np.argwhere(~np.isfinite(values)):
        raise EmpowermentError("missing_mean", member=int(i) + 1, indicator=INDICATORS[int(j)])
    for i, j in np.argwhere((values < LIKERT_MIN) | (values > LIKERT_MAX)):
        raise EmpowermentError("mean_range", member=int(i) + 1, indicator=INDICATORS[int(j)], value=values[i, j])
    return values


@dataclass(frozen=True)
class MemberScores:
    """Scores 0–100: `powers` is members × 4 (in `POWERS` order), `overall` one per member."""

    powers: FloatArray = field(compare=False)
    overall: FloatArray = field(compare=False)


def member_scores(means: npt.ArrayLike, *, weights: Sequence[float] | None = None) -> MemberScores:
    """Each member's score per power (rescaled mean of its three sphere indicators) and overall
    (rescaled weighted mean of the 12 indicators; equal weights unless given)."""
    values = _checked(means)
    w = normalize_weights(weights, len(INDICATORS), indicators=INDICATORS)
    per_power = values.reshape(values.shape[0], len(POWERS), len(SPHERES)).mean(axis=2)
    return MemberScores(powers=rescale(per_power), overall=rescale(values @ w))


def adequacy(means: npt.ArrayLike, *, threshold: float = 3.0) -> BoolArray:
    """Members × 12: adequate when the indicator mean is at least `threshold` (a mean equal to it, to
    within `SCORE_TOLERANCE`, is adequate)."""
    values = _checked(means)
    return np.asarray(values >= threshold - SCORE_TOLERANCE, dtype=np.bool_)


@dataclass(frozen=True)
class EmpowermentGroup:
    """One group (KUBE, kelurahan, region): size, population share, share empowered, and the
    disempowerment H, A, M0 with the index 1 − M0."""

    label: Hashable
    n: int
    share: float
    share_empowered: float
    H: float
    A: float
    M0: float
    index: float


@dataclass(frozen=True)
class EmpowermentResult:
    """The index over all members, with each member's scores, adequacy and verdict.

    `disempowerment` is the Alkire–Foster result on inadequacy (its `contribution` says which
    indicators drive disempowerment); `groups` is empty unless groups were given.
    """

    n: int
    share_empowered: float
    H: float
    A: float
    M0: float
    index: float
    scores: MemberScores
    adequate: BoolArray = field(repr=False, compare=False)
    empowered: BoolArray = field(repr=False, compare=False)
    adequacy_share: FloatArray = field(repr=False, compare=False)  # 1 − c_i
    disempowerment: AFResult = field(repr=False, compare=False)
    decomposition: AFDecomposition | None = field(repr=False, compare=False, default=None)
    groups: tuple[EmpowermentGroup, ...] = ()


def _group_row(label: Hashable, share: float, af: AFResult) -> EmpowermentGroup:
    return EmpowermentGroup(
        label=label,
        n=af.n,
        share=share,
        share_empowered=1 - af.H,
        H=af.H,
        A=af.A,
        M0=af.M0,
        index=1 - af.M0,
    )


def empowerment_index(
    means: npt.ArrayLike,
    *,
    options: EmpowermentOptions | None = None,
    groups: Sequence[Hashable] | None = None,
) -> EmpowermentResult:
    """Scores, the 80 % rule and the disempowerment M0 for members × 12 indicator means (see
    `indicator_means`), optionally broken down by `groups` (one label per member; Σ share × M0_g = M0).

    Raises `EmpowermentError` for a wrong shape, a missing mean or one outside 1–4, and
    `AlkireFosterError` for bad weights.
    """
    settings = options or EmpowermentOptions()
    values = _checked(means)
    adequate = adequacy(values, threshold=settings.adequacy_threshold)
    af = alkire_foster(
        ~adequate,
        k=1 - settings.empowered_share,
        weights=settings.weights,
        indicators=INDICATORS,
        strict=True,
    )
    decomposition = af_decompose(af, groups) if groups is not None else None
    return EmpowermentResult(
        n=af.n,
        share_empowered=1 - af.H,
        H=af.H,
        A=af.A,
        M0=af.M0,
        index=1 - af.M0,
        scores=member_scores(values, weights=settings.weights),
        adequate=adequate,
        empowered=~af.poor,
        adequacy_share=1 - af.score,
        disempowerment=af,
        decomposition=decomposition,
        groups=tuple(_group_row(g.label, g.share, g.result) for g in decomposition.groups) if decomposition else (),
    )
