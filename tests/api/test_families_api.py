"""Families over the API: scoped to the region, NIK and No KK always masked, pseudonymised for evaluators,
and every list page audited as a bulk read of personal data."""

from __future__ import annotations

import pytest

from berdaya.core.models import AuditEvent, Region
from berdaya.engine.masking import mask_id
from berdaya.evaluation.dataset import family_pseudonym
from tests.factories import make_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(regions):
    return make_family(persons=2)


@pytest.fixture
def far_family(regions):
    """A family in Kota Singkawang (61.72): outside the Kota Pontianak officer's region."""
    village = Region.objects.filter(code__startswith="61.72.", level=Region.Level.DESA).order_by("code").first()
    return make_family(region=village.code)


def test_an_officer_lists_the_families_of_the_region_masked(family, far_family, officer_api):
    response = officer_api.get("/api/families")
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["count"] == 1 and page["limit"] == 50 and page["offset"] == 0
    row = page["items"][0]
    assert row["id"] == family.pk and row["pid"] == family_pseudonym(family.pk)
    assert row["no_kk"] == mask_id(family.no_kk) and "•" in row["no_kk"]
    assert row["head_name"] == family.members.order_by("id").first().name
    assert row["member_count"] == 2 and row["region_code"] == family.region_id and row["kube_id"] is None
    assert family.no_kk not in response.content.decode()


def test_every_list_page_is_audited_with_its_count(family, officer, officer_api):
    officer_api.get("/api/families?region=61.71.04&limit=10")
    event = AuditEvent.objects.get(action="api.families.list")
    assert event.actor == officer
    assert event.changes["count"] == 1 and event.changes["total"] == 1 and event.changes["region"] == "61.71.04"


def test_the_detail_masks_every_nik(family, officer_api):
    response = officer_api.get(f"/api/families/{family.pk}")
    assert response.status_code == 200, response.content
    body = response.content.decode()
    for person in family.members.all():
        assert person.nik not in body
    niks = [member["nik"] for member in response.json()["members"]]
    assert niks == [mask_id(p.nik) for p in family.members.order_by("id")]


def test_another_regions_family_is_404_like_a_missing_one(far_family, officer_api):
    outside = officer_api.get(f"/api/families/{far_family.pk}")
    missing = officer_api.get("/api/families/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json() == {"detail": "Tidak ditemukan."}


def test_search_by_full_nik_or_part_of_a_name(family, officer_api):
    make_family()
    nik = family.members.order_by("id").first().nik
    by_nik = officer_api.get(f"/api/families?q={nik}").json()
    assert [row["id"] for row in by_nik["items"]] == [family.pk]
    name = family.members.order_by("id").last().name
    by_name = officer_api.get(f"/api/families?q={name}").json()
    assert [row["id"] for row in by_name["items"]] == [family.pk]
    assert by_name["items"][0]["member_count"] == 2  # the search does not multiply the count


def test_filter_by_decision_none(family, officer_api):
    assert officer_api.get("/api/families?decision=NONE").json()["count"] == 1
    assert officer_api.get("/api/families?decision=ELIGIBLE").json()["count"] == 0


def test_an_evaluator_reads_pseudonyms_only(family, evaluator, api_as):
    client = api_as(evaluator)
    response = client.get("/api/families")
    assert response.status_code == 200
    row = response.json()["items"][0]
    assert row["pid"] == family_pseudonym(family.pk)
    assert row["id"] is None and row["no_kk"] is None and row["head_name"] is None
    assert AuditEvent.objects.get(action="api.families.list").changes["pseudonymised"] is True
    assert client.get(f"/api/families/{family.pk}").status_code == 403
    assert client.get("/api/families?q=WARGA").status_code == 403


@pytest.mark.parametrize("role", ["viewer", "pendamping"])
def test_other_roles_may_not_read_families(family, role, request, api_as):
    client = api_as(request.getfixturevalue(role))
    response = client.get("/api/families")
    assert response.status_code == 403 and response.json()["detail"]
    assert not AuditEvent.objects.filter(action="api.families.list").exists()


@pytest.mark.parametrize(
    "query, field", [("region=61.7x", "region"), ("decision=MAYBE", "decision"), ("q=ab", "q"), ("limit=0", "limit")]
)
def test_bad_filters_are_422_naming_the_field(family, officer_api, query, field):
    response = officer_api.get(f"/api/families?{query}")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_an_id_beyond_any_row_is_422_not_a_server_error(officer_api):
    response = officer_api.get(f"/api/families/{2**63}")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "family_id"


def test_the_api_answers_in_indonesian_whatever_the_phone_asks(far_family, officer_api):
    # Accept-Language is dropped for the API as for the pages (core/middleware.py): phones set to English
    # send it without the user choosing, and the messages are read by Indonesian officers.
    response = officer_api.get(f"/api/families/{far_family.pk}", **{"Accept-Language": "en"})
    assert response.json() == {"detail": "Tidak ditemukan."}
