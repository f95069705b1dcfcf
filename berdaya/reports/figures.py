"""The dashboard's charts as ready-to-embed SVG (translated titles, marked safe): one place for the page
and the PDF report, so both show the same pictures of the same numbers."""

from __future__ import annotations

from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from berdaya.reports import charts
from berdaya.reports.dashboard import RegionSummary, TrendPoint

MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def _month(point: TrendPoint) -> str:
    return f"{MONTHS_SHORT[point.month.month - 1]} {point.month:%y}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def trend_svg(trend: list[TrendPoint], min_percent: int | None = None) -> str:
    return mark_safe(  # noqa: S308 - charts escape every text they draw
        charts.line_chart(
            [(_month(p), p.rate) for p in trend],
            title=_("Kehadiran pertemuan per bulan"),
            desc=_("Persentase catatan hadir dari semua catatan kehadiran, 12 bulan terakhir."),
            threshold=min_percent,
            threshold_label=_("batas %(n)s%%") % {"n": min_percent} if min_percent is not None else "",
            empty_label=_("Belum ada catatan kehadiran."),
        )
    )


def region_charts(summary: RegionSummary) -> dict[str, str]:
    total = summary.total
    states = [label for _value, label in summary.states]
    rows = [(_("Semua"), [total.by_state.get(value, 0) for value, _label in summary.states])]
    maturity = [(label, total.by_maturity.get(value, 0)) for value, label in summary.maturities]
    indicators = [
        (f"{i.code} · {i.title}", i.share, f"{percent(i.share)} ({i.met}/{i.scored})") for i in summary.indicators
    ]
    svg = {
        "states": charts.stacked_bar_chart(
            rows,
            states,
            title=_("KUBE menurut tahap"),
            desc=_("Jumlah KUBE di wilayah ini menurut tahap siklus hidupnya."),
            empty_label=_("Belum ada KUBE."),
        ),
        "maturity": charts.bar_chart(
            maturity,
            title=_("KUBE menurut tingkat kematangan"),
            desc=_("Tingkat kematangan dari skor evaluasi terakhir setiap KUBE."),
            value_format=lambda v: str(int(v)),
            empty_label=_("Belum ada skor evaluasi."),
        ),
        "indicators": charts.hbar_chart(
            indicators if total.scored else [],
            title=_("Indikator keberhasilan terpenuhi"),
            desc=_("Persentase KUBE yang memenuhi setiap indikator di antara KUBE yang dinilai (skor terakhir)."),
            empty_label=_("Belum ada skor evaluasi."),
        ),
    }
    svg = {key: mark_safe(value) for key, value in svg.items()}  # noqa: S308 - escaped in charts
    svg["trend"] = trend_svg(summary.trend, int(settings.BERDAYA["ATTENDANCE_MIN_PERCENT"]))
    return svg
