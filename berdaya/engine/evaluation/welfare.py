"""Household welfare (spec §8.3; UU 11/2009: material, spiritual and social needs): a deprivation per
dimension from the welfare-survey answers, then Alkire–Foster H, A, M0 with the cross-dimension
cut-off k, decomposed by dimension (the indicator contributions) and by region (subgroups).

The eight dimensions, in this order (the column order of every households × 8 array here), and when a
household counts as deprived (defaults in `WelfareOptions`; the housing and food rules follow the BPS
criteria for poor households, the others the programme goals in the seed):

    code       deprived when
    INCOME     monthly household income / household size < the poverty line per capita
    FOOD       fewer than 2 meals a day usually, or someone ate less or skipped meals in the last
               12 months for lack of money or food
    CLOTHING   cannot buy each member at least one new set of clothes a year
    HOUSING    floor of earth / bamboo / cheap wood, or walls of bamboo / rumbia / unplastered
               low-quality wood, or roof of rumbia / ijuk / leaves, or floor area < 8 m² per person
    HEALTH     a member was sick in the last 3 months and not treated for lack of money
    EDUCATION  a child aged 7–15 is not in school
    RELIGIOUS  the household cannot practise its religion or attend worship or religious gatherings
               (for cost, clothing, distance or exclusion)
    SOCIAL     no member took part in any community activity (gotong royong, arisan, pengajian,
               posyandu, village meeting) in the last 3 months

A household with no one sick, or no child aged 7–15, is not deprived in health or education (the survey
answers False). Weights are equal by default (1/8 each) and k is one third of the weighted dimensions;
identification is the "≥ k" rule of `alkire_foster` (a score equal to k counts, within tolerance).

An answer a dimension needs that is missing (None) is refused, naming the household and the answer,
unless `drop_missing=True`, which leaves out each household with a missing answer (see `AFResult.kept`).

Errors are `WelfareError(code, **params)`; `str(error)` is the Bahasa Indonesia text.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from berdaya.engine.evaluation.alkire_foster import AFDecomposition, AFResult, af_decompose, alkire_foster

__all__ = [
    "DEPRIVATION_RULES",
    "DIMENSIONS",
    "HouseholdAnswers",
    "WelfareError",
    "WelfareOptions",
    "WelfareResult",
    "household_deprivations",
    "welfare_index",
]

DIMENSIONS = ("INCOME", "FOOD", "CLOTHING", "HOUSING", "HEALTH", "EDUCATION", "RELIGIOUS", "SOCIAL")

# The rule of each dimension in the words of reports and codebooks ({...} filled from the options).
DEPRIVATION_RULES = {
    "INCOME": "Pendapatan per kapita per bulan di bawah garis kemiskinan (Rp{poverty_line})",
    "FOOD": "Makan kurang dari {min_meals_per_day:g} kali sehari, atau pernah makan kurang/melewatkan makan "
    "dalam 12 bulan terakhir karena tidak ada uang atau makanan",
    "CLOTHING": "Tidak mampu membeli satu stel pakaian baru per anggota keluarga setahun sekali",
    "HOUSING": "Lantai tanah/bambu/kayu murah, dinding bambu/rumbia/kayu murah tanpa plester, atap rumbia/ijuk/"
    "daun, atau luas lantai kurang dari {min_floor_area_per_person:g} m² per orang",
    "HEALTH": "Ada anggota keluarga sakit dalam 3 bulan terakhir yang tidak berobat karena tidak ada biaya",
    "EDUCATION": "Ada anak usia 7–15 tahun yang tidak bersekolah",
    "RELIGIOUS": "Tidak dapat menjalankan ibadah atau menghadiri kegiatan keagamaan",
    "SOCIAL": "Tidak ada anggota keluarga yang ikut kegiatan kemasyarakatan dalam 3 bulan terakhir",
}

FloatArray = npt.NDArray[np.float64]

_MESSAGES = {
    "missing": "Rumah tangga {household}: jawaban '{answer}' kosong (dibutuhkan untuk dimensi {dimension}).",
    "household_size": "Rumah tangga {household}: jumlah anggota harus paling sedikit 1, bukan {value}.",
    "negative": "Rumah tangga {household}: '{answer}' tidak boleh negatif ({value}).",
    "empty": "Tidak ada rumah tangga untuk dihitung.",
    "all_dropped": "Semua rumah tangga punya jawaban kosong; tidak ada yang bisa dihitung.",
    "options": "Pengaturan kesejahteraan tidak sah: {problem}.",
}


class WelfareError(ValueError):
    """Answers or settings the index cannot use. `code` names the problem; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(_MESSAGES.get(code, code).format(**params))


