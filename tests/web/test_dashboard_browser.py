"""The program officer on a 360 px phone drills down from the city to a kecamatan, a kelurahan and a
KUBE profile (and downloads it as PDF), then opens the kelurahan's strengthening plan and downloads the
evaluation report the way the site ships (background jobs on: the button queues the report, the job's page
shows its progress bar and then the file); no page scrolls sideways. Screenshots go to
test-artifacts/dashboard-*.png, the downloaded PDFs next to them."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from tests.reports.conftest import build_world
from tests.web.conftest import ARTIFACTS, overflow, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(officer):
    return build_world(officer)


@pytest.fixture
def background_jobs(settings, tmp_path):
    """As shipped (BERDAYA_BACKGROUND_JOBS defaults to true); the test queue runs each task at once."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BERDAYA = {**settings.BERDAYA, "BACKGROUND_JOBS": True}


def download_pdf_text(page, click, name: str) -> str:
    """Click what starts a download, keep the file under test-artifacts/ and return its text."""
    with page.expect_download() as info:
        click()
    path = ARTIFACTS / name
    info.value.save_as(path)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(p.extract_text() for p in reader.pages)


def test_the_officer_drills_down_from_the_city_to_a_kube_and_the_plan(
    page, live_server, officer, world, background_jobs
):
    sign_in(page, live_server, officer.username)
    page.locator("#nav-dashboard").click()
    page.wait_for_selector("#region-name")
    assert "KOTA PONTIANAK" in page.inner_text("#region-name").upper()
    assert page.locator("#chart-states svg title").count() >= 1
    shot(page, "dashboard-city")
    assert overflow(page) <= 0

    page.locator("#children").get_by_role("link", name="Pontianak Utara").click()
    page.wait_for_url("**/dasbor/wilayah/61.71.04/")
    assert "Pontianak Utara" in page.inner_text("#region-name")
    assert "KOTA PONTIANAK" in page.inner_text("#crumbs").upper()
    shot(page, "dashboard-kecamatan")
    assert overflow(page) <= 0

    page.locator("#children").get_by_role("link", name="Siantan Hulu").click()
    page.wait_for_url("**/dasbor/wilayah/61.71.04.1001/")
    shot(page, "dashboard-kelurahan")
    assert overflow(page) <= 0

    page.locator("#children").get_by_role("link", name="KUBE Jagung").click()
    page.wait_for_url(f"**/dasbor/kube/{world['jagung'].pk}/")
    assert page.inner_text("#kube-name") == "KUBE Jagung"
    assert page.inner_text('[data-figure="members"]') == "5"
    shot(page, "dashboard-kube")
    assert overflow(page) <= 0
    profile = download_pdf_text(page, page.locator("#kube-pdf").click, "dashboard-kube-profile.pdf")
    assert "Profil KUBE: KUBE Jagung" in profile and "Anggota 5\n" in profile

    page.locator("#crumbs").get_by_role("link", name="Siantan Hulu").click()
    page.wait_for_url("**/dasbor/wilayah/61.71.04.1001/")
    page.locator("#plan-link").click()
    page.wait_for_url("**/dasbor/rencana/61.71.04.1001/")
    assert "KUBE Jagung" in page.inner_text("main")
    shot(page, "dashboard-plan")
    assert overflow(page) <= 0

    page.locator("#report-pdf").click()
    page.wait_for_url(re.compile(r".*/tugas/\d+/$"))
    assert page.inner_text("#job-status") == "Selesai"
    assert page.locator("#job-progress").get_attribute("value") == "100"
    shot(page, "dashboard-report-job")
    assert overflow(page) <= 0
    report = download_pdf_text(page, page.locator("#job-file-pdf").click, "dashboard-evaluation-report.pdf")
    assert "Laporan Evaluasi Program KUBE" in report and "Siantan Hulu" in report
    assert "KUBE Jagung" in report.split("Per KUBE")[1]
