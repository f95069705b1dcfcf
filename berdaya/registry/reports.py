"""Row-level problem reports of an import, as CSV or XLSX (reads only)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

REPORT_HEADER = ("baris", "kolom", "nilai", "kode_alasan", "alasan")


def _rows(problems: list[dict]):
    for p in problems:
        yield (
            p.get("line"),
            p.get("column") or "",
            p.get("value") or "",
            p.get("reason_code") or "",
            p.get("reason"),
        )


def problems_csv(problems: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADER)
    writer.writerows(_rows(problems))
    # A BOM so that Excel opens Indonesian text in UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def problems_xlsx(problems: list[dict]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Masalah impor")
    sheet.append(list(REPORT_HEADER))
    for row in _rows(problems):
        sheet.append([row[0], row[1], str(row[2]), row[3], row[4]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_problems(problems: list[dict], path: Path | str) -> None:
    path = Path(path)
    data = problems_xlsx(problems) if path.suffix.lower() == ".xlsx" else problems_csv(problems)
    path.write_bytes(data)
