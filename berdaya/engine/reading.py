"""Reading a DTKS file (CSV, XLSX or Parquet) into DuckDB as text columns with line numbers.

Every value is read as text so that a bad value is reported, not silently coerced; parsing
happens in `screening.py`. Line numbers count records the way a spreadsheet user sees them:
the header is line 1 of the table (after any title rows above it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import duckdb
import pyarrow as pa

from berdaya.engine.columns import CANONICAL, REQUIRED, normalize_header, resolve_columns
from berdaya.engine.errors import InputError

# Title rows above the header ("DATA DTKS KELURAHAN ..."): how far down to look for the header.
HEADER_SEARCH_ROWS = 30
SUPPORTED = (".csv", ".txt", ".xlsx", ".parquet")


@dataclass
class InputInfo:
    """What was read: where, which columns were found, and the structural rejects."""

    path: str
    kind: str
    header_line: int
    columns: dict[str, str]  # canonical -> header as written in the file
    missing_optional: list[str] = field(default_factory=list)
    # (line, column, value, reason) of lines the reader itself could not split into fields
    structural_rejects: list[tuple[int, str, str, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    # Lines not in `rows` at all (CSV lines that could not be split), for the row count.
    rows_skipped: int = 0
    # Values the reader refused inside rows it kept: (line, canonical column, value, reason code).
    row_errors: list[tuple[int, str, str, str]] = field(default_factory=list)
    # For inputs read in chunks (CSV): a generator that puts each chunk behind the view in turn.
    scans: Callable[[], Iterator[None]] | None = None
    finish: Callable[[], None] | None = None
    # Set when the fast CSV reader stopped: the caller reads again with DuckDB's reader.
    fast_failed: str = ""

    def each_scan(self) -> Iterator[int]:
        """Yield once per chunk of input behind the view (once in all for whole inputs)."""
        if self.scans is None:
            yield 0
            return
        for index, _ in enumerate(self.scans()):
            yield index


def read_input(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | pa.Table,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str = "utf-8",
    view: str = "raw_input",
    fast_csv: bool = True,
) -> InputInfo:
    """Create the DuckDB view `view` with one VARCHAR column per canonical column and `_line`.

    Absent optional columns are NULL. Raises InputError for a file that cannot be used at all.
    Scan it through `info.each_scan()`: a CSV is put behind the view one chunk at a time.
    `fast_csv=False` reads CSV with DuckDB's own reader, which is slower but names the line of an
    encoding error; screen() falls back to it when the fast reader stops.
    """
    return _read_any(con, source, mapping, encoding, view, fast_csv)


def _read_any(con, source, mapping, encoding: str, view: str, fast_csv: bool) -> InputInfo:
    if isinstance(source, pa.Table):
        return _read_arrow(con, source, mapping, view, path="<tabel>")
    path = Path(source)
    if not path.is_file():
        raise InputError("berkas tidak ditemukan", path=str(path))
    if path.stat().st_size == 0:
        raise InputError("berkas kosong (0 byte)", path=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        layout = _csv_layout(path, mapping, encoding)
        if fast_csv:
            return _read_csv_arrow(con, path, layout, encoding, view)
        return _read_csv(con, path, layout, encoding, view)
    if suffix == ".xlsx":
        return _read_arrow(con, xlsx_to_arrow(path, mapping), mapping, view, path=str(path), kind="xlsx")
    if suffix == ".parquet":
        return _read_parquet(con, path, mapping, view)
    raise InputError(
        f"jenis berkas '{suffix}' tidak didukung; gunakan {', '.join(SUPPORTED)}", path=str(path)
    )


def _check_required(found: dict[str, int], header: list[str], path: str, line: int) -> list[str]:
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        shown = ", ".join(h for h in header if h) or "(kosong)"
        raise InputError(
            f"kolom wajib tidak ada: {', '.join(missing)}. Kolom yang ditemukan: {shown}. "
            "Ganti nama kolom atau gunakan berkas pemetaan (--mapping).",
            path=path,
            line=line,
        )
    return [c for c in CANONICAL if c not in found]


def _select_list(found: dict[str, str]) -> str:
    parts = []
    for name in CANONICAL:
        if name in found:
            quoted = found[name].replace('"', '""')
            parts.append(f'CAST("{quoted}" AS VARCHAR) AS {name}')
        else:
            parts.append(f"CAST(NULL AS VARCHAR) AS {name}")
    return ", ".join(parts)


def _no_header(rows: list[list[str]], path: str, mapping: dict[str, str] | None) -> NoReturn:
    """No row looks like the header: name what the first row lacks (it is most likely the header)."""
    first_index = next((i for i, r in enumerate(rows) if "".join(r).strip()), 0)
    first = rows[first_index] if rows else []
    _check_required(resolve_columns(first, mapping), first, path, first_index + 1)
    raise InputError("baris judul kolom tidak ditemukan", path=path)


def _find_header(rows: list[list[str]], mapping: dict[str, str] | None) -> int | None:
    """Index of the first row that names at least three canonical columns, nik or no_kk among them."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = resolve_columns(row, mapping)
        if len(found) >= 3 and ("nik" in found or "no_kk" in found):
            return index
    return None


