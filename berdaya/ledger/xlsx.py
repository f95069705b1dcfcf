"""The book reports as XLSX workbooks (openpyxl): one sheet with a header row and frozen panes, rupiah as
integer cells formatted `#,##0` (so a treasurer can add them up in a spreadsheet), dates as dates,
ratios as percentages; a second sheet says which KUBE, which period and when it was made.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.engine import bookkeeping as bk
from berdaya.ledger import reports
from berdaya.ledger.metrics import RegionMetrics, Window

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUPIAH = "#,##0"
PERCENT = "0.0%"
DATE = "DD/MM/YYYY"


class Money(int):
    """A rupiah amount: written as an integer cell with the `#,##0` format."""


class Ratio(float):
    """A fraction shown as a percentage."""


def _cell_format(value: Any) -> str | None:
    if isinstance(value, Money):
        return RUPIAH
    if isinstance(value, Ratio):
        return PERCENT
    if isinstance(value, dt.date):
        return DATE
    return None


def workbook_bytes(
    *,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    info: Sequence[tuple[str, Any]] = (),
    total_rows: int = 0,
) -> bytes:
    """One sheet named `title`: bold `header` on row 1 (frozen, with the first column), then `rows`;
    the last `total_rows` rows are bold. `info` (label, value) pairs go on a second sheet "Keterangan".
    Money and Ratio values get their number formats; None is an empty cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit on sheet names
    bold = Font(bold=True)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = bold
    widths = [len(str(h)) for h in header]
    for index, row in enumerate(rows):
        sheet.append([int(v) if isinstance(v, Money) else float(v) if isinstance(v, Ratio) else v for v in row])
        excel_row = sheet.max_row
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=excel_row, column=column)
            number_format = _cell_format(value)
            if number_format:
                cell.number_format = number_format
            if index >= len(rows) - total_rows:
                cell.font = bold
            shown = f"{value:,}" if isinstance(value, int) else str(value if value is not None else "")
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], min(len(shown) + 2, 60))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(8, width + 1)
    sheet.freeze_panes = "B2"
    about = workbook.create_sheet(_("Keterangan"))
    for label, value in (*info, (_("Dibuat"), timezone.localtime().strftime("%d/%m/%Y %H:%M"))):
        about.append([label, value])
        if isinstance(value, dt.date):
            about.cell(row=about.max_row, column=2).number_format = DATE
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _kube_info(kube) -> list[tuple[str, Any]]:
    return [(_("KUBE"), kube.name), (_("Wilayah"), f"{kube.region_id} {getattr(kube.region, 'name', '')}".strip())]


def trial_balance_xlsx(report: reports.TrialBalance) -> bytes:
    """Neraca saldo: code, account, debit, credit; a totals row."""
    rows: list[list[Any]] = [[r.code, r.name, Money(r.debit), Money(r.credit)] for r in report.rows]
    rows.append(["", _("Jumlah"), Money(report.total_debit), Money(report.total_credit)])
    return workbook_bytes(
        title=_("Neraca saldo"),
        header=[_("Kode"), _("Akun"), _("Debit"), _("Kredit")],
        rows=rows,
        info=[*_kube_info(report.kube), (_("Per tanggal"), report.as_of)],
        total_rows=1,
    )


def _movement_rows(opening: int, rows: Sequence[reports.Movement], closing: int, total_in: int, total_out: int):
    out: list[list[Any]] = [[None, None, _("Saldo awal"), None, None, None, None, Money(opening)]]
    out += [
        [r.date, r.number, r.description or r.operation_label, r.operation_label, r.counter, Money(r.amount_in),
         Money(r.amount_out), Money(r.balance)]
        for r in rows
    ]  # fmt: skip
    out.append([None, None, _("Saldo akhir"), None, None, Money(total_in), Money(total_out), Money(closing)])
    return out


def cash_book_xlsx(report: reports.CashBook) -> bytes:
    """Buku kas of one month: opening row, one row per line with running balance, closing row."""
    return workbook_bytes(
        title=_("Buku kas"),
        header=[_("Tanggal"), _("No."), _("Keterangan"), _("Jenis"), _("Akun lawan"), _("Masuk"), _("Keluar"),
                _("Saldo")],
        rows=_movement_rows(report.opening, report.rows, report.closing, report.total_in, report.total_out),
        info=[*_kube_info(report.kube), (_("Akun"), f"{report.account_code} {report.account_name}"),
              (_("Dari"), report.month), (_("Sampai"), report.end)],
        total_rows=1,
    )  # fmt: skip


def iks_fund_xlsx(report: reports.IksFund) -> bytes:
    """Dana IKS: opening, allocations in and payouts out with running balance, closing."""
    return workbook_bytes(
        title=_("Dana IKS"),
        header=[_("Tanggal"), _("No."), _("Keterangan"), _("Jenis"), _("Akun lawan"), _("Masuk"), _("Keluar"),
                _("Saldo")],
        rows=_movement_rows(report.opening, report.rows, report.closing, report.allocated, report.paid_out),
        info=[*_kube_info(report.kube), (_("Dari"), report.start), (_("Sampai"), report.end)],
        total_rows=1,
    )  # fmt: skip


