"""Background jobs: queued from the pages, run by a worker, their progress and result on a page of their own."""

from __future__ import annotations

import json
import signal

import pytest
from django.urls import reverse
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.jobs import job_enqueue, job_progress, job_progress_reporter
from berdaya.core.models import AuditEvent, Job
from berdaya.registry.models import ImportBatch
from berdaya.registry.services import dtks_import
from tests.conftest import person, write_rows


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def background(settings, media):
    settings.BERDAYA = {**settings.BERDAYA, "BACKGROUND_JOBS": True}


def queued_import(tmp_path, media, officer) -> Job:
    """A DTKS file waiting under MEDIA_ROOT/jobs/, as the upload page leaves it, and its job."""
    folder = media / "jobs" / "abc"
    folder.mkdir(parents=True)
    write_rows(folder / "upload.csv", [person()])
    params = {"folder": "jobs/abc", "path": "jobs/abc/upload.csv", "file_name": "dtks.csv", "encoding": "utf-8"}
    return job_enqueue(actor=officer, kind=Job.Kind.DTKS_IMPORT, params=params)


def test_an_import_job_runs_and_records_the_batch_it_made(officer, tmp_path, media):
    job = queued_import(tmp_path, media, officer)
    assert job.status == Job.Status.DONE and job.error == ""
    batch = ImportBatch.objects.get(pk=job.result["import_batch"])
    assert batch.status == ImportBatch.Status.APPLIED and batch.created_by == officer and batch.file_name == "dtks.csv"
    assert job.started_at and job.finished_at and job.task_id
    assert job.progress_total == 4 and job.progress_done == 4 and job.percent == 100
    assert not (media / "jobs" / "abc").exists()  # the upload does not outlive its job
    assert AuditEvent.objects.filter(action="job.enqueue", object_id=str(job.pk), actor=officer).exists()


def test_a_refused_screening_fails_the_job_with_the_services_message(officer):
    job = job_enqueue(actor=officer, kind=Job.Kind.ELIGIBILITY_SCREEN, params={})
    assert job.status == Job.Status.FAILED
    assert "Tidak ada keluarga" in job.error and job.result == {}


def test_an_unexpected_error_fails_the_job_with_its_type(officer, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk penuh")

    monkeypatch.setattr("berdaya.registry.services.eligibility_screen", broken)
    job = job_enqueue(actor=officer, kind=Job.Kind.ELIGIBILITY_SCREEN, params={})
    assert job.status == Job.Status.FAILED and job.error == "RuntimeError: disk penuh"


def test_the_import_service_reports_each_step_to_its_progress_callback(officer, tmp_path):
    steps = []
    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer, progress=lambda *a: steps.append(a))
    assert [done for done, _total, _message in steps][:1] == [0]
    assert {total for _done, total, _message in steps} == {4}
    assert steps[-1][:2] == (3, 4) and "menyimpan" in steps[-1][2]


def test_progress_is_recorded_on_the_job_and_kept_within_its_total(officer, tmp_path, media, monkeypatch):
    job = Job.objects.create(kind=Job.Kind.DTKS_IMPORT, actor=officer)
    job_progress(job.pk, 3, 10, "membaca: 3.000 baris")
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.percent) == (3, 10, 30)
    assert job.progress_message == "membaca: 3.000 baris"
    job_progress(job.pk, 12, 10, "")
    job.refresh_from_db()
    assert job.progress_done == 10

    report = job_progress_reporter(job.pk, every_seconds=3600)
    report(1, 500, "first")  # written
    report(2, 500, "skipped")  # too soon
    job.refresh_from_db()
    assert (job.progress_done, job.progress_message) == (1, "first")
    report(500, 500, "last")  # the last step is always written
    job.refresh_from_db()
    assert (job.progress_done, job.progress_message) == (500, "last")
    report(2, 4, "a named step")  # a new step of a short count is always written
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.progress_message) == (2, 4, "a named step")


def test_the_job_page_shows_a_progress_bar_that_polls_its_status(client, officer):
    job = Job.objects.create(kind=Job.Kind.DTKS_IMPORT, actor=officer, progress_done=1, progress_total=4,
                             progress_message="membaca: 1.000 baris", status=Job.Status.RUNNING)
    client.force_login(officer)
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert '<progress class="job" id="job-progress" max="4" value="1">' in page
    assert 'http-equiv="refresh"' in page and reverse("core:job_status", args=[job.pk]) in page
    assert "membaca: 1.000 baris" in page
    status = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert status == {
        "id": job.pk, "kind": "dtks_import", "status": "running", "status_label": "Berjalan", "finished": False,
        "done": 1, "total": 4, "percent": 25, "message": "membaca: 1.000 baris", "error": "", "result_url": None,
    }


def test_a_finished_job_links_to_its_result_and_stops_refreshing(client, officer, tmp_path, media):
    job = queued_import(tmp_path, media, officer)
    client.force_login(officer)
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    result_url = reverse("registry:import_detail", args=[job.result["import_batch"]])
    assert f'href="{result_url}"' in page and 'http-equiv="refresh"' not in page and "<script>" not in page
    assert client.get(reverse("core:job_status", args=[job.pk])).json()["result_url"] == result_url
    assert client.get(result_url).status_code == 200


