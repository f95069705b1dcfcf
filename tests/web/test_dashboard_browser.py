"""The program officer on a 360 px phone drills down from the city to a kecamatan, a kelurahan and a
KUBE profile, then opens the kelurahan's strengthening plan; no page scrolls sideways. Screenshots go to
test-artifacts/dashboard-*.png."""

from __future__ import annotations

import pytest

from tests.reports.conftest import build_world
from tests.web.conftest import overflow, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(officer):
    return build_world(officer)


def test_the_officer_drills_down_from_the_city_to_a_kube_and_the_plan(page, live_server, officer, world):
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

    page.locator("#crumbs").get_by_role("link", name="Siantan Hulu").click()
    page.wait_for_url("**/dasbor/wilayah/61.71.04.1001/")
    page.locator("#plan-link").click()
    page.wait_for_url("**/dasbor/rencana/61.71.04.1001/")
    assert "KUBE Jagung" in page.inner_text("main")
    shot(page, "dashboard-plan")
    assert overflow(page) <= 0
