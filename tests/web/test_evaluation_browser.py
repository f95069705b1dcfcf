"""The pendamping on a 360 px phone fills in a welfare survey and sends it; the questions a "no" or a zero
closes stay hidden; the evaluation pages never scroll sideways. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.core.models import Region
from berdaya.evaluation.models import Response
from berdaya.evaluation.services import round_create, round_score
from berdaya.kube.models import KubeState
from tests.factories import assign, make_facilitator, make_kube
from tests.web.conftest import overflow, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def kube(make_user):
    """An active KUBE whose pendamping signs in as `pendamping`, in a baseline round."""
    kube = make_kube(name="KUBE Kerupuk Basah 3", size=5, state=KubeState.ACTIVE)
    user = make_user("pendamping", "facilitator", "61.71.04")
    assign(kube, make_facilitator(user=user))
    return kube


@pytest.fixture
def baseline(kube, officer):
    return round_create(
        actor=officer,
        name="Awal 2025",
        kind="baseline",
        region=Region.objects.get(code="61.71"),
        start_on=dt.date(2025, 3, 1),
        end_on=dt.date(2025, 3, 31),
    )


def pick(page, code: str, value: str) -> None:
    """Tap the answer of a radio question (the label is the tap target; the input itself is hidden in a row)."""
    page.locator(f'input[name="{code}"][value="{value}"] + label').click()


def test_the_pendamping_fills_a_welfare_survey_on_the_phone(page, live_server, kube, baseline):
    family = kube.memberships.order_by("id").first().family
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("evaluation:survey", args=[baseline.pk, "welfare"]))
    assert page.locator('[data-code="income_month"]').is_hidden()  # nothing is asked before consent
    shot(page, "evaluation-01-survey-empty")
    assert overflow(page) <= 1

    pick(page, "consent", "1")
    assert page.locator('[data-code="income_month"]').is_visible()
    consent_yes = page.locator('label[for="id_consent_0"]')
    assert consent_yes.bounding_box()["height"] >= 44  # a thumb-sized answer
    page.select_option("#id_family_id", str(family.pk))
    page.fill("#id_income_month", "1500000")
    page.fill("#id_household_size", "4")
    page.fill("#id_meals_per_day", "3")
    pick(page, "food_shortage_month", "0")
    pick(page, "protein_week", "1")
    pick(page, "new_clothes_year", "1")
    page.locator('input[name="floor_material"][value="semen"]').check()
    page.locator('input[name="wall_material"][value="tembok"]').check()
    page.locator('input[name="roof_material"][value="seng"]').check()
    page.fill("#id_floor_area", "36")
    pick(page, "sick_untreated", "0")
    pick(page, "health_insurance", "1")
    page.fill("#id_children_7_15", "2")
    assert page.locator('[data-code="children_not_school"]').is_visible()  # two children open the question
    page.fill("#id_children_7_15", "0")
    assert page.locator('[data-code="children_not_school"]').is_hidden()
    pick(page, "worship_able", "1")
    assert page.locator('[data-code="community_activity_types"]').is_hidden()
    pick(page, "community_activity_3m", "1")
    page.locator('input[name="community_activity_types"][value="arisan"]').check()
    shot(page, "evaluation-02-survey-filled")
    assert overflow(page) <= 1

    page.locator("#survey-save").click()
    page.locator(".messages").get_by_text("tersimpan", exact=False).wait_for()
    shot(page, "evaluation-03-survey-saved")
    stored = Response.objects.get(round=baseline, family=family)
    assert stored.kube == kube and stored.source == "web" and stored.entered_by.username == "pendamping"
    assert stored.answers["community_activity_types"] == ["arisan"]
    assert stored.answers["children_not_school"] is None


def test_a_refused_survey_is_shown_on_the_phone_and_the_answers_kept(page, live_server, kube, baseline):
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("evaluation:survey", args=[baseline.pk, "welfare"]))
    pick(page, "consent", "1")
    page.fill("#id_income_month", "1500000")
    page.locator("#survey-save").click()
    page.locator("[data-offline-errors]").get_by_text("Wajib diisi", exact=False).first.wait_for()
    assert page.input_value("#id_income_month") == "1500000"
    assert overflow(page) <= 1
    assert not Response.objects.exists()


def test_the_round_pages_fit_the_phone(page, live_server, kube, baseline):
    round_score(actor=None, round=baseline)
    sign_in(page, live_server, "petugas")
    for name, url in (
        ("list", reverse("evaluation:round_list")),
        ("round", reverse("evaluation:round_detail", args=[baseline.pk])),
        ("kube", reverse("evaluation:kube_score", args=[baseline.pk, kube.pk])),
        ("import", reverse("evaluation:import", args=[baseline.pk])),
        ("new", reverse("evaluation:round_new")),
        ("empowerment", reverse("evaluation:survey", args=[baseline.pk, "empowerment"])),
    ):
        page.goto(live_server.url + url)
        if name == "empowerment":
            page.locator('label[for="id_consent_0"]').click()
        shot(page, f"evaluation-page-{name}")
        assert overflow(page) <= 1, name
