"""The KUBE list, the KUBE page and its lifecycle steps, seen by each role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.kube.models import KubeState
from tests.conftest import PASSWORD
from tests.factories import assign, make_facilitator, make_kube, make_meeting

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_officer_lists_the_kubes_of_their_city_only(client, officer, regions):
    mine = make_kube(name="KUBE Jagung Manis 8")
    theirs = make_kube(name="KUBE Singkawang", region="61.72.01.1001")
    page = login(client, officer).get(reverse("kube:list")).content.decode()
    assert mine.name in page and theirs.name not in page


def test_the_kube_page_shows_members_masked_officers_aid_and_history(client, officer, regions):
    kube = make_kube(state=KubeState.FUNDED, actor=officer)
    page = login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
    no_kk = kube.memberships.first().family.no_kk
    assert no_kk not in page and no_kk[-4:] in page
    assert "Rp20.000.000" in page and kube.decree_number in page
    assert "Ketua" in page and "verify" in page


def test_a_stranger_gets_404_and_a_viewer_403(client, stranger, make_user, regions):
    kube = make_kube()
    assert login(client, stranger).get(reverse("kube:detail", args=[kube.pk])).status_code == 404
    viewer = make_user("pemantau", "viewer", "61")
    client.logout()
    assert login(client, viewer).get(reverse("kube:list")).status_code == 403


def test_a_facilitator_opens_only_the_kubes_assigned_to_them(client, make_user, regions):
    user = make_user("pendamping1", "facilitator", "61.71.04")
    mine, other = make_kube(), make_kube()
    assign(mine, make_facilitator(user=user))
    login(client, user)
    assert client.get(reverse("kube:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("kube:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("kube:step", args=[mine.pk, "bubar"])).status_code == 403


def test_a_refused_step_says_why_and_changes_nothing(client, officer, regions):
    kube = make_kube(state=KubeState.PROPOSED)
    response = login(client, officer).post(
        reverse("kube:step", args=[kube.pk, "verifikasi"]),
        {"musyawarah_on": "2025-02-01", "bank_name": "Bank Kalbar", "bank_account": "123"},
    )
    assert response.status_code == 200
    assert "pengurus" in response.content.decode() and "belum lengkap" in response.content.decode()
    kube.refresh_from_db()
    assert kube.state == KubeState.PROPOSED


def test_an_officer_walks_a_kube_to_its_decree_through_the_pages(client, officer, regions):
    kube = make_kube(state=KubeState.PROPOSED)
    heads = [m.family.members.first().pk for m in kube.memberships.order_by("id")[:3]]
    login(client, officer)
    steps = [
        ("pengurus", {"chair": heads[0], "secretary": heads[1], "treasurer": heads[2], "since": "2025-01-10"}),
        ("verifikasi", {"musyawarah_on": "2025-01-10", "bank_name": "Bank Kalbar", "bank_account": "1030001"}),
        ("sk", {"decree_number": "460/1/DINSOS/2025", "decree_date": "2025-02-01"}),
        ("bantuan", {"amount": "20000000", "paid_on": "2025-02-20", "reference": "UEP-1"}),
    ]
    for step, data in steps:
        response = client.post(reverse("kube:step", args=[kube.pk, step]), data)
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    kube.refresh_from_db()
    assert kube.state == KubeState.FUNDED and kube.decree_date == dt.date(2025, 2, 1)


def test_the_kube_page_lists_recent_meetings_with_attendance(client, officer, regions):
    kube = make_kube(size=6)
    make_meeting(kube, dt.date(2026, 10, 5), statuses=["present"] * 5 + ["absent"], agenda="Setoran IKS")
    page = login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert "Setoran IKS" in page and "5 Oktober 2026" in page


def test_the_list_page_costs_a_bounded_number_of_queries(client, officer, regions, django_assert_max_num_queries):
    for _ in range(12):
        make_kube(size=5)
    login(client, officer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("kube:list")).status_code == 200


def test_the_kube_page_shows_attendance_over_the_last_months(client, officer, regions):
    from django.utils import timezone

    kube = make_kube(size=5)
    make_meeting(kube, timezone.localdate(), statuses=["present", "present", "present", "excused", "absent"])
    page = login(client, officer).get(reverse("kube:detail", args=[kube.pk])).content.decode()
    assert "hadir 3, izin 1, tidak hadir 1" in page
    assert "60,0 %" in page or "60.0 %" in page