@dataclass
class CsvLayout:
    delimiter: str
    header_index: int  # 0-based row of the header; rows above it are titles
    header: list[str]
    found_idx: dict[str, int]
    missing_optional: list[str]


def _csv_layout(path: Path, mapping, encoding: str) -> CsvLayout:
    head = _peek_text(path, encoding)
    try:
        dialect = csv.Sniffer().sniff(head[:20000], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(head), delimiter=delimiter))
    if not any("".join(r).strip() for r in rows):
        raise InputError("berkas tidak berisi data (hanya baris kosong)", path=str(path))
    header_index = _find_header(rows, mapping)
    if header_index is None:
        _no_header(rows, str(path), mapping)
    header = rows[header_index]
    found_idx = resolve_columns(header, mapping)
    missing_optional = _check_required(found_idx, header, str(path), header_index + 1)
    if path.stat().st_size <= len(head.encode("utf-8")) + 16 and not any(
        "".join(r).strip() for r in rows[header_index + 1 :]
    ):
        raise InputError("berkas hanya berisi judul kolom, tanpa baris data", path=str(path))
    return CsvLayout(delimiter, header_index, header, found_idx, missing_optional)


def _read_csv(con, path: Path, layout: CsvLayout, encoding: str, view: str) -> InputInfo:
    """CSV through DuckDB's reader: every problem line is reported with its number."""
    delimiter, header_index, header = layout.delimiter, layout.header_index, layout.header
    found_idx, missing_optional = layout.found_idx, layout.missing_optional
    found = {c: header[i].strip() for c, i in found_idx.items()}
    # DuckDB dedups and trims header names itself; read by position instead to stay exact.
    names = [f"c{i}" for i in range(len(header))]
    by_position = {c: f"c{i}" for c, i in found_idx.items()}
    duck_encoding = {"utf-8": "utf-8", "utf8": "utf-8"}.get(encoding.lower(), encoding.lower())
    # row_number() OVER () numbers rows in file order only while insertion order is kept.
    con.execute("SET preserve_insertion_order = true")
    # A view, not a table: the file is parsed once, by the query that reads the view. What DuckDB
    # could not read lands in `berdaya_rejects`, which finish_read() turns into rejected rows.
    delimiter_sql = delimiter.replace("'", "''")
    con.execute("DROP TABLE IF EXISTS berdaya_rejects; DROP TABLE IF EXISTS berdaya_scans")
    con.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT {_select_list(by_position)}, "
        f"row_number() OVER () + {header_index + 1} AS _line "
        f"FROM read_csv('{_sql_str(str(path))}', header=false, all_varchar=true, skip={header_index + 1}, "
        f"delim='{delimiter_sql}', quote='\"', escape='\"', columns={_duck_columns(names)}, "
        "store_rejects=true, rejects_table='berdaya_rejects', rejects_scan='berdaya_scans', "
        f"encoding='{duck_encoding}', null_padding=false, strict_mode=true, auto_detect=false)"
    )
    info = InputInfo(str(path), "csv", header_index + 1, found, missing_optional)
    info.header = header
    info.encoding = encoding
    return info


class FastCsvUnavailable(Exception):
    """The fast reader stopped (e.g. bytes that are not in the encoding); use DuckDB's reader."""


