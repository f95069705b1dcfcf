"""Research exports of a survey round (spec §8.6, §9): CSV, XLSX, SPSS `.sav` and Stata `.dta`, each with
its codebook.

- `csv`: the data as UTF-8 with a byte-order mark (so Excel opens it right), and the codebook as a
  second CSV; for download both go in one zip.
- `xlsx`: one workbook with a `data` sheet and a `codebook` sheet (and `catatan`, the notes).
- `sav`: SPSS, with variable labels (Indonesian) and value labels from the instrument's choices; the
  codebook CSV travels beside it (in the zip for download).
- `dta`: Stata 15 (UTF-8). Stata names must be at most 32 characters (31 here, see `STATA_NAME_MAX`),
  letters, digits and `_`, and not a reserved word: longer names (a select_multiple choice column) are
  cut and given a number, and the codebook's `variable_stata` column records every name. Variable labels
  are cut to Stata's 80 characters; value labels are written for numeric variables (Stata has none for
  text variables; their labels are in the codebook).

No NIK, No KK or name is ever in any of these files (`dataset.round_dataset` never reads them); an
evaluator's export is pseudonymised (no family id, no free text). Every export is audited as a bulk read
of personal data: action `evaluation.export` with {round, instrument, format, rows, pseudonymised}.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.evaluation.dataset import Codebook, Dataset, Variable, round_dataset
from berdaya.evaluation.models import Round
from berdaya.evaluation.selectors import sees_names

__all__ = [
    "FORMATS",
    "ExportResult",
    "codebook_csv",
    "data_csv",
    "export_bundle",
    "export_round",
    "stata_names",
    "write_files",
]

FORMATS = ("csv", "xlsx", "sav", "dta")
# Stata allows 32 characters, but readstat names a variable's value-label set after the variable and
# refuses a 32-character label-set name; 31 fits both.
STATA_NAME_MAX = 31
STATA_LABEL_MAX = 80
SPSS_VALUE_LABEL_MAX = 120
STATA_RESERVED = frozenset(
    {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_N", "_pi"}
    | {"_pred", "_rc", "_skip", "strL", "using", "with"}
)
_STATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CODEBOOK_COLUMNS = (
    "variable",
    "variable_stata",
    "label",
    "label_en",
    "type",
    "source",
    "item",
    "value_labels",
    "value_labels_en",
    "formula",
)


@dataclass(frozen=True)
class ExportResult:
    """What an export produced: a download (`content` with its file name and type) or the files written."""

    filename: str
    content_type: str
    content: bytes
    paths: tuple[Path, ...]
    rows: int
    pseudonymised: bool


# ---- names ------------------------------------------------------------------------------------------


def stata_names(names: list[str]) -> dict[str, str]:
    """Dataset name -> a valid, unique Stata name (≤ 31 characters, not reserved)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        candidate = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not _STATA_NAME.match(candidate):
            candidate = f"v_{candidate}"
        if len(candidate) > STATA_NAME_MAX or candidate in STATA_RESERVED or candidate.lower() in used:
            stem = candidate[: STATA_NAME_MAX - 4].rstrip("_")
            number = 1
            candidate = f"{stem}_{number}"
            while candidate.lower() in used or candidate in STATA_RESERVED:
                number += 1
                candidate = f"{stem}_{number}"
        used.add(candidate.lower())
        mapping[name] = candidate
    return mapping


# ---- text -------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A value as CSV text: empty for missing, integers without `.0`, dates as YYYY-MM-DD."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _labels_text(labels: dict[Any, str]) -> str:
    return "; ".join(f"{value}={label}" for value, label in labels.items())


def _codebook_rows(codebook: Codebook) -> list[dict[str, str]]:
    stata = stata_names(codebook.names)
    return [
        {
            "variable": v.name,
            "variable_stata": stata[v.name],
            "label": v.label,
            "label_en": v.label_en,
            "type": v.type,
            "source": v.source,
            "item": v.item,
            "value_labels": _labels_text(v.value_labels),
            "value_labels_en": _labels_text(v.value_labels_en),
            "formula": v.formula,
        }
        for v in codebook.variables
    ]


