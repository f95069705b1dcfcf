"""Registry pages: thin — check the form, fetch through a scoped selector, call one service, render."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from berdaya.core.figures_cache import figures_cached
from berdaya.core.jobs import (
    background_jobs_enabled,
    job_enqueue,
    job_media_relative,
    job_upload_folder,
    job_upload_save,
)
from berdaya.core.models import Job
from berdaya.core.scoping import can_read_registry, can_write_registry
from berdaya.core.services import audit_record
from berdaya.engine.rulesets import BUSINESS_TYPES
from berdaya.registry import selectors
from berdaya.registry.forms import ImportForm, ScreeningForm
from berdaya.registry.models import Decision
from berdaya.registry.reports import problems_csv, problems_xlsx
from berdaya.registry.services import dtks_import, eligibility_screen
from berdaya.registry.services.screening import ScreeningError


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
def family_list(request):
    _require(can_read_registry(request.user))
    decision = request.GET.get("keputusan", "")
    region = request.GET.get("wilayah", "").strip()
    business_type = request.GET.get("usaha", "")
    families = selectors.families_for_user(
        user=request.user, decision=decision, region=region, business_type=business_type
    )
    page = Paginator(families, 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "registry/family_list.html",
        {
            "page": page,
            "decision": decision,
            "region": region,
            "business_type": business_type,
            "decisions": Decision.choices,
            "business_types": BUSINESS_TYPES,
            "counts": figures_cached(
                "decision_counts", request.user, (), lambda: selectors.decision_counts(user=request.user)
            ),
        },
    )


@login_required
def family_detail(request, pk: int):
    _require(can_read_registry(request.user))
    family = selectors.family_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "registry/family_detail.html",
        {
            "family": family,
            "members": family.members.all(),
            "decision": family.latest_decision,
            "history": family.decisions.select_related("run").order_by("-run__created_at")[:10],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require(can_write_registry(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and background_jobs_enabled():
        return redirect("core:job", pk=_import_enqueue(request.user, form.cleaned_data).pk)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / ("upload." + upload.name.rsplit(".", 1)[-1].lower())
            with open(path, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            mapping_path = None
            if form.cleaned_data.get("mapping"):
                mapping_upload = form.cleaned_data["mapping"]
                mapping_path = Path(folder) / ("mapping." + mapping_upload.name.rsplit(".", 1)[-1].lower())
                mapping_path.write_bytes(mapping_upload.read())
            batch = dtks_import(
                path=path,
                actor=request.user,
                file_name=upload.name,
                mapping_path=mapping_path,
                dry_run=form.cleaned_data["dry_run"],
                encoding=form.cleaned_data["encoding"],
            )
        return redirect("registry:import_detail", pk=batch.pk)
    return render(
        request,
        "registry/import_upload.html",
        {"form": form, "imports": selectors.recent_imports(user=request.user)[:10]},
    )


def _import_enqueue(user, data: dict) -> Job:
    """Keep the upload where the worker can read it (MEDIA_ROOT/jobs/…) and queue the import."""
    folder = job_upload_folder()
    path = job_upload_save(folder=folder, upload=data["file"], stem="upload")
    mapping = job_upload_save(folder=folder, upload=data["mapping"], stem="mapping") if data.get("mapping") else None
    params = {
        "folder": job_media_relative(folder),
        "path": job_media_relative(path),
        "mapping_path": job_media_relative(mapping) if mapping else None,
        "file_name": data["file"].name,
        "dry_run": bool(data["dry_run"]),
        "encoding": data["encoding"],
    }
    return job_enqueue(actor=user, kind=Job.Kind.DTKS_IMPORT, params=params)


@login_required
def import_detail(request, pk: int):
    _require(can_read_registry(request.user))
    batch = selectors.import_get_for_user(user=request.user, pk=pk)
    changes = batch.changes.all()[:200]
    return render(
        request,
        "registry/import_detail.html",
        {
            "batch": batch,
            "problems": batch.problems[:500],
            "changes": changes,
            "screening_form": ScreeningForm(),
        },
    )


@login_required
def import_report(request, pk: int, fmt: str):
    _require(can_read_registry(request.user))
    batch = selectors.import_get_for_user(user=request.user, pk=pk)
    if fmt == "xlsx":
        data, content_type = (
            problems_xlsx(batch.problems),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    elif fmt == "csv":
        data, content_type = problems_csv(batch.problems), "text/csv; charset=utf-8"
    else:
        return HttpResponse(status=404)
    # The report carries personal values (birth dates, masked NIKs): a bulk read, so audited.
    audit_record(actor=request.user, action="registry.import.report", object_type="import_batch",
                 object_id=str(batch.pk), changes={"format": fmt, "rows": len(batch.problems)})
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="laporan-impor-{batch.pk}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def screening_run(request):
    _require(can_write_registry(request.user))
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and background_jobs_enabled():
        params = {
            "ruleset_name": form.cleaned_data["ruleset"],
            "as_of": form.cleaned_data["as_of"].isoformat() if form.cleaned_data["as_of"] else None,
            "region_prefix": form.cleaned_data["region"].strip() or None,
        }
        job = job_enqueue(actor=request.user, kind=Job.Kind.ELIGIBILITY_SCREEN, params=params)
        return redirect("core:job", pk=job.pk)
    if request.method == "POST" and form.is_valid():
        try:
            run = eligibility_screen(
                actor=request.user,
                ruleset_name=form.cleaned_data["ruleset"],
                as_of=form.cleaned_data["as_of"],
                region_prefix=form.cleaned_data["region"].strip() or None,
            )
        except ScreeningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Penyaringan selesai: %(e)s layak, %(i)s tidak layak, %(v)s perlu verifikasi.")
                % {
                    "e": run.counts["ELIGIBLE"],
                    "i": run.counts["INELIGIBLE"],
                    "v": run.counts["NEEDS_VERIFICATION"],
                },
            )
            return redirect("registry:family_list")
    return render(request, "registry/screening_run.html", {"form": form})
