"""The queue's tasks: each loads its job, runs one service with a progress callback, and records the result.

A task's only argument is the job id (everything else is in `Job.params`), so what is on the queue
holds no personal data. An error the service raises for the user (a region outside their scope, nothing
to screen) fails the job with that message; anything else fails it too and is raised again, so the
worker logs the traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django_tasks import task

from berdaya.core.jobs import (
    ProgressCallback,
    job_fail,
    job_finish,
    job_media_path,
    job_progress_reporter,
    job_start,
    job_upload_cleanup,
)
from berdaya.core.models import Job


def _run(job_id: int, work: Callable[[Job, ProgressCallback], dict], expected: tuple[type[Exception], ...]) -> dict:
    job = job_start(job_id=job_id)
    try:
        result = work(job, job_progress_reporter(job.pk))
    except expected as error:
        job_fail(job_id=job.pk, error=str(error))
        return {"error": str(error)}
    except Exception as error:
        job_fail(job_id=job.pk, error=f"{type(error).__name__}: {error}")
        raise
    job_finish(job_id=job.pk, result=result)
    return result


@task()
def dtks_import_task(job_id: int) -> dict:
    """Import the DTKS file a job's params point at (then delete it); result: the ImportBatch id and status."""
    from berdaya.registry.services import dtks_import

    def work(job: Job, progress: ProgressCallback) -> dict:
        params = job.params
        try:
            batch = dtks_import(
                path=job_media_path(params["path"]),
                actor=job.actor,
                file_name=params.get("file_name"),
                mapping_path=job_media_path(params.get("mapping_path")),
                dry_run=bool(params.get("dry_run")),
                encoding=params.get("encoding") or "utf-8",
                progress=progress,
            )
        finally:
            job_upload_cleanup(params.get("folder"))
        return {"import_batch": batch.pk, "status": batch.status, "counts": batch.counts}

    return _run(job_id, work, ())


@task()
def eligibility_screen_task(job_id: int) -> dict:
    """Screen the registry as a job's params say; result: the EligibilityRun id and its counts."""
    from berdaya.registry.services import eligibility_screen
    from berdaya.registry.services.screening import ScreeningError

    def work(job: Job, progress: ProgressCallback) -> dict:
        params = job.params
        run = eligibility_screen(
            actor=job.actor,
            ruleset_name=params.get("ruleset_name") or None,
            as_of=dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None,
            region_prefix=params.get("region_prefix") or None,
            progress=progress,
        )
        return {"eligibility_run": run.pk, "counts": run.counts}

    return _run(job_id, work, (ScreeningError,))


@task()
def formation_run_task(job_id: int) -> dict:
    """Run group formation as a job's params say; result: the draft FormationRun id, groups and unplaced."""
    from berdaya.kube.services.formation import FormationError, formation_run

    def work(job: Job, progress: ProgressCallback) -> dict:
        params = job.params
        run = formation_run(
            actor=job.actor,
            region_code=params["region_code"],
            ruleset=params.get("ruleset") or None,
            seed=int(params.get("seed") or 0),
            target=params.get("target") or None,
            progress=progress,
        )
        return {"formation_run": run.pk, "groups": len(run.groups), "unplaced": len(run.unplaced)}

    return _run(job_id, work, (FormationError,))


class ReportRefused(Exception):
    """The report's region does not exist or lies outside the job's actor's dashboard (the page's 404)."""


@task()
def evaluation_report_task(job_id: int) -> dict:
    """Build the evaluation report a job's params ask for (region, period, "pdf"/"xlsx") into
    MEDIA_ROOT/jobs/<job id>/, read as the job's actor; result: the files (path, name, size) and pages.

    Each document made is audited like a download from the page (`reports.evaluation_pdf|xlsx`).
    """
    from django.http import Http404
    from django.utils.translation import gettext

    from berdaya.core.jobs import job_media_relative, job_output_folder
    from berdaya.reports import evaluation_report as report

    def work(job: Job, progress: ProgressCallback) -> dict:
        params = job.params
        code = params["code"]
        if job.actor is None:
            # The page always names who asked; without them there is no scope to read the region in.
            raise ReportRefused(gettext("Laporan tanpa pengguna tidak dibuat."))
        try:
            built = report.evaluation_report_build(
                user=job.actor,
                code=code,
                start=dt.date.fromisoformat(params["start"]) if params.get("start") else None,
                end=dt.date.fromisoformat(params["end"]) if params.get("end") else None,
                kinds=params.get("kinds") or ["pdf"],
                progress=progress,
            )
        except Http404 as error:
            message = gettext("Wilayah %(code)s tidak ditemukan atau di luar cakupan Anda.") % {"code": code}
            raise ReportRefused(message) from error
        folder = job_output_folder(job.pk)
        files = {}
        for kind, body in built.files.items():
            name = report.evaluation_report_filename(code, kind)
            (folder / name).write_bytes(body)
            files[kind] = {"path": job_media_relative(folder / name), "name": name, "bytes": len(body)}
            report.evaluation_report_audit(actor=job.actor, code=code, kind=kind, data=built.data)
        return {"files": files, "pages": built.pages, "code": code, "kubes": len(built.data.kubes)}

    return _run(job_id, work, (ReportRefused,))
