"""Background jobs: put a long operation on the queue, record its progress, and read it back.

A `Job` row is what people see; the task on the django-tasks queue carries only the job's id
(core/tasks.py). Long services take an optional `progress(done, total, message)` callback; a task
hands them `job_progress_reporter(job_id)`, the command line hands them a rich progress bar.

Uploaded files wait for the worker under MEDIA_ROOT/jobs/<random>/ (the web server and the worker
must share MEDIA_ROOT); the task deletes the folder when it is done, whatever the outcome. Files a job
makes (a report) go to MEDIA_ROOT/jobs/<job id>/ and are served only to the job's actor or an admin
(`job_output_file`, core/views_jobs.py).
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from berdaya.core.models import Job, Role, User
from berdaya.core.services import audit_record

ProgressCallback = Callable[[int, int, str], None]

JOBS_FOLDER = "jobs"
# Counts up to this many are a service's named steps, each worth showing (job_progress_reporter).
SHORT_COUNT = 10


def background_jobs_enabled() -> bool:
    """True when the pages should queue long operations instead of running them in the request."""
    return bool(settings.BERDAYA.get("BACKGROUND_JOBS", False))


def job_upload_folder() -> Path:
    """A new, private folder under MEDIA_ROOT/jobs for one job's uploaded files."""
    folder = Path(settings.MEDIA_ROOT) / JOBS_FOLDER / secrets.token_hex(16)
    folder.mkdir(parents=True, mode=0o700)
    return folder


def job_upload_save(*, folder: Path, upload, stem: str) -> Path:
    """Write an uploaded file into `folder` as `<stem>.<its suffix>`; returns the path."""
    path = folder / (stem + "." + upload.name.rsplit(".", 1)[-1].lower())
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def job_media_path(relative: str | None) -> Path | None:
    """An upload path stored in a job's params (relative to MEDIA_ROOT), refusing anything outside jobs/."""
    if not relative:
        return None
    root = (Path(settings.MEDIA_ROOT) / JOBS_FOLDER).resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"job file {relative!r} is outside {root}")
    return path


def job_media_relative(path: Path) -> str:
    return str(path.relative_to(settings.MEDIA_ROOT))


def job_output_folder(job_id: int) -> Path:
    """MEDIA_ROOT/jobs/<job id>/, made private, for the files a job makes (a report)."""
    folder = Path(settings.MEDIA_ROOT) / JOBS_FOLDER / str(int(job_id))
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    return folder


def job_output_file(job: Job, kind: str) -> tuple[Path, str] | None:
    """(path, download name) of the file of `kind` a finished job made, or None when there is none.

    The path comes from the job's result and must lie in the job's own output folder."""
    if job.status != Job.Status.DONE:
        return None
    entry = (job.result or {}).get("files", {}).get(kind)
    if not entry:
        return None
    try:
        path = job_media_path(entry["path"])
    except ValueError:
        return None
    folder = (Path(settings.MEDIA_ROOT) / JOBS_FOLDER / str(job.pk)).resolve()
    if path is None or path.parent != folder or not path.is_file():
        return None
    return path, entry.get("name") or path.name


def job_upload_cleanup(relative_folder: str | None) -> None:
    """Delete a job's upload folder (personal data must not linger once the job is over)."""
    folder = job_media_path(relative_folder)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _task_for(kind: str):
    from berdaya.core import tasks

    return {
        Job.Kind.DTKS_IMPORT: tasks.dtks_import_task,
        Job.Kind.ELIGIBILITY_SCREEN: tasks.eligibility_screen_task,
        Job.Kind.FORMATION_RUN: tasks.formation_run_task,
        Job.Kind.EVALUATION_REPORT: tasks.evaluation_report_task,
    }[kind]


def job_enqueue(*, actor: User | None, kind: str, params: dict) -> Job:
    """Record a job for `actor` and put its task on the queue.

    `params` (JSON) are the task's inputs. The job and its audit row are committed before the task is
    queued, so a worker (of any backend) always finds the job; call this outside a transaction. If the
    queue refuses the task, the job is marked failed and the error raised. With the immediate backend
    (tests) the task has already run when this returns. Raises KeyError for an unknown kind.
    """
    task = _task_for(kind)
    with transaction.atomic():
        job = Job.objects.create(kind=kind, actor=actor if actor is not None and actor.pk else None, params=params)
        audit_record(
            actor=actor, action="job.enqueue", object_type="job", object_id=str(job.pk), changes={"kind": kind}
        )
    try:
        queued = task.enqueue(job.pk)
    except Exception as error:
        job_fail(job_id=job.pk, error=f"{type(error).__name__}: {error}")
        raise
    Job.objects.filter(pk=job.pk).update(task_id=str(queued.id)[:64])
    job.refresh_from_db()
    return job


