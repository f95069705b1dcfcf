"""Meetings, visits and trainings through their services: the guards, idempotency on client_uuid, the audit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from berdaya.core.models import AuditEvent, Region
from berdaya.kube.models import KubeState
from berdaya.mentoring.models import Attendance, Meeting, Training, TrainingParticipant, Visit
from berdaya.mentoring.services import activity
from berdaya.mentoring.services.activity import ActivityError, meeting_record, training_record, visit_record
from tests.factories import assign, make_facilitator, make_family, make_kube

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def pendamping(make_user):
    user = make_user("pendamping", "facilitator", "61.71.04")
    return make_facilitator(user=user)


@pytest.fixture
def kube(regions, pendamping):
    kube = make_kube(size=5, state=KubeState.ACTIVE)
    assign(kube, pendamping)
    return kube


def members(kube) -> list[int]:
    return list(kube.memberships.filter(live=True).order_by("id").values_list("family_id", flat=True))


def all_present(kube) -> dict[int, str]:
    return {family_id: "present" for family_id in members(kube)}


def record_meeting(kube, actor, **overrides):
    arguments = {
        "actor": actor,
        "kube": kube,
        "date": dt.date(2025, 6, 2),
        "agenda": "Rencana tanam",
        "spiritual_guidance": True,
        "attendance": all_present(kube),
    }
    arguments.update(overrides)
    return meeting_record(**arguments)


def record_visit(kube, pendamping, **overrides):
    arguments = {
        "actor": pendamping.user,
        "kube": kube,
        "facilitator": pendamping,
        "date": dt.date(2025, 6, 3),
        "purpose": "technical",
        "role_served": "dinamisator",
        "notes": "Cek bibit",
        "lat": -0.0123,
        "lon": 109.3345,
        "photo": None,
        "client_uuid": None,
    }
    arguments.update(overrides)
    return visit_record(**arguments)


# ---------------------------------------------------------------- meetings


def test_a_meeting_stores_one_attendance_row_per_member(kube, pendamping):
    families = members(kube)
    attendance = {**all_present(kube), families[1]: "absent", families[2]: "excused"}

    meeting = record_meeting(kube, pendamping.user, attendance=attendance)

    stored = dict(Attendance.objects.filter(meeting=meeting).values_list("family_id", "status"))
    assert stored == attendance
    assert (meeting.agenda, meeting.spiritual_guidance, meeting.recorded_by) == ("Rencana tanam", True, pendamping.user)


def test_a_meeting_is_audited_with_its_attendance_counts(kube, pendamping):
    families = members(kube)
    meeting = record_meeting(kube, pendamping.user, attendance={**all_present(kube), families[0]: "absent"})

    event = AuditEvent.objects.get(action="meeting.record")
    assert (event.object_id, event.actor) == (str(meeting.pk), pendamping.user)
    assert (event.changes["present"], event.changes["absent"], event.changes["excused"]) == (4, 1, 0)


def test_a_form_sent_twice_is_stored_once(kube, pendamping):
    code = uuid.uuid4()
    first = record_meeting(kube, pendamping.user, client_uuid=code)

    again = record_meeting(kube, pendamping.user, client_uuid=str(code), agenda="dikirim ulang")

    assert again.pk == first.pk
    assert Meeting.objects.count() == 1
    assert Attendance.objects.count() == 5
    assert AuditEvent.objects.filter(action="meeting.record").count() == 1


def test_two_sends_racing_store_one_meeting(kube, pendamping, monkeypatch):
    """The second send passed the first look-up before the first one committed: the unique code decides."""
    code = uuid.uuid4()
    first = record_meeting(kube, pendamping.user, client_uuid=code)
    real = activity._existing
    calls = []

    def blind_first_look(model, client_uuid, kube):
        calls.append(client_uuid)
        return None if len(calls) == 1 else real(model, client_uuid, kube)

    monkeypatch.setattr(activity, "_existing", blind_first_look)

    again = record_meeting(kube, pendamping.user, client_uuid=code)

    assert again.pk == first.pk
    assert Meeting.objects.count() == 1


def test_a_form_code_used_for_another_kube_is_refused(kube, pendamping):
    code = uuid.uuid4()
    record_meeting(kube, pendamping.user, client_uuid=code)
    other = make_kube(size=5, state=KubeState.ACTIVE)

    with pytest.raises(ActivityError, match="KUBE lain"):
        record_meeting(other, pendamping.user, client_uuid=code)


def test_it_refuses_a_meeting_in_the_future(kube, pendamping):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(ActivityError, match="belum terjadi"):
        record_meeting(kube, pendamping.user, date=tomorrow)
    assert Meeting.objects.count() == 0


def test_a_meeting_today_is_accepted(kube, pendamping):
    meeting = record_meeting(kube, pendamping.user, date=timezone.localdate())

    assert meeting.date == timezone.localdate()


def test_it_refuses_a_meeting_of_a_dissolved_kube(regions, pendamping):
    dissolved = make_kube(size=5, state=KubeState.DISSOLVED)

    with pytest.raises(ActivityError, match="Dibubarkan"):
        meeting_record(
            actor=None, kube=dissolved, date=dt.date(2026, 3, 1), agenda="", spiritual_guidance=False, attendance={}
        )
    assert Meeting.objects.count() == 0


def test_it_refuses_a_family_that_is_not_a_live_member(kube, pendamping):
    outsider = make_family()

    with pytest.raises(ActivityError, match="1 keluarga yang dicatat bukan anggota aktif"):
        record_meeting(kube, pendamping.user, attendance={**all_present(kube), outsider.pk: "present"})
    assert Meeting.objects.count() == 0


def test_it_refuses_a_member_without_a_status(kube, pendamping):
    attendance = all_present(kube)
    attendance.pop(members(kube)[0])

    with pytest.raises(ActivityError, match="Kehadiran 1 anggota belum diisi"):
        record_meeting(kube, pendamping.user, attendance=attendance)
    assert Attendance.objects.count() == 0


def test_it_refuses_an_unknown_status(kube, pendamping):
    with pytest.raises(ActivityError, match="“late” tidak dikenal"):
        record_meeting(kube, pendamping.user, attendance={**all_present(kube), members(kube)[0]: "late"})
    assert Meeting.objects.count() == 0


def test_a_member_who_left_is_not_asked_for(regions, pendamping):
    from berdaya.kube.services import member_remove

    kube = make_kube(size=6, state=KubeState.ACTIVE)
    leaving = kube.memberships.filter(live=True).order_by("id").last()
    member_remove(actor=None, kube=kube, family=leaving.family, left_on=dt.date(2025, 5, 1), reason="pindah")

    meeting = record_meeting(kube, pendamping.user)

    assert meeting.attendance.count() == 5
    with pytest.raises(ActivityError, match="bukan anggota aktif"):
        record_meeting(kube, pendamping.user, attendance={**all_present(kube), leaving.family_id: "present"})


# ---------------------------------------------------------------- visits


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_visit_keeps_its_purpose_role_position_and_photo(kube, pendamping, media):
    code = uuid.uuid4()
    photo = SimpleUploadedFile("IMG_20250603_rumah pak budi.jpg", JPEG, content_type="image/jpeg")

    visit = record_visit(kube, pendamping, photo=photo, client_uuid=code)

    visit.refresh_from_db()
    assert (visit.purpose, visit.role_served, visit.facilitator, visit.lat, visit.lon) == (
        "technical",
        "dinamisator",
        pendamping,
        -0.0123,
        109.3345,
    )
    # Stored under the form's code, never under the phone's file name.
    assert visit.photo.name.endswith(f"{code}.jpg") and "budi" not in visit.photo.name
    assert visit.photo.read() == JPEG
    assert AuditEvent.objects.get(action="visit.record").changes["photo"] is True


def test_a_visit_sent_twice_is_stored_once(kube, pendamping):
    code = uuid.uuid4()
    first = record_visit(kube, pendamping, client_uuid=code)

    again = record_visit(kube, pendamping, client_uuid=code, notes="ulang")

    assert again.pk == first.pk
    assert Visit.objects.count() == 1


def test_a_visit_without_position_or_photo_is_fine(kube, pendamping):
    visit = record_visit(kube, pendamping, lat=None, lon="")

    assert (visit.lat, visit.lon, bool(visit.photo)) == (None, None, False)


def test_it_refuses_a_latitude_without_a_longitude(kube, pendamping):
    with pytest.raises(ActivityError, match="lintang dan bujur sekaligus"):
        record_visit(kube, pendamping, lon=None)
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.0), (48.85, 2.35), (-0.01, 200.0)])
def test_it_refuses_a_position_outside_indonesia(kube, pendamping, lat, lon):
    with pytest.raises(ActivityError, match="di luar Indonesia"):
        record_visit(kube, pendamping, lat=lat, lon=lon)
    assert Visit.objects.count() == 0


def test_it_refuses_a_photo_that_is_not_an_image(kube, pendamping, media):
    fake = SimpleUploadedFile("foto.jpg", b"%PDF-1.7 not a photo", content_type="image/jpeg")

    with pytest.raises(ActivityError, match="JPEG atau PNG"):
        record_visit(kube, pendamping, photo=fake)
    assert Visit.objects.count() == 0


def test_it_refuses_a_photo_over_the_limit(kube, pendamping, media, settings):
    settings.BERDAYA = {**settings.BERDAYA, "VISIT_PHOTO_MAX_BYTES": 100}

    with pytest.raises(ActivityError, match="Foto terlalu besar"):
        record_visit(kube, pendamping, photo=SimpleUploadedFile("f.png", PNG, content_type="image/png"))
    assert Visit.objects.count() == 0


def test_it_refuses_a_pendamping_not_assigned_to_the_kube_that_day(kube, pendamping):
    other = make_facilitator()

    with pytest.raises(ActivityError, match="tidak mendampingi"):
        record_visit(kube, other)
    with pytest.raises(ActivityError, match="tidak mendampingi"):
        record_visit(kube, pendamping, date=dt.date(2024, 12, 31))  # before the assignment began
    assert Visit.objects.count() == 0


def test_it_refuses_an_unknown_purpose_or_a_missing_role(kube, pendamping):
    with pytest.raises(ActivityError, match="Tujuan kunjungan"):
        record_visit(kube, pendamping, purpose="arisan")
    with pytest.raises(ActivityError, match="peran pendamping"):
        record_visit(kube, pendamping, role_served="")
    assert Visit.objects.count() == 0


def test_it_refuses_a_visit_in_the_future(kube, pendamping):
    with pytest.raises(ActivityError, match="belum terjadi"):
        record_visit(kube, pendamping, date=timezone.localdate() + dt.timedelta(days=2))


# ---------------------------------------------------------------- trainings


def pairs(kube):
    return [(kube, m.family) for m in kube.memberships.filter(live=True).select_related("family")]


def test_a_training_records_every_participant_with_their_kube(kube, officer):
    second = make_kube(size=5, state=KubeState.FUNDED)

    training = training_record(
        actor=officer,
        topic="Pembukuan sederhana",
        trainer="Dinas Koperasi",
        date=dt.date(2025, 7, 1),
        days=2,
        region=Region.objects.get(code="61.71.04"),
        participants=pairs(kube) + pairs(second),
    )

    assert TrainingParticipant.objects.filter(training=training).count() == 10
    assert set(training.participants.values_list("kube_id", flat=True)) == {kube.pk, second.pk}
    assert AuditEvent.objects.get(action="training.record").changes["participants"] == 10


def test_a_family_named_twice_takes_part_once(kube, officer):
    training = training_record(
        actor=officer,
        topic="Pemasaran",
        trainer="Penyuluh",
        date=dt.date(2025, 7, 1),
        days=1,
        region=Region.objects.get(code="61.71"),
        participants=pairs(kube) + pairs(kube)[:2],
    )

    assert training.participants.count() == 5


def test_it_refuses_a_kube_outside_the_training_region(kube, officer):
    with pytest.raises(ActivityError, match="tidak berada di wilayah pelatihan"):
        training_record(
            actor=officer,
            topic="Pemasaran",
            trainer="Penyuluh",
            date=dt.date(2025, 7, 1),
            days=1,
            region=Region.objects.get(code="61.71.01"),
            participants=pairs(kube),
        )
    assert Training.objects.count() == 0


def test_it_refuses_a_family_that_is_not_in_the_kube_given(kube, officer):
    with pytest.raises(ActivityError, match="1 peserta bukan anggota aktif"):
        training_record(
            actor=officer,
            topic="Pemasaran",
            trainer="Penyuluh",
            date=dt.date(2025, 7, 1),
            days=1,
            region=Region.objects.get(code="61.71"),
            participants=[*pairs(kube), (kube, make_family())],
        )
    assert Training.objects.count() == 0


def test_it_refuses_a_region_outside_the_officer_s_own(kube, stranger):
    with pytest.raises(ActivityError, match="di luar wilayah Anda"):
        training_record(
            actor=stranger,
            topic="Pemasaran",
            trainer="Penyuluh",
            date=dt.date(2025, 7, 1),
            days=1,
            region=Region.objects.get(code="61.71"),
            participants=pairs(kube),
        )


@pytest.mark.parametrize(("topic", "days", "message"), [("", 1, "wajib diisi"), ("Pemasaran", 0, "1 sampai 60")])
def test_it_refuses_a_training_without_topic_or_length(kube, officer, topic, days, message):
    with pytest.raises(ActivityError, match=message):
        training_record(
            actor=officer,
            topic=topic,
            trainer="Penyuluh",
            date=dt.date(2025, 7, 1),
            days=days,
            region=Region.objects.get(code="61.71"),
            participants=pairs(kube),
        )


def test_it_refuses_a_training_without_participants(regions, officer):
    with pytest.raises(ActivityError, match="setidaknya satu KUBE"):
        training_record(
            actor=officer,
            topic="Pemasaran",
            trainer="Penyuluh",
            date=dt.date(2025, 7, 1),
            days=1,
            region=Region.objects.get(code="61.71"),
            participants=[],
        )