def _records(dataset: Dataset) -> list[list[Any]]:
    """Rows as Python values: None for missing, ints, floats, dates, strings."""
    frame = dataset.frame
    out = []
    for row in frame.itertuples(index=False, name=None):
        values = []
        for value in row:
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                values.append(None)
            elif isinstance(value, np.integer):
                values.append(int(value))
            elif isinstance(value, np.floating):
                values.append(float(value))
            else:
                values.append(value)
        out.append(values)
    return out


def data_csv(dataset: Dataset) -> bytes:
    """The data as CSV, UTF-8 with BOM, header = variable names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.codebook.names)
    for row in _records(dataset):
        writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def codebook_csv(codebook: Codebook) -> bytes:
    """The codebook as CSV (UTF-8 with BOM): one row per variable, then the notes as `#` lines."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CODEBOOK_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_codebook_rows(codebook))
    for note in _notes(codebook):
        writer.writerow({"variable": f"# {note}"})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _notes(codebook: Codebook) -> list[str]:
    return [
        f"{codebook.title} (instrumen {codebook.instrument} versi {codebook.version}); putaran "
        f"{codebook.round_name} (id {codebook.round_id}, {codebook.round_kind})",
        *codebook.notes,
    ]


# ---- spreadsheets and statistics packages --------------------------------------------------------------


def _xlsx(dataset: Dataset) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    data.append(dataset.codebook.names)
    for cell in data[1]:
        cell.font = Font(bold=True)
    dates = {i for i, v in enumerate(dataset.codebook.variables) if v.type == "date"}
    for r, row in enumerate(_records(dataset), start=2):
        data.append(row)
        for i in dates:
            data.cell(row=r, column=i + 1).number_format = "yyyy-mm-dd"
    data.freeze_panes = "B2"
    book = workbook.create_sheet("codebook")
    book.append(list(CODEBOOK_COLUMNS))
    for cell in book[1]:
        cell.font = Font(bold=True)
    for row in _codebook_rows(dataset.codebook):
        book.append([row[column] for column in CODEBOOK_COLUMNS])
    notes = workbook.create_sheet("catatan")
    for note in _notes(dataset.codebook):
        notes.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _stats_frame(dataset: Dataset) -> pd.DataFrame:
    """The frame as SPSS and Stata store it: numbers as doubles (NaN missing), text with '' missing."""
    columns: dict[str, Any] = {}
    for variable in dataset.codebook.variables:
        series = dataset.frame[variable.name]
        if variable.type in ("integer", "decimal"):
            columns[variable.name] = series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif variable.type == "date":
            columns[variable.name] = pd.Series(list(series), dtype=object)
        else:
            columns[variable.name] = pd.Series(["" if v is None else str(v) for v in series], dtype=object)
    return pd.DataFrame(columns)


def _value_labels(variable: Variable, *, numeric_only: bool, cut: int) -> dict[Any, str] | None:
    if not variable.value_labels:
        return None
    if variable.type in ("integer", "decimal"):
        return {float(value): label[:cut] for value, label in variable.value_labels.items()}
    if numeric_only:
        return None
    return {str(value): label[:cut] for value, label in variable.value_labels.items()}


def _spss_notes(notes: list[str]) -> list[str]:
    """SPSS keeps notes as 80-byte document lines: wrap each note to fit."""
    lines = []
    for note in notes:
        for line in textwrap.wrap(note, width=78):
            while len(line.encode("utf-8")) > 80:
                line = line[:-1]
            lines.append(line)
    return lines


def _sav(dataset: Dataset, path: Path) -> None:
    import pyreadstat

    frame = _stats_frame(dataset)
    variables = dataset.codebook.variables
    labels = {
        v.name: value_labels
        for v in variables
        if (value_labels := _value_labels(v, numeric_only=False, cut=SPSS_VALUE_LABEL_MAX))
    }
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=f"Berdaya {dataset.codebook.instrument} putaran {dataset.codebook.round_id}"[:64],
        column_labels={v.name: v.label for v in variables},
        variable_value_labels=labels,
        variable_measure={
            v.name: "nominal" if v.value_labels or v.type in ("string", "date") else "scale" for v in variables
        },
        note=_spss_notes(_notes(dataset.codebook)),
    )