# Rows per chunk handed to DuckDB: big enough for both cores to share, small enough to stay light.
CSV_CHUNK_ROWS = 1_000_000
# Bytes pyarrow reads at a time (one batch); a row must fit in it.
CSV_BLOCK_BYTES = 8 << 20


def _read_csv_arrow(con, path: Path, layout: CsvLayout, encoding: str, view: str) -> InputInfo:
    """CSV through pyarrow's reader, numbered as it is read, parsed by DuckDB chunk by chunk.

    Why not DuckDB's reader here: numbering its rows needs `row_number() OVER ()`, which makes the
    whole query that follows run in file order on one thread; a Python stream of batches is also
    consumed on one thread. pyarrow reads blocks in order, so each batch carries its own line
    numbers; batches are gathered into chunks of Arrow tables, which DuckDB scans on all cores.
    Lines with the wrong number of fields are reported through the invalid-row handler with their
    record number, as DuckDB's reader would (bench/screening.py has the figures).
    """
    import numpy as np
    import pyarrow.csv as pacsv

    header_index, header = layout.header_index, layout.header
    names = [f"c{i}" for i in range(len(header))]
    by_position = {c: f"c{i}" for c, i in layout.found_idx.items()}
    found = {c: header[i].strip() for c, i in layout.found_idx.items()}
    info = InputInfo(str(path), "csv", header_index + 1, found, layout.missing_optional)
    info.header = header
    info.encoding = encoding
    invalid: dict[int, tuple[int, str, str, str]] = {}
    blank: set[int] = set()
    needed = sorted(set(by_position.values()), key=lambda c: int(c[1:]))
    schema = pa.schema([pa.field(n, pa.string()) for n in needed] + [pa.field("_line", pa.int64())])

    def on_invalid(row) -> str:
        # A blank line still takes a line number; it is skipped without a report.
        if not (row.text or "").strip():
            blank.add(row.number)
            return "skip"
        too_few = row.actual_columns < row.expected_columns
        reason = "jumlah kolom kurang dari judul" if too_few else "jumlah kolom lebih dari judul"
        invalid[row.number] = (row.number, "", (row.text or "").strip()[:200], reason)
        return "skip"

    def numbered_batches():
        try:
            stream = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    skip_rows=header_index + 1, column_names=names, use_threads=False, block_size=CSV_BLOCK_BYTES,
                    encoding=encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=layout.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=needed, column_types={n: pa.string() for n in needed}
                ),
            )
            next_line = header_index + 2
            for batch in stream:
                count = batch.num_rows
                lines = np.arange(next_line, next_line + count, dtype=np.int64)
                # Skipped invalid lines inside this batch push the following rows down.
                for bad_line in sorted(n for n in (*invalid, *blank) if n >= next_line):
                    if count and bad_line <= lines[-1]:
                        lines[lines >= bad_line] += 1
                if count:
                    next_line = int(lines[-1]) + 1
                yield pa.RecordBatch.from_arrays([*batch.columns, pa.array(lines)], schema=schema)
        except pa.ArrowInvalid as error:  # bytes outside the encoding, mostly
            info.fast_failed = str(error)
            raise FastCsvUnavailable(str(error)) from error

    def scans():
        pending: list[pa.RecordBatch] = []
        size, yielded = 0, False
        for batch in numbered_batches():
            pending.append(batch)
            size += batch.num_rows
            if size >= CSV_CHUNK_ROWS:
                con.register("berdaya_csv_chunk", pa.Table.from_batches(pending, schema))
                pending = []  # the registered table holds the only reference: freed after the chunk
                yield
                con.unregister("berdaya_csv_chunk")
                size, yielded = 0, True
        if pending or not yielded:
            con.register("berdaya_csv_chunk", pa.Table.from_batches(pending, schema))
            yield

    def finish() -> None:
        info.structural_rejects = sorted(invalid.values())
        info.rows_skipped = len(invalid)

    info.scans = scans
    info.finish = finish
    con.register("berdaya_csv_chunk", pa.Table.from_batches([], schema))  # so the view can bind
    con.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT {_select_list(by_position)}, _line FROM berdaya_csv_chunk"
    )
    return info


