"""Reading survey submissions exported from ODK Central or KoboToolbox (CSV or XLSX).

Columns are matched to item codes after dropping any group prefix (`grp-code` from ODK Central,
`grp/code` from KoboToolbox); the platforms' own columns (`KEY`, `SubmissionDate`,
`meta-instanceID`, `_uuid`, `_submission_time`, `__version__`, ...) are recognised and skipped,
other unknown columns are listed as warnings. Each value is converted by its item's type and
checked (choices, min/max, ISO dates, required answers, the consent gate). Every problem is kept
with its line (the header is line 1, as in the file), its column and a message in Bahasa
Indonesia; a batch with any error has `ok == False` and no submissions, so nothing is imported
from a file until all of it is right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from berdaya.engine.errors import InputError
from berdaya.engine.evaluation.instruments import CONSENT_YES, SELECT_TYPES, Instrument, Item

# Columns the platforms add (compared in lower case, after the group prefix is dropped).
PLATFORM_COLUMNS = frozenset(
    name.lower()
    for name in (
        # ODK Central
        "SubmissionDate",
        "KEY",
        "instanceID",
        "instanceName",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "audit",
        # KoboToolbox
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_version_",
        "_tags",
        "_index",
        "_parent_index",
        "_attachments",
        "_geolocation",
        "_xform_id_string",
        "_media_all_received",
        "_total_media",
        "_media_count",
        "uuid",
        # metadata questions of the form itself
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
    )
)
# Where the submission's own id is, best first: it makes a re-import of the same file idempotent.
INSTANCE_ID_COLUMNS = ("instanceid", "_uuid", "key")
SUBMITTED_AT_COLUMNS = ("submissiondate", "_submission_time")
# Below this share of the instrument's columns present, the file is for another form.
MIN_SHARE_OF_COLUMNS = 0.5

_SPLIT = re.compile(r"[/\-:]")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class RowError:
    """One wrong value: where it is (file, line, column as written in the header) and what is wrong."""

    path: str
    line: int
    column: str
    code: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}, baris {self.line}, kolom '{self.column}'"
        shown = f" (isi: {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"


@dataclass(frozen=True)
class Submission:
    """One accepted row: item code -> converted value (None when not answered or not asked).

    Values: select_one -> int when the list is numeric (Likert 1-4, yes/no 1/0) else the choice
    value; select_multiple -> tuple of choice values; integer -> int; decimal -> float;
    date -> datetime.date; text -> str. `consented` is False when the respondent declined (the
    answers are then all None).
    """

    line: int
    instance_id: str
    values: dict[str, Any]
    consented: bool = True
    submitted_at: str = ""


@dataclass(frozen=True)
class SubmissionBatch:
    """What a file held. Import only when `ok`: otherwise `submissions` is empty and `errors` says why."""

    path: str
    instrument_name: str
    instrument_version: int
    rows_read: int
    submissions: tuple[Submission, ...] = ()
    errors: tuple[RowError, ...] = ()
    warnings: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)  # item code -> header as written

    @property
    def ok(self) -> bool:
        return not self.errors


def read_submissions(path: str | Path, instrument: Instrument) -> SubmissionBatch:
    """Read a CSV or XLSX export of `instrument`'s submissions and check every value.

    Raises InputError when the file as a whole cannot be used: unreadable, of another type, without
    a header, or for another form (most item columns missing). Row problems are collected in the
    batch, never raised.
    """
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("berkas tidak ditemukan", path=name)
    if suffix in (".csv", ".txt"):
        rows = list(_csv_rows(path))
    elif suffix == ".xlsx":
        rows = list(_xlsx_rows(path))
    else:
        raise InputError(f"jenis berkas {suffix or '(tanpa akhiran)'} tidak didukung: pakai CSV atau XLSX", path=name)
    rows = [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]
    if not rows:
        raise InputError("berkas kosong: tidak ada baris judul kolom", path=name)
    header_line, header = rows[0]
    return _Reader(name, instrument, header_line, header).read(rows[1:])


class _Reader:
    def __init__(self, path: str, instrument: Instrument, header_line: int, header: list[str]):
        self.path = path
        self.instrument = instrument
        self.header_line = header_line
        self.header = [cell.strip().lstrip("\ufeff") for cell in header]
        self.errors: list[RowError] = []
        self.warnings: list[str] = []
        self.columns: dict[str, int] = {}  # item code -> index
        self.meta: dict[str, int] = {}  # platform column (lower case) -> index
        self._map_columns()

    def _map_columns(self) -> None:
        by_lower = {item.code.lower(): item for item in self.instrument.items}
        multiples = {item.code.lower(): item for item in self.instrument.items if item.type == "select_multiple"}
        unknown: list[str] = []
        for index, text in enumerate(self.header):
            if not text:
                continue
            parts = [part for part in _SPLIT.split(text) if part] or [text]
            last = parts[-1].lower()
            # `__version__` and `_uuid` survive the split only when taken whole
            whole = text.lower()
            if whole in PLATFORM_COLUMNS:
                self.meta.setdefault(whole, index)
            elif last in by_lower and not _is_option_column(parts, multiples):
                code = by_lower[last].code
                if code in self.columns:
                    raise InputError(f"kolom untuk butir '{code}' muncul dua kali", path=self.path, column=text)
                self.columns[code] = index
            elif last in PLATFORM_COLUMNS:
                self.meta.setdefault(last, index)
            elif _is_option_column(parts, multiples):
                continue  # Kobo's one 0/1 column per option of a select_multiple: the combined column counts
            else:
                unknown.append(text)
        if unknown:
            self.warnings.append(f"kolom tidak dikenal diabaikan: {', '.join(unknown)}")

        expected = list(self.instrument.items)
        present = [item for item in expected if item.code in self.columns]
        if len(present) < MIN_SHARE_OF_COLUMNS * len(expected):
            missing = [item.code for item in expected if item.code not in self.columns]
            raise InputError(
                f"berkas ini bukan kiriman instrumen '{self.instrument.name}' versi {self.instrument.version}: "
                f"hanya {len(present)} dari {len(expected)} kolom butirnya ada (tidak ada: {', '.join(missing[:15])}"
                f"{', ...' if len(missing) > 15 else ''})",
                path=self.path,
                line=self.header_line,
            )
        for item in expected:
            if item.code in self.columns:
                continue
            if item.required and item.when is None:
                self.errors.append(
                    RowError(self.path, self.header_line, item.code, item.code, "", "kolom wajib tidak ada di berkas")
                )
            else:
                self.warnings.append(f"kolom '{item.code}' tidak ada; jawabannya dianggap kosong")
        if not any(column in self.meta for column in INSTANCE_ID_COLUMNS):
            self.warnings.append(
                "tidak ada kolom instanceID/_uuid/KEY: impor ulang berkas yang sama tidak bisa dikenali"
            )

    def read(self, rows: list[tuple[int, list[str]]]) -> SubmissionBatch:
        submissions: list[Submission] = []
        seen_ids: dict[str, int] = {}
        for line, cells in rows:
            before = len(self.errors)
            submission = self._row(line, cells)
            if submission.instance_id:
                if submission.instance_id in seen_ids:
                    self._error(
                        line,
                        self._meta_header(INSTANCE_ID_COLUMNS),
                        "",
                        submission.instance_id,
                        f"kiriman yang sama sudah ada di baris {seen_ids[submission.instance_id]}",
                    )
                else:
                    seen_ids[submission.instance_id] = line
            if len(self.errors) == before:
                submissions.append(submission)
        return SubmissionBatch(
            path=self.path,
            instrument_name=self.instrument.name,
            instrument_version=self.instrument.version,
            rows_read=len(rows),
            submissions=() if self.errors else tuple(submissions),
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
            columns={code: self.header[index] for code, index in self.columns.items()},
        )

    def _row(self, line: int, cells: list[str]) -> Submission:
        raw = {code: _cell(cells, index) for code, index in self.columns.items()}
        values: dict[str, Any] = {}
        consent = self.instrument.consent_item
        consented = True
        for item in self.instrument.items:
            if consent is not None and item.role == "answer" and not consented:
                values[item.code] = None
                continue
            asked = item.when is None or item.when.holds(values.get(item.when.code))
            text = raw.get(item.code, "")
            if not asked or not text:
                if asked and item.required and item.code in self.columns:
                    self._error(line, self._header_of(item), item.code, "", "jawaban wajib kosong")
                values[item.code] = None
            else:
                values[item.code] = self._convert(line, item, text, values)
            if item.role == "consent":
                consented = values[item.code] is not None and str(values[item.code]) == CONSENT_YES
        return Submission(
            line=line,
            instance_id=_instance_id(self._meta_value(cells, INSTANCE_ID_COLUMNS)),
            values=values,
            consented=consented,
            submitted_at=self._meta_value(cells, SUBMITTED_AT_COLUMNS),
        )

    def _convert(self, line: int, item: Item, text: str, values: dict[str, Any]) -> Any:
        column = self._header_of(item)
        if item.type in SELECT_TYPES:
            return self._choice(line, column, item, text)
        if item.type == "date":
            day = _iso_date(text)
            if day is None:
                self._error(line, column, item.code, text, "tanggal harus berbentuk TTTT-BB-HH, mis. 2026-03-01")
            return day
        if item.type == "text":
            return text
        number = _number(text, integer=item.type == "integer")
        if number is None:
            kind = "bilangan bulat" if item.type == "integer" else "angka"
            self._error(line, column, item.code, text, f"harus {kind} (tanpa titik ribuan)")
            return None
        if item.min is not None and number < item.min or item.max is not None and number > item.max:
            self._error(line, column, item.code, text, f"di luar batas {_show(item.min)} sampai {_show(item.max)}")
            return None
        limit = values.get(item.max_of) if item.max_of else None
        if limit is not None and number > limit:
            self._error(line, column, item.code, text, f"lebih besar dari jawaban '{item.max_of}' ({_show(limit)})")
            return None
        return number

    def _choice(self, line: int, column: str, item: Item, text: str) -> Any:
        by_value = {choice.value.lower(): choice.value for choice in item.choices}
        # Kobo can export labels instead of values: accept an exact label too.
        by_label = {choice.label.strip().lower(): choice.value for choice in item.choices}
        by_label.update({choice.label_en.strip().lower(): choice.value for choice in item.choices if choice.label_en})
        if item.type == "select_multiple":
            picked = []
            for part in text.split():
                value = by_value.get(part.lower())
                if value is None:
                    self._error(line, column, item.code, text, f"'{part}' bukan pilihan ({_listed(item)})")
                    return None
                picked.append(value)
            return tuple(dict.fromkeys(picked))
        key = text.lower()
        if key.endswith(".0") and key[:-2].lstrip("-").isdigit():
            key = key[:-2]  # a number cell read from XLSX
        value = by_value.get(key) or by_label.get(key)
        if value is None:
            self._error(line, column, item.code, text, f"bukan pilihan yang ada ({_listed(item)})")
            return None
        return int(value) if item.numeric_choices else value

    def _error(self, line: int, column: str, code: str, value: str, message: str) -> None:
        self.errors.append(RowError(self.path, line, column, code, value, message))

    def _header_of(self, item: Item) -> str:
        index = self.columns.get(item.code)
        return self.header[index] if index is not None else item.code

    def _meta_value(self, cells: list[str], names: tuple[str, ...]) -> str:
        for name in names:
            if name in self.meta:
                value = _cell(cells, self.meta[name])
                if value:
                    return value
        return ""

    def _meta_header(self, names: tuple[str, ...]) -> str:
        for name in names:
            if name in self.meta:
                return self.header[self.meta[name]]
        return names[0]


def _is_option_column(parts: list[str], multiples: dict[str, Item]) -> bool:
    """`grp/code/option`: Kobo's extra 0/1 column for one option of a select_multiple."""
    if len(parts) < 2:
        return False
    item = multiples.get(parts[-2].lower())
    return item is not None and parts[-1] in item.choice_values


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells); a record may span lines (a text answer with newlines)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"bukan teks UTF-8 (byte ke-{error.start}): ekspor ulang dari ODK Central/Kobo sebagai CSV UTF-8",
            path=str(path),
        ) from error
    except OSError as error:
        raise InputError(f"berkas tidak bisa dibaca: {error}", path=str(path)) from error
    first = text.split("\n", 1)[0]
    # Kobo's CSV export separates with ';' by default, ODK Central's with ','
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise InputError(f"CSV rusak: {error}", path=str(path), line=reader.line_num) from error


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet (Kobo puts repeat groups on later sheets; they are not read)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise InputError(f"bukan berkas XLSX yang bisa dibaca: {error}", path=str(path)) from error
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) and cells[index] is not None else ""


def _instance_id(text: str) -> str:
    """ODK writes `uuid:...`, Kobo's `_uuid` has no prefix: one form for both."""
    text = text.strip()
    return text[5:] if text.lower().startswith("uuid:") else text


def _number(text: str, *, integer: bool) -> float | int | None:
    cleaned = text.replace(" ", "")
    if not integer and cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # 36,5 written the Indonesian way
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if integer:
        if not number.is_integer() or not re.fullmatch(r"-?\d+(\.0+)?", cleaned):
            return None
        return int(number)
    return number


def _iso_date(text: str) -> dt.date | None:
    """A date written YYYY-MM-DD, possibly followed by an ISO time (ODK's dateTime)."""
    match = _ISO_DATE.match(text)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _show(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else str(value)


def _listed(item: Item) -> str:
    return ", ".join(f"{choice.value} = {choice.label}" for choice in item.choices)
