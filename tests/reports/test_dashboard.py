"""The region dashboard's figures equal hand counts on a small world, and each role sees only its scope.

Scope decision: a KUBE officer has no region dashboard (403 on `dasbor/`, 404 on a region or plan page);
they may open their own KUBE's profile. Viewers and evaluators read aggregates: no KUBE profile (404).
"""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from berdaya.reports.dashboard import region_summary
from berdaya.reports.plan import plan_summary
from tests.reports.conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_the_city_figures_equal_hand_counts(officer, world):
    s = region_summary(user=officer, code="61.71", as_of=AS_OF)
    t = s.total
    assert t.eligible_families == 5
    assert t.kubes == 2 and t.live_kubes == 2
    assert dict(t.by_state) == {"active": 1, "proposed": 1}
    assert dict(t.by_maturity) == {"PENUMBUHAN": 1}
    assert t.members == 10
    assert t.aid_paid == 20_000_000
    assert (t.covered, t.coverage) == (1, 50.0)
    assert t.facilitators == 1
    assert t.attention == 1  # Kerupuk has no pendamping; Jagung was visited and meets
    assert (t.attendance.present, t.attendance.total, t.attendance_rate) == (4, 5, 80.0)
    assert s.trend[-1].rate == 80.0 and len(s.trend) == 12
    assert t.empowerment_index == pytest.approx(0.60)
    assert t.welfare_m0_baseline == pytest.approx(0.40) and t.welfare_m0_change == pytest.approx(-0.15)
    rates = {i.code: (i.met, i.unknown, i.scored) for i in s.indicators}
    assert rates["S1_BASIC_NEEDS"] == (1, 0, 1) and rates["S2_SOCIAL_DYNAMICS"] == (0, 0, 1)
    assert rates["G5_INCOME"] == (0, 1, 1)
    assert [(f.name, f.load, f.cap, f.over_cap) for f in s.facilitators] == [("Andi", 1, 1, False)]
    assert dict((code, n) for code, _title, n in s.alerts_by_code)["KUBE_WITHOUT_FACILITATOR"] == 1


def test_the_children_rows_split_the_city_by_kecamatan(officer, world):
    s = region_summary(user=officer, code="61.71", as_of=AS_OF)
    rows = {c.code: c for c in s.children}
    assert set(rows) == {"61.71.04", "61.71.05"}
    utara, kota = rows["61.71.04"], rows["61.71.05"]
    assert (utara.eligible_families, utara.kubes, utara.members, utara.attention, utara.facilitators) == (
        3,
        2,
        10,
        1,
        1,
    )
    assert (kota.eligible_families, kota.kubes, kota.members) == (2, 0, 0)
    assert utara.name == "Pontianak Utara"


def test_a_kelurahan_lists_its_kubes_with_links_for_the_officer(client, officer, world):
    s = region_summary(user=officer, code="61.71.04.1001", as_of=AS_OF)
    assert s.children_are_kubes
    assert [(c.name, c.members, c.aid_paid, c.linked) for c in s.children] == [("KUBE Jagung", 5, 20_000_000, True)]
    client.force_login(officer)
    page = client.get(reverse("reports:region", args=["61.71.04.1001"])).content.decode()
    assert reverse("reports:kube", args=[world["jagung"].pk]) in page
    assert "WARGA" not in page  # no family name on a dashboard


def test_an_officer_of_the_city_cannot_open_another_city(client, officer, world):
    client.force_login(officer)
    assert client.get(reverse("reports:region", args=["61.72"])).status_code == 404
    assert client.get(reverse("reports:plan", args=["61.72"])).status_code == 404
    assert client.get(reverse("reports:kube", args=[world["lain"].pk])).status_code == 404
    with pytest.raises(Http404):
        region_summary(user=officer, code=None)


def test_the_officers_dashboard_opens_on_the_city(client, officer, world):
    client.force_login(officer)
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    assert response.context["s"].code == "61.71"
    assert 'id="chart-trend"' in response.content.decode()