def test_another_user_cannot_see_the_job_but_an_admin_can(client, officer, stranger, admin_user):
    job = Job.objects.create(kind=Job.Kind.DTKS_IMPORT, actor=officer)
    client.force_login(stranger)
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("core:job_status", args=[job.pk])).status_code == 404
    assert f"#{job.pk}" not in client.get(reverse("core:job_list")).content.decode()
    client.force_login(admin_user)
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 200
    assert f"#{job.pk}" in client.get(reverse("core:job_list")).content.decode()


def test_the_job_pages_need_a_login(client, officer):
    job = Job.objects.create(kind=Job.Kind.DTKS_IMPORT, actor=officer)
    assert client.get(reverse("core:job_status", args=[job.pk])).status_code == 302


def test_the_upload_page_queues_the_import_and_the_result_is_reachable(client, officer, tmp_path, media, background):
    source = write_rows(tmp_path / "dtks.csv", [person()])
    client.force_login(officer)
    with open(source, "rb") as handle:
        response = client.post(reverse("registry:import_upload"), {"file": handle, "encoding": "utf-8"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert job.kind == Job.Kind.DTKS_IMPORT and job.actor == officer and job.status == Job.Status.DONE
    page = client.get(response["Location"]).content.decode()
    batch = ImportBatch.objects.get()
    assert batch.file_name == "dtks.csv" and batch.status == ImportBatch.Status.APPLIED
    assert reverse("registry:import_detail", args=[batch.pk]) in page
    assert client.get(reverse("registry:import_detail", args=[batch.pk])).status_code == 200
    assert list((media / "jobs").iterdir()) == []


def test_the_upload_page_still_imports_inline_when_background_jobs_are_off(client, officer, tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person()])
    client.force_login(officer)
    with open(source, "rb") as handle:
        response = client.post(reverse("registry:import_upload"), {"file": handle, "encoding": "utf-8"})
    assert response["Location"] == reverse("registry:import_detail", args=[ImportBatch.objects.get().pk])
    assert not Job.objects.exists()


def test_the_screening_page_queues_a_screening(client, officer, tmp_path, background):
    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    client.force_login(officer)
    response = client.post(reverse("registry:screening_run"), {"ruleset": "permensos-2-2019", "as_of": "2026-11-01"})
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE and job.result["counts"]["families"] == 1
    page = client.get(response["Location"]).content.decode()
    assert "Penyaringan selesai" in page and reverse("registry:family_list") in page


def test_the_formation_page_queues_a_run_and_links_to_it(client, officer, background):
    from tests.kube.test_formation_service import SIANTAN_HULU, village_families

    village_families(12, seed=3)
    client.force_login(officer)
    response = client.post(
        reverse("kube:formation_list"), {"region": SIANTAN_HULU, "ruleset": "kalbar-2019", "seed": "0"}
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("core:job", args=[job.pk]) and job.status == Job.Status.DONE, job.error
    assert job.progress_total >= 1 and job.progress_done == job.progress_total
    detail = reverse("kube:formation_detail", args=[job.result["formation_run"]])
    assert detail in client.get(response["Location"]).content.decode()
    assert client.get(detail).status_code == 200


def test_a_formation_outside_the_officers_region_fails_with_the_reason(client, stranger, background):
    from tests.kube.test_formation_service import SIANTAN_HULU

    client.force_login(stranger)
    client.post(reverse("kube:formation_list"), {"region": SIANTAN_HULU, "ruleset": "kalbar-2019", "seed": "0"})
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and "di luar wilayah" in job.error
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert job.error in page and reverse("kube:formation_list") in page


@pytest.fixture
def signals_restored():
    """The worker takes over SIGINT/SIGTERM/SIGQUIT to stop gracefully; give them back to pytest afterwards."""
    names = [name for name in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)]
    saved = {name: signal.getsignal(getattr(signal, name)) for name in names}
    yield
    for name, handler in saved.items():
        signal.signal(getattr(signal, name), handler)


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_holds_the_job_until_a_worker_runs_it(settings, officer, tmp_path, media, signals_restored):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    job = queued_import(tmp_path, media, officer)
    assert job.status == Job.Status.QUEUED and job.progress_done == 0

    result = CliRunner().invoke(app, ["worker", "--batch"])
    assert result.exit_code == 0, result.output
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert ImportBatch.objects.get(pk=job.result["import_batch"]).status == ImportBatch.Status.APPLIED


def test_the_worker_command_refuses_another_backend():
    result = CliRunner().invoke(app, ["worker", "--batch"])
    assert result.exit_code == 2 and "bukan antrean basis data" in result.stderr


def test_the_import_command_draws_a_progress_bar_on_stderr_only_when_asked(officer, tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person()])
    plain = CliRunner().invoke(app, ["import", "dtks", str(source), "--dry-run"])
    shown = CliRunner().invoke(app, ["import", "dtks", str(source), "--dry-run", "--progress"])
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert plain.stderr == "" and "Impor dtks.csv" in shown.stderr
    assert json.loads(shown.stdout)["status"] == json.loads(plain.stdout)["status"] == "dry_run"


def test_the_screen_registry_command_draws_a_progress_bar_when_asked(officer, tmp_path):
    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    result = CliRunner().invoke(app, ["screen-registry", "--as-of", "2026-11-01", "--progress"])
    assert result.exit_code == 0, result.output
    assert "Penyaringan registri" in result.stderr and json.loads(result.stdout)["families"] == 1