def income_statement_xlsx(report: reports.IncomeStatement) -> bytes:
    """Laba-rugi: income accounts, their total, expense accounts, their total, SHU."""
    rows: list[list[Any]] = [[_("Pendapatan"), None, None]]
    rows += [[a.code, a.name, Money(a.amount)] for a in report.income]
    rows.append(["", _("Jumlah pendapatan"), Money(report.total_income)])
    rows.append([_("Beban"), None, None])
    rows += [[a.code, a.name, Money(a.amount)] for a in report.expenses]
    rows.append(["", _("Jumlah beban"), Money(report.total_expenses)])
    rows.append(["", _("SHU (pendapatan − beban)"), Money(report.surplus)])
    return workbook_bytes(
        title=_("Laba-rugi"),
        header=[_("Kode"), _("Akun"), _("Jumlah")],
        rows=rows,
        info=[*_kube_info(report.kube), (_("Dari"), report.start), (_("Sampai"), report.end)],
        total_rows=1,
    )


def balance_sheet_xlsx(report: reports.BalanceSheet) -> bytes:
    """Neraca: assets, liabilities, equity with SHU tahun berjalan, and the totals of both sides."""
    rows: list[list[Any]] = [[_("Harta (aset)"), None, None]]
    rows += [[a.code, a.name, Money(a.amount)] for a in report.assets]
    rows.append(["", _("Jumlah harta"), Money(report.total_assets)])
    rows.append([_("Kewajiban"), None, None])
    rows += [[a.code, a.name, Money(a.amount)] for a in report.liabilities]
    rows.append(["", _("Jumlah kewajiban"), Money(report.total_liabilities)])
    rows.append([_("Modal"), None, None])
    rows += [[a.code, a.name, Money(a.amount)] for a in report.equity]
    rows.append(["", _("SHU tahun berjalan"), Money(report.current_surplus)])
    rows.append(["", _("Jumlah modal"), Money(report.total_equity)])
    rows.append(["", _("Jumlah kewajiban dan modal"), Money(report.total_liabilities_and_equity)])
    return workbook_bytes(
        title=_("Neraca"),
        header=[_("Kode"), _("Akun"), _("Jumlah")],
        rows=rows,
        info=[*_kube_info(report.kube), (_("Per tanggal"), report.as_of)],
        total_rows=1,
    )


def loan_ledger_xlsx(report: reports.LoanLedger) -> bytes:
    """Member loans with arrears: one row per loan, a totals row, then the aging buckets below."""
    rows: list[list[Any]] = [
        [r.member_name, Money(r.principal), r.term_months, r.first_due_on, Money(r.repaid), Money(r.outstanding),
         Money(r.overdue), r.days_past_due, r.bucket_label]
        for r in report.rows
    ]  # fmt: skip
    for bucket in report.buckets:
        rows.append([bucket.label, None, bucket.count, None, None, Money(bucket.outstanding), None, None, None])
    rows.append([_("Jumlah"), Money(report.total_principal), None, None, Money(report.total_repaid),
                 Money(report.total_outstanding), Money(report.total_overdue), None, None])  # fmt: skip
    return workbook_bytes(
        title=_("Pinjaman anggota"),
        header=[_("Anggota"), _("Pokok"), _("Lama (bulan)"), _("Angsuran pertama"), _("Sudah dibayar"), _("Sisa"),
                _("Tunggakan"), _("Hari terlambat"), _("Kolektibilitas")],
        rows=rows,
        info=[*_kube_info(report.kube), (_("Per tanggal"), report.as_of)],
        total_rows=1,
    )  # fmt: skip


def _ratio(value: float | None) -> Ratio | None:
    return None if value is None else Ratio(value)


def _metric_values(m: bk.Metrics) -> list[Any]:
    return [
        Money(m.assets), Money(m.net_surplus), _ratio(m.roa_annualised), _ratio(m.par30), _ratio(m.repayment_rate),
        _ratio(m.loan_fund_utilisation), _ratio(m.revenue_growth), _ratio(m.equity_growth), Money(m.loans_outstanding),
        Money(m.loans_overdue), Money(m.iks_allocated), Money(m.iks_balance),
    ]  # fmt: skip


def _metric_header() -> list[str]:
    return [
        _("Aset"), _("SHU bersih"), _("ROA setahun"), _("PAR > 30 hari"), _("Tingkat pengembalian"),
        _("Pemanfaatan dana pinjaman"), _("Pertumbuhan pendapatan"), _("Pertumbuhan modal"), _("Pinjaman beredar"),
        _("Tunggakan"), _("Alokasi IKS"), _("Saldo IKS"),
    ]  # fmt: skip


def metrics_xlsx(kube, metrics: bk.Metrics, window: Window) -> bytes:
    """One KUBE's metrics: one row under the metric names."""
    return workbook_bytes(
        title=_("Kinerja"),
        header=[_("KUBE"), *_metric_header()],
        rows=[[kube.name, *_metric_values(metrics)]],
        info=[*_kube_info(kube), (_("Dari"), window.start), (_("Sampai"), window.end)],
    )


def region_metrics_xlsx(region: RegionMetrics) -> bytes:
    """The region table: one row per KUBE (or kecamatan), then the total."""
    rows: list[list[Any]] = [[r.name, r.region_code, r.kubes, *_metric_values(r.metrics)] for r in region.rows]
    if region.total is not None:
        rows.append([_("Jumlah"), "", region.kubes, *_metric_values(region.total)])
    return workbook_bytes(
        title=_("Kinerja wilayah"),
        header=[_("Kecamatan") if region.aggregated else _("KUBE"), _("Kode wilayah"), _("Jumlah KUBE"),
                *_metric_header()],
        rows=rows,
        info=[(_("Dari"), region.window.start), (_("Sampai"), region.window.end)],
        total_rows=1 if region.total is not None else 0,
    )  # fmt: skip
