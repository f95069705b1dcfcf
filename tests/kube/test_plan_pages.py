"""The business plan (RUB/RAB) page and the plans on the KUBE page: agreed in a musyawarah whose
attendance shows who agreed, totals per kind, and the guards that refuse a plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.kube import services
from berdaya.kube.models import BusinessPlan, KubeState
from berdaya.kube.services import KubeError
from tests.conftest import PASSWORD
from tests.factories import assign, make_facilitator, make_kube, make_meeting

pytestmark = pytest.mark.django_db

MUSYAWARAH = dt.date(2025, 3, 4)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def plan_data(meeting, rows, *, title="RUB Jagung 2025", agreed_on=""):
    """POST data for the plan page: the plan fields and a formset of six rows (the rest blank)."""
    data = {
        "title": title,
        "agreed_meeting": meeting.pk if meeting else "",
        "agreed_on": agreed_on,
        "baris-TOTAL_FORMS": "6",
        "baris-INITIAL_FORMS": "0",
        "baris-MIN_NUM_FORMS": "0",
        "baris-MAX_NUM_FORMS": "60",
    }
    for i in range(6):
        row = (
            rows[i] if i < len(rows) else {"kind": "", "description": "", "quantity": "1", "unit": "", "unit_price": ""}
        )
        data.update({f"baris-{i}-{key}": value for key, value in row.items()})
    return data


def line(kind, description, quantity, unit_price, unit=""):
    return {
        "kind": kind,
        "description": description,
        "quantity": str(quantity),
        "unit": unit,
        "unit_price": str(unit_price),
    }


@pytest.fixture
def kube(regions):
    return make_kube(state=KubeState.VERIFIED)


@pytest.fixture
def musyawarah(kube):
    """Seven of ten present, one excused, two absent."""
    return make_meeting(
        kube, MUSYAWARAH, statuses=["present"] * 7 + ["excused", "absent", "absent"], agenda="Musyawarah RUB"
    )


def heads(kube):
    return [m.family.members.order_by("id").first().name for m in kube.memberships.order_by("id")]


def test_the_meeting_choice_shows_each_meetings_date_and_attendance(client, officer, kube, musyawarah):
    make_meeting(kube, dt.date(2025, 2, 1))
    page = login(client, officer).get(reverse("kube:plan_new", args=[kube.pk])).content.decode()
    assert "4 Maret 2025 · Musyawarah RUB · hadir 7 dari 10" in page
    assert "1 Februari 2025" in page and "hadir 10 dari 10" in page


def test_an_officer_records_a_plan_and_the_kube_page_shows_its_totals_and_who_agreed(client, officer, kube, musyawarah):
    rows = [
        line("investment", "Mesin pipil jagung", 1, 3_500_000, "unit"),
        line("investment", "Terpal jemur", 4, 250_000, "lembar"),
        line("operating", "Bibit jagung manis", 20, 120_000, "kg"),
        line("income", "Penjualan jagung", 2_000, 5_000, "kg"),
    ]
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), plan_data(musyawarah, rows))
    assert response.status_code == 302
    assert response["Location"] == reverse("kube:detail", args=[kube.pk]) + "#plans"
    plan = BusinessPlan.objects.get(kube=kube)
    assert plan.lines.count() == 4  # the two blank rows are ignored
    assert plan.agreed_meeting == musyawarah and plan.agreed_on == MUSYAWARAH  # defaults to the meeting's date

    page = client.get(response["Location"]).content.decode()
    assert "Rp4.500.000" in page  # investment: 3.5 M + 4 × 250 k
    assert "Rp2.400.000" in page  # operating
    assert "Rp10.000.000" in page  # expected income
    assert "hadir 7 dari 10" in page
    names = heads(kube)
    assert all(name in page.split("plan-present")[1].split("</span>")[0] for name in names[:7])
    consent = page.split('class="plan-present">')[1].split("</span>")[0]
    assert names[0] in consent and names[7] not in consent and names[9] not in consent


def test_a_plan_with_no_lines_is_refused_and_nothing_is_written(client, officer, kube, musyawarah):
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), plan_data(musyawarah, []))
    assert response.status_code == 200
    assert "paling sedikit satu baris" in response.content.decode()
    assert not BusinessPlan.objects.filter(kube=kube).exists()


def test_a_plan_needs_the_musyawarah_that_agreed_it(client, officer, kube, musyawarah):
    rows = [line("operating", "Pupuk", 2, 150_000)]
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), plan_data(None, rows))
    assert response.status_code == 200
    assert "Pilih musyawarah yang menyepakati" in response.content.decode()
    assert not BusinessPlan.objects.exists()


def test_a_meeting_of_another_kube_cannot_be_the_consent(client, officer, kube, musyawarah, regions):
    other = make_kube()
    foreign = make_meeting(other, MUSYAWARAH)
    rows = [line("operating", "Pupuk", 2, 150_000)]
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), plan_data(foreign, rows))
    assert response.status_code == 200
    assert not BusinessPlan.objects.exists()
    with pytest.raises(KubeError, match="pertemuan KUBE ini sendiri"):
        services.plan_record(
            actor=officer,
            kube=kube,
            title="x",
            lines=[{"kind": "income", "description": "a", "unit_price": 1}],
            agreed_meeting=foreign,
        )


def test_a_line_with_a_negative_price_keeps_the_form_with_its_error(client, officer, kube, musyawarah):
    rows = [line("operating", "Pupuk", 2, -5)]
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), plan_data(musyawarah, rows))
    assert response.status_code == 200
    assert 'value="Pupuk"' in response.content.decode()
    assert not BusinessPlan.objects.exists()


def test_a_plan_cannot_be_agreed_before_its_musyawarah(client, officer, kube, musyawarah):
    rows = [line("operating", "Pupuk", 2, 150_000)]
    data = plan_data(musyawarah, rows, agreed_on="2025-03-01")
    response = login(client, officer).post(reverse("kube:plan_new", args=[kube.pk]), data)
    assert response.status_code == 200
    assert "tidak boleh sebelum musyawarah" in response.content.decode()
    assert not BusinessPlan.objects.exists()


def test_a_dissolved_kube_takes_no_new_plan(client, officer, regions):
    kube = make_kube(state=KubeState.ACTIVE)
    meeting = make_meeting(kube, MUSYAWARAH)
    services.kube_dissolve(actor=officer, kube=kube, on=dt.date(2025, 6, 1), reason="usaha berhenti")
    with pytest.raises(KubeError, match="Dibubarkan"):
        services.plan_record(
            actor=officer, kube=kube, title="x", lines=[{"kind": "income", "description": "a", "unit_price": 1}]
        )
    login(client, officer)
    assert "plan-not-live" in client.get(reverse("kube:plan_new", args=[kube.pk])).content.decode()
    response = client.post(
        reverse("kube:plan_new", args=[kube.pk]), plan_data(meeting, [line("income", "Jual", 1, 10)])
    )
    assert response.status_code == 200 and "Dibubarkan" in response.content.decode()
    assert not BusinessPlan.objects.exists()
    detail = client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert 'id="plan-new"' not in detail


def test_only_managers_in_scope_reach_the_plan_page(client, officer, stranger, make_user, kube):
    url = reverse("kube:plan_new", args=[kube.pk])
    assert login(client, stranger).get(url).status_code == 404
    client.logout()
    user = make_user("pendamping1", "facilitator", "61.71.04")
    assign(kube, make_facilitator(user=user))
    login(client, user)
    assert client.get(url).status_code == 403
    assert 'id="plan-new"' not in client.get(reverse("kube:detail", args=[kube.pk])).content.decode()
    client.logout()
    assert 'id="plan-new"' in login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
