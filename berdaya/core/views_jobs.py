"""Job pages: one job's progress (a page that refreshes itself), the same as JSON for its script, and the
files a finished job made (a report), for its actor or an admin only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render

from berdaya.core.jobs import (
    job_files,
    job_get_for_user,
    job_output_file,
    job_result_url,
    job_start_url,
    jobs_for_user,
)
from berdaya.core.models import Job
from berdaya.core.services import audit_record

# How often the page asks for news (seconds); without JavaScript it reloads itself a little slower.
POLL_SECONDS = 2
REFRESH_SECONDS = 5


def _status(job: Job) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "finished": job.finished,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "message": job.progress_message,
        "error": job.error,
        "result_url": job_result_url(job),
    }


@login_required
def job_detail(request, pk: int):
    job = job_get_for_user(user=request.user, pk=pk)
    context = {
        "job": job,
        "status": _status(job),
        "result_url": job_result_url(job),
        "files": job_files(job),
        "start_url": job_start_url(job),
        "poll_ms": POLL_SECONDS * 1000,
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "core/job_detail.html", context)


@login_required
def job_status(request, pk: int):
    return JsonResponse(_status(job_get_for_user(user=request.user, pk=pk)))


@login_required
def job_list(request):
    page = Paginator(jobs_for_user(user=request.user), 30).get_page(request.GET.get("hal"))
    return render(request, "core/job_list.html", {"page": page})


@login_required
def job_file(request, pk: int, kind: str):
    """A file a finished job made, as a download: only for the job's actor or an admin (404 otherwise,
    and while the job is not done)."""
    found = job_output_file(job_get_for_user(user=request.user, pk=pk), kind)
    if found is None:
        raise Http404
    path, name = found
    # Making the file was audited (the job's actor); each download is a bulk read of its own, maybe by an admin.
    audit_record(actor=request.user, action="export.job_file", object_type="job", object_id=str(pk),
                 changes={"kind": kind, "file": name, "format": name.rsplit(".", 1)[-1].lower()})
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 - FileResponse closes it
