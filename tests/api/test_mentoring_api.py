"""Meetings with attendance and visits over the API: the pendamping's phone, offline retries included."""

from __future__ import annotations

import json
import uuid

import pytest

from berdaya.core.models import AuditEvent
from berdaya.mentoring.models import Attendance, Meeting, Visit

pytestmark = pytest.mark.django_db
DAY = "2025-03-03"


def meeting(kube, **extra) -> dict:
    attendance = [
        {"family_id": m.family_id, "status": "present" if i else "excused"}
        for i, m in enumerate(kube.memberships.filter(live=True).order_by("id"))
    ]
    return {"date": DAY, "agenda": "Arisan dan laporan kas", "attendance": attendance, **extra}


def visit(**extra) -> dict:
    return {"date": DAY, "purpose": "bookkeeping", "role_served": "dinamisator", **extra}


def test_a_pendamping_records_a_meeting_with_attendance(kube, pendamping, api_as):
    response = api_as(pendamping).post(f"/api/kubes/{kube.pk}/meetings", meeting(kube, spiritual_guidance=True))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["present"] == 9 and body["total"] == 10 and body["spiritual_guidance"] is True
    assert Attendance.objects.filter(meeting_id=body["id"], status="excused").count() == 1
    event = AuditEvent.objects.get(action="meeting.record")
    assert event.actor == pendamping and event.changes["present"] == 9


def test_a_repeat_with_the_same_client_uuid_stores_once(kube, pendamping, api_as):
    client = api_as(pendamping)
    key = str(uuid.uuid4())
    first = client.post(f"/api/kubes/{kube.pk}/meetings", meeting(kube, client_uuid=key))
    again = client.post(f"/api/kubes/{kube.pk}/meetings", meeting(kube, client_uuid=key, agenda="lain"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["client_uuid"] == key
    assert Meeting.objects.filter(kube=kube).count() == 1
    assert AuditEvent.objects.filter(action="meeting.record").count() == 1


def test_a_member_left_out_is_the_services_422_and_nothing_is_stored(kube, officer_api):
    body = meeting(kube)
    body["attendance"] = body["attendance"][1:]
    response = officer_api.post(f"/api/kubes/{kube.pk}/meetings", body)
    assert response.status_code == 422 and "Kehadiran 1 anggota belum diisi" in response.json()["detail"]
    assert not Meeting.objects.exists()


def test_a_family_named_twice_is_422(kube, officer_api):
    body = meeting(kube)
    body["attendance"].append(body["attendance"][0])
    response = officer_api.post(f"/api/kubes/{kube.pk}/meetings", body)
    assert response.status_code == 422 and "dua kali" in response.json()["detail"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": "03-03-2025"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"agenda": "a\x00b"}, "agenda"),
        ({"client_uuid": "bukan-uuid"}, "client_uuid"),
        ({"attendance": [{"family_id": 1, "status": "late"}]}, "attendance[0].status"),
    ],
)
def test_a_bad_meeting_body_is_422_naming_the_field(kube, officer_api, change, field):
    response = officer_api.post(f"/api/kubes/{kube.pk}/meetings", meeting(kube, **change))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_the_meetings_list_is_newest_first_with_attendance(kube, officer_api):
    for day in ("2025-03-03", "2025-04-07"):
        assert officer_api.post(f"/api/kubes/{kube.pk}/meetings", meeting(kube, date=day)).status_code == 201
    page = officer_api.get(f"/api/kubes/{kube.pk}/meetings?limit=1").json()
    assert page["count"] == 2 and [item["date"] for item in page["items"]] == ["2025-04-07"]
    assert len(page["items"][0]["attendance"]) == 10


def test_a_chair_records_for_the_own_kube(kube, chair, api_as):
    response = api_as(chair).post(f"/api/kubes/{kube.pk}/meetings", meeting(kube))
    assert response.status_code == 201, response.content


def test_a_stranger_gets_404_and_nothing_is_stored(kube, stranger, api_as):
    client = api_as(stranger)
    assert client.post(f"/api/kubes/{kube.pk}/meetings", meeting(kube)).status_code == 404
    assert client.post(f"/api/kubes/{kube.pk}/visits", visit()).status_code == 404
    assert client.get(f"/api/kubes/{kube.pk}/visits").status_code == 404
    assert not Meeting.objects.exists() and not Visit.objects.exists()


def test_a_pendamping_records_a_visit_with_gps(kube, pendamping, api_as):
    response = api_as(pendamping).post(
        f"/api/kubes/{kube.pk}/visits", visit(lat=-0.0123, lon=109.3345, notes="Buku kas rapi")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["facilitator"] == "Siti Pendamping" and body["lat"] == -0.0123 and body["has_photo"] is False
    assert AuditEvent.objects.get(action="visit.record").actor == pendamping


def test_a_visit_outside_indonesia_is_the_services_422(kube, pendamping, api_as):
    response = api_as(pendamping).post(f"/api/kubes/{kube.pk}/visits", visit(lat=0.0, lon=0.0))
    assert response.status_code == 422 and "di luar Indonesia" in response.json()["detail"]
    assert not Visit.objects.exists()


def test_a_visit_repeat_answers_200_with_the_stored_visit(kube, pendamping, api_as):
    client = api_as(pendamping)
    key = str(uuid.uuid4())
    first = client.post(f"/api/kubes/{kube.pk}/visits", visit(client_uuid=key))
    again = client.post(f"/api/kubes/{kube.pk}/visits", visit(client_uuid=key))
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert client.get(f"/api/kubes/{kube.pk}/visits").json()["count"] == 1


def test_an_evaluator_may_not_open_the_kubes_activity(kube, evaluator, api_as):
    assert api_as(evaluator).post(f"/api/kubes/{kube.pk}/visits", visit()).status_code == 404


def test_a_lone_surrogate_in_text_is_422_in_indonesian(kube, officer_api):
    raw = json.dumps(meeting(kube)).replace("Arisan dan laporan kas", "a\\ud800b")
    response = officer_api.post(f"/api/kubes/{kube.pk}/meetings", raw=raw)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "agenda", "message": "harus teks UTF-8 yang sah"}]