def finish_read(con, info: InputInfo, table: str) -> None:
    """After the scan: report lines that could not be read, restore line numbers, refuse empty input.

    `table` holds the scanned rows with `_line`. Raises InputError for a wrong encoding.
    """
    if info.finish is not None:
        info.finish()
    elif info.kind == "csv":
        _finish_csv(con, info, table)
    if not info.structural_rejects and con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
        raise InputError("berkas hanya berisi judul kolom, tanpa baris data", path=info.path)


def _finish_csv(con, info: InputInfo, table: str) -> None:
    # DuckDB writes one reject per missing column; one per line is what the user needs.
    rejects = con.execute(
        "SELECT line, any_value(column_name), any_value(csv_line), any_value(error_type) "
        "FROM berdaya_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    # DuckDB numbers lines from the top of the file, title rows included: what the user sees.
    bad_encoding = [r for r in rejects if "ENCODING" in (r[3] or "")]
    if bad_encoding:
        raise InputError(
            f"berkas tidak dalam pengodean {info.encoding.upper()} (ada {len(bad_encoding)} baris bermasalah). "
            "Simpan ulang sebagai 'CSV UTF-8', atau sebutkan pengodeannya (misalnya --encoding latin-1).",
            path=info.path,
            line=int(bad_encoding[0][0]),
            column=_header_name(info.header, bad_encoding[0][1]),
        )
    for line, _column, text, error_type in rejects:
        reason = {
            "MISSING COLUMNS": "jumlah kolom kurang dari judul",
            "TOO MANY COLUMNS": "jumlah kolom lebih dari judul",
            "UNQUOTED VALUE": "tanda petik tidak seimbang",
        }.get(error_type, f"baris tidak dapat dibaca ({error_type.lower()})")
        info.structural_rejects.append((int(line), "", (text or "").strip()[:200], reason))
    info.rows_skipped = len(rejects)
    if rejects:
        # Good rows were numbered as if the rejected lines were not there: put them back in place.
        first = info.header_line + 1
        _line_fixup(con, [int(r[0]) - info.header_line for r in rejects])
        con.execute(
            f"UPDATE {table} SET _line = _line + (SELECT count(*) FROM berdaya_q WHERE q < {table}._line - {first - 1})"
        )


def _duck_columns(names: list[str]) -> str:
    return "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"


def _header_name(header: list[str], column: str | None) -> str | None:
    if column and column.startswith("c") and column[1:].isdigit():
        index = int(column[1:])
        return header[index] if index < len(header) else None
    return column


def _line_fixup(con, rejected_slots: list[int]) -> None:
    """Table `berdaya_q` for restoring record numbers around rejected lines.

    Good row k (1-based) sits in slot k + #{rejected i : q_i < k}, with q_i = p_i - i the number
    of good rows before the i-th rejected slot p_i (sorted, 1-based i).
    """
    q = sorted(p - i for i, p in enumerate(sorted(rejected_slots), start=1))
    con.execute("CREATE OR REPLACE TABLE berdaya_q AS SELECT unnest(?::BIGINT[]) AS q", [q])


def _peek_text(path: Path, encoding: str, size: int = 256 * 1024) -> str:
    with open(path, "rb") as handle:
        chunk = handle.read(size)
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding.lower().replace("-", "") == "utf8":
        raise InputError(
            "berkas dalam pengodean UTF-16; simpan ulang sebagai 'CSV UTF-8' atau gunakan --encoding utf-16",
            path=str(path),
        )
    if b"\x00" in chunk and encoding.lower().replace("-", "") == "utf8":
        raise InputError("berkas berisi data biner; bukan CSV teks", path=str(path))
    codec = "utf-8-sig" if encoding.lower().replace("-", "") == "utf8" else encoding
    text = chunk.decode(codec, errors="replace")
    if len(chunk) == size:  # drop a possibly cut last line
        text = text.rsplit("\n", 1)[0]
    return text


def _read_parquet(con, path: Path, mapping, view: str) -> InputInfo:
    try:
        header = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    except duckdb.Error as error:
        raise InputError(f"berkas Parquet tidak dapat dibaca: {error}", path=str(path)) from error
    found_idx = resolve_columns(header, mapping)
    missing_optional = _check_required(found_idx, header, str(path), 1)
    found = {c: header[i] for c, i in found_idx.items()}
    con.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT {_select_list(found)}, file_row_number + 2 AS _line "
        f"FROM read_parquet('{_sql_str(str(path))}', file_row_number=true)"
    )
    return InputInfo(str(path), "parquet", 1, found, missing_optional)


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _read_arrow(con, table: pa.Table, mapping, view: str, *, path: str, kind: str = "arrow") -> InputInfo:
    header = [n for n in table.column_names if n != "_line"]
    found_idx = resolve_columns(header, mapping)
    missing_optional = _check_required(found_idx, header, path, 1)
    found = {c: header[i] for c, i in found_idx.items()}
    if "_line" not in table.column_names:
        table = table.append_column("_line", pa.array(range(2, table.num_rows + 2), pa.int64()))
    if table.num_rows == 0:
        raise InputError("berkas tidak berisi baris data", path=path)
    con.register("berdaya_arrow_input", table)
    con.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT {_select_list(found)}, _line FROM berdaya_arrow_input"
    )
    header_line = int(table.schema.metadata.get(b"header_line", b"1")) if table.schema.metadata else 1
    row_errors = []
    if table.schema.metadata and b"rejects" in table.schema.metadata:
        import json

        row_errors = [tuple(r) for r in json.loads(table.schema.metadata[b"rejects"])]
    info = InputInfo(path, kind, header_line, found, missing_optional)
    info.row_errors = row_errors
    return info


