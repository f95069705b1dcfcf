"""The pendamping's field pages through Django's test client: who may open them, what a post stores, and the
JSON answers the phone's offline script relies on."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse

from berdaya.kube.models import KubeState
from berdaya.mentoring.models import Attendance, Meeting, Training, Visit
from tests.factories import assign, make_facilitator, make_kube, make_meeting, make_visit

FETCH = {"HTTP_X_BERDAYA_FORM": "fetch"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


@pytest.fixture
def pendamping(make_user):
    return make_facilitator(user=make_user("pendamping", "facilitator", "61.71.04"))


@pytest.fixture
def kube(regions, pendamping):
    kube = make_kube(size=5, state=KubeState.ACTIVE)
    assign(kube, pendamping)
    return kube


@pytest.fixture
def field_client(client, pendamping):
    client.force_login(pendamping.user)
    return client


def family_ids(kube) -> list[int]:
    return list(kube.memberships.filter(live=True).order_by("id").values_list("family_id", flat=True))


def meeting_post(kube, **overrides) -> dict[str, str]:
    data = {"date": "2025-06-02", "agenda": "Rencana tanam", "spiritual_guidance": "ya", "notes": ""}
    data.update({f"hadir_{fid}": "present" for fid in family_ids(kube)})
    data.update(overrides)
    return data


# ---------------------------------------------------------------- my groups


def test_my_groups_lists_the_pendamping_s_kubes_with_last_meeting_visit_and_members(field_client, kube, pendamping):
    make_meeting(kube, dt.date(2025, 5, 5))
    make_meeting(kube, dt.date(2025, 6, 2))
    make_visit(kube, dt.date(2025, 4, 20), facilitator=pendamping)
    elsewhere = make_kube(size=5, state=KubeState.ACTIVE)

    response = field_client.get(reverse("mentoring:my_groups"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-kube="{kube.pk}"' in html and f'data-kube="{elsewhere.pk}"' not in html
    assert "2 Juni 2025" in html and "20 April 2025" in html
    assert "5 anggota" in html
    assert reverse("mentoring:meeting_new", args=[kube.pk]) in html


def test_my_groups_reads_every_kube_in_a_fixed_number_of_queries(
    field_client, kube, pendamping, django_assert_max_num_queries
):
    for _ in range(4):
        other = make_kube(size=5, state=KubeState.ACTIVE)
        assign(other, pendamping)
        make_meeting(other, dt.date(2025, 6, 2))

    with django_assert_max_num_queries(6):
        response = field_client.get(reverse("mentoring:my_groups"))

    assert response.content.decode().count('class="group card"') == 5


def test_an_ended_assignment_leaves_my_groups(field_client, kube):
    kube.assignments.update(end=dt.date(2025, 5, 31))

    response = field_client.get(reverse("mentoring:my_groups"))

    assert f'data-kube="{kube.pk}"' not in response.content.decode()


def test_a_kube_officer_sees_their_own_kube(client, make_user, kube):
    user = make_user("ketua", "kube_officer", "61.71.04.1001")
    kube.officers.filter(role="ketua").update(user=user)
    client.force_login(user)

    response = client.get(reverse("mentoring:my_groups"))

    assert f'data-kube="{kube.pk}"' in response.content.decode()


def test_managers_are_sent_to_the_kube_list(client, officer):
    client.force_login(officer)

    response = client.get(reverse("mentoring:my_groups"))

    assert response.status_code == 302 and response.url == reverse("kube:list")


def test_a_regional_viewer_has_no_groups_page(client, make_user):
    client.force_login(make_user("pemantau", "viewer", "61"))

    assert client.get(reverse("mentoring:my_groups")).status_code == 403


# ---------------------------------------------------------------- meeting form


def test_the_meeting_form_has_one_row_per_member_defaulting_to_present(field_client, kube):
    response = field_client.get(reverse("mentoring:meeting_new", args=[kube.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="member"') == 5
    for fid in family_ids(kube):
        assert f'name="hadir_{fid}" value="present" id="id_hadir_{fid}_0" required checked' in html
    assert "data-offline" in html and 'name="client_uuid"' in html
    # Names are short and No KK shows only its last four digits.
    assert "KK ••" in html and kube.memberships.first().family.no_kk not in html


def test_posting_a_meeting_stores_attendance_per_member(field_client, kube, pendamping):
    fids = family_ids(kube)

    response = field_client.post(
        reverse("mentoring:meeting_new", args=[kube.pk]),
        meeting_post(kube, **{f"hadir_{fids[0]}": "absent", f"hadir_{fids[1]}": "excused"}),
    )

    assert response.status_code == 302 and response.url == reverse("kube:detail", args=[kube.pk])
    meeting = Meeting.objects.get()
    assert (meeting.spiritual_guidance, meeting.recorded_by) == (True, pendamping.user)
    assert dict(Attendance.objects.values_list("family_id", "status")) == {
        fids[0]: "absent",
        fids[1]: "excused",
        **{fid: "present" for fid in fids[2:]},
    }


def test_a_refused_meeting_shows_the_form_again_with_the_reason(field_client, kube):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()

    response = field_client.post(reverse("mentoring:meeting_new", args=[kube.pk]), meeting_post(kube, date=tomorrow))

    assert response.status_code == 400
    assert "belum terjadi" in response.content.decode()
    assert Meeting.objects.count() == 0


def test_the_phone_gets_json_and_a_resent_form_is_stored_once(field_client, kube):
    code = str(uuid.uuid4())
    url = reverse("mentoring:meeting_new", args=[kube.pk])

    first = field_client.post(url, meeting_post(kube, client_uuid=code), **FETCH)
    again = field_client.post(url, meeting_post(kube, client_uuid=code), HTTP_X_BERDAYA_QUEUED="1", **FETCH)

    assert first.status_code == again.status_code == 200
    assert first.json()["ok"] is True and first.json()["redirect"] == reverse("kube:detail", args=[kube.pk])
    assert "hadir 5 dari 5" in first.json()["message"]
    assert Meeting.objects.filter(client_uuid=code).count() == 1
    assert Attendance.objects.count() == 5


def test_the_phone_gets_a_refusal_as_json_so_it_does_not_retry(field_client, kube):
    fids = family_ids(kube)
    data = meeting_post(kube)
    del data[f"hadir_{fids[0]}"]

    response = field_client.post(reverse("mentoring:meeting_new", args=[kube.pk]), data, **FETCH)

    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["ok"] is False and body["errors"]
    assert Meeting.objects.count() == 0


def test_a_pendamping_not_assigned_to_the_kube_cannot_open_it(client, make_user, kube):
    other = make_facilitator(user=make_user("pendamping2", "facilitator", "61.71.04"))
    client.force_login(other.user)
    url = reverse("mentoring:meeting_new", args=[kube.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, meeting_post(kube)).status_code == 404
    refused = client.post(url, meeting_post(kube), **FETCH)
    assert refused.status_code == 404 and refused.json()["ok"] is False
    assert Meeting.objects.count() == 0


def test_a_pendamping_whose_assignment_ended_cannot_record(field_client, kube):
    kube.assignments.update(end=dt.date(2025, 5, 31))

    assert field_client.post(reverse("mentoring:meeting_new", args=[kube.pk]), meeting_post(kube)).status_code == 404
    assert Meeting.objects.count() == 0


def test_an_officer_of_another_city_gets_404(client, stranger, kube):
    client.force_login(stranger)

    assert client.get(reverse("mentoring:meeting_new", args=[kube.pk])).status_code == 404
    assert client.get(reverse("mentoring:visit_new", args=[kube.pk])).status_code == 404


def test_the_program_officer_of_the_city_may_record(client, officer, kube):
    client.force_login(officer)

    response = client.post(reverse("mentoring:meeting_new", args=[kube.pk]), meeting_post(kube))

    assert response.status_code == 302
    assert Meeting.objects.get().recorded_by == officer


def test_an_officer_of_another_kube_gets_404(client, make_user, kube):
    other = make_kube(size=5, state=KubeState.ACTIVE)
    user = make_user("ketua_lain", "kube_officer", "61.71.04.1001")
    other.officers.filter(role="ketua").update(user=user)
    client.force_login(user)

    assert client.get(reverse("mentoring:meeting_new", args=[kube.pk])).status_code == 404
    assert client.get(reverse("mentoring:meeting_new", args=[other.pk])).status_code == 200


# ---------------------------------------------------------------- visit form


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_posting_a_visit_stores_it_under_the_pendamping_with_its_photo(field_client, kube, pendamping, media):
    response = field_client.post(
        reverse("mentoring:visit_new", args=[kube.pk]),
        {
            "date": "2025-06-03",
            "purpose": "bookkeeping",
            "role_served": "komunikator",
            "notes": "Buku kas rapi",
            "lat": "-0.0123",
            "lon": "109.3345",
            "client_uuid": str(uuid.uuid4()),
            "photo": SimpleUploadedFile("foto.jpg", JPEG, content_type="image/jpeg"),
        },
    )

    assert response.status_code == 302 and response.url == reverse("kube:detail", args=[kube.pk])
    visit = Visit.objects.get()
    assert (visit.facilitator, visit.purpose, visit.role_served, visit.lat) == (
        pendamping,
        "bookkeeping",
        "komunikator",
        -0.0123,
    )
    photo = field_client.get(reverse("mentoring:visit_photo", args=[visit.pk]))
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == JPEG


def test_a_visit_photo_is_hidden_from_those_outside_the_kube(client, stranger, kube, pendamping, media):
    from berdaya.mentoring.services.activity import visit_record

    visit = visit_record(
        actor=pendamping.user,
        kube=kube,
        facilitator=pendamping,
        date=dt.date(2025, 6, 3),
        purpose="monitoring",
        role_served="fasilitator",
        photo=SimpleUploadedFile("f.jpg", JPEG, content_type="image/jpeg"),
    )
    client.force_login(stranger)

    assert client.get(reverse("mentoring:visit_photo", args=[visit.pk])).status_code == 404


def test_a_visit_form_offers_the_location_button(field_client, kube):
    html = field_client.get(reverse("mentoring:visit_new", args=[kube.pk])).content.decode()

    assert "data-geolocate" in html and "Ambil lokasi" in html
    assert 'enctype="multipart/form-data"' in html


def test_a_visit_with_half_a_position_is_refused_as_json(field_client, kube):
    response = field_client.post(
        reverse("mentoring:visit_new", args=[kube.pk]),
        {
            "date": "2025-06-03",
            "purpose": "monitoring",
            "role_served": "fasilitator",
            "lat": "-0.0123",
        },
        **FETCH,
    )

    assert response.status_code == 400
    assert "lintang dan bujur" in response.json()["errors"][0]["message"]
    assert Visit.objects.count() == 0


# ---------------------------------------------------------------- the KUBE page's activity section


def test_the_activity_section_shows_attendance_and_recording_buttons(kube, pendamping):
    make_meeting(kube, dt.date(2025, 6, 2), statuses=["present", "present", "absent", "excused", "present"])
    make_visit(kube, dt.date(2025, 6, 3), facilitator=pendamping, purpose="motivation")
    meetings = kube.meetings.annotate(
        present=Count("attendance", filter=Q(attendance__status="present")), total=Count("attendance")
    )

    html = render_to_string(
        "mentoring/_kube_activity.html",
        {
            "kube": kube,
            "can_record": True,
            "meetings": meetings,
            "visits": kube.visits.all(),
        },
    )

    assert "2 Juni 2025" in html and "hadir 3 dari 5" in html
    assert "Motivasi" in html and pendamping.name in html
    assert reverse("mentoring:meeting_new", args=[kube.pk]) in html
    without = render_to_string(
        "mentoring/_kube_activity.html",
        {
            "kube": kube,
            "can_record": False,
            "meetings": meetings,
            "visits": [],
        },
    )
    assert reverse("mentoring:meeting_new", args=[kube.pk]) not in without
    assert "Belum ada kunjungan tercatat." in without


# ---------------------------------------------------------------- trainings


def test_a_program_officer_records_a_training_for_whole_kubes(client, officer, kube):
    second = make_kube(size=5, state=KubeState.ACTIVE)
    client.force_login(officer)

    response = client.post(
        reverse("mentoring:training_new"),
        {
            "topic": "Pembukuan sederhana",
            "trainer": "Dinas Koperasi",
            "date": "2025-07-01",
            "days": "2",
            "region": "61.71.04",
            "kubes": [kube.pk, second.pk],
            "notes": "",
        },
    )

    assert response.status_code == 302 and response.url == reverse("mentoring:training_list")
    training = Training.objects.get()
    assert training.participants.count() == 10
    listing = client.get(reverse("mentoring:training_list")).content.decode()
    assert "Pembukuan sederhana" in listing and "1 Juli 2025" in listing


def test_a_training_region_outside_the_officer_s_is_refused(client, officer, kube):
    client.force_login(officer)

    response = client.post(
        reverse("mentoring:training_new"),
        {
            "topic": "Pemasaran",
            "trainer": "Penyuluh",
            "date": "2025-07-01",
            "days": "1",
            "region": "61.72",
            "kubes": [kube.pk],
        },
    )

    assert response.status_code == 400 and "di luar wilayah Anda" in response.content.decode()
    assert Training.objects.count() == 0


def test_trainings_of_another_city_are_not_listed(client, officer, stranger, kube):
    from berdaya.core.models import Region
    from berdaya.mentoring.services.activity import training_record

    training_record(
        actor=officer,
        topic="Rahasia Pontianak",
        trainer="X",
        date=dt.date(2025, 7, 1),
        days=1,
        region=Region.objects.get(code="61.71"),
        participants=[(kube, m.family) for m in kube.memberships.all()],
    )
    client.force_login(stranger)

    assert "Rahasia Pontianak" not in client.get(reverse("mentoring:training_list")).content.decode()


def test_a_pendamping_cannot_open_the_training_pages(field_client):
    assert field_client.get(reverse("mentoring:training_list")).status_code == 403
    assert field_client.get(reverse("mentoring:training_new")).status_code == 403