def job_progress(job_id: int, done: int, total: int, message: str = "") -> None:
    """Record how far a job got: `done` of `total` steps (total 0: unknown), with a short message.

    Written on the worker's connection: inside a service's own transaction it shows only once that
    commits, so services report before and after their atomic writes.
    """
    total = max(int(total), 0)
    done = max(int(done), 0)
    if total:
        done = min(done, total)
    Job.objects.filter(pk=job_id).update(progress_done=done, progress_total=total, progress_message=message[:200])


def job_progress_reporter(job_id: int, *, every_seconds: float = 0.5) -> ProgressCallback:
    """A `progress` callback for the services that writes at most every `every_seconds`.

    A new step of a short count (a service's few named steps) and the last step are always written;
    a long count (rows, strata) is thinned out so the worker does not spend its time on progress rows.
    """
    # -inf, not 0: monotonic time starts near 0 at boot, and the first report must always be written.
    last = {"at": float("-inf"), "done": -1}

    def report(done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        new_step = 0 < total <= SHORT_COUNT and done != last["done"]
        if now - last["at"] < every_seconds and not new_step and not (total and done >= total):
            return
        last.update(at=now, done=done)
        job_progress(job_id, done, total, message)

    return report


def job_start(*, job_id: int) -> Job:
    """Mark a job running (the worker picked it up)."""
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, started_at=timezone.now())
    return Job.objects.select_related("actor").get(pk=job_id)


def job_finish(*, job_id: int, result: dict) -> None:
    """Mark a job done with its result (ids of what it made, counts)."""
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.DONE,
        result=result,
        progress_done=job.progress_total,
        progress_message="selesai",
        finished_at=timezone.now(),
    )


def job_fail(*, job_id: int, error: str) -> None:
    """Mark a job failed with the text the user will read."""
    Job.objects.filter(pk=job_id).update(status=Job.Status.FAILED, error=error, finished_at=timezone.now())


# Selectors


def jobs_for_user(*, user: User) -> QuerySet[Job]:
    """The jobs a user may see: their own; an admin sees everyone's."""
    jobs = Job.objects.select_related("actor")
    if user.is_superuser or user.role == Role.ADMIN:
        return jobs
    return jobs.filter(actor=user)


def job_get_for_user(*, user: User, pk: int) -> Job:
    """One job the user may see; anyone else's is a 404."""
    try:
        return jobs_for_user(user=user).get(pk=pk)
    except Job.DoesNotExist as error:
        raise Http404 from error


def job_result_url(job: Job) -> str | None:
    """Where a finished job's result is shown (the import report, the families, the formation run)."""
    if job.status != Job.Status.DONE:
        return None
    result = job.result or {}
    if job.kind == Job.Kind.DTKS_IMPORT and result.get("import_batch"):
        return reverse("registry:import_detail", kwargs={"pk": result["import_batch"]})
    if job.kind == Job.Kind.ELIGIBILITY_SCREEN:
        return reverse("registry:family_list")
    if job.kind == Job.Kind.FORMATION_RUN and result.get("formation_run"):
        return reverse("kube:formation_detail", kwargs={"pk": result["formation_run"]})
    if job.kind == Job.Kind.EVALUATION_REPORT and result.get("files"):
        return reverse("core:job_file", kwargs={"pk": job.pk, "kind": next(iter(result["files"]))})
    return None


def job_files(job: Job) -> list[tuple[str, str]]:
    """(kind, download url) of each file a finished job made, in the order it made them."""
    if job.status != Job.Status.DONE:
        return []
    return [
        (kind, reverse("core:job_file", kwargs={"pk": job.pk, "kind": kind}))
        for kind in (job.result or {}).get("files", {})
    ]


def job_start_url(job: Job) -> str:
    """The page that starts a job of this kind (to try again after a failure)."""
    if job.kind == Job.Kind.EVALUATION_REPORT:
        code = (job.params or {}).get("code")
        return reverse("reports:region", kwargs={"code": code}) if code else reverse("reports:dashboard")
    return reverse(
        {
            Job.Kind.DTKS_IMPORT: "registry:import_upload",
            Job.Kind.ELIGIBILITY_SCREEN: "registry:screening_run",
            Job.Kind.FORMATION_RUN: "kube:formation_list",
        }[job.kind]
    )