def test_a_provincial_viewer_sees_kabkota_aggregates_without_names(client, make_user, world):
    viewer = make_user("pemantau", "viewer", "61")
    s = region_summary(user=viewer, code="61", as_of=AS_OF)
    rows = {c.code: c for c in s.children}
    assert set(rows) == {"61.71", "61.72"}
    assert (rows["61.71"].kubes, rows["61.72"].kubes) == (2, 1)
    assert s.total.members == 15
    assert [f.name for f in s.facilitators] == [""]
    client.force_login(viewer)
    page = client.get(reverse("reports:dashboard")).content.decode()
    assert "Andi" not in page and "WARGA" not in page
    assert client.get(reverse("reports:kube", args=[world["jagung"].pk])).status_code == 404
    kelurahan = region_summary(user=viewer, code="61.71.04.1001", as_of=AS_OF)
    assert [(c.name, c.linked, c.scored) for c in kelurahan.children] == [("KUBE Jagung", False, 0)]


def test_a_kube_officer_is_refused_the_dashboard_but_opens_their_kube(client, make_user, world):
    from berdaya.kube.models import Officer

    user = make_user("bendahara", "kube_officer", "61.71.04.1001")
    officer_row = Officer.objects.filter(kube=world["jagung"]).first()
    officer_row.user = user
    officer_row.save(update_fields=["user"])
    client.force_login(user)
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert client.get(reverse("reports:region", args=["61.71.04.1001"])).status_code == 404
    assert client.get(reverse("reports:plan", args=["61.71.04.1001"])).status_code == 404
    assert client.get(reverse("reports:kube", args=[world["jagung"].pk])).status_code == 200
    assert client.get(reverse("reports:kube", args=[world["kerupuk"].pk])).status_code == 404
    assert 'id="nav-dashboard"' not in client.get(reverse("home")).content.decode()


def test_the_kube_profile_shows_state_members_aid_and_plan(client, officer, world):
    client.force_login(officer)
    page = client.get(reverse("reports:kube", args=[world["jagung"].pk])).content.decode()
    assert "KUBE Jagung" in page and "Rp20.000.000" in page
    assert 'data-figure="members">5<' in page
    assert "Andi" in page
    assert page.count("Tugaskan pendamping di kecamatan") == 1  # the endline's action, not the baseline's


def test_the_facilitator_profile_is_for_officers_in_scope_and_the_pendamping(
    client, officer, stranger, make_user, world
):
    andi = world["andi"]
    url = reverse("reports:facilitator", args=[andi.pk])
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "KUBE Jagung" in page and 'id="caseload">1 / 1<' in page
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(make_user("pemantau", "viewer", "61"))
    assert client.get(url).status_code == 404
    own = make_user("andi", "facilitator", "61.71.04")
    andi.user = own
    andi.save(update_fields=["user"])
    client.force_login(own)
    assert client.get(url).status_code == 200


def test_the_plan_counts_open_actions_of_the_latest_round_and_kecamatan_needing_a_pendamping(officer, world):
    p = plan_summary(user=officer, code="61.71", as_of=AS_OF)
    assert p.open_actions == 1
    assert [(r.code, r.actions, r.sources) for r in p.rows] == [("61.71.04", 1, 1)]
    assert p.needing_facilitator == [("61.71.04", "Pontianak Utara")]
    kelurahan = plan_summary(user=officer, code="61.71.04.1001", as_of=AS_OF)
    assert [(k.name, len(k.actions)) for k in kelurahan.per_kube] == [("KUBE Jagung", 1)]


def test_the_plan_page_says_how_many_kecamatan_need_a_pendamping(client, officer, world):
    client.force_login(officer)
    page = client.get(reverse("reports:plan", args=["61.71"])).content.decode()
    assert "1 kecamatan perlu pendamping" in page


def test_home_and_nav_link_to_the_dashboard(client, officer, world):
    client.force_login(officer)
    page = client.get(reverse("home")).content.decode()
    assert 'id="home-dashboard"' in page and 'id="nav-dashboard"' in page
