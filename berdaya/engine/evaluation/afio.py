"""Reading an Alkire–Foster input file and writing the result as plain data (`berdaya analyze af`).

The file is a CSV with a header line and one row per person. Every column is an indicator except an
identifier column named `id` or `person_id` (any case), which is ignored. Cells are numbers: a point
is the decimal separator, and when the file is separated by semicolons (Excel in Indonesian locale) a
decimal comma is accepted too. Blank lines are skipped; an empty cell is refused (missing values are
the caller's to drop before the file is written). Lines and columns in errors are the ones a
spreadsheet shows: line 1 is the header.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from berdaya.engine.errors import InputError
from berdaya.engine.evaluation.alkire_foster import AFResult, AlkireFosterError, alkire_foster

__all__ = [
    "ID_COLUMNS",
    "AFTable",
    "af_from_csv",
    "af_report",
    "parse_number_list",
    "read_af_csv",
]

ID_COLUMNS = frozenset({"id", "person_id"})
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class AFTable:
    """The indicator columns of an input file: names in file order, values persons × indicators, and
    the file line each row came from."""

    path: str
    indicators: tuple[str, ...]
    values: npt.NDArray[np.float64]
    lines: tuple[int, ...]


def _number(text: str, *, decimal_comma: bool) -> float | None:
    cleaned = text.strip()
    if decimal_comma:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_af_csv(path: str | Path, *, binary: bool) -> AFTable:
    """The indicator table of `path`. With `binary=True` every cell must be 0 or 1 (deprivations).

    Raises `InputError` naming the file, and the line and column where known: unreadable file, no
    header, duplicate or empty column names, no indicator columns, no rows, a row with too many or too
    few cells, an empty cell, a cell that is not a number, or (binary) a number other than 0 or 1.
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"berkas tidak dapat dibaca ({error})", path=name) from error
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count) if first.strip() else ","
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("berkas kosong; baris pertama harus berisi nama kolom", path=name) from None
    columns = [cell.strip() for cell in header]
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise InputError("ada kolom tanpa nama di baris judul", path=name, line=1)
        if column.lower() in seen:
            raise InputError("nama kolom muncul dua kali", path=name, line=1, column=column)
        seen.add(column.lower())
    keep = [j for j, column in enumerate(columns) if column.lower() not in ID_COLUMNS]
    if not keep:
        raise InputError("tidak ada kolom indikator (selain id/person_id)", path=name, line=1)
    decimal_comma = delimiter != ","
    rows: list[list[float]] = []
    lines: list[int] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise InputError(
                    f"baris berisi {len(cells)} sel, padahal ada {len(columns)} kolom", path=name, line=line
                )
            row = []
            for j in keep:
                cell = cells[j]
                if not cell.strip():
                    raise InputError(
                        "sel kosong; isi angka atau buang baris ini", path=name, line=line, column=columns[j]
                    )
                value = _number(cell, decimal_comma=decimal_comma)
                if value is None:
                    raise InputError(f"{cell.strip()!r} bukan angka", path=name, line=line, column=columns[j])
                if binary and value not in (0.0, 1.0):
                    raise InputError(
                        f"tanpa --cutoffs setiap sel harus 0 atau 1 (deprivasi), bukan {cell.strip()!r}",
                        path=name,
                        line=line,
                        column=columns[j],
                    )
                row.append(value)
            rows.append(row)
            lines.append(line)
    except csv.Error as error:
        raise InputError(f"CSV rusak ({error})", path=name, line=reader.line_num) from error
    if not rows:
        raise InputError("tidak ada baris data setelah baris judul", path=name)
    return AFTable(
        path=name,
        indicators=tuple(columns[j] for j in keep),
        values=np.asarray(rows, dtype=np.float64),
        lines=tuple(lines),
    )


def parse_number_list(text: str, *, option: str) -> list[float]:
    """`"0.25,0.25,0.5"` as floats (spaces allowed). Raises `InputError` naming the option and item."""
    items = [item.strip() for item in text.split(",")]
    values = []
    for position, item in enumerate(items, start=1):
        value = _number(item, decimal_comma=False) if item else None
        if value is None:
            raise InputError(f"{option}: nilai ke-{position} ({item!r}) bukan angka")
        values.append(value)
    return values


def af_from_csv(
    path: str | Path,
    *,
    weights: Sequence[float],
    k: float,
    cutoffs: Sequence[float] | None = None,
) -> AFResult:
    """Alkire–Foster on a CSV file: achievements with `cutoffs` (deprived when below), else 0/1 cells.

    The number of weights (and cut-offs) must equal the number of indicator columns; the error names
    the columns found. Raises `InputError` for the file and `AlkireFosterError` for weights and k.
    """
    if not (0 < k <= 1):
        # Checked first so that a wrong k is reported before the whole file is read.
        raise AlkireFosterError("k_range", k=k)
    table = read_af_csv(path, binary=cutoffs is None)
    count = len(table.indicators)
    listed = ", ".join(table.indicators)
    if len(weights) != count:
        raise InputError(
            f"--weights berisi {len(weights)} bobot, padahal ada {count} kolom indikator ({listed})",
            path=table.path,
        )
    if cutoffs is not None and len(cutoffs) != count:
        raise InputError(
            f"--cutoffs berisi {len(cutoffs)} batas, padahal ada {count} kolom indikator ({listed})",
            path=table.path,
        )
    return alkire_foster(table.values, k=k, weights=weights, cutoffs=cutoffs, indicators=table.indicators)


def af_report(result: AFResult) -> dict[str, Any]:
    """The result as JSON-ready data: n, k, H, A, M0 and, per indicator, its (normalised) weight,
    censored headcount ratio, relative contribution (Σ = 1) and absolute contribution (Σ = M0)."""
    return {
        "n": result.n,
        "k": result.k,
        "H": result.H,
        "A": result.A,
        "M0": result.M0,
        "indicators": [
            {
                "name": name,
                "weight": weight,
                "censored_headcount": censored,
                "contribution": relative,
                "absolute_contribution": absolute,
            }
            for name, weight, censored, relative, absolute in zip(
                result.indicators,
                result.weights,
                result.censored_headcount,
                result.contribution,
                result.absolute_contribution,
                strict=True,
            )
        ],
    }
