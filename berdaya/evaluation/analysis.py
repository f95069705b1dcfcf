"""Baseline vs endline analysis of a round (spec §8.6). Reads only; the statistics are the engine's
(`engine.evaluation.statistics`), fed from the research datasets (`evaluation.dataset`).

Definitions:

- **Pairs.** A KUBE-member family (comparison = 0) with a response to the same instrument in both the
  baseline round (`round.baseline`) and the follow-up round; families are matched by family id. A KUBE
  is paired when it has a `KubeScore` in both rounds.
- **Welfare** (one row per indicator, over paired households): each of the eight deprivations
  `dep_*` and multidimensional poverty `af_poor` (c ≥ k) — McNemar (`paired_binary`): baseline and
  endline are the shares deprived, the difference is the change in share with its Wald interval, the
  effect size the discordant odds ratio b/c; income per capita `income_pc` and the censored
  deprivation score `dep_score_k` (its mean is M0, so the difference is the change in M0 among the
  paired households) — Wilcoxon signed-rank (`paired_continuous`): baseline and endline are means, the
  difference is the mean paired difference with its t interval, the effect size the rank-biserial r
  with a bootstrap interval.
- **Empowerment** (over paired members): the 12 indicator means `ind_*` and `score_overall` —
  Wilcoxon; `empowered` (the 80 % rule) — McNemar.
- **Groups** (over paired KUBEs): each success indicator met (S1–S3, G1–G6, from `KubeScore.indicators`)
  and the verdict `successful` — McNemar; an indicator that could not be judged (met = None) drops the pair.
- **Difference in differences**, when comparison families answered the same instrument in both rounds:
  for each continuous outcome, `did(outcome, treated, post, cluster)` over the families observed in
  both rounds (a balanced panel): treated = 1 for members, post = 1 for the follow-up round. Standard
  errors are clustered because the same households are surveyed twice and members share a KUBE: the
  cluster of a member is its KUBE (`K<kube id>`), of a comparison family its kelurahan (`R<code>`),
  the nearest thing it has to a group. With fewer than two clusters, or a singular cluster covariance,
  the classical OLS errors are used (the row's `covariance` says which).

Positive differences are increases: for deprivations and poverty a negative difference is an improvement.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import pandas as pd
from django.utils.translation import gettext as _

from berdaya.engine.evaluation.statistics import did, paired_binary, paired_continuous
from berdaya.engine.evaluation.success import INDICATOR_CODES, INDICATOR_TITLES
from berdaya.evaluation.dataset import Dataset, round_dataset
from berdaya.evaluation.models import InstrumentName, KubeScore, Round

__all__ = ["Comparison", "ComparisonRow", "DidRow", "paired_rows", "round_comparison"]

Interval = tuple[float, float]

WELFARE_BINARY = (
    "dep_income", "dep_food", "dep_clothing", "dep_housing", "dep_health", "dep_education", "dep_religious",
    "dep_social", "af_poor",
)  # fmt: skip
WELFARE_CONTINUOUS = ("income_pc", "dep_score_k")
EMPOWERMENT_CONTINUOUS = (
    "ind_within_econ", "ind_within_services", "ind_within_social", "ind_to_econ", "ind_to_services",
    "ind_to_social", "ind_over_econ", "ind_over_services", "ind_over_social", "ind_with_econ",
    "ind_with_services", "ind_with_social", "score_overall",
)  # fmt: skip
EMPOWERMENT_BINARY = ("empowered",)


@dataclass(frozen=True)
class ComparisonRow:
    """One indicator, baseline vs follow-up. `kind` is continuous (means, Wilcoxon) or binary (shares,
    McNemar). `effect_name` says what `effect_size` is (rank-biserial r or odds ratio b/c)."""

    section: str  # welfare | empowerment | kube
    code: str
    label: str
    kind: str
    n: int
    baseline: float
    endline: float
    difference: float
    ci: Interval | None
    p_value: float | None
    test: str
    effect_size: float | None
    effect_name: str
    effect_ci: Interval | None
    improvement_when: str  # up | down: which direction is better

    @property
    def improved(self) -> bool | None:
        """Whether the change went the better way (None when there is no change)."""
        if self.difference == 0:
            return None
        return (self.difference > 0) == (self.improvement_when == "up")


@dataclass(frozen=True)
class DidRow:
    """A difference-in-differences estimate for one continuous outcome."""

    section: str
    code: str
    label: str
    estimate: float
    ci: Interval
    p_value: float
    se: float
    n: int
    n_clusters: int | None
    covariance: str
    cell_means: dict[str, float]


@dataclass(frozen=True)
class Comparison:
    """Everything the analysis page shows for one follow-up round."""

    round_id: int
    baseline_id: int | None
    rows: tuple[ComparisonRow, ...] = ()
    did_rows: tuple[DidRow, ...] = ()
    pairs: dict[str, int] = field(default_factory=dict)  # section -> paired families / KUBEs
    comparison_families: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def section(self, name: str) -> list[ComparisonRow]:
        return [row for row in self.rows if row.section == name]


def _binary_row(section: str, code: str, label: str, before, after, *, better: str) -> ComparisonRow:
    result = paired_binary(before, after)
    return ComparisonRow(
        section=section,
        code=code,
        label=label,
        kind="binary",
        n=result.n,
        baseline=result.proportion_before,
        endline=result.proportion_after,
        difference=result.difference,
        ci=result.difference_ci,
        p_value=result.p_value,
        test=_("McNemar eksak") if result.exact else _("McNemar χ²"),
        effect_size=result.odds_ratio,
        effect_name=_("rasio odds b/c"),
        effect_ci=result.odds_ratio_ci,
        improvement_when=better,
    )


def _continuous_row(section: str, code: str, label: str, before, after, *, better: str) -> ComparisonRow:
    result = paired_continuous(before, after)
    x = pd.to_numeric(pd.Series(list(before), dtype="Float64"))
    y = pd.to_numeric(pd.Series(list(after), dtype="Float64"))
    keep = x.notna() & y.notna()
    return ComparisonRow(
        section=section,
        code=code,
        label=label,
        kind="continuous",
        n=result.n,
        baseline=float(x[keep].mean()),
        endline=float(y[keep].mean()),
        difference=result.mean_difference,
        ci=result.mean_difference_ci,
        p_value=result.p_value,
        test=_("Wilcoxon bertanda"),
        effect_size=result.effect_size,
        effect_name=_("r rank-biserial"),
        effect_ci=result.effect_size_ci,
        improvement_when=better,
    )


def paired_rows(
    section: str,
    before: Dataset,
    after: Dataset,
    *,
    binary: tuple[str, ...],
    continuous: tuple[str, ...],
    lower_is_better: frozenset[str] = frozenset(),
) -> tuple[list[ComparisonRow], int, list[str]]:
    """Paired tests of the member families present in both datasets. Returns (rows, pairs, notes)."""
    members = {
        "before": before.frame[before.frame["comparison"] == 0],
        "after": after.frame[after.frame["comparison"] == 0],
    }
    merged = members["before"].merge(members["after"], on="family_id", suffixes=("_b", "_a"))
    rows: list[ComparisonRow] = []
    notes: list[str] = []
    if merged.empty:
        return rows, 0, notes
    for code in (*continuous, *binary):
        if code not in before.codebook.names:
            continue
        label = before.codebook.variable(code).label
        better = "down" if code in lower_is_better else "up"
        build = _binary_row if code in binary else _continuous_row
        try:
            rows.append(build(section, code, label, merged[f"{code}_b"], merged[f"{code}_a"], better=better))
        except ValueError:
            notes.append(_("%(code)s: tidak ada pasangan lengkap.") % {"code": code})
    return rows, len(merged), notes


def _kube_rows(endline: Round, baseline: Round) -> tuple[list[ComparisonRow], int, list[str]]:
    before = {s.kube_id: s for s in KubeScore.objects.filter(round=baseline)}
    after = {s.kube_id: s for s in KubeScore.objects.filter(round=endline)}
    kubes = sorted(set(before) & set(after))
    rows: list[ComparisonRow] = []
    notes: list[str] = []
    if not kubes:
        return rows, 0, notes

    def met(score: KubeScore, code: str) -> float:
        value = (score.indicators.get(code) or {}).get("met")
        return math.nan if value is None else float(bool(value))

    for code in (*INDICATOR_CODES, "successful"):
        if code == "successful":
            x = [float(before[k].successful) for k in kubes]
            y = [float(after[k].successful) for k in kubes]
            label = _("KUBE berhasil (semua indikator terpenuhi)")
        else:
            x = [met(before[k], code) for k in kubes]
            y = [met(after[k], code) for k in kubes]
            label = f"{code}: {INDICATOR_TITLES.get(code, code)}"
        try:
            rows.append(_binary_row("kube", code, label, x, y, better="up"))
        except ValueError:
            notes.append(_("%(code)s: belum bisa dinilai di kedua putaran.") % {"code": code})
    return rows, len(kubes), notes


def _panel(before: Dataset, after: Dataset) -> pd.DataFrame:
    """Families observed in both rounds, stacked: treated, post and the cluster of each row."""
    frames = []
    for post, data in ((0, before.frame), (1, after.frame)):
        frame = data[data["family_id"].notna()].copy()
        frame["post"] = post
        frames.append(frame)
    both = set(frames[0]["family_id"]) & set(frames[1]["family_id"])
    panel = pd.concat(frames, ignore_index=True)
    panel = panel[panel["family_id"].isin(both)].copy()
    panel["treated"] = 1 - panel["comparison"].astype(int)
    panel["cluster"] = [
        f"R{village}" if comparison else f"K{kube}"
        for comparison, kube, village in zip(panel["comparison"], panel["kube_id"], panel["kelurahan"], strict=True)
    ]
    return panel


def did_rows(section: str, before: Dataset, after: Dataset, outcomes: tuple[str, ...]) -> list[DidRow]:
    """Difference-in-differences per continuous outcome (see the module doc); [] without a comparison
    group in both rounds."""
    panel = _panel(before, after)
    if panel.empty or set(panel["treated"]) != {0, 1}:
        return []
    rows = []
    for code in outcomes:
        if code not in panel.columns:
            continue
        data = pd.DataFrame(
            {
                "y": panel[code].astype("Float64").to_numpy(dtype=float, na_value=math.nan),
                "treated": panel["treated"].to_numpy(),
                "post": panel["post"].to_numpy(),
                "cluster": panel["cluster"].to_numpy(),
            }
        )
        try:
            with warnings.catch_warnings():
                # With few clusters the cluster-robust covariance can be singular (NaN standard error);
                # that case falls back to the classical errors below rather than printing a warning.
                warnings.simplefilter("ignore", RuntimeWarning)
                result = did("y", "treated", "post", "cluster", data=data)
            if not math.isfinite(result.se):
                raise ValueError("singular cluster covariance")
        except ValueError:
            try:
                result = did("y", "treated", "post", data=data)
            except ValueError:
                continue
        rows.append(
            DidRow(
                section=section,
                code=code,
                label=before.codebook.variable(code).label,
                estimate=result.estimate,
                ci=result.ci,
                p_value=result.p_value,
                se=result.se,
                n=result.n,
                n_clusters=result.n_clusters,
                covariance=result.covariance,
                cell_means=result.cell_means,
            )
        )
    return rows


def _comparison_count(dataset: Dataset) -> int:
    return int((dataset.frame["comparison"] == 1).sum())


def round_comparison(endline_round: Round) -> Comparison:
    """Baseline vs this midline or endline round: paired tests per indicator and, with a comparison
    group surveyed in both rounds, difference in differences. A baseline round gives an empty Comparison
    (`baseline_id` None)."""
    baseline = endline_round.baseline
    if baseline is None:
        return Comparison(round_id=endline_round.pk, baseline_id=None)
    rows: list[ComparisonRow] = []
    did_found: list[DidRow] = []
    pairs: dict[str, int] = {}
    comparison: dict[str, int] = {}
    notes: list[str] = []
    welfare_lower = frozenset(WELFARE_BINARY) | {"dep_score_k"}  # less deprivation is better
    sections = (
        (InstrumentName.WELFARE, "welfare", WELFARE_BINARY, WELFARE_CONTINUOUS, welfare_lower),
        (InstrumentName.EMPOWERMENT, "empowerment", EMPOWERMENT_BINARY, EMPOWERMENT_CONTINUOUS, frozenset()),
    )
    for instrument, section, binary, continuous, lower in sections:
        before = round_dataset(baseline, instrument, pseudonymise=False)
        after = round_dataset(endline_round, instrument, pseudonymise=False)
        found, n, problems = paired_rows(
            section, before, after, binary=binary, continuous=continuous, lower_is_better=lower
        )
        rows += found
        pairs[section] = n
        notes += problems
        comparison[section] = min(_comparison_count(before), _comparison_count(after))
        if comparison[section]:
            did_found += did_rows(section, before, after, continuous)
    kube_found, kubes, problems = _kube_rows(endline_round, baseline)
    rows += kube_found
    pairs["kube"] = kubes
    notes += problems
    return Comparison(
        round_id=endline_round.pk,
        baseline_id=baseline.pk,
        rows=tuple(rows),
        did_rows=tuple(did_found),
        pairs=pairs,
        comparison_families=comparison,
        notes=tuple(notes),
    )
