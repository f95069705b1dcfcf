"""Report pages of a KUBE's books and the region's metrics; each page also downloads as XLSX
(`?format=xlsx`, audited as a bulk read). Views only read the query, fetch the KUBE through the scoped
helper (404 outside the user's scope), call one report and render.

An unreadable `?bulan=`, `?tanggal=`, `?dari=` or `?sampai=` never fails the page: the default is used
and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from berdaya.core.services import audit_record
from berdaya.engine import bookkeeping as bk
from berdaya.ledger import metrics as ledger_metrics
from berdaya.ledger import reports, xlsx
from berdaya.ledger.selectors import book_kube_for_user


def _date(request: HttpRequest, name: str, default: dt.date, errors: list[str]) -> dt.date:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(
            _("Tanggal “%(text)s” tidak terbaca (format TTTT-BB-HH); dipakai %(default)s.")
            % {"text": text, "default": default.strftime("%d/%m/%Y")}
        )
        return default


def _month(request: HttpRequest, default: dt.date, errors: list[str]) -> dt.date:
    text = request.GET.get("bulan", "").strip()
    if not text:
        return reports.month_start(default)
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        errors.append(
            _("Bulan “%(text)s” tidak terbaca (format TTTT-BB, misalnya 2025-03); dipakai %(default)s.")
            % {"text": text, "default": default.strftime("%m/%Y")}
        )
        return reports.month_start(default)


def _period(request: HttpRequest, errors: list[str]) -> tuple[dt.date, dt.date]:
    """`?dari=&sampai=`, by default from 1 January of this year to today; a reversed range is refused."""
    today = timezone.localdate()
    end = _date(request, "sampai", today, errors)
    start = _date(request, "dari", end.replace(month=1, day=1), errors)
    if start > end:
        errors.append(_("Tanggal awal sesudah tanggal akhir; dipakai 1 Januari sampai tanggal akhir."))
        start = end.replace(month=1, day=1)
    return start, end


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _shown(metrics: bk.Metrics | None) -> dict[str, float | None]:
    """The ratios as percentages for the page (the XLSX keeps fractions with a % format)."""
    if metrics is None:
        return {}
    return {
        "roa": _percent(metrics.roa_annualised),
        "par30": _percent(metrics.par30),
        "repayment_rate": _percent(metrics.repayment_rate),
        "utilisation": _percent(metrics.loan_fund_utilisation),
        "revenue_growth": _percent(metrics.revenue_growth),
        "equity_growth": _percent(metrics.equity_growth),
    }


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format", "").lower() == "xlsx"


def _xlsx_url(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "xlsx"
    return f"{request.path}?{query.urlencode()}"


def _download(request: HttpRequest, *, kube, name: str, day: dt.date, build: Callable[[], bytes]) -> HttpResponse:
    """The XLSX response; a download is a bulk read, so it leaves an audit row."""
    audit_record(
        actor=request.user,
        action="ledger.export_xlsx",
        object_type="kube.Kube",
        object_id=kube.pk,
        changes={"report": name},
    )
    response = HttpResponse(build(), content_type=xlsx.CONTENT_TYPE)
    filename = f"{slugify(kube.name) or 'kube'}-{name}-{day.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page(request: HttpRequest, template: str, kube, report_name: str, errors: list[str], **context) -> HttpResponse:
    return render(
        request,
        template,
        {"kube": kube, "report_name": report_name, "errors": errors, "xlsx_url": _xlsx_url(request), **context},
    )


@login_required
@require_GET
def trial_balance(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Neraca saldo on `?tanggal=` (default today)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    as_of = _date(request, "tanggal", timezone.localdate(), errors)
    report = reports.trial_balance(kube, as_of)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="neraca-saldo", day=as_of,
                         build=lambda: xlsx.trial_balance_xlsx(report))  # fmt: skip
    return _page(request, "ledger/report_trial_balance.html", kube, "trial_balance", errors, report=report)


@login_required
@require_GET
def cash_book(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Buku kas of `?bulan=YYYY-MM` (default this month) on `?akun=1100` (Kas) or 1200 (Bank)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    month = _month(request, timezone.localdate(), errors)
    account = request.GET.get("akun", bk.KAS).strip() or bk.KAS
    if account not in bk.CASH_ACCOUNTS:
        errors.append(_("Akun “%(text)s” bukan Kas (1100) atau Bank (1200); dipakai Kas.") % {"text": account})
        account = bk.KAS
    report = reports.cash_book(kube, month, account)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name=f"buku-kas-{account}", day=month,
                         build=lambda: xlsx.cash_book_xlsx(report))  # fmt: skip
    return _page(request, "ledger/report_cash_book.html", kube, "cash_book", errors, report=report)


@login_required
@require_GET
def income_statement(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Laba-rugi from `?dari=` to `?sampai=` (default this year to date)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    start, end = _period(request, errors)
    report = reports.income_statement(kube, start, end)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="laba-rugi", day=end,
                         build=lambda: xlsx.income_statement_xlsx(report))  # fmt: skip
    return _page(request, "ledger/report_income_statement.html", kube, "income_statement", errors, report=report)


@login_required
@require_GET
def balance_sheet(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Neraca on `?tanggal=` (default today)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    as_of = _date(request, "tanggal", timezone.localdate(), errors)
    report = reports.balance_sheet(kube, as_of)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="neraca", day=as_of,
                         build=lambda: xlsx.balance_sheet_xlsx(report))  # fmt: skip
    return _page(request, "ledger/report_balance_sheet.html", kube, "balance_sheet", errors, report=report)


@login_required
@require_GET
def loan_ledger(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Member loans with arrears on `?tanggal=` (default today)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    as_of = _date(request, "tanggal", timezone.localdate(), errors)
    report = reports.loan_ledger(kube, as_of)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="pinjaman", day=as_of,
                         build=lambda: xlsx.loan_ledger_xlsx(report))  # fmt: skip
    return _page(request, "ledger/report_loan_ledger.html", kube, "loan_ledger", errors, report=report)


@login_required
@require_GET
def iks_fund(request: HttpRequest, kube_id: int) -> HttpResponse:
    """Dana IKS from `?dari=` to `?sampai=` (default this year to date)."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    start, end = _period(request, errors)
    report = reports.iks_fund(kube, start, end)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="dana-iks", day=end, build=lambda: xlsx.iks_fund_xlsx(report))
    return _page(request, "ledger/report_iks_fund.html", kube, "iks_fund", errors, report=report)