@dataclass(frozen=True)
class HouseholdAnswers:
    """One household's answers to the welfare survey; None marks an unanswered question.

    `ref` names the household in errors (a pseudonymous id, never a name or No KK).
    """

    income_per_month: float | None  # rupiah, the whole household
    household_size: int | None
    meals_per_day: float | None  # usual number of meals a day
    food_insecure: bool | None  # ate less or skipped meals in the last 12 months for lack of money/food
    new_clothes_yearly: bool | None  # can buy each member a new set of clothes once a year
    floor_poor: bool | None  # earth, bamboo or cheap wood
    wall_poor: bool | None  # bamboo, rumbia or unplastered low-quality wood
    roof_poor: bool | None  # rumbia, ijuk or leaves
    floor_area_m2: float | None
    sick_untreated: bool | None  # a member sick in the last 3 months, not treated for lack of money
    child_out_of_school: bool | None  # a child aged 7–15 not in school
    religious_unable: bool | None  # cannot practise religion or attend worship / religious gatherings
    community_participation: bool | None  # a member took part in a community activity in 3 months
    ref: str = ""


@dataclass(frozen=True)
class WelfareOptions:
    """Thresholds, weights (in `DIMENSIONS` order; None: equal) and the cut-off k.

    `poverty_line` is rupiah per capita per month; the default is BPS's national line for March 2025
    (Rp609.160) — set the line of the kab/kota (BPS publishes one per kab/kota each year).
    """

    poverty_line: float = 609_160
    min_meals_per_day: float = 2
    min_floor_area_per_person: float = 8.0
    weights: tuple[float, ...] | None = None
    k: float = 1 / 3

    def __post_init__(self) -> None:
        if not self.poverty_line > 0:
            raise WelfareError("options", problem="garis kemiskinan harus lebih dari 0")
        if not self.min_meals_per_day > 0:
            raise WelfareError("options", problem="batas makan per hari harus lebih dari 0")
        if not self.min_floor_area_per_person > 0:
            raise WelfareError("options", problem="batas luas lantai per orang harus lebih dari 0")

    def rule_text(self, dimension: str) -> str:
        """The deprivation rule of `dimension` in Bahasa Indonesia, with these thresholds."""
        return DEPRIVATION_RULES[dimension].format(
            poverty_line=f"{self.poverty_line:,.0f}".replace(",", "."),
            min_meals_per_day=self.min_meals_per_day,
            min_floor_area_per_person=self.min_floor_area_per_person,
        )


Rule = Callable[[HouseholdAnswers, WelfareOptions], bool]


def _income(h: HouseholdAnswers, o: WelfareOptions) -> bool:
    return float(h.income_per_month or 0) / int(h.household_size or 1) < o.poverty_line


def _food(h: HouseholdAnswers, o: WelfareOptions) -> bool:
    return float(h.meals_per_day or 0) < o.min_meals_per_day or bool(h.food_insecure)


def _housing(h: HouseholdAnswers, o: WelfareOptions) -> bool:
    crowded = float(h.floor_area_m2 or 0) / int(h.household_size or 1) < o.min_floor_area_per_person
    return bool(h.floor_poor or h.wall_poor or h.roof_poor) or crowded


# Each dimension: the answers it needs (all must be present) and the rule over them.
_RULES: dict[str, tuple[tuple[str, ...], Rule]] = {
    "INCOME": (("income_per_month", "household_size"), _income),
    "FOOD": (("meals_per_day", "food_insecure"), _food),
    "CLOTHING": (("new_clothes_yearly",), lambda h, o: not h.new_clothes_yearly),
    "HOUSING": (("floor_poor", "wall_poor", "roof_poor", "floor_area_m2", "household_size"), _housing),
    "HEALTH": (("sick_untreated",), lambda h, o: bool(h.sick_untreated)),
    "EDUCATION": (("child_out_of_school",), lambda h, o: bool(h.child_out_of_school)),
    "RELIGIOUS": (("religious_unable",), lambda h, o: bool(h.religious_unable)),
    "SOCIAL": (("community_participation",), lambda h, o: not h.community_participation),
}


