"""The dashboard pages (issue 7): the user's region, a drill-down region, a KUBE and a pendamping profile,
and the strengthening plan by region. Thin: a scoped read from `dashboard`, `plan` or `profiles` (each
raises 404 outside the user's scope), charts drawn server-side, render.

A KUBE officer has no region dashboard (403 on `dasbor/`, 404 on a region); they open their own KUBE's
profile. Viewers and evaluators read aggregates: no KUBE profile (404), no pendamping names.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from berdaya.reports import charts
from berdaya.reports.dashboard import RegionSummary, TrendPoint, can_see_dashboard, home_code, region_summary
from berdaya.reports.plan import plan_summary
from berdaya.reports.profiles import facilitator_profile, kube_profile

MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def _month(point: TrendPoint) -> str:
    return f"{MONTHS_SHORT[point.month.month - 1]} {point.month:%y}"


def _percent(value: float | None) -> str:
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


def _region_charts(summary: RegionSummary) -> dict[str, str]:
    from django.conf import settings

    total = summary.total
    states = [label for _value, label in summary.states]
    rows = [(_("Semua"), [total.by_state.get(value, 0) for value, _label in summary.states])]
    maturity = [(label, total.by_maturity.get(value, 0)) for value, label in summary.maturities]
    indicators = [
        (f"{i.code} · {i.title}", i.share, f"{_percent(i.share)} ({i.met}/{i.scored})") for i in summary.indicators
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


def _render_region(request, code: str | None):
    summary = region_summary(user=request.user, code=code)
    context = {"s": summary, "charts": _region_charts(summary)}
    return render(request, "reports/region.html", context)


@login_required
def dashboard(request):
    """The user's own region: the nation for an admin, the province of a provincial viewer, the kab/kota
    of a program officer, the kecamatan of a pendamping."""
    if not can_see_dashboard(request.user):
        raise PermissionDenied
    return _render_region(request, home_code(request.user))


@login_required
def region(request, code: str):
    return _render_region(request, code)


@login_required
def kube(request, kube_id: int):
    context = kube_profile(user=request.user, kube_id=kube_id)
    from django.conf import settings

    context["trend_svg"] = trend_svg(context["trend"], int(settings.BERDAYA["ATTENDANCE_MIN_PERCENT"]))
    return render(request, "reports/kube.html", context)


@login_required
def facilitator(request, facilitator_id: int):
    return render(
        request, "reports/facilitator.html", facilitator_profile(user=request.user, facilitator_id=facilitator_id)
    )


@login_required
def plan(request, code: str):
    return render(request, "reports/plan.html", {"p": plan_summary(user=request.user, code=code)})
