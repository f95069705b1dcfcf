"""KUBEs over the API: who sees which KUBE, masked members, and members added or leaving through the kube
services (guards and audit rows included)."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.core.models import AuditEvent
from berdaya.engine.masking import mask_id
from berdaya.kube.models import KubeState, Membership
from berdaya.registry.models import Decision, EligibilityDecision, EligibilityRun
from tests.factories import make_family, make_kube

pytestmark = pytest.mark.django_db


def eligible(family):
    run = EligibilityRun.objects.create(
        ruleset_name="permensos-2-2019", ruleset_version=1, ruleset_digest="x", as_of=dt.date(2025, 1, 1)
    )
    decision = EligibilityDecision.objects.create(run=run, family=family, decision=Decision.ELIGIBLE)
    family.latest_decision = decision
    family.save(update_fields=["latest_decision"])
    return family


def test_an_officer_lists_the_kubes_of_the_city(kube, officer_api):
    response = officer_api.get("/api/kubes")
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["count"] == 1
    row = page["items"][0]
    assert row["id"] == kube.pk and row["state"] == "active" and row["size"] == 10


def test_the_detail_has_masked_members_officers_and_aid(kube, officer_api):
    response = officer_api.get(f"/api/kubes/{kube.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["members"]) == 10 and body["aid_total"] == 20_000_000
    assert {officer["role"] for officer in body["officers"]} == {"ketua", "sekretaris", "bendahara"}
    for member, membership in zip(body["members"], kube.memberships.order_by("id"), strict=True):
        assert member["no_kk"] == mask_id(membership.family.no_kk)
        assert membership.family.no_kk not in response.content.decode()


def test_a_pendamping_and_a_chair_see_only_their_own_kube(kube, pendamping, chair, api_as):
    other = make_kube(state=KubeState.ACTIVE)
    for user in (pendamping, chair):
        client = api_as(user)
        assert [row["id"] for row in client.get("/api/kubes").json()["items"]] == [kube.pk]
        assert client.get(f"/api/kubes/{kube.pk}").status_code == 200
        assert client.get(f"/api/kubes/{other.pk}").status_code == 404


def test_a_stranger_gets_404_and_an_empty_list(kube, stranger, api_as):
    client = api_as(stranger)
    assert client.get("/api/kubes").json()["count"] == 0
    assert client.get(f"/api/kubes/{kube.pk}").json() == {"detail": "Tidak ditemukan."}


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_viewers_and_evaluators_read_dashboards_not_kubes(kube, role, request, api_as):
    assert api_as(request.getfixturevalue(role)).get("/api/kubes").status_code == 403


def test_an_officer_adds_an_eligible_family_through_the_service(kube, officer, officer_api):
    family = eligible(make_family())
    response = officer_api.post(f"/api/kubes/{kube.pk}/members", {"family_id": family.pk, "joined_on": "2025-06-01"})
    assert response.status_code == 201, response.content
    assert response.json()["no_kk"] == mask_id(family.no_kk) and response.json()["live"] is True
    assert Membership.objects.filter(kube=kube, family=family, live=True).exists()
    assert AuditEvent.objects.filter(action="kube.member_add", actor=officer).count() == 1


def test_a_family_that_is_not_eligible_is_refused_with_the_forms_words(kube, officer_api):
    family = make_family()  # never screened
    response = officer_api.post(f"/api/kubes/{kube.pk}/members", {"family_id": family.pk})
    assert response.status_code == 422
    assert "berstatus layak" in response.json()["detail"]
    assert not Membership.objects.filter(family=family).exists()


def test_a_member_leaves_with_a_reason_and_the_history_stays(kube, officer_api):
    family = kube.memberships.order_by("id").last().family
    response = officer_api.post(
        f"/api/kubes/{kube.pk}/members/{family.pk}/leave", {"left_on": "2025-07-01", "reason": "Pindah ke Sambas"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["live"] is False and response.json()["left_reason"] == "Pindah ke Sambas"
    assert AuditEvent.objects.filter(action="kube.member_remove").count() == 1
    again = officer_api.post(
        f"/api/kubes/{kube.pk}/members/{family.pk}/leave", {"left_on": "2025-07-01", "reason": "lagi"}
    )
    assert again.status_code == 404


def test_leaving_before_joining_is_the_services_422(kube, officer_api):
    membership = kube.memberships.order_by("id").last()
    membership.joined_on = dt.date(2025, 5, 1)
    membership.save(update_fields=["joined_on"])
    response = officer_api.post(
        f"/api/kubes/{kube.pk}/members/{membership.family_id}/leave", {"left_on": "2025-04-01", "reason": "x"}
    )
    assert response.status_code == 422 and "sebelum tanggal bergabung" in response.json()["detail"]
    assert Membership.objects.get(pk=membership.pk).live


def test_a_pendamping_may_not_change_members(kube, pendamping, api_as):
    family = kube.memberships.first().family
    response = api_as(pendamping).post(
        f"/api/kubes/{kube.pk}/members/{family.pk}/leave", {"left_on": "2025-07-01", "reason": "x"}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(kube=kube, family=family, live=True).exists()


def test_a_stranger_changing_members_gets_404(kube, stranger, api_as):
    response = api_as(stranger).post(f"/api/kubes/{kube.pk}/members", {"family_id": 1})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [({}, "family_id"), ({"family_id": "12"}, "family_id"), ({"family_id": 1, "joined_on": "1.6.2025"}, "joined_on")],
)
def test_a_bad_member_body_is_422_naming_the_field(kube, officer_api, body, field):
    response = officer_api.post(f"/api/kubes/{kube.pk}/members", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_filters_by_state_and_region(kube, officer_api):
    proposed = make_kube(state=KubeState.PROPOSED)
    assert [r["id"] for r in officer_api.get("/api/kubes?state=proposed").json()["items"]] == [proposed.pk]
    assert officer_api.get("/api/kubes?region=61.71.04").json()["count"] == 2
    assert officer_api.get("/api/kubes?region=61.71.01").json()["count"] == 0
    assert officer_api.get("/api/kubes?state=sleeping").status_code == 422