def _name(household: HouseholdAnswers, position: int) -> str:
    return f"{position + 1} ({household.ref})" if household.ref else f"ke-{position + 1}"


def _check_values(household: HouseholdAnswers, position: int) -> None:
    size = household.household_size
    if size is not None and size < 1:
        raise WelfareError("household_size", household=_name(household, position), value=size)
    for answer in ("income_per_month", "meals_per_day", "floor_area_m2"):
        value = getattr(household, answer)
        if value is not None and value < 0:
            raise WelfareError("negative", household=_name(household, position), answer=answer, value=value)


def household_deprivations(
    households: Sequence[HouseholdAnswers], *, options: WelfareOptions | None = None
) -> FloatArray:
    """Households × 8 deprivations (1.0 deprived, 0.0 not, NaN when an answer the dimension needs is
    missing), columns in `DIMENSIONS` order. Raises `WelfareError` for a household size below 1 or a
    negative income, meal count or floor area."""
    settings = options or WelfareOptions()
    matrix = np.empty((len(households), len(DIMENSIONS)), dtype=np.float64)
    for i, household in enumerate(households):
        _check_values(household, i)
        for j, dimension in enumerate(DIMENSIONS):
            needs, rule = _RULES[dimension]
            if any(getattr(household, answer) is None for answer in needs):
                matrix[i, j] = np.nan
            else:
                matrix[i, j] = 1.0 if rule(household, settings) else 0.0
    return matrix


@dataclass(frozen=True)
class WelfareResult:
    """Alkire–Foster on the welfare deprivations: `af` holds H, A, M0 and the per-dimension censored
    headcounts and contributions (indicators are `DIMENSIONS`); `by_region` the subgroup breakdown
    when regions were given."""

    af: AFResult
    deprivations: FloatArray = field(repr=False, compare=False)
    by_region: AFDecomposition | None = field(repr=False, compare=False, default=None)

    @property
    def H(self) -> float:
        return self.af.H

    @property
    def A(self) -> float:
        return self.af.A

    @property
    def M0(self) -> float:
        return self.af.M0

    def by_dimension(self) -> dict[str, dict[str, float]]:
        """Per dimension: uncensored and censored headcount ratios, relative and absolute contribution."""
        af = self.af
        return {
            name: {
                "headcount": af.uncensored_headcount[j],
                "censored_headcount": af.censored_headcount[j],
                "contribution": af.contribution[j],
                "absolute_contribution": af.absolute_contribution[j],
            }
            for j, name in enumerate(af.indicators)
        }


def welfare_index(
    households: Sequence[HouseholdAnswers],
    *,
    options: WelfareOptions | None = None,
    regions: Sequence[Hashable] | None = None,
    drop_missing: bool = False,
) -> WelfareResult:
    """H, A, M0 of welfare deprivation over `households`, by dimension and (with `regions`, one label
    per household, e.g. the kecamatan code) by region; Σ_region share × M0_region = M0.

    Raises `WelfareError` naming the household and answer when one is missing (unless `drop_missing`),
    and `AlkireFosterError` for bad weights or k.
    """
    settings = options or WelfareOptions()
    if not households:
        raise WelfareError("empty")
    matrix = household_deprivations(households, options=settings)
    if not drop_missing:
        for i, household in enumerate(households):
            for dimension in DIMENSIONS:
                for answer in _RULES[dimension][0]:
                    if getattr(household, answer) is None:
                        raise WelfareError("missing", household=_name(household, i), answer=answer, dimension=dimension)
    elif np.isnan(matrix).any(axis=1).all():
        raise WelfareError("all_dropped")
    af = alkire_foster(matrix, k=settings.k, weights=settings.weights, indicators=DIMENSIONS, drop_missing=True)
    return WelfareResult(
        af=af,
        deprivations=matrix,
        by_region=af_decompose(af, regions) if regions is not None else None,
    )