def _dta(dataset: Dataset, path: Path) -> None:
    import pyreadstat

    variables = dataset.codebook.variables
    names = stata_names([v.name for v in variables])
    frame = _stats_frame(dataset).rename(columns=names)
    labels = {
        names[v.name]: {int(value): label for value, label in value_labels.items()}
        for v in variables
        if (value_labels := _value_labels(v, numeric_only=True, cut=STATA_LABEL_MAX))
        and all(float(value).is_integer() for value in value_labels)
    }
    pyreadstat.write_dta(
        frame,
        str(path),
        file_label=f"Berdaya {dataset.codebook.instrument} putaran {dataset.codebook.round_id}"[:STATA_LABEL_MAX],
        column_labels={names[v.name]: v.label[:STATA_LABEL_MAX] for v in variables},
        version=15,
        variable_value_labels=labels,
    )


def write_files(dataset: Dataset, fmt: str, out: Path | str) -> tuple[Path, ...]:
    """Write the data to `out` in `fmt` and (except for xlsx, which holds it) the codebook beside it as
    `<stem>.codebook.csv`. Returns the paths written. ValueError for an unknown format."""
    out = Path(out)
    if fmt not in FORMATS:
        raise ValueError(f"format harus salah satu dari {', '.join(FORMATS)}, bukan {fmt!r}")
    if fmt == "xlsx":
        out.write_bytes(_xlsx(dataset))
        return (out,)
    if fmt == "csv":
        out.write_bytes(data_csv(dataset))
    elif fmt == "sav":
        _sav(dataset, out)
    else:
        _dta(dataset, out)
    companion = out.with_name(f"{out.stem}.codebook.csv")
    companion.write_bytes(codebook_csv(dataset.codebook))
    return (out, companion)


def _stem(dataset: Dataset) -> str:
    book = dataset.codebook
    return f"berdaya_{book.instrument}_putaran{book.round_id}_{book.round_kind}"


def export_bundle(dataset: Dataset, fmt: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one download: xlsx as the workbook; csv, sav, dta as a zip
    holding the data file and `codebook.csv`."""
    stem = _stem(dataset)
    if fmt == "xlsx":
        return (
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _xlsx(dataset),
        )
    with tempfile.TemporaryDirectory(prefix="berdaya-export-") as folder:
        paths = write_files(dataset, fmt, Path(folder) / f"{stem}.{fmt}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(paths[0], arcname=paths[0].name)
            archive.write(paths[1], arcname=f"{stem}.codebook.csv")
    return f"{stem}_{fmt}.zip", "application/zip", buffer.getvalue()


def export_round(
    *,
    actor: User | None,
    round: Round,
    instrument: str,
    fmt: str,
    pseudonymise: bool | None = None,
    out: Path | str | None = None,
    client_address: str | None = None,
) -> ExportResult:
    """Export one instrument of one round as research data in `fmt` (csv, xlsx, sav, dta), audited.

    `actor` is the user asking (None: the command line). Pseudonymised when the actor may not see names
    (evaluator, viewer) whatever `pseudonymise` says; otherwise as asked (default: pseudonymised unless a
    user who sees names asks). With `out`, writes the files there (`write_files`) and returns their
    paths; without, returns a download (`export_bundle`). Raises ValueError for an unknown format and
    KeyError for an unknown instrument.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format harus salah satu dari {', '.join(FORMATS)}, bukan {fmt!r}")
    if actor is not None and actor.pk and not sees_names(actor):
        pseudonymised = True  # an evaluator's or viewer's export never carries the family id
    else:
        pseudonymised = True if pseudonymise is None else bool(pseudonymise)
    dataset = round_dataset(round, instrument, pseudonymise=pseudonymised)
    if out is not None:
        paths = write_files(dataset, fmt, out)
        filename, content_type, content = paths[0].name, "", b""
    else:
        paths = ()
        filename, content_type, content = export_bundle(dataset, fmt)
    audit_record(
        actor=actor,
        action="evaluation.export",
        object_type="evaluation.Round",
        object_id=round.pk,
        changes={
            "round": round.pk,
            "instrument": instrument,
            "format": fmt,
            "rows": dataset.rows,
            "pseudonymised": pseudonymised,
        },
        client_address=client_address,
    )
    return ExportResult(
        filename=filename,
        content_type=content_type,
        content=content,
        paths=paths,
        rows=dataset.rows,
        pseudonymised=pseudonymised,
    )