def xlsx_to_arrow(path: Path, mapping: dict[str, str] | None = None) -> pa.Table:
    """Read the first sheet of an XLSX into an Arrow table of text plus `_line` (the Excel row).

    Title rows above the header are skipped. A NIK or No KK stored as a number is not trusted
    (Excel keeps only 15 significant digits), so it is reported rather than read.
    """
    import json

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise InputError(f"berkas XLSX tidak dapat dibuka: {error}", path=str(path)) from error
    try:
        sheet = workbook.worksheets[0]
        # Some exporters write a stale <dimension>; read-only mode would stop there and drop rows.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        preview_raw: list[tuple] = []
        for row in rows:
            preview_raw.append(tuple(row))
            if len(preview_raw) >= HEADER_SEARCH_ROWS:
                break
        preview = [[_cell_text(v) for v in row] for row in preview_raw]
        if not any("".join(r).strip() for r in preview):
            raise InputError("lembar kerja pertama kosong", path=str(path))
        header_index = _find_header(preview, mapping)
        if header_index is None:
            _no_header(preview, str(path), mapping)
        header = preview[header_index]
        width = len(header)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        lines: list[int] = []
        rejects: list[tuple[int, str, str, str]] = []
        id_columns = {
            i
            for i, h in enumerate(header)
            if (mapping or {}).get(normalize_header(h), normalize_header(h)) in ("nik", "no_kk")
        }

        def take(excel_row: int, values) -> None:
            cells = list(values)[:width] + [None] * max(0, width - len(values))
            if all(v is None or str(v).strip() == "" for v in cells):
                return  # blank rows in a spreadsheet are layout, not data
            for i in id_columns:
                if isinstance(cells[i], int | float) and not isinstance(cells[i], bool):
                    canonical = (mapping or {}).get(normalize_header(header[i]), normalize_header(header[i]))
                    rejects.append((excel_row, canonical, _cell_text(cells[i]), "EXCEL_NUMBER"))
                    cells[i] = None
            for i in range(width):
                columns[i].append(_cell_text(cells[i]) if cells[i] is not None else None)
            lines.append(excel_row)

        for excel_row, row in enumerate(preview_raw[header_index + 1 :], start=header_index + 2):
            take(excel_row, list(row))
        for excel_row, row in enumerate(rows, start=len(preview_raw) + 1):
            take(excel_row, list(row))
    finally:
        workbook.close()
    names = [h if h else f"kolom_{i + 1}" for i, h in enumerate(header)]
    # The same header twice: keep the first (resolve_columns does too).
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            names[i] = f"{n}__{i}"
        seen.setdefault(n, i)
    arrays = [pa.array(col, pa.string()) for col in columns] + [pa.array(lines, pa.int64())]
    table = pa.Table.from_arrays(arrays, names=[*names, "_line"])
    return table.replace_schema_metadata(
        {"header_line": str(header_index + 1), "rejects": json.dumps([list(r) for r in rejects])}
    )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
