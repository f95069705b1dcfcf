"""A survey round as a research dataset (spec §8.6): one row per response, one column per variable, and a
codebook that says what every column means. Reads only; `evaluation.exports` writes it to files.

Layout of a dataset (in this column order):

- identifiers (source `id`): `pid` (pseudonymous family id, see below), `family_id` (only when not
  pseudonymised), `kube_id`, `kube_name`, `kelurahan`, `kecamatan` (region codes; the family's own
  kelurahan, else the KUBE's), `round_id`, `round_kind`, `comparison` (1 = comparison family of eligible
  non-members), `collected_on`;
- items (source `item`): one column per answer item of the instrument version, named by its item code,
  values as stored (select_one as its choice value; Likert and yes/no choices as integers); a
  select_multiple item becomes one 0/1 column per choice, `<code>__<choice>`. The identification items
  (`sample`, `kube_id`, `family_id`, `round`, `survey_date`, `observer`) are left out: the identifier
  columns above carry them, and `observer` is a staff name. Free-text items are left out when pseudonymised
  (free text can hold names);
- derived (source `derived`), with their formula in the codebook:
  welfare — `dep_income` … `dep_social` (the eight deprivations of `engine.evaluation.welfare`, default
  thresholds), `income_pc` (income per capita per month), `dep_score` (the weighted deprivation share c,
  equal weights), `dep_score_k` (c censored at k = 1/3: 0 when c < k; its mean over households is M0) and
  `af_poor` (c ≥ k); empowerment — `ind_<indicator>` (the 12 indicator means, 1–4), `score_within`,
  `score_to`, `score_over`, `score_with`, `score_overall` (0–100) and `empowered` (the 80 % rule);
  group assessment — `ind_<indicator>` (mean of the indicator's Likert items).

Personal data (spec §9): no NIK, No KK, name or address ever enters a dataset — the query reads no
person row and no such family field. The pseudonym of a family is `F-` followed by the first 10 hex digits
of HMAC-SHA256(key = settings.SECRET_KEY, message = the family id in decimal): the same family gets the
same pseudonym in every round and export of one installation (so baseline and endline can be linked),
while without the key it cannot be turned back into the family id. Rotating SECRET_KEY changes every
pseudonym.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from berdaya.engine.evaluation.alkire_foster import SCORE_TOLERANCE
from berdaya.engine.evaluation.answers import empowerment_items, household_from_answers, indicator_mean
from berdaya.engine.evaluation.empowerment import (
    INDICATOR_TITLES,
    INDICATORS,
    POWERS,
    EmpowermentError,
    EmpowermentOptions,
    empowerment_index,
    indicator_means,
)
from berdaya.engine.evaluation.instruments import Instrument, Item, load_instrument
from berdaya.engine.evaluation.welfare import DIMENSIONS, WelfareOptions, household_deprivations
from berdaya.evaluation.models import InstrumentName, Response, Round
from berdaya.evaluation.options import empowerment_options as configured_empowerment
from berdaya.evaluation.options import welfare_options as configured_welfare

__all__ = ["Codebook", "Dataset", "Variable", "family_pseudonym", "round_dataset"]

# Identification items: carried by the identifier columns (or, for `observer`, a staff name: left out).
ID_ITEMS = frozenset({"sample", "kube_id", "family_id", "round", "survey_date", "observer"})

POWER_TITLES = {
    "WITHIN": ("Daya dari dalam diri", "Power within"),
    "TO": ("Daya untuk berbuat", "Power to"),
    "OVER": ("Daya atas hambatan", "Power over"),
    "WITH": ("Daya bersama", "Power with"),
}
DIMENSION_TITLES_EN = {
    "INCOME": "income",
    "FOOD": "food",
    "CLOTHING": "clothing",
    "HOUSING": "housing",
    "HEALTH": "health",
    "EDUCATION": "education",
    "RELIGIOUS": "religious life",
    "SOCIAL": "social participation",
}
YES_NO = {1: "Ya", 0: "Tidak"}
YES_NO_EN = {1: "Yes", 0: "No"}


@dataclass(frozen=True)
class Variable:
    """One column of a dataset. `type` is integer, decimal, string or date; `value_labels` maps a value
    (as it appears in the data) to its Indonesian label, `value_labels_en` to the English one."""

    name: str
    label: str
    label_en: str
    type: str
    source: str  # id | item | derived
    item: str = ""
    value_labels: dict[Any, str] = field(default_factory=dict)
    value_labels_en: dict[Any, str] = field(default_factory=dict)
    formula: str = ""


@dataclass(frozen=True)
class Codebook:
    """What every column of a dataset means, and where it came from."""

    title: str
    instrument: str
    version: int
    round_id: int
    round_name: str
    round_kind: str
    pseudonymised: bool
    variables: tuple[Variable, ...]
    notes: tuple[str, ...] = ()

    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]


@dataclass(frozen=True)
class Dataset:
    """One row per response (`frame`, columns in codebook order) and its codebook."""

    frame: pd.DataFrame
    codebook: Codebook

    @property
    def rows(self) -> int:
        return len(self.frame)


def family_pseudonym(family_id: int) -> str:
    """`F-` + the first 10 hex digits of HMAC-SHA256(SECRET_KEY, family id): stable, not reversible."""
    key = str(settings.SECRET_KEY).encode("utf-8")
    return "F-" + hmac.new(key, str(int(family_id)).encode("ascii"), hashlib.sha256).hexdigest()[:10]


def _kecamatan(code: str) -> str:
    return ".".join(code.split(".")[:3]) if code else ""


def _id_variables(*, pseudonymise: bool) -> list[Variable]:
    variables = [
        Variable(
            "pid",
            "ID samaran keluarga",
            "Pseudonymous family id",
            "string",
            "id",
            formula="F- + 10 digit heksadesimal pertama HMAC-SHA256(kunci rahasia instalasi, id keluarga)",
        )
    ]
    if not pseudonymise:
        variables.append(Variable("family_id", "ID keluarga di Berdaya", "Family id in Berdaya", "integer", "id"))
    variables += [
        Variable("kube_id", "ID KUBE", "KUBE id", "integer", "id"),
        Variable("kube_name", "Nama KUBE", "KUBE name", "string", "id"),
        Variable("kelurahan", "Kode kelurahan/desa", "Village code (Kemendagri)", "string", "id"),
        Variable("kecamatan", "Kode kecamatan", "District code (Kemendagri)", "string", "id"),
        Variable("round_id", "ID putaran survei", "Survey round id", "integer", "id"),
        Variable(
            "round_kind",
            "Jenis putaran",
            "Round kind",
            "string",
            "id",
            value_labels={"baseline": "Awal", "midline": "Tengah", "endline": "Akhir"},
            value_labels_en={"baseline": "Baseline", "midline": "Midline", "endline": "Endline"},
        ),
        Variable(
            "comparison",
            "Keluarga pembanding (bukan anggota KUBE)",
            "Comparison family (not a KUBE member)",
            "integer",
            "id",
            value_labels={1: "Pembanding", 0: "Anggota KUBE"},
            value_labels_en={1: "Comparison", 0: "KUBE member"},
        ),
        Variable("collected_on", "Tanggal wawancara", "Interview date", "date", "id"),
    ]
    return variables


def _item_variables(item: Item) -> list[Variable]:
    if item.type == "select_multiple":
        return [
            Variable(
                f"{item.code}__{choice.value}",
                f"{item.label} — {choice.label}",
                f"{item.label_en} — {choice.label_en}".strip(" —"),
                "integer",
                "item",
                item=item.code,
                value_labels={1: "Dipilih", 0: "Tidak dipilih"},
                value_labels_en={1: "Selected", 0: "Not selected"},
            )
            for choice in item.choices
        ]
    if item.type == "select_one":
        numeric = item.numeric_choices
        return [
            Variable(
                item.code,
                item.label,
                item.label_en,
                "integer" if numeric else "string",
                "item",
                item=item.code,
                value_labels={(int(c.value) if numeric else c.value): c.label for c in item.choices},
                value_labels_en={(int(c.value) if numeric else c.value): c.label_en for c in item.choices},
            )
        ]
    kind = {"integer": "integer", "decimal": "decimal", "date": "date"}.get(item.type, "string")
    return [Variable(item.code, item.label, item.label_en, kind, "item", item=item.code)]


def _k_text(k: float) -> str:
    return "1/3" if abs(k - 1 / 3) < 1e-12 else f"{k:g}"


def _welfare_variables(instrument: Instrument, options: WelfareOptions) -> list[Variable]:
    titles = {indicator.code: indicator.label for indicator in instrument.indicators}
    variables = [
        Variable(
            f"dep_{dimension.lower()}",
            f"Kekurangan {titles.get(dimension, dimension).lower()}",
            f"Deprived in {DIMENSION_TITLES_EN[dimension]}",
            "integer",
            "derived",
            value_labels={1: "Kekurangan", 0: "Tidak kekurangan"},
            value_labels_en={1: "Deprived", 0: "Not deprived"},
            formula=f"1 bila {options.rule_text(dimension)}; kosong bila jawaban yang dibutuhkan kosong",
        )
        for dimension in DIMENSIONS
    ]
    weight = 1 / len(DIMENSIONS)
    variables += [
        Variable(
            "income_pc",
            "Pendapatan per kapita per bulan (rupiah)",
            "Income per capita per month (rupiah)",
            "decimal",
            "derived",
            formula="income_month / household_size",
        ),
        Variable(
            "dep_score",
            "Skor kekurangan tertimbang (0–1)",
            "Weighted deprivation score (0–1)",
            "decimal",
            "derived",
            formula=f"c = Σ bobot × dep_*, bobot sama {weight:g} untuk 8 dimensi",
        ),
        Variable(
            "dep_score_k",
            f"Skor kekurangan tersensor pada k = {_k_text(options.k)} (rata-ratanya = M0)",
            f"Deprivation score censored at k = {_k_text(options.k)} (its mean is M0)",
            "decimal",
            "derived",
            formula=f"c bila c ≥ k ({_k_text(options.k)}), selain itu 0 (Alkire–Foster)",
        ),
        Variable(
            "af_poor",
            "Miskin multidimensi (Alkire–Foster)",
            "Multidimensionally poor (Alkire–Foster)",
            "integer",
            "derived",
            value_labels=dict(YES_NO),
            value_labels_en=dict(YES_NO_EN),
            formula=f"1 bila c ≥ k ({_k_text(options.k)})",
        ),
    ]
    return variables


def _empowerment_variables(instrument: Instrument, options: EmpowermentOptions) -> list[Variable]:
    by_code = {indicator.code: indicator for indicator in instrument.indicators}
    variables = []
    for code in INDICATORS:
        declared = by_code.get(code)
        variables.append(
            Variable(
                f"ind_{code.lower()}",
                f"Rata-rata butir {declared.label if declared else INDICATOR_TITLES[code]} (1–4)",
                f"Mean of items, {declared.label_en if declared else code} (1–4)",
                "decimal",
                "derived",
                formula=f"rata-rata butir Likert yang dijawab dari indikator {code}",
            )
        )
    for power in POWERS:
        label, label_en = POWER_TITLES[power]
        variables.append(
            Variable(
                f"score_{power.lower()}",
                f"Skor {label} (0–100)",
                f"{label_en} score (0–100)",
                "decimal",
                "derived",
                formula=f"(rata-rata ind_{power.lower()}_* − 1) / 3 × 100",
            )
        )
    share = options.empowered_share
    variables += [
        Variable(
            "score_overall",
            "Skor keberdayaan keseluruhan (0–100)",
            "Overall empowerment score (0–100)",
            "decimal",
            "derived",
            formula="(rata-rata tertimbang 12 ind_* − 1) / 3 × 100, bobot sama",
        ),
        Variable(
            "empowered",
            f"Berdaya (cukup di ≥ {share:.0%} indikator)",
            f"Empowered (adequate in ≥ {share:.0%} of indicators)",
            "integer",
            "derived",
            value_labels={1: "Berdaya", 0: "Belum berdaya"},
            value_labels_en={1: "Empowered", 0: "Not yet empowered"},
            formula=(
                f"1 bila ind_* ≥ {options.adequacy_threshold:g} pada paling sedikit {share:.0%} "
                "indikator tertimbang (aturan 80 %)"
            ),
        ),
    ]
    return variables


def _group_variables(instrument: Instrument) -> list[Variable]:
    return [
        Variable(
            f"ind_{indicator.code.lower()}",
            f"Rata-rata butir Likert {indicator.label} (1–4)",
            f"Mean of Likert items, {indicator.label_en} (1–4)",
            "decimal",
            "derived",
            formula=f"rata-rata butir Likert yang dijawab dari indikator {indicator.code}",
        )
        for indicator in instrument.indicators
        if any(item.likert and item.indicator == indicator.code for item in instrument.items)
    ]


def _number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _item_values(item: Item, answers: dict[str, Any]) -> dict[str, Any]:
    value = answers.get(item.code)
    if item.type == "select_multiple":
        if value in (None, ""):
            return {f"{item.code}__{c.value}": None for c in item.choices}
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else str(value).split())}
        return {f"{item.code}__{c.value}": int(c.value in chosen) for c in item.choices}
    if value in (None, ""):
        return {item.code: None}
    if item.type == "select_one":
        return {item.code: int(value) if item.numeric_choices else str(value)}
    if item.type == "integer":
        number = _number(value)
        return {item.code: None if number is None else int(number)}
    if item.type == "decimal":
        return {item.code: _number(value)}
    if item.type == "date":
        return {item.code: dt.date.fromisoformat(str(value)[:10]) if value else None}
    return {item.code: str(value)}


def _welfare_derived(responses: list[Response], options: WelfareOptions) -> list[dict[str, Any]]:
    households = [household_from_answers(r.answers, ref=str(r.pk)) for r in responses]
    matrix = household_deprivations(households, options=options) if households else np.empty((0, 8))
    rows = []
    for household, flags in zip(households, matrix, strict=True):
        row: dict[str, Any] = {
            f"dep_{dimension.lower()}": None if np.isnan(flag) else int(flag)
            for dimension, flag in zip(DIMENSIONS, flags, strict=True)
        }
        income, size = household.income_per_month, household.household_size
        row["income_pc"] = None if income is None or not size else float(income) / size
        if np.isnan(flags).any():
            row.update(dep_score=None, dep_score_k=None, af_poor=None)
        else:
            score = float(flags.mean())
            poor = score >= options.k - SCORE_TOLERANCE
            row.update(dep_score=score, dep_score_k=score if poor else 0.0, af_poor=int(poor))
        rows.append(row)
    return rows


def _empowerment_derived(responses: list[Response], instrument: Instrument) -> list[dict[str, Any]]:
    empty = {f"ind_{c.lower()}": None for c in INDICATORS}
    empty.update({f"score_{p.lower()}": None for p in POWERS}, score_overall=None, empowered=None)
    rows = [dict(empty) for _ in responses]
    complete: list[int] = []
    means: list[np.ndarray] = []
    for i, response in enumerate(responses):
        try:
            means.append(indicator_means([empowerment_items(response.answers, instrument)])[0])
        except EmpowermentError:
            continue  # an indicator unanswered: its derived columns stay empty rather than wrong
        complete.append(i)
    if not complete:
        return rows
    result = empowerment_index(np.vstack(means))
    for position, i in enumerate(complete):
        rows[i].update({f"ind_{c.lower()}": float(means[position][j]) for j, c in enumerate(INDICATORS)})
        rows[i].update({f"score_{p.lower()}": float(result.scores.powers[position, j]) for j, p in enumerate(POWERS)})
        rows[i]["score_overall"] = float(result.scores.overall[position])
        rows[i]["empowered"] = int(bool(result.empowered[position]))
    return rows


def _group_derived(responses: list[Response], instrument: Instrument, variables: list[Variable]) -> list[dict]:
    codes = [v.name.removeprefix("ind_").upper() for v in variables]
    return [{f"ind_{code.lower()}": indicator_mean(r.answers, instrument, code) for code in codes} for r in responses]


def _frame(rows: list[dict[str, Any]], variables: list[Variable]) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    for variable in variables:
        values = [row.get(variable.name) for row in rows]
        if variable.type == "integer":
            columns[variable.name] = pd.array(values, dtype="Int64")
        elif variable.type == "decimal":
            columns[variable.name] = pd.array([np.nan if v is None else float(v) for v in values], dtype="float64")
        else:
            columns[variable.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def round_dataset(round: Round, instrument: str | Instrument, *, pseudonymise: bool) -> Dataset:
    """The responses of one instrument in one round as a dataset with its codebook (see the module doc).

    `instrument` is a name (the round's version is used) or a loaded Instrument. Raises KeyError for a
    name that is not one of the three instruments.
    """
    if isinstance(instrument, str):
        if instrument not in InstrumentName.values:
            raise KeyError(instrument)
        instrument = load_instrument(instrument, round.version_of(instrument))
    responses = list(
        Response.objects.filter(round=round, instrument=instrument.name)
        .select_related("kube", "family")
        # No person row and no No KK, address or name is read: only what the dataset shows.
        .only(
            "id",
            "answers",
            "collected_on",
            "comparison",
            "family_id",
            "kube_id",
            "kube__name",
            "kube__region",
            "family__region",
        )  # fmt: skip
        .order_by("comparison", "kube_id", "family_id", "id")
    )
    items = [
        item for item in instrument.items if item.code not in ID_ITEMS and not (pseudonymise and item.type == "text")
    ]
    variables = _id_variables(pseudonymise=pseudonymise)
    for item in items:
        variables += _item_variables(item)
    welfare_options, empowerment_options = configured_welfare(), configured_empowerment()
    if instrument.name == InstrumentName.WELFARE:
        derived_variables = _welfare_variables(instrument, welfare_options)
        derived = _welfare_derived(responses, welfare_options)
    elif instrument.name == InstrumentName.EMPOWERMENT:
        derived_variables = _empowerment_variables(instrument, empowerment_options)
        derived = _empowerment_derived(responses, instrument)
    else:
        derived_variables = _group_variables(instrument)
        derived = _group_derived(responses, instrument, derived_variables)
    variables += derived_variables

    rows = []
    for response, extra in zip(responses, derived, strict=True):
        family = response.family if response.family_id else None
        village = (family.region_id if family is not None else "") or (
            response.kube.region_id if response.kube_id else ""
        )
        row: dict[str, Any] = {
            "pid": family_pseudonym(response.family_id) if response.family_id else None,
            "family_id": response.family_id,
            "kube_id": response.kube_id,
            "kube_name": response.kube.name if response.kube_id else None,
            "kelurahan": village or None,
            "kecamatan": _kecamatan(village) or None,
            "round_id": round.pk,
            "round_kind": round.kind,
            "comparison": int(response.comparison),
            "collected_on": response.collected_on,
        }
        answers = response.answers or {}
        for item in items:
            row.update(_item_values(item, answers))
        row.update(extra)
        rows.append(row)
    pids = [row["pid"] for row in rows if row["pid"]]
    families = {row["family_id"] for row in rows if row["pid"]}
    if len(set(pids)) != len(families):  # 40 bits: a clash is astronomically unlikely, but never silent
        raise RuntimeError("two families got the same pseudonym; lengthen the pseudonym")
    notes = [
        "Tidak ada NIK, No KK, nama atau alamat dalam berkas ini (UU PDP No. 27/2022).",
        "pid: ID samaran yang sama untuk keluarga yang sama di setiap putaran; tidak bisa dibalik tanpa "
        "kunci rahasia instalasi.",
        "Kolom <butir>__<pilihan>: 1 bila pilihan itu dicentang pada butir pilihan ganda.",
        "Kosong berarti tidak dijawab atau tidak ditanyakan.",
    ]
    if pseudonymise:
        notes.append("Disamarkan untuk evaluator: tanpa family_id dan tanpa butir teks bebas.")
    codebook = Codebook(
        title=instrument.title,
        instrument=instrument.name,
        version=instrument.version,
        round_id=round.pk,
        round_name=round.name,
        round_kind=round.kind,
        pseudonymised=pseudonymise,
        variables=tuple(variables),
        notes=tuple(notes),
    )
    return Dataset(frame=_frame(rows, variables), codebook=codebook)
