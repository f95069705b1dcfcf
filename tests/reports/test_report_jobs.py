"""The evaluation report as a background job: the dashboard's buttons queue it (BERDAYA["BACKGROUND_JOBS"]),
the job reports each section, leaves its file under MEDIA_ROOT/jobs/<id>/ for its actor (or an admin)
only; without background jobs the same buttons return the file at once."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from typer.testing import CliRunner

from berdaya.core.jobs import job_enqueue
from berdaya.core.models import AuditEvent, Job
from berdaya.reports.evaluation_report import DATA_STEPS, evaluation_report_build
from tests.reports.conftest import AS_OF

pytestmark = pytest.mark.django_db
TITLE = "Laporan Evaluasi Program KUBE"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def background(settings, media):
    settings.BERDAYA = {**settings.BERDAYA, "BACKGROUND_JOBS": True}


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_the_builder_reports_each_section_then_each_document(officer, world):
    steps = []
    built = evaluation_report_build(
        user=officer, code="61.71", end=AS_OF, kinds=["pdf", "xlsx"], progress=lambda *a: steps.append(a)
    )
    total = DATA_STEPS + 2
    assert [done for done, _total, _message in steps] == list(range(total + 1))
    assert {t for _done, t, _message in steps} == {total}
    assert [m for _d, _t, m in steps][-3:] == ["menyusun PDF", "menyusun XLSX", "selesai"]
    assert built.files["pdf"].startswith(b"%PDF") and built.files["xlsx"].startswith(b"PK") and built.pages >= 7
    with pytest.raises(ValueError):
        evaluation_report_build(user=officer, code="61.71", kinds=["docx"])


def test_the_button_queues_a_job_whose_page_offers_the_pdf(client, officer, world, background, media):
    client.force_login(officer)
    page = client.get(reverse("reports:region", args=["61.71"])).content.decode()
    assert f'<form method="post" action="{reverse("reports:evaluation_pdf", args=["61.71"])}"' in page
    response = client.post(reverse("reports:evaluation_pdf", args=["61.71"]), {"sampai": "2025-06-15"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert (job.kind, job.actor, job.status, job.error) == (Job.Kind.EVALUATION_REPORT, officer, Job.Status.DONE, "")
    assert job.params == {"code": "61.71", "start": None, "end": "2025-06-15", "kinds": ["pdf"]}
    assert (job.progress_done, job.progress_total) == (DATA_STEPS + 1, DATA_STEPS + 1)
    stored = media / "jobs" / str(job.pk) / "laporan-evaluasi-kube-61.71.pdf"
    assert stored.is_file() and job.result["files"]["pdf"]["bytes"] == stored.stat().st_size
    detail = client.get(reverse("core:job", args=[job.pk])).content.decode()
    url = reverse("core:job_file", args=[job.pk, "pdf"])
    assert f'id="job-file-pdf" class="button" href="{url}"' in detail and "Wilayah 61.71" in detail
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert 'filename="laporan-evaluasi-kube-61.71.pdf"' in download["Content-Disposition"]
    text = pdf_text(b"".join(download.streaming_content))
    assert TITLE in text and "15 Juni 2025" in text
    audit = AuditEvent.objects.filter(action="reports.evaluation_pdf").values_list("actor", "object_id")
    assert list(audit) == [(officer.pk, "61.71")]
    assert client.get(reverse("core:job_file", args=[job.pk, "xlsx"])).status_code == 404  # not made


def test_only_the_jobs_actor_or_an_admin_downloads_it(client, officer, make_user, admin_user, world, background):
    client.force_login(officer)
    client.post(reverse("reports:evaluation_xlsx", args=["61.71"]))
    job = Job.objects.get()
    url = reverse("core:job_file", args=[job.pk, "xlsx"])
    colleague = make_user("petugas2", "program_officer", "61.71")  # same city, but not who asked
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book["Ringkasan"]["A1"].value == TITLE


def test_an_outsider_gets_a_404_and_no_job(client, stranger, world, background):
    client.force_login(stranger)
    assert client.post(reverse("reports:evaluation_pdf", args=["61.71"])).status_code == 404
    assert client.post(reverse("reports:evaluation_pdf", args=["61.71"]), {"dari": "kemarin"}).status_code == 400
    assert not Job.objects.exists()


def test_a_job_for_a_region_out_of_scope_fails_with_a_message(stranger, world, media):
    job = job_enqueue(actor=stranger, kind=Job.Kind.EVALUATION_REPORT, params={"code": "61.71", "kinds": ["pdf"]})
    assert job.status == Job.Status.FAILED and "61.71" in job.error and "cakupan" in job.error
    assert not (media / "jobs" / str(job.pk)).exists()
    assert not AuditEvent.objects.filter(action__startswith="reports.evaluation").exists()


def test_without_background_jobs_the_button_returns_the_file(client, officer, world, media):
    client.force_login(officer)
    page = client.get(reverse("reports:plan", args=["61.71.04.1001"])).content.decode()
    assert f'href="{reverse("reports:evaluation_pdf", args=["61.71.04.1001"])}" id="report-pdf"' in page
    response = client.post(reverse("reports:evaluation_pdf", args=["61.71.04.1001"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert TITLE in pdf_text(response.content)
    assert not Job.objects.exists()


def test_the_command_shows_a_progress_bar(world, tmp_path):
    from berdaya.cli import app

    out = tmp_path / "laporan.xlsx"
    result = CliRunner().invoke(app, ["report", "evaluation", "--region", "61.71", "--out", str(out), "--progress"])
    assert result.exit_code == 0, result.output
    assert "Laporan evaluasi 61.71" in result.output and f"{DATA_STEPS + 1}/{DATA_STEPS + 1}" in result.output
    assert out.read_bytes().startswith(b"PK")
