"""An officer on a 360 px phone: sign in, import a DTKS file, screen it, read a family's reasons.

Drives the Debian Chromium through Playwright against pytest-django's live server. Screenshots of
each step go to test-artifacts/ (ignored by git) so a failure can be looked at.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from berdaya.registry.models import Family, ImportBatch
from berdaya.registry.services import dtks_import
from tests.conftest import AS_OF, write_rows
from tests.web.conftest import overflow, shot, sign_in
from tests.web.test_pages import three_families

pytestmark = pytest.mark.browser



def test_an_officer_imports_screens_and_reads_the_reasons_on_a_phone(page, live_server, officer, tmp_path):
    csv_path = write_rows(tmp_path / "dtks-kecil.csv", three_families())

    sign_in(page, live_server, "petugas")
    shot(page, "01-beranda")
    assert page.locator('[data-count="total"]').inner_text() == "0"

    page.goto(live_server.url + reverse("registry:import_upload"))
    page.set_input_files("#id_file", str(csv_path))
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.wait_for_url(re.compile(r".*/registri/impor/\d+/$"))
    shot(page, "02-hasil-impor")
    status = page.locator("#import-status")
    assert status.inner_text() == "Diterapkan"
    assert status.get_attribute("data-status") == "applied"
    assert Family.objects.count() == 3

    page.select_option("#id_ruleset", "permensos-2-2019")
    page.fill("#id_as_of", AS_OF.isoformat())
    page.fill("#id_region", "61.71")
    page.get_by_role("button", name="Jalankan penyaringan").click()
    page.wait_for_url(live_server.url + reverse("registry:family_list"))
    shot(page, "03-daftar-keluarga")
    assert "Penyaringan selesai: 2 layak, 1 tidak layak, 0 perlu verifikasi." in page.locator(".messages").inner_text()
    badges = page.locator("#families [data-decision]")
    assert badges.count() == 3
    assert sorted(badges.all_inner_texts()) == ["Layak", "Layak", "Tidak layak"]
    assert badges.first.is_visible()

    page.get_by_role("link", name="6171••••••••0003").click()
    page.wait_for_url(re.compile(r".*/registri/keluarga/\d+/$"))
    shot(page, "04-rincian-keluarga")
    assert page.locator("#decision").inner_text() == "Tidak layak"
    reasons = page.locator("#reasons li")
    assert reasons.count() >= 10
    assert "NIK 16 digit, kode kecamatan dikenal, dan tanggal lahirnya cocok." in page.locator("#reasons").inner_text()
    assert overflow(page) <= 1


@pytest.fixture
def registry_with_a_refused_file(officer, tmp_path):
    """Three screened families and two imports (one applied, one refused), so the pages have tables to lay out."""
    from berdaya.registry.services import eligibility_screen

    applied = dtks_import(path=write_rows(tmp_path / "baik.csv", three_families()), actor=officer)
    rows = three_families()
    rows[1]["tanggal_lahir"] = "1985-13-45"
    refused = dtks_import(path=write_rows(tmp_path / "rusak.csv", rows), actor=officer, file_name="rusak.csv")
    assert (applied.status, refused.status) == (ImportBatch.Status.APPLIED, ImportBatch.Status.REFUSED)
    eligibility_screen(actor=officer, ruleset_name="permensos-2-2019", as_of=AS_OF)
    return {"applied": applied, "refused": refused, "family": Family.objects.order_by("no_kk").first()}


PHONE_PAGES = {
    "daftar-keluarga": lambda data: reverse("registry:family_list"),
    "impor": lambda data: reverse("registry:import_upload"),
    "impor-diterapkan": lambda data: reverse("registry:import_detail", args=[data["applied"].pk]),
    "impor-ditolak": lambda data: reverse("registry:import_detail", args=[data["refused"].pk]),
    "rincian-keluarga": lambda data: reverse("registry:family_detail", args=[data["family"].pk]),
}


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_pages_do_not_scroll_sideways_at_360_px(page, live_server, registry_with_a_refused_file, name):
    sign_in(page, live_server, "petugas")

    response = page.goto(live_server.url + PHONE_PAGES[name](registry_with_a_refused_file))

    shot(page, f"360-{name}")
    assert response.status == 200
    assert page.locator("h1").is_visible()
    assert overflow(page) <= 1, f"{name} is {overflow(page)} px wider than the phone"


def test_the_decision_badges_of_the_family_list_are_whole_on_a_360_px_screen(
    page, live_server, registry_with_a_refused_file
):
    sign_in(page, live_server, "petugas")
    page.goto(live_server.url + reverse("registry:family_list"))

    table = page.locator(".table-wrap").bounding_box()
    badges = page.locator("#families [data-decision]")
    edges = [badge.bounding_box() for badge in badges.all()]

    assert len(edges) == 3
    assert all(box["x"] + box["width"] <= table["x"] + table["width"] for box in edges)


def test_the_screening_form_comes_with_todays_date(page, live_server, officer):
    from django.utils import timezone

    sign_in(page, live_server, "petugas")
    page.goto(live_server.url + reverse("registry:screening_run"))

    assert page.input_value("#id_as_of") == timezone.localdate().isoformat()
