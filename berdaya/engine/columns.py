"""The canonical DTKS import columns (spec §4) and renaming through a mapping file."""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

CANONICAL = (
    "id_dtks",
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "status_kawin",
    "hubungan_keluarga",
    "pencari_nafkah_utama",
    "pekerjaan",
    "kode_wilayah",
    "rt",
    "rw",
    "alamat",
    "desil",
    "lat",
    "lon",
    "keahlian",
    "kesediaan",
    "pernah_bantuan_kube",
)
# Without these a family cannot be formed or its candidate found; the others only make
# some rules UNKNOWN when absent.
REQUIRED = ("nik", "no_kk", "jenis_kelamin", "tanggal_lahir", "hubungan_keluarga", "kode_wilayah")


class MappingError(ValueError):
    """A mapping file that cannot be read."""


def normalize_header(name: str) -> str:
    """Case-insensitive, surrounding spaces ignored, inner spaces and dashes read as `_`."""
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lstrip("\ufeff").lower())


def load_mapping(path: Path | str) -> dict[str, str]:
    """Read a column mapping: TOML (`[columns]` table, source = canonical) or CSV (`source,canonical`).

    Returns {normalised source header: canonical name}. Raises MappingError naming the place.
    """
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"Berkas pemetaan kolom tidak ditemukan: {path}")
    pairs: list[tuple[str, str, str]] = []
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise MappingError(f"{path}: TOML tidak valid: {error}") from error
        for source, target in data.get("columns", data).items():
            pairs.append((str(source), str(target), f"{path}"))
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for line_no, row in enumerate(csv.reader(handle), start=1):
                if not row or not "".join(row).strip():
                    continue
                if len(row) < 2:
                    raise MappingError(f"{path}:{line_no}: harus dua kolom `kolom_sumber,kolom_baku`")
                if line_no == 1 and normalize_header(row[1]) not in CANONICAL:
                    continue  # header row
                pairs.append((row[0], row[1], f"{path}:{line_no}"))
    mapping: dict[str, str] = {}
    for source, target, place in pairs:
        canonical = normalize_header(target)
        if canonical not in CANONICAL:
            raise MappingError(f"{place}: '{target}' bukan kolom baku ({', '.join(CANONICAL)})")
        mapping[normalize_header(source)] = canonical
    return mapping


def resolve_columns(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Map canonical column names to their index in `header`, after renaming by `mapping`."""
    mapping = mapping or {}
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalize_header(name)
        canonical = mapping.get(key, key)
        if canonical in CANONICAL and canonical not in found:
            found[canonical] = index
    return found
