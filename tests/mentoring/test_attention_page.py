"""The "Perlu perhatian" page: grouped alerts with links, the thresholds in force, scope, and a query bound."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from berdaya.kube.models import KubeState
from berdaya.mentoring import alerts as A
from tests.factories import assign, make_facilitator, make_kube, make_meeting, make_visit

D = dt.date
URL = "/pendampingan/perhatian/"


def page(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def totals(response) -> dict[str, int]:
    return {g.code: g.total for g in response.context["groups"]}


def test_the_page_is_named_attention_in_the_mentoring_app():
    assert reverse("mentoring:attention") == URL


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login(client, regions):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_program_officer_sees_alerts_grouped_by_rule_with_links_to_the_kube(client, officer):
    bare = make_kube(state=KubeState.PROPOSED, size=5, name="KUBE Anggrek 6")
    make_kube(state=KubeState.ACTIVE, size=5, name="KUBE Jagung Manis 8", region="61.71.04.1002")
    response = page(client, officer, tanggal="2026-11-10")
    assert response.status_code == 200
    assert totals(response) == {
        A.KECAMATAN_WITHOUT_FACILITATOR: 1,
        A.KUBE_WITHOUT_FACILITATOR: 2,
        A.NO_VISIT: 1,
        A.NO_MEETINGS: 1,
    }
    html = response.content.decode()
    assert f'<a href="/kube/{bare.pk}/">KUBE Anggrek 6</a>' in html
    assert 'id="KUBE_WITHOUT_FACILITATOR"' in html
    assert "Kecamatan tanpa pendamping" in html


def test_the_thresholds_in_force_come_from_settings_and_the_cap_is_marked_unconfirmed(client, officer, settings):
    settings.BERDAYA = {**settings.BERDAYA, "CAPITAL_LOAN_MEETINGS": 2, "NO_VISIT_DAYS": 45, "FACILITATOR_CAP": 8}
    kube = make_kube(state=KubeState.PROPOSED, size=5)
    for day in (3, 10, 17):
        make_meeting(kube, D(2026, 11, day))
    response = page(client, officer, tanggal="2026-11-20")
    html = response.content.decode()
    assert "lebih dari 2 pertemuan" in html
    assert "paling lambat 45 hari" in html
    assert "8 KUBE" in html
    assert "belum terkonfirmasi" in html
    assert "izin dihitung tidak hadir" in html
    assert totals(response)[A.CAPITAL_LOAN_READY] == 1


def test_the_date_in_the_address_sets_the_reference_date(client, officer):
    kube = make_kube(state=KubeState.PROPOSED, size=5)
    for day in (2, 9, 16, 23, 31):
        make_meeting(kube, D(2025, 12, day))
    january = page(client, officer, tanggal="2026-01-05")
    assert january.context["as_of"] == D(2026, 1, 5)
    assert totals(january).get(A.CAPITAL_LOAN_READY) == 1
    february = page(client, officer, tanggal="2026-02-01")
    assert A.CAPITAL_LOAN_READY not in totals(february)


def test_an_unreadable_date_is_reported_and_today_is_used(client, officer):
    response = page(client, officer, tanggal="31-12-2026")
    assert response.status_code == 200
    assert response.context["date_error"]
    assert "tidak terbaca" in response.content.decode()


def test_a_stranger_sees_nothing_of_another_city(client, stranger):
    make_kube(state=KubeState.PROPOSED, size=5, name="KUBE Rahasia Pontianak")
    response = page(client, stranger, tanggal="2026-11-10")
    html = response.content.decode()
    assert response.context["groups"] == []
    assert "KUBE Rahasia Pontianak" not in html
    assert 'id="nothing"' in html


def test_a_pendamping_sees_only_their_own_groups(client, make_user):
    user = make_user("pendamping", "facilitator", "61.71")
    mine = make_kube(state=KubeState.ACTIVE, size=5, name="KUBE Milik Saya")
    assign(mine, make_facilitator(user=user))
    other = make_kube(state=KubeState.ACTIVE, size=5, name="KUBE Orang Lain")
    assign(other, make_facilitator())
    html = page(client, user, tanggal="2026-11-10").content.decode()
    assert "KUBE Milik Saya" in html
    assert "KUBE Orang Lain" not in html


def test_a_viewer_sees_counts_per_kecamatan_and_no_group_names(client, make_user):
    viewer = make_user("provinsi", "viewer", "61")
    make_kube(state=KubeState.PROPOSED, size=5, name="KUBE Nama Tersembunyi")
    response = page(client, viewer, tanggal="2026-11-10")
    html = response.content.decode()
    assert response.context["aggregated"] is True
    assert totals(response)[A.KUBE_WITHOUT_FACILITATOR] == 1
    assert "KUBE Nama Tersembunyi" not in html
    assert "/kube/" not in html
    assert "Pontianak Utara" in html


def _world(count: int) -> None:
    """`count` KUBEs in two kecamatan, in every live state, some with pendamping, visits and meetings."""
    states = [KubeState.PROPOSED, KubeState.VERIFIED, KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE]
    villages = ["61.71.04.1001", "61.71.04.1002", "61.71.05.1001"]
    facilitator = make_facilitator(cap=2)
    for i in range(count):
        kube = make_kube(state=states[i % len(states)], size=5, region=villages[i % len(villages)])
        if i % 2:
            assign(kube, facilitator)
        if i % 3:
            make_visit(kube, D(2026, 10, 1 + i))
        for day in range(1, 2 + i % 6):
            make_meeting(kube, D(2026, 10, day), statuses=["present", "absent", "absent", "excused", "present"])


def test_the_page_needs_a_bounded_number_of_queries_for_fifteen_groups(client, officer, django_assert_max_num_queries):
    _world(15)
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"tanggal": "2026-11-10"})
    groups = totals(response)
    assert groups[A.KUBE_WITHOUT_FACILITATOR] == 8
    assert groups[A.FACILITATOR_OVER_CAP] == 1
    assert groups[A.LOW_ATTENDANCE] == 15
    assert A.CAPITAL_LOAN_READY in groups


def test_the_number_of_queries_does_not_grow_with_the_number_of_groups(client, officer):
    client.force_login(officer)
    _world(3)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"tanggal": "2026-11-10"})
    _world(12)
    with CaptureQueriesContext(connection) as many:
        client.get(URL, {"tanggal": "2026-11-10"})
    assert len(many) == len(few)