@login_required
@require_GET
def kube_metrics(request: HttpRequest, kube_id: int) -> HttpResponse:
    """One KUBE's metrics on `?tanggal=` (default today), with the formulas in words."""
    kube = book_kube_for_user(user=request.user, pk=kube_id)
    errors: list[str] = []
    as_of = _date(request, "tanggal", timezone.localdate(), errors)
    months = ledger_metrics.default_months()
    window = ledger_metrics.metrics_window(as_of, months)
    figures = ledger_metrics.kube_metrics(kube, as_of, months)
    if _wants_xlsx(request):
        return _download(request, kube=kube, name="kinerja", day=as_of,
                         build=lambda: xlsx.metrics_xlsx(kube, figures, window))  # fmt: skip
    return _page(request, "ledger/report_metrics.html", kube, "metrics", errors, metrics=figures, window=window,
                 months=months, shown=_shown(figures))  # fmt: skip


@login_required
@require_GET
def region_metrics(request: HttpRequest) -> HttpResponse:
    """Metrics of every KUBE in the user's scope and their total (per kecamatan for viewers/evaluators)."""
    errors: list[str] = []
    as_of = _date(request, "tanggal", timezone.localdate(), errors)
    region = ledger_metrics.region_metrics(request.user, as_of)
    if _wants_xlsx(request):
        audit_record(
            actor=request.user,
            action="ledger.export_xlsx",
            object_type="core.Region",
            object_id=request.user.region_id or "*",
            changes={"report": "region_metrics", "kubes": region.kubes},
        )
        response = HttpResponse(xlsx.region_metrics_xlsx(region), content_type=xlsx.CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="kinerja-wilayah-{as_of.isoformat()}.xlsx"'
        return response
    return render(
        request,
        "ledger/report_region_metrics.html",
        {
            "region": region,
            "rows": [(row, _shown(row.metrics)) for row in region.rows],
            "total": _shown(region.total),
            "errors": errors,
            "xlsx_url": _xlsx_url(request),
            "months": ledger_metrics.default_months(),
        },
    )


urlpatterns = [
    path("<int:kube_id>/kas/", cash_book, name="cash_book"),
    path("<int:kube_id>/laba-rugi/", income_statement, name="income_statement"),
    path("<int:kube_id>/neraca/", balance_sheet, name="balance_sheet"),
    path("<int:kube_id>/neraca-saldo/", trial_balance, name="trial_balance"),
    path("<int:kube_id>/pinjaman/", loan_ledger, name="loan_ledger"),
    path("<int:kube_id>/iks/", iks_fund, name="iks_fund"),
    path("<int:kube_id>/kinerja/", kube_metrics, name="metrics"),
    path("wilayah/", region_metrics, name="region_metrics"),
]
