"""Eligibility rule sets: data files (TOML) with parameters and citations.

A rule set is never a constant in code: `permensos-2-2019` and `kalbar-2019` ship with the
package, and a user can copy one, edit it and pass its path instead of its name.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

RULE_CODES = (
    "NIK_VALID",
    "KK_VALID",
    "IN_DTKS",
    "HEAD_OR_EARNER",
    "AGE",
    "MARRIED",
    "RESIDENT",
    "READY",
    "SKILL",
    "NOT_STATE_EMPLOYEE",
    "NO_PRIOR_AID",
)

BUSINESS_TYPES = (
    "pertanian",
    "peternakan",
    "perikanan",
    "pengolahan_pangan",
    "perdagangan",
    "kerajinan",
    "jasa",
)


class RuleSetError(ValueError):
    """A rule set that cannot be found or does not make sense."""


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: int
    title: str
    citation: str
    group_size_min: int
    group_size_max: int
    group_target: int
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    aid: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    source: str = ""

    def enabled(self, code: str) -> bool:
        return bool(self.rules.get(code, {}).get("enabled", True)) and code in self.rules

    @property
    def enabled_codes(self) -> tuple[str, ...]:
        return tuple(code for code in RULE_CODES if self.enabled(code))

    def param(self, code: str, key: str, default: Any = None) -> Any:
        return self.rules.get(code, {}).get(key, default)

    @property
    def desil_max(self) -> int:
        return int(self.param("IN_DTKS", "desil_max", 4))

    @property
    def age_range(self) -> tuple[int, int]:
        return int(self.param("AGE", "min", 18)), int(self.param("AGE", "max", 59))

    @property
    def skill_synonyms(self) -> dict[str, str]:
        """Lower-case text -> canonical business type, including each type's own name."""
        table = {t: t for t in self.param("SKILL", "allowed", BUSINESS_TYPES)}
        table.update({k.strip().lower(): v for k, v in self.param("SKILL", "synonyms", {}).items()})
        return table

    @property
    def skill_none_values(self) -> list[str]:
        return [v.strip().lower() for v in self.param("SKILL", "none_values", ["tidak ada"])]

    @property
    def state_employee_terms(self) -> list[str]:
        return [t.strip().upper() for t in self.param("NOT_STATE_EMPLOYEE", "terms", [])]


def bundled_rulesets() -> dict[str, Path]:
    folder = resources.files("berdaya.engine") / "rulesets"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def load_ruleset(name_or_path: str | Path) -> RuleSet:
    """Load a bundled rule set by name (`permensos-2-2019`) or any TOML file by path.

    Raises RuleSetError with the file and the problem when the file is missing or invalid.
    """
    bundled = bundled_rulesets()
    path = bundled.get(str(name_or_path)) or Path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(bundled))
        raise RuleSetError(
            f"Aturan '{name_or_path}' tidak ditemukan. Yang tersedia: {known}, atau path berkas TOML."
        )
    raw_bytes = path.read_bytes()
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RuleSetError(f"{path}: berkas aturan tidak valid: {error}") from error
    return ruleset_from_dict(data, source=str(path), digest=hashlib.sha256(raw_bytes).hexdigest()[:12])


def ruleset_from_dict(data: dict[str, Any], *, source: str = "", digest: str = "") -> RuleSet:
    group = data.get("group", {})
    rules = data.get("rules", {})
    unknown = sorted(set(rules) - set(RULE_CODES))
    if unknown:
        raise RuleSetError(f"{source}: kode aturan tidak dikenal: {', '.join(unknown)}")
    try:
        ruleset = RuleSet(
            name=str(data["name"]),
            version=int(data.get("version", 1)),
            title=str(data.get("title", data["name"])),
            citation=str(data.get("citation", "")),
            group_size_min=int(group.get("size_min", 5)),
            group_size_max=int(group.get("size_max", 20)),
            group_target=int(group.get("target", 10)),
            rules={code: dict(params) for code, params in rules.items()},
            aid=dict(data.get("aid", {})),
            digest=digest,
            source=source,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RuleSetError(f"{source}: isian aturan tidak valid: {error}") from error
    lo, hi = ruleset.age_range
    if not 0 <= lo <= hi:
        raise RuleSetError(f"{source}: AGE.min harus <= AGE.max")
    if not 1 <= ruleset.group_size_min <= ruleset.group_size_max:
        raise RuleSetError(f"{source}: group.size_min harus <= group.size_max")
    if not 1 <= ruleset.desil_max <= 10:
        raise RuleSetError(f"{source}: IN_DTKS.desil_max harus 1-10")
    bad_types = sorted(set(ruleset.skill_synonyms.values()) - set(BUSINESS_TYPES))
    if bad_types:
        raise RuleSetError(f"{source}: jenis usaha tidak dikenal di SKILL: {', '.join(bad_types)}")
    return ruleset
