"""KUBE success indicators (spec §8.1, Hermawati 2006 in the seed) as pure functions: no Django, no database.

Each indicator is a function of a small dataclass of facts the Django side has already aggregated
(shares, counts, item means, rupiah) and returns an `IndicatorResult`. The verdict follows the seed:
a KUBE is *berhasil* (successful) only when **every** indicator is met; otherwise it is "belum
berhasil" with the list of unmet indicators.

Conventions, the same for every indicator:

- Shares and rates are fractions 0..1 (75 % is 0.75); item means are on the Likert scale 1..4.
- A bound is inclusive: "≥ 75 %" is met at exactly 75 %, "≤ 10 %" is met at exactly 10 %. Comparisons
  allow 1e-9 so that a ratio computed in floating point (1_100_000 / 1_000_000 − 1) lands on the side
  of the threshold it is on in exact arithmetic.
- "Items up" means the mean now is strictly greater than at baseline (a tie is not an increase).
- `met` is three-valued: True, False, or None for "no data". An indicator built from several
  conditions joined by AND is False as soon as one known condition fails (so a known failure is not
  hidden behind a missing fact), None when none fails but one is unknown, True when all hold. For
  conditions joined by OR it is True as soon as one holds, None when none holds but one is unknown.
- Each result lists its conditions (`Condition`) so that a page can show which part failed and the
  strengthening plan can derive causes (see `plan.causes_from_results`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "INDICATOR_CODES",
    "INDICATOR_TITLES",
    "BasicNeedsFacts",
    "Condition",
    "CooperationFacts",
    "ExpansionFacts",
    "IncomeFacts",
    "IndicatorResult",
    "RegularityFacts",
    "SkillsFacts",
    "SocialDynamicsFacts",
    "SolidarityFacts",
    "SuccessFacts",
    "SuccessThresholds",
    "TrustFacts",
    "Verdict",
    "basic_needs",
    "cooperation",
    "expansion",
    "income",
    "kube_verdict",
    "regularity",
    "skills",
    "social_dynamics",
    "solidarity",
    "success_indicators",
    "trusted",
]

S1_BASIC_NEEDS = "S1_BASIC_NEEDS"
S2_SOCIAL_DYNAMICS = "S2_SOCIAL_DYNAMICS"
S3_SKILLS = "S3_SKILLS"
G1_COOPERATION = "G1_COOPERATION"
G2_TRUSTED = "G2_TRUSTED"
G3_REGULAR = "G3_REGULAR"
G4_EXPANSION = "G4_EXPANSION"
G5_INCOME = "G5_INCOME"
G6_SOLIDARITY = "G6_SOLIDARITY"

# The order of spec §8.1: the family indicators (S) then the group indicators (G).
INDICATOR_CODES: tuple[str, ...] = (
    S1_BASIC_NEEDS,
    S2_SOCIAL_DYNAMICS,
    S3_SKILLS,
    G1_COOPERATION,
    G2_TRUSTED,
    G3_REGULAR,
    G4_EXPANSION,
    G5_INCOME,
    G6_SOLIDARITY,
)

INDICATOR_TITLES: dict[str, str] = {
    S1_BASIC_NEEDS: "Kebutuhan dasar (pangan, papan, sandang) lebih terpenuhi",
    S2_SOCIAL_DYNAMICS: "Dinamika sosial meningkat",
    S3_SKILLS: "Bakat dan kemampuan analitis meningkat",
    G1_COOPERATION: "Kerja sama antaranggota dan dengan masyarakat meluas",
    G2_TRUSTED: "Kelompok terpercaya",
    G3_REGULAR: "Kegiatan kelompok teratur",
    G4_EXPANSION: "Usaha berkembang",
    G5_INCOME: "Pendapatan anggota meningkat",
    G6_SOLIDARITY: "Menghimpun Iuran Kesetiakawanan Sosial (IKS)",
}

_EPS = 1e-9


@dataclass(frozen=True)
class SuccessThresholds:
    """The thresholds of spec §8.1; every one is a setting (defaults are the spec's).

    - `basic_needs_max_deprived_share` (0.20): S1 is met when the share of member families deprived in
      food, shelter or clothing is at most this, or has fallen from baseline.
    - `attendance_min` (0.75): S2, meeting attendance over the period at least this.
    - `trainings_per_quarter_min` (1.0): S3, trainings held per quarter of the period at least this.
    - `training_reach_min` (0.70): S3, share of members who attended a training at least this.
    - `partnerships_min` (1): G1, partnerships or joint activities with outsiders in the period.
    - `cooperation_item_min` (3.0): G1, mean of the cooperation items (Likert 1–4) at least this.
    - `books_share_min` (1.0): G2, months with books ÷ active months at least this (1.0 = every month).
    - `par30_max` (0.10): G2, portfolio at risk over 30 days at most this.
    - `regular_share_min` (1.0): G3, months with a meeting and a business transaction ÷ months in the
      period at least this (1.0 = every month).
    - `expansion_growth_min` (0.10): G4, equity or revenue growth per year at least this.
    - `income_growth_min` (0.10): G5, median member-family income now ÷ baseline − 1 at least this.
    - `iks_share_min` (1.0): G6, periods with IKS allocated ÷ periods with a positive surplus at least
      this (1.0 = every positive surplus).
    """

    basic_needs_max_deprived_share: float = 0.20
    attendance_min: float = 0.75
    trainings_per_quarter_min: float = 1.0
    training_reach_min: float = 0.70
    partnerships_min: int = 1
    cooperation_item_min: float = 3.0
    books_share_min: float = 1.0
    par30_max: float = 0.10
    regular_share_min: float = 1.0
    expansion_growth_min: float = 0.10
    income_growth_min: float = 0.10
    iks_share_min: float = 1.0

    def __post_init__(self) -> None:
        shares = {
            "basic_needs_max_deprived_share": self.basic_needs_max_deprived_share,
            "attendance_min": self.attendance_min,
            "training_reach_min": self.training_reach_min,
            "books_share_min": self.books_share_min,
            "par30_max": self.par30_max,
            "regular_share_min": self.regular_share_min,
            "iks_share_min": self.iks_share_min,
        }
        for name, value in shares.items():
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value}")
        if not 1 <= self.cooperation_item_min <= 4:
            raise ValueError(f"cooperation_item_min must be on the 1–4 scale, got {self.cooperation_item_min}")
        if self.trainings_per_quarter_min < 0 or self.partnerships_min < 0:
            raise ValueError("trainings_per_quarter_min and partnerships_min must not be negative")


DEFAULT_THRESHOLDS = SuccessThresholds()


@dataclass(frozen=True)
class Condition:
    """One test inside an indicator: `value <comparison> threshold`, and whether it holds (None: no data)."""

    name: str
    value: float | None
    threshold: float | None
    comparison: str  # ">=", "<=", ">" or "=="
    met: bool | None


@dataclass(frozen=True)
class IndicatorResult:
    """The answer for one indicator. `value`/`threshold` are those of its headline condition."""

    code: str
    met: bool | None
    value: float | None
    threshold: float | None
    reason: str
    conditions: tuple[Condition, ...] = ()

    def condition(self, name: str) -> Condition | None:
        """The condition called `name`, or None when this indicator has none by that name."""
        return next((c for c in self.conditions if c.name == name), None)


# ---- facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasicNeedsFacts:
    """S1: share (0..1) of member families deprived in food, shelter or clothing, at baseline and now."""

    deprived_share_baseline: float | None = None
    deprived_share_now: float | None = None


@dataclass(frozen=True)
class SocialDynamicsFacts:
    """S2: attendance rate (0..1) over the period; community-participation item means (1–4)."""

    attendance_rate: float | None = None
    participation_mean_baseline: float | None = None
    participation_mean_now: float | None = None


@dataclass(frozen=True)
class SkillsFacts:
    """S3: trainings per quarter of the period; share of members who attended one; skill item means."""

    trainings_per_quarter: float | None = None
    member_reach: float | None = None
    skill_mean_baseline: float | None = None
    skill_mean_now: float | None = None


@dataclass(frozen=True)
class CooperationFacts:
    """G1: partnerships or joint activities with outsiders recorded in the period; cooperation item mean."""

    partnerships: int | None = None
    cooperation_mean: float | None = None


@dataclass(frozen=True)
class TrustFacts:
    """G2: months with books kept / active months; aid-use report submitted; PAR30 (0..1).

    `par30` None with `has_loans` False means there is no loan portfolio (bookkeeping's PAR30 is None
    when nothing is outstanding): nothing is at risk, so the PAR condition holds. `par30` None with
    `has_loans` True (or unknown) is missing data.
    """

    months_with_books: int | None = None
    active_months: int | None = None
    aid_report_submitted: bool | None = None
    par30: float | None = None
    has_loans: bool | None = None


@dataclass(frozen=True)
class RegularityFacts:
    """G3: months (of the period) with both a meeting and a recorded business transaction; months in period."""

    months_regular: int | None = None
    months_in_period: int | None = None


@dataclass(frozen=True)
class ExpansionFacts:
    """G4: equity and revenue growth per year (0.10 = 10 %); a new product or market recorded."""

    equity_growth_per_year: float | None = None
    revenue_growth_per_year: float | None = None
    new_product_or_market: bool | None = None


@dataclass(frozen=True)
class IncomeFacts:
    """G5: median member-family income (rupiah a month) at baseline and now."""

    median_income_baseline: float | None = None
    median_income_now: float | None = None


@dataclass(frozen=True)
class SolidarityFacts:
    """G6: periods (e.g. book years) with a positive surplus; of those, how many allocated IKS;
    whether the IKS was used for social purposes or kept in the IKS account (not diverted)."""

    positive_surplus_periods: int | None = None
    periods_with_iks: int | None = None
    iks_used_or_kept: bool | None = None


@dataclass(frozen=True)
class SuccessFacts:
    """All facts of one KUBE for one round; a part left at its default is "no data"."""

    basic_needs: BasicNeedsFacts = field(default_factory=BasicNeedsFacts)
    social_dynamics: SocialDynamicsFacts = field(default_factory=SocialDynamicsFacts)
    skills: SkillsFacts = field(default_factory=SkillsFacts)
    cooperation: CooperationFacts = field(default_factory=CooperationFacts)
    trusted: TrustFacts = field(default_factory=TrustFacts)
    regularity: RegularityFacts = field(default_factory=RegularityFacts)
    expansion: ExpansionFacts = field(default_factory=ExpansionFacts)
    income: IncomeFacts = field(default_factory=IncomeFacts)
    solidarity: SolidarityFacts = field(default_factory=SolidarityFacts)


# ---- helpers --------------------------------------------------------------------------------------


def _at_least(name: str, value: float | None, threshold: float) -> Condition:
    met = None if value is None else value >= threshold - _EPS
    return Condition(name, value, threshold, ">=", met)


def _at_most(name: str, value: float | None, threshold: float) -> Condition:
    met = None if value is None else value <= threshold + _EPS
    return Condition(name, value, threshold, "<=", met)


def _rose(name: str, baseline: float | None, now: float | None) -> Condition:
    """Item mean strictly up from baseline; value is the change, threshold 0."""
    if baseline is None or now is None:
        return Condition(name, None, 0.0, ">", None)
    change = now - baseline
    return Condition(name, change, 0.0, ">", change > _EPS)


def _flag(name: str, value: bool | None) -> Condition:
    return Condition(name, None if value is None else float(value), 1.0, "==", value)


def _ratio(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def _all(conditions: Sequence[Condition]) -> bool | None:
    if any(c.met is False for c in conditions):
        return False
    if any(c.met is None for c in conditions):
        return None
    return True


def _any(conditions: Sequence[Condition]) -> bool | None:
    if any(c.met is True for c in conditions):
        return True
    if any(c.met is None for c in conditions):
        return None
    return False


def _share(name: str, value: float | None) -> None:
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value}")


def _likert(name: str, value: float | None) -> None:
    if value is not None and not 1 <= value <= 4:
        raise ValueError(f"{name} must be an item mean on the 1–4 scale, got {value}")


def _count(name: str, value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _rupiah(value: float | None) -> str:
    return "—" if value is None else "Rp" + f"{value:,.0f}".replace(",", ".")


def _result(code: str, met: bool | None, conditions: Sequence[Condition], reason: str) -> IndicatorResult:
    head = conditions[0]
    if met is None:
        missing = ", ".join(c.name for c in conditions if c.met is None)
        reason = f"Data belum ada: {missing}. {reason}"
    return IndicatorResult(code, met, head.value, head.threshold, reason, tuple(conditions))


# ---- the nine indicators --------------------------------------------------------------------------


def basic_needs(facts: BasicNeedsFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """S1_BASIC_NEEDS: met when share_now ≤ max_deprived_share OR share_now < share_baseline.

    share = member families deprived in food, shelter or clothing ÷ member families (0..1). A fall is
    strict (any fall counts); the level bound is inclusive (exactly 20 % is met). Without a baseline
    only the level bound can be judged; without a share now the indicator has no data.
    """
    _share("deprived_share_baseline", facts.deprived_share_baseline)
    _share("deprived_share_now", facts.deprived_share_now)
    level = _at_most("deprived_share_now", facts.deprived_share_now, thresholds.basic_needs_max_deprived_share)
    if facts.deprived_share_now is None or facts.deprived_share_baseline is None:
        fall = Condition("deprived_share_fall", None, 0.0, ">", None)
    else:
        drop = facts.deprived_share_baseline - facts.deprived_share_now
        fall = Condition("deprived_share_fall", drop, 0.0, ">", drop > _EPS)
    met = _any([level, fall]) if facts.deprived_share_now is not None else None
    reason = (
        f"Keluarga anggota yang kekurangan pangan/papan/sandang: {_pct(facts.deprived_share_now)} "
        f"(awal {_pct(facts.deprived_share_baseline)}); syarat ≤ "
        f"{_pct(thresholds.basic_needs_max_deprived_share)} atau turun dari awal."
    )
    return _result(S1_BASIC_NEEDS, met, [level, fall], reason)


def social_dynamics(facts: SocialDynamicsFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """S2_SOCIAL_DYNAMICS: met when attendance_rate ≥ attendance_min AND participation mean now > baseline.

    attendance_rate = present records ÷ all attendance records of the period's meetings (0..1).
    """
    _share("attendance_rate", facts.attendance_rate)
    _likert("participation_mean_baseline", facts.participation_mean_baseline)
    _likert("participation_mean_now", facts.participation_mean_now)
    conditions = [
        _at_least("attendance_rate", facts.attendance_rate, thresholds.attendance_min),
        _rose("participation_change", facts.participation_mean_baseline, facts.participation_mean_now),
    ]
    reason = (
        f"Kehadiran pertemuan {_pct(facts.attendance_rate)} (syarat ≥ {_pct(thresholds.attendance_min)}); "
        f"partisipasi di masyarakat {_num(facts.participation_mean_baseline)} → "
        f"{_num(facts.participation_mean_now)} (syarat naik)."
    )
    return _result(S2_SOCIAL_DYNAMICS, _all(conditions), conditions, reason)


def skills(facts: SkillsFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """S3_SKILLS: met when trainings_per_quarter ≥ 1 AND member_reach ≥ 0.70 AND skill mean now > baseline.

    trainings_per_quarter = trainings held in the period ÷ quarters in the period;
    member_reach = members who attended at least one of them ÷ members (0..1).
    """
    _count("trainings_per_quarter", facts.trainings_per_quarter)
    _share("member_reach", facts.member_reach)
    _likert("skill_mean_baseline", facts.skill_mean_baseline)
    _likert("skill_mean_now", facts.skill_mean_now)
    conditions = [
        _at_least("trainings_per_quarter", facts.trainings_per_quarter, thresholds.trainings_per_quarter_min),
        _at_least("member_reach", facts.member_reach, thresholds.training_reach_min),
        _rose("skill_change", facts.skill_mean_baseline, facts.skill_mean_now),
    ]
    reason = (
        f"Pelatihan {_num(facts.trainings_per_quarter)} per triwulan (syarat ≥ "
        f"{thresholds.trainings_per_quarter_min:g}), menjangkau {_pct(facts.member_reach)} anggota (syarat ≥ "
        f"{_pct(thresholds.training_reach_min)}); keterampilan {_num(facts.skill_mean_baseline)} → "
        f"{_num(facts.skill_mean_now)} (syarat naik)."
    )
    return _result(S3_SKILLS, _all(conditions), conditions, reason)


def cooperation(facts: CooperationFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G1_COOPERATION: met when partnerships ≥ 1 AND cooperation item mean ≥ 3 (of 4)."""
    _count("partnerships", facts.partnerships)
    _likert("cooperation_mean", facts.cooperation_mean)
    partnerships = None if facts.partnerships is None else float(facts.partnerships)
    conditions = [
        _at_least("partnerships", partnerships, thresholds.partnerships_min),
        _at_least("cooperation_mean", facts.cooperation_mean, thresholds.cooperation_item_min),
    ]
    reason = (
        f"Kemitraan/kegiatan bersama pihak luar: {facts.partnerships if facts.partnerships is not None else '—'} "
        f"(syarat ≥ {thresholds.partnerships_min}); skor kerja sama {_num(facts.cooperation_mean)} "
        f"(syarat ≥ {thresholds.cooperation_item_min:g} dari 4)."
    )
    return _result(G1_COOPERATION, _all(conditions), conditions, reason)


def trusted(facts: TrustFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G2_TRUSTED: met when months_with_books ÷ active_months ≥ 1.0 AND aid-use report submitted AND PAR30 ≤ 0.10.

    PAR30 = outstanding principal more than 30 days past due ÷ all outstanding principal (bookkeeping).
    No loan portfolio (`par30` None, `has_loans` False) satisfies the PAR condition.
    """
    _count("months_with_books", facts.months_with_books)
    _count("active_months", facts.active_months)
    _share("par30", facts.par30)
    if facts.par30 is None and facts.has_loans is False:
        par = Condition("par30", 0.0, thresholds.par30_max, "<=", True)
    else:
        par = _at_most("par30", facts.par30, thresholds.par30_max)
    conditions = [
        _at_least("books_share", _ratio(facts.months_with_books, facts.active_months), thresholds.books_share_min),
        _flag("aid_report_submitted", facts.aid_report_submitted),
        par,
    ]
    report = {True: "sudah", False: "belum", None: "—"}[facts.aid_report_submitted]
    reason = (
        f"Buku diisi {facts.months_with_books if facts.months_with_books is not None else '—'} dari "
        f"{facts.active_months if facts.active_months is not None else '—'} bulan aktif (syarat ≥ "
        f"{_pct(thresholds.books_share_min)}); laporan penggunaan bantuan {report}; PAR30 "
        f"{_pct(par.value)} (syarat ≤ {_pct(thresholds.par30_max)})."
    )
    return _result(G2_TRUSTED, _all(conditions), conditions, reason)


def regularity(facts: RegularityFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G3_REGULAR: met when months_regular ÷ months_in_period ≥ 1.0 (a meeting and a transaction every month)."""
    _count("months_regular", facts.months_regular)
    _count("months_in_period", facts.months_in_period)
    regular, period = facts.months_regular, facts.months_in_period
    if regular is not None and period is not None and regular > period:
        raise ValueError("months_regular cannot exceed months_in_period")
    conditions = [
        _at_least("regular_share", _ratio(facts.months_regular, facts.months_in_period), thresholds.regular_share_min)
    ]
    reason = (
        f"Bulan dengan pertemuan dan transaksi usaha: "
        f"{facts.months_regular if facts.months_regular is not None else '—'} dari "
        f"{facts.months_in_period if facts.months_in_period is not None else '—'} (syarat ≥ "
        f"{_pct(thresholds.regular_share_min)})."
    )
    return _result(G3_REGULAR, _all(conditions), conditions, reason)


def expansion(facts: ExpansionFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G4_EXPANSION: met when equity growth ≥ 0.10 OR revenue growth ≥ 0.10 (per year) OR a new product/market.

    growth per year = (value at end ÷ value at start) ^ (365 ÷ days) − 1, computed by the caller from
    the books (bookkeeping's `equity_growth`/`revenue_growth` over a one-year window need no scaling).
    """
    conditions = [
        _at_least("equity_growth_per_year", facts.equity_growth_per_year, thresholds.expansion_growth_min),
        _at_least("revenue_growth_per_year", facts.revenue_growth_per_year, thresholds.expansion_growth_min),
        _flag("new_product_or_market", facts.new_product_or_market),
    ]
    new = {True: "ada", False: "tidak ada", None: "—"}[facts.new_product_or_market]
    reason = (
        f"Pertumbuhan modal {_pct(facts.equity_growth_per_year)}, omzet {_pct(facts.revenue_growth_per_year)} "
        f"per tahun (syarat salah satu ≥ {_pct(thresholds.expansion_growth_min)}), atau produk/pasar baru: {new}."
    )
    return _result(G4_EXPANSION, _any(conditions), conditions, reason)


def income(facts: IncomeFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G5_INCOME: met when median_income_now ÷ median_income_baseline − 1 ≥ 0.10.

    A baseline median of zero or less leaves the growth undefined: no data.
    """
    base, now = facts.median_income_baseline, facts.median_income_now
    growth = None if base is None or now is None or base <= 0 else now / base - 1
    conditions = [_at_least("income_growth", growth, thresholds.income_growth_min)]
    reason = (
        f"Median pendapatan keluarga anggota {_rupiah(base)} → {_rupiah(now)}: {_pct(growth)} "
        f"(syarat naik ≥ {_pct(thresholds.income_growth_min)})."
    )
    return _result(G5_INCOME, _all(conditions), conditions, reason)


def solidarity(facts: SolidarityFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS) -> IndicatorResult:
    """G6_SOLIDARITY: met when periods_with_iks ÷ positive_surplus_periods ≥ 1.0 AND IKS used or kept.

    A group that has never had a positive surplus has raised no IKS: the indicator is not met (it is a
    known fact, not missing data), since the seed asks that the group *raises* a solidarity fund.
    """
    _count("positive_surplus_periods", facts.positive_surplus_periods)
    _count("periods_with_iks", facts.periods_with_iks)
    if facts.positive_surplus_periods == 0:
        share = Condition("iks_share", 0.0, thresholds.iks_share_min, ">=", False)
    else:
        share = _at_least(
            "iks_share", _ratio(facts.periods_with_iks, facts.positive_surplus_periods), thresholds.iks_share_min
        )
    conditions = [share, _flag("iks_used_or_kept", facts.iks_used_or_kept)]
    used = {True: "ya", False: "tidak", None: "—"}[facts.iks_used_or_kept]
    reason = (
        f"IKS disisihkan pada {facts.periods_with_iks if facts.periods_with_iks is not None else '—'} dari "
        f"{facts.positive_surplus_periods if facts.positive_surplus_periods is not None else '—'} periode "
        f"dengan SHU positif (syarat ≥ {_pct(thresholds.iks_share_min)}); dipakai/disimpan untuk sosial: {used}."
    )
    return _result(G6_SOLIDARITY, _all(conditions), conditions, reason)


def success_indicators(
    facts: SuccessFacts, thresholds: SuccessThresholds = DEFAULT_THRESHOLDS
) -> list[IndicatorResult]:
    """All nine indicators of one KUBE, in the order of `INDICATOR_CODES`."""
    return [
        basic_needs(facts.basic_needs, thresholds),
        social_dynamics(facts.social_dynamics, thresholds),
        skills(facts.skills, thresholds),
        cooperation(facts.cooperation, thresholds),
        trusted(facts.trusted, thresholds),
        regularity(facts.regularity, thresholds),
        expansion(facts.expansion, thresholds),
        income(facts.income, thresholds),
        solidarity(facts.solidarity, thresholds),
    ]


# ---- the verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """*Berhasil* (`successful`) only when every indicator is met.

    `unmet`: codes judged not met; `missing`: codes without data (they also keep the KUBE from
    success but are listed apart, since the remedy is to collect data); `met`: codes met. All three
    are in the order of `INDICATOR_CODES`.
    """

    successful: bool
    unmet: list[str]
    missing: list[str]
    met: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.met) + len(self.unmet) + len(self.missing)


def kube_verdict(results: Iterable[IndicatorResult], codes: Sequence[str] = INDICATOR_CODES) -> Verdict:
    """The seed's rule: successful only when every indicator in `codes` is met.

    An expected code absent from `results` is listed as missing, so a forgotten indicator can never
    make a KUBE successful. Raises ValueError for a code outside `codes` or a code given twice.
    """
    by_code: dict[str, IndicatorResult] = {}
    for result in results:
        if result.code not in codes:
            raise ValueError(f"unknown indicator code {result.code!r}; expected one of {', '.join(codes)}")
        if result.code in by_code:
            raise ValueError(f"indicator {result.code} given twice")
        by_code[result.code] = result
    met = [c for c in codes if c in by_code and by_code[c].met is True]
    unmet = [c for c in codes if c in by_code and by_code[c].met is False]
    missing = [c for c in codes if c not in by_code or by_code[c].met is None]
    return Verdict(successful=not unmet and not missing, unmet=unmet, missing=missing, met=met)
