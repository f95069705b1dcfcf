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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from berdaya.core.audit_context import client_address
from berdaya.core.figures_cache import figures_cached
from berdaya.reports.dashboard import can_see_dashboard, home_code, region_summary
from berdaya.reports.figures import region_charts, trend_svg
from berdaya.reports.plan import plan_summary
from berdaya.reports.profiles import facilitator_profile, kube_profile


def _background_jobs() -> bool:
    from berdaya.core.jobs import background_jobs_enabled

    return background_jobs_enabled()


def _summary_and_charts(user, code: str | None):
    summary = region_summary(user=user, code=code)
    return summary, region_charts(summary)


def _render_region(request, code: str | None):
    summary, charts = figures_cached(
        "region", request.user, (code, timezone.localdate()), lambda: _summary_and_charts(request.user, code)
    )
    context = {"s": summary, "charts": charts, "background_jobs": _background_jobs()}
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
def kube_pdf(request, kube_id: int):
    """The KUBE profile as PDF, scoped like the profile page; a read of the members' data, so audited."""
    from django.http import HttpResponse
    from django.utils.text import slugify

    from berdaya.reports import kube_report

    data = kube_report.kube_report_data(user=request.user, kube_id=kube_id)
    body, _pages = kube_report.kube_report_render(data)
    kube_report.kube_report_audit(actor=request.user, data=data, client_address=client_address(request))
    response = HttpResponse(body, content_type="application/pdf")
    name = slugify(data.kube.name) or "kube"
    response["Content-Disposition"] = f'attachment; filename="profil-{name}-{data.kube.pk}.pdf"'
    return response


@login_required
def facilitator(request, facilitator_id: int):
    return render(
        request, "reports/facilitator.html", facilitator_profile(user=request.user, facilitator_id=facilitator_id)
    )


@login_required
def plan(request, code: str):
    context = {"p": plan_summary(user=request.user, code=code), "background_jobs": _background_jobs()}
    return render(request, "reports/plan.html", context)


def _report_period(params):
    """?dari=&sampai= (YYYY-MM-DD, both optional); a malformed date is a 400."""
    from django.core.exceptions import BadRequest
    from django.utils.dateparse import parse_date

    dates = []
    for name in ("dari", "sampai"):
        text = params.get(name, "").strip()
        try:
            value = parse_date(text) if text else None
        except ValueError:
            value = None
        if text and value is None:
            raise BadRequest(_("Tanggal harus berbentuk TTTT-BB-HH."))
        dates.append(value)
    return dates


def _evaluation_enqueue(request, code: str, kind: str, start, end):
    """Queue the report for the worker and send the user to the job's page (its progress bar, then the
    download). The scope is checked here too, so an outsider gets the page's 404, not a failed job."""
    from django.shortcuts import redirect

    from berdaya.core.jobs import job_enqueue
    from berdaya.core.models import Job
    from berdaya.reports.dashboard import region_get

    region_get(user=request.user, code=code)
    params = {
        "code": code,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "kinds": [kind],
    }
    job = job_enqueue(actor=request.user, kind=Job.Kind.EVALUATION_REPORT, params=params)
    return redirect("core:job", pk=job.pk)


def _evaluation_download(request, code: str, kind: str):
    """GET, or POST without background jobs: the file at once. POST with background jobs (the page's
    buttons, BERDAYA["BACKGROUND_JOBS"]): a job, and a redirect to its page."""
    from django.http import HttpResponse

    from berdaya.core.jobs import background_jobs_enabled
    from berdaya.reports import evaluation_report as report

    params = request.POST if request.method == "POST" else request.GET
    start, end = _report_period(params)
    if request.method == "POST" and background_jobs_enabled():
        return _evaluation_enqueue(request, code, kind, start, end)
    built = report.evaluation_report_build(user=request.user, code=code, start=start, end=end, kinds=[kind])
    report.evaluation_report_audit(
        actor=request.user, code=code, kind=kind, data=built.data, client_address=client_address(request)
    )
    response = HttpResponse(built.files[kind], content_type=report.CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{report.evaluation_report_filename(code, kind)}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_pdf(request, code: str):
    """The "Laporan Evaluasi Program KUBE" of a region as PDF, scoped like the region dashboard."""
    return _evaluation_download(request, code, "pdf")


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_xlsx(request, code: str):
    """The same report's numbers as a workbook."""
    return _evaluation_download(request, code, "xlsx")
