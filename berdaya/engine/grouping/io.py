"""Reading families for group formation and writing the proposal (CSV and JSON)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from berdaya.engine.grouping.formation import FamilyColumns, GroupingResult

REQUIRED = ("no_kk", "kode_wilayah", "lat", "lon", "keahlian")
OPTIONAL = ("rt", "rw")


class GroupingInputError(ValueError):
    pass


def read_families(path: Path | str) -> tuple[FamilyColumns, int]:
    """Families from a CSV or Parquet file (the output of `berdaya screen` or any file with the columns).

    With a `decision` column only ELIGIBLE families are kept. Returns (families, skipped count).
    Raises GroupingInputError naming the file for a missing file, missing columns or no rows.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise GroupingInputError(f"{path}: berkas tidak ditemukan atau kosong")
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    options = "" if reader == "read_parquet" else ", all_varchar=true, header=true"
    con = duckdb.connect()
    try:
        source = f"{reader}('{str(path).replace(chr(39), chr(39) * 2)}'{options})"
        try:
            columns = [r[0].strip().lower() for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        except duckdb.Error as error:
            raise GroupingInputError(f"{path}: berkas tidak dapat dibaca: {error}") from error
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise GroupingInputError(
                f"{path}: kolom wajib tidak ada: {', '.join(missing)} (ditemukan: {', '.join(columns)})"
            )
        picked = [c for c in (*REQUIRED, *OPTIONAL) if c in columns]
        where = "WHERE decision = 'ELIGIBLE'" if "decision" in columns else ""
        arrays = con.execute(f"SELECT {', '.join(picked)} FROM {source} {where}").fetchnumpy()
        # Columns, not a dict per family: a million families stay in hundreds of MB, not gigabytes.
        families = FamilyColumns({name: arrays[name].tolist() for name in picked})
        total = (con.execute(f"SELECT count(*) FROM {source}").fetchone() or (0,))[0]
    finally:
        con.close()
    if total == 0:
        raise GroupingInputError(f"{path}: berkas tidak berisi baris data")
    return families, total - len(families)


def write_result(result: GroupingResult, out: Path | str) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "groups.csv", result.groups, ["group_id", "kode_wilayah", "business_type", "size", "mixed",
                                                   "meeting_no_kk", "centroid_lat", "centroid_lon", "diameter_m"])
    _write_csv(out / "members.csv", result.members, ["group_id", "no_kk", "distance_m"])
    _write_csv(out / "unplaced.csv", result.unplaced, ["no_kk", "kode_wilayah", "reason_code", "reason"])
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2, ensure_ascii=False), encoding="utf-8")


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
