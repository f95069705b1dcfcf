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
from django.utils.translation import gettext as _

from berdaya.reports.dashboard import can_see_dashboard, home_code, region_summary
from berdaya.reports.figures import region_charts, trend_svg
from berdaya.reports.plan import plan_summary
from berdaya.reports.profiles import facilitator_profile, kube_profile


def _render_region(request, code: str | None):
    summary = region_summary(user=request.user, code=code)
    context = {"s": summary, "charts": region_charts(summary)}
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


def _report_period(request):
    """?dari=&sampai= (YYYY-MM-DD, both optional); a malformed date is a 400."""
    from django.core.exceptions import BadRequest
    from django.utils.dateparse import parse_date

    dates = []
    for name in ("dari", "sampai"):
        text = request.GET.get(name, "").strip()
        try:
            value = parse_date(text) if text else None
        except ValueError:
            value = None
        if text and value is None:
            raise BadRequest(_("Tanggal harus berbentuk TTTT-BB-HH."))
        dates.append(value)
    return dates


def _evaluation_download(request, code: str, kind: str):
    from django.http import HttpResponse

    from berdaya.reports import evaluation_report as report

    start, end = _report_period(request)
    data = report.evaluation_report_data(user=request.user, code=code, start=start, end=end)
    if kind == "pdf":
        body, content_type = report.evaluation_report_pdf(data), "application/pdf"
    else:
        body = report.evaluation_report_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report.evaluation_report_audit(
        actor=request.user, code=code, kind=kind, data=data, client_address=request.META.get("REMOTE_ADDR")
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="laporan-evaluasi-kube-{code}.{kind}"'
    return response


@login_required
def evaluation_pdf(request, code: str):
    """The "Laporan Evaluasi Program KUBE" of a region as PDF, scoped like the region dashboard."""
    return _evaluation_download(request, code, "pdf")


@login_required
def evaluation_xlsx(request, code: str):
    """The same report's numbers as a workbook."""
    return _evaluation_download(request, code, "xlsx")
