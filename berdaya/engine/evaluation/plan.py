"""The strengthening plan (*rencana penguatan*, spec §8.5): a rule table kept as data, and its roll-up.

The rule table (`plan_rules.toml`, shipped with the package; a user may pass another file) maps each
unmet success indicator, and optionally a cause, to actions. Each action is tagged with the strategy
it comes from — Tjokrowinoto's activities (group formation, mentoring, activity planning), Ismawan's
five programmes (human resources, group institutions, capital formation, productive business,
information) and Suharto's level (micro, mezzo, macro) — and has an owner (the KUBE, its pendamping,
the Dinas Sosial) and a due date (evaluation date + `due_in_days`).

Cause codes are defined in the table's `[causes]`; the bundled set is:

- `no_facilitator_in_kecamatan`  no pendamping assigned in the kecamatan (the seed's finding in Makassar)
- `low_attendance`               meeting attendance under the S2 threshold
- `no_books`                     books not kept every active month (G2)
- `no_aid_report`                aid-use report not submitted (G2)
- `par30_high`                   PAR30 over the G2 threshold
- `no_training`                  too few trainings or too few members reached (S3)
- `no_partner`                   no partnership or joint activity with outsiders (G1)
- `falling_sales`                revenue lower than in the window before (G4)
- `low_capital`                  limited capital and access to credit (the seed's obstacle 2)
- `internal_conflict`            differing mindsets or conflict inside the group (the seed's obstacle 3)
- `no_iks`                       IKS not allocated from every positive surplus (G6)

The first seven that can be read off the indicator results are derived by `causes_from_results`;
the others come from the pendamping's assessment or the Dinas's assignment records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from berdaya.engine.evaluation.success import (
    G1_COOPERATION,
    G2_TRUSTED,
    G4_EXPANSION,
    G6_SOLIDARITY,
    INDICATOR_CODES,
    S2_SOCIAL_DYNAMICS,
    S3_SKILLS,
    IndicatorResult,
)
from berdaya.engine.regions import RegionCodeError, normalize_code

__all__ = [
    "ISMAWAN",
    "OWNERS",
    "ROLLUP_LEVELS",
    "SUHARTO_LEVELS",
    "TJOKROWINOTO",
    "ActionTemplate",
    "PlanAction",
    "PlanRule",
    "PlanRuleError",
    "PlanRules",
    "RollupRow",
    "causes_from_results",
    "load_plan_rules",
    "plan_actions",
    "plan_rollup",
    "regions_with_cause",
]

TJOKROWINOTO = ("group_formation", "mentoring", "activity_planning")
ISMAWAN = ("human_resources", "group_institutions", "capital_formation", "productive_business", "information")
SUHARTO_LEVELS = ("micro", "mezzo", "macro")
# Also the order of a plan: what the group does itself first, then its pendamping, then the Dinas.
OWNERS = ("kube", "pendamping", "dinas")
# Number of dotted parts kept at each roll-up level (61.71.04.1001 -> 61.71.04 at kecamatan).
ROLLUP_LEVELS = {"kelurahan": 4, "kecamatan": 3, "kabkota": 2}

RollupLevel = Literal["kelurahan", "kecamatan", "kabkota"]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_ACTION_KEYS = {"text", "tjokrowinoto", "ismawan", "suharto_level", "owner", "due_in_days"}
_RULE_KEYS = {"id", "indicators", "cause", "actions"}


class PlanRuleError(ValueError):
    """A plan rule table that cannot be read or does not make sense; the message names the rule."""


@dataclass(frozen=True)
class ActionTemplate:
    """One action as written in the table (`code` is its key under `[actions]`)."""

    code: str
    text: str
    tjokrowinoto: str
    ismawan: str
    suharto_level: str
    owner: str
    due_in_days: int


@dataclass(frozen=True)
class PlanRule:
    """Fires when one of `indicators` is unmet and (when `cause` is set) that cause was found."""

    id: str
    indicators: tuple[str, ...]
    cause: str | None
    actions: tuple[str, ...]


@dataclass(frozen=True)
class PlanRules:
    version: int
    title: str
    causes: dict[str, str]
    actions: dict[str, ActionTemplate]
    rules: tuple[PlanRule, ...]
    source: str = ""
    digest: str = ""


@dataclass(frozen=True)
class PlanAction:
    """An action of one KUBE's plan; `indicators` and `causes` say which unmet indicators and which
    causes asked for it (an action asked for by several rules appears once). `causes` is empty when
    only rules without a cause asked for it."""

    code: str
    text: str
    tjokrowinoto: str
    ismawan: str
    suharto_level: str
    owner: str
    due: dt.date
    indicators: tuple[str, ...]
    causes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RollupRow:
    """Actions of one owner for one cause (None: asked for by an unmet indicator alone) in one region.

    `actions` counts the actions; `sources` counts the input regions (e.g. kelurahan) they came from.
    """

    region_code: str
    level: str
    cause: str | None
    owner: str
    actions: int
    sources: int


# ---- loading and validation ------------------------------------------------------------------------


def bundled_rules_path() -> Path:
    return Path(str(resources.files("berdaya.engine.evaluation") / "plan_rules.toml"))


@cache
def _bundled() -> PlanRules:
    return load_plan_rules(bundled_rules_path())


def load_plan_rules(path: str | Path | None = None) -> PlanRules:
    """Load and check a rule table; None loads the bundled `plan_rules.toml`.

    Raises PlanRuleError naming the file and the rule or action at fault: an unknown indicator code,
    cause, strategy tag, owner or action id, a missing field, a duplicate rule id, or an indicator
    without a rule that has no cause (it would leave an unmet indicator without any action).
    """
    file = bundled_rules_path() if path is None else Path(path)
    if not file.is_file():
        raise PlanRuleError(f"{file}: berkas aturan rencana penguatan tidak ditemukan")
    raw = file.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PlanRuleError(f"{file}: berkas aturan tidak valid: {error}") from error
    return plan_rules_from_dict(data, source=str(file), digest=hashlib.sha256(raw).hexdigest()[:12])


def _fail(source: str, where: str, problem: str) -> PlanRuleError:
    return PlanRuleError(f"{source or 'aturan rencana'}: {where}: {problem}")


def _choice(source: str, where: str, key: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise _fail(source, where, f"{key} '{value}' tidak dikenal (pilihan: {', '.join(allowed)})")
    return str(value)


def _action(source: str, code: str, body: Any) -> ActionTemplate:
    where = f"aksi '{code}'"
    if not _CODE.match(code):
        raise _fail(source, where, "kode aksi harus huruf kecil, angka dan garis bawah")
    if not isinstance(body, dict):
        raise _fail(source, where, "harus berupa tabel")
    unknown = set(body) - _ACTION_KEYS
    if unknown:
        raise _fail(source, where, f"kolom tidak dikenal: {', '.join(sorted(unknown))}")
    missing = _ACTION_KEYS - set(body)
    if missing:
        raise _fail(source, where, f"kolom wajib belum ada: {', '.join(sorted(missing))}")
    text = body["text"]
    if not isinstance(text, str) or not text.strip():
        raise _fail(source, where, "text harus berupa teks yang tidak kosong")
    days = body["due_in_days"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise _fail(source, where, f"due_in_days harus bilangan bulat ≥ 0, bukan {days!r}")
    return ActionTemplate(
        code=code,
        text=text.strip(),
        tjokrowinoto=_choice(source, where, "tjokrowinoto", body["tjokrowinoto"], TJOKROWINOTO),
        ismawan=_choice(source, where, "ismawan", body["ismawan"], ISMAWAN),
        suharto_level=_choice(source, where, "suharto_level", body["suharto_level"], SUHARTO_LEVELS),
        owner=_choice(source, where, "owner", body["owner"], OWNERS),
        due_in_days=days,
    )


def _rule(source: str, index: int, body: Any, causes: Mapping[str, str], actions: Mapping[str, Any]) -> PlanRule:
    if not isinstance(body, dict):
        raise _fail(source, f"aturan ke-{index}", "harus berupa tabel")
    rule_id = body.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise _fail(source, f"aturan ke-{index}", "id aturan wajib diisi")
    where = f"aturan '{rule_id}'"
    unknown = set(body) - _RULE_KEYS
    if unknown:
        raise _fail(source, where, f"kolom tidak dikenal: {', '.join(sorted(unknown))}")
    indicators = body.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        raise _fail(source, where, "indicators harus berisi sedikitnya satu kode indikator")
    for code in indicators:
        if code not in INDICATOR_CODES:
            raise _fail(
                source, where, f"kode indikator tidak dikenal '{code}' (yang dikenal: {', '.join(INDICATOR_CODES)})"
            )
    cause = body.get("cause")
    if cause is not None and cause not in causes:
        raise _fail(source, where, f"sebab '{cause}' tidak ada di [causes] (yang ada: {', '.join(causes)})")
    refs = body.get("actions")
    if not isinstance(refs, list) or not refs:
        raise _fail(source, where, "actions harus berisi sedikitnya satu kode aksi")
    for ref in refs:
        if ref not in actions:
            raise _fail(source, where, f"aksi '{ref}' tidak ada di [actions]")
    return PlanRule(id=rule_id, indicators=tuple(indicators), cause=cause, actions=tuple(refs))


def plan_rules_from_dict(data: Mapping[str, Any], *, source: str = "", digest: str = "") -> PlanRules:
    """Check a parsed rule table (see `load_plan_rules`) and build `PlanRules`."""
    unknown = set(data) - {"version", "title", "causes", "actions", "rules"}
    if unknown:
        raise _fail(source, "berkas", f"bagian tidak dikenal: {', '.join(sorted(unknown))}")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise _fail(source, "berkas", "version harus bilangan bulat")
    raw_causes = data.get("causes", {})
    if not isinstance(raw_causes, dict):
        raise _fail(source, "[causes]", "harus berupa tabel kode = label")
    causes: dict[str, str] = {}
    for code, label in raw_causes.items():
        if not _CODE.match(code) or not isinstance(label, str) or not label.strip():
            raise _fail(source, f"sebab '{code}'", "kode huruf kecil/garis bawah dengan label teks")
        causes[code] = label.strip()
    raw_actions = data.get("actions", {})
    if not isinstance(raw_actions, dict) or not raw_actions:
        raise _fail(source, "[actions]", "belum ada aksi")
    actions = {code: _action(source, code, body) for code, body in raw_actions.items()}
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _fail(source, "[[rules]]", "belum ada aturan")
    rules = tuple(_rule(source, i, body, causes, actions) for i, body in enumerate(raw_rules, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise _fail(source, f"aturan '{rule.id}'", "id aturan dipakai lebih dari sekali")
        seen.add(rule.id)
    covered = {code for rule in rules if rule.cause is None for code in rule.indicators}
    for code in INDICATOR_CODES:
        if code not in covered:
            raise _fail(source, f"indikator {code}", "belum ada aturan tanpa sebab untuk indikator ini")
    return PlanRules(
        version=version,
        title=str(data.get("title", "")),
        causes=causes,
        actions=actions,
        rules=rules,
        source=source,
        digest=digest,
    )


# ---- one KUBE's plan -------------------------------------------------------------------------------


def plan_actions(
    unmet: Iterable[str], causes: Iterable[str], as_of: dt.date, rules: PlanRules | None = None
) -> list[PlanAction]:
    """The actions for one KUBE: every rule whose indicator is unmet and whose cause (if any) was found.

    `unmet` are indicator codes (usually `Verdict.unmet`; add `Verdict.missing` to plan for groups
    without data too), `causes` cause codes, `as_of` the evaluation date (due = as_of + due_in_days).
    An action asked for by several rules appears once, with all the indicators and causes that asked.
    Ordered by owner (kube, pendamping, dinas), then due date, then action code.
    Raises ValueError for an unknown indicator or cause code.
    """
    table = rules or _bundled()
    unmet_set = set(unmet)
    cause_set = set(causes)
    unknown_codes = sorted(unmet_set - set(INDICATOR_CODES))
    if unknown_codes:
        raise ValueError(f"unknown indicator code(s): {', '.join(unknown_codes)}")
    unknown_causes = sorted(cause_set - set(table.causes))
    if unknown_causes:
        raise ValueError(f"unknown cause(s): {', '.join(unknown_causes)}; known: {', '.join(table.causes)}")
    asked_by: dict[str, tuple[set[str], set[str]]] = {}
    for rule in table.rules:
        hit = [code for code in rule.indicators if code in unmet_set]
        if not hit or (rule.cause is not None and rule.cause not in cause_set):
            continue
        for ref in rule.actions:
            indicators, rule_causes = asked_by.setdefault(ref, (set(), set()))
            indicators.update(hit)
            if rule.cause is not None:
                rule_causes.add(rule.cause)
    order = {code: i for i, code in enumerate(INDICATOR_CODES)}
    cause_order = {code: i for i, code in enumerate(table.causes)}
    plan = []
    for ref, (indicators, rule_causes) in asked_by.items():
        template = table.actions[ref]
        plan.append(
            PlanAction(
                code=template.code,
                text=template.text,
                tjokrowinoto=template.tjokrowinoto,
                ismawan=template.ismawan,
                suharto_level=template.suharto_level,
                owner=template.owner,
                due=as_of + dt.timedelta(days=template.due_in_days),
                indicators=tuple(sorted(indicators, key=order.__getitem__)),
                causes=tuple(sorted(rule_causes, key=cause_order.__getitem__)),
            )
        )
    plan.sort(key=lambda a: (OWNERS.index(a.owner), a.due, a.code))
    return plan


def causes_from_results(results: Iterable[IndicatorResult]) -> set[str]:
    """The causes that can be read off the indicator results (their failed conditions).

    low_attendance (S2 attendance), no_training (S3 trainings per quarter or member reach), no_partner
    (G1 partnerships), no_books / no_aid_report / par30_high (G2), falling_sales (G4 revenue growth
    below zero), no_iks (G6 IKS share). The other causes need facts from outside the indicators.
    """
    found: set[str] = set()
    failed = {
        (S2_SOCIAL_DYNAMICS, "attendance_rate"): "low_attendance",
        (S3_SKILLS, "trainings_per_quarter"): "no_training",
        (S3_SKILLS, "member_reach"): "no_training",
        (G1_COOPERATION, "partnerships"): "no_partner",
        (G2_TRUSTED, "books_share"): "no_books",
        (G2_TRUSTED, "aid_report_submitted"): "no_aid_report",
        (G2_TRUSTED, "par30"): "par30_high",
        (G6_SOLIDARITY, "iks_share"): "no_iks",
    }
    for result in results:
        for condition in result.conditions:
            cause = failed.get((result.code, condition.name))
            if cause and condition.met is False:
                found.add(cause)
            if (
                result.code == G4_EXPANSION
                and condition.name == "revenue_growth_per_year"
                and condition.value is not None
                and condition.value < 0
            ):
                found.add("falling_sales")
    return found


# ---- roll-up ---------------------------------------------------------------------------------------


def _region_at(code: str, level: str) -> str:
    try:
        parts = normalize_code(code).split(".")
    except RegionCodeError as error:
        raise ValueError(f"not a Kemendagri region code: {code!r}") from error
    keep = ROLLUP_LEVELS[level]
    if len(parts) < keep:
        raise ValueError(f"region code {code!r} is above the {level} level")
    return ".".join(parts[:keep])


def plan_rollup(actions_by_region: Mapping[str, Sequence[PlanAction]], level: RollupLevel) -> list[RollupRow]:
    """Count actions per (region at `level`, cause, owner), so a Dinas sees which areas need what.

    `actions_by_region` maps a dotted Kemendagri code (normally a kelurahan, `61.71.04.1001`; plain
    digits are accepted) to the actions of the KUBEs there. `level` is kelurahan (4 parts), kecamatan
    (first 3 parts) or kabkota (first 2 parts). An action with several causes counts once under each;
    an action without a cause counts under cause None. Rows are ordered by region, owner, cause.
    Raises ValueError for an unknown level or a code that is not a region at or below `level`.
    """
    if level not in ROLLUP_LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(ROLLUP_LEVELS)}")
    counts: dict[tuple[str, str | None, str], int] = defaultdict(int)
    sources: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)
    for region, actions in actions_by_region.items():
        key_region = _region_at(region, level)
        for action in actions:
            for cause in action.causes or (None,):
                key = (key_region, cause, action.owner)
                counts[key] += 1
                sources[key].add(normalize_code(region))
    rows = [
        RollupRow(region_code=r, level=level, cause=c, owner=o, actions=n, sources=len(sources[(r, c, o)]))
        for (r, c, o), n in counts.items()
    ]
    rows.sort(key=lambda row: (row.region_code, OWNERS.index(row.owner), row.cause or ""))
    return rows


def regions_with_cause(rows: Iterable[RollupRow], cause: str, owner: str | None = None) -> list[str]:
    """The regions (at the rows' level) with at least one action for `cause` (and `owner`, when given).

    `len(regions_with_cause(plan_rollup(plans, "kecamatan"), "no_facilitator_in_kecamatan", "dinas"))`
    is the "3 kecamatan need a pendamping" of the Dinas dashboard.
    """
    return sorted({r.region_code for r in rows if r.cause == cause and (owner is None or r.owner == owner)})
