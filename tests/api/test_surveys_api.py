"""Survey rounds, instruments and single ODK/Kobo submissions over the API: read by the same reader as an
exported file, stored by response_record, idempotent by instanceID."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from berdaya.core.models import AuditEvent, Region
from berdaya.evaluation.models import Response
from berdaya.evaluation.services import round_create

pytestmark = pytest.mark.django_db


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


def url(round_, instrument="welfare") -> str:
    return f"/api/rounds/{round_.pk}/instruments/{instrument}/submissions"


def kobo(kube, family, **overrides) -> dict:
    """A welfare submission as KoboToolbox's REST service sends it: flat, `group/field` names, text values."""
    answers = {
        "sample": "anggota", "kube_id": str(kube.pk), "family_id": str(family.pk), "round": "baseline",
        "survey_date": "2025-03-10", "consent": "1", "income_month": "1500000", "household_size": "4",
        "meals_per_day": "3", "food_shortage_month": "0", "protein_week": "1", "new_clothes_year": "1",
        "floor_material": "semen", "wall_material": "tembok", "roof_material": "seng", "floor_area": "36",
        "sick_untreated": "0", "health_insurance": "1", "children_7_15": "0",
        "worship_able": "1", "community_activity_3m": "1", "community_activity_types": "arisan posyandu",
    }  # fmt: skip
    answers.update(overrides)
    body = {f"rumah/{code}": value for code, value in answers.items() if value is not None}
    return {**body, "_uuid": str(uuid.uuid4()), "_xform_id_string": "berdaya_welfare_v1", "meta/instanceID": ""}


def member(kube):
    return kube.memberships.order_by("id").first().family


def test_rounds_list_with_instrument_versions_and_kubes_in_scope(baseline, kube, officer_api):
    response = officer_api.get("/api/rounds")
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["id"] == baseline.pk and row["kube_ids"] == [kube.pk]
    assert {i["name"] for i in row["instruments"]} == {"welfare", "empowerment", "group_assessment"}


def test_another_citys_round_is_404(baseline, stranger, api_as):
    client = api_as(stranger)
    assert client.get("/api/rounds").json() == []
    assert client.get(f"/api/rounds/{baseline.pk}").status_code == 404
    assert client.post(url(baseline), {"x": 1}).status_code == 404


def test_the_instrument_lists_its_xlsform_names(baseline, officer_api):
    body = officer_api.get(f"/api/rounds/{baseline.pk}/instruments/welfare").json()
    codes = {item["code"]: item for item in body["items"]}
    assert body["form_id"] == f"berdaya_welfare_v{body['version']}"
    assert "family_id" in codes and codes["floor_material"]["choices"]
    assert officer_api.get(f"/api/rounds/{baseline.pk}/instruments/nope").status_code == 422


def test_a_kobo_submission_is_stored_once(baseline, kube, officer, officer_api):
    family = member(kube)
    body = kobo(kube, family)
    first = officer_api.post(url(baseline), body)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "stored" and first.json()["family_id"] == family.pk
    stored = Response.objects.get(pk=first.json()["response_id"])
    assert (
        stored.source == "kobo"
        and stored.kube == kube
        and stored.answers["community_activity_types"]
        == [
            "arisan",
            "posyandu",
        ]
    )
    assert AuditEvent.objects.get(action="evaluation.response").actor == officer
    again = officer_api.post(url(baseline), body)
    assert again.status_code == 200 and again.json()["status"] == "already"
    assert Response.objects.count() == 1


def test_an_odk_central_submission_nests_its_groups(baseline, kube, officer_api):
    family = member(kube)
    flat = kobo(kube, family)
    answers = {key.split("/")[1]: value for key, value in flat.items() if key.startswith("rumah/")}
    answers["household_size"] = 4  # ODK Central's JSON has numbers
    answers["community_activity_types"] = ["arisan"]
    body = {"__id": "uuid:abc", "rumah": answers, "meta": {"instanceID": "uuid:abc"}}
    response = officer_api.post(url(baseline), body)
    assert response.status_code == 201, response.content
    stored = Response.objects.get()
    assert (
        stored.source == "odk" and stored.instance_id == "abc"
    )  # ODK's prefix dropped, as in file imports and stored.answers["household_size"] == 4


def test_a_wrong_answer_is_422_naming_the_field_and_nothing_is_stored(baseline, kube, officer_api):
    response = officer_api.post(url(baseline), kobo(kube, member(kube), floor_material="emas"))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "rumah/floor_material" and "pilihan" in body["errors"][0]["message"]
    assert not Response.objects.exists()


def test_a_missing_required_answer_is_named(baseline, kube, officer_api):
    response = officer_api.post(url(baseline), kobo(kube, member(kube), household_size=None))
    assert response.status_code == 422
    assert "household_size" in response.json()["detail"]


def test_a_submission_without_an_instance_id_is_422(baseline, kube, officer_api):
    body = kobo(kube, member(kube))
    del body["_uuid"]
    response = officer_api.post(url(baseline), body)
    assert response.status_code == 422 and "instanceID" in response.json()["detail"]


def test_a_family_outside_the_roster_is_the_services_422(baseline, kube, officer_api):
    from tests.factories import make_family

    response = officer_api.post(url(baseline), kobo(kube, make_family()))
    assert response.status_code == 422 and "bukan anggota KUBE" in response.json()["detail"]


def test_a_declined_consent_stores_nothing(baseline, kube, officer_api):
    response = officer_api.post(url(baseline), kobo(kube, member(kube), consent="0"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined" and not Response.objects.exists()


def test_a_pendamping_submits_for_the_assigned_kube_only(baseline, kube, pendamping, api_as):
    from tests.factories import make_kube

    client = api_as(pendamping)
    assert client.post(url(baseline), kobo(kube, member(kube))).status_code == 201
    other = make_kube(state="active")
    baseline.kubes.add(other)
    refused = client.post(url(baseline), kobo(other, member(other)))
    assert refused.status_code == 403
    assert Response.objects.count() == 1


def test_an_evaluator_reads_rounds_but_submits_nothing(baseline, kube, evaluator, api_as):
    client = api_as(evaluator)
    assert [row["id"] for row in client.get("/api/rounds").json()] == [baseline.pk]
    assert client.post(url(baseline), kobo(kube, member(kube))).status_code == 403
    assert not Response.objects.exists()


@pytest.mark.parametrize("body", [{}, {"a": {"b": [{"c": 1}]}}, {"kube_id": "9" * 30, "family_id": "1"}])
def test_odd_bodies_are_422_not_a_server_error(baseline, kube, officer_api, body):
    response = officer_api.post(url(baseline, "group_assessment"), body)
    assert response.status_code == 422 and response.json()["detail"]


def test_a_lone_surrogate_is_422_not_a_server_error(baseline, kube, officer_api):
    raw = '{"_uuid": "x", "rumah/family_id": "a\\ud800"}'
    response = officer_api.post(url(baseline), raw=raw)
    assert response.status_code == 422 and "UTF-8" in response.json()["detail"]


def test_an_item_named_twice_is_422_without_the_temporary_files_name(baseline, kube, officer_api):
    body = {**kobo(kube, member(kube)), "family_id": "1"}  # beside rumah/family_id
    response = officer_api.post(url(baseline), body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "family_id" in detail and "dua kali" in detail and "kiriman.csv" not in detail and "/tmp" not in detail
