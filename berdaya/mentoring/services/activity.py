"""Writes of the pendamping's field work (spec §6): meetings with attendance, visits, trainings.

Every write is atomic and audited. Meetings and visits carry the `client_uuid` the phone generated when
the form was opened: a form re-sent after a dropped connection (the browser's outbox) returns the row
already stored instead of a second one. A refused write raises ActivityError whose text is the message
for the user (translated) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import Region, User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.kube.models import LIVE_STATES, Kube, Membership
from berdaya.mentoring.models import (
    Attendance,
    AttendanceStatus,
    Facilitator,
    FacilitatorRole,
    Meeting,
    Training,
    TrainingParticipant,
    Visit,
    VisitPurpose,
)
from berdaya.registry.models import Family

# A phone's GPS sometimes answers (0, 0) or a neighbouring country's cached fix; a visit to a KUBE is
# in Indonesia, so anything outside the archipelago's box (with a margin) is refused. A setting so an
# installation elsewhere can widen it.
DEFAULT_VISIT_BOUNDS = {"lat_min": -12.0, "lat_max": 7.0, "lon_min": 94.0, "lon_max": 142.0}
DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
MAX_TRAINING_DAYS = 60

# Only formats every phone browser can show again later; recognised by their first bytes, because the
# content type is whatever the client claims.
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)


class ActivityError(Exception):
    """A refused meeting, visit or training; `str(error)` is the message for the user (translated)."""


def _setting(name: str, default):
    return getattr(settings, "BERDAYA", {}).get(name, default)


def _actor_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _require_past_or_today(date: dt.date, what: str) -> None:
    if date > timezone.localdate():
        raise ActivityError(
            _("Tanggal %(what)s (%(date)s) belum terjadi; catat setelah kegiatan berlangsung.")
            % {"what": what, "date": date.isoformat()}
        )


def _require_live(kube: Kube) -> None:
    if kube.state not in LIVE_STATES:
        raise ActivityError(
            _("%(kube)s berstatus %(state)s; kegiatan hanya dicatat untuk KUBE yang masih berjalan.")
            % {"kube": kube.name, "state": kube.get_state_display()}
        )


def _as_uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as error:
        raise ActivityError(_("Kode formulir (client_uuid) tidak sah.")) from error


def _existing(model, client_uuid: uuid.UUID | None, kube: Kube):
    """The row a re-sent form already created, or None. A code reused for another KUBE is refused."""
    if client_uuid is None:
        return None
    found = model.objects.filter(client_uuid=client_uuid).first()
    if found is not None and found.kube_id != kube.pk:
        raise ActivityError(_("Kode formulir ini sudah dipakai untuk KUBE lain; buka formulir baru."))
    return found


def _idempotent(model, client_uuid: uuid.UUID | None, kube: Kube, create):
    """Run `create()` in a savepoint; when a concurrent re-send of the same form won the race (the unique
    client_uuid refuses the second row), return the winner's row instead of failing."""
    found = _existing(model, client_uuid, kube)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        found = _existing(model, client_uuid, kube)
        if found is None:
            raise
        return found


def meeting_record(
    *,
    actor: User | None,
    kube: Kube,
    date: dt.date,
    agenda: str,
    spiritual_guidance: bool,
    attendance: Mapping[int | str, str],
    notes: str = "",
    client_uuid: uuid.UUID | str | None = None,
) -> Meeting:
    """Record one meeting of a KUBE with the attendance of every live member family.

    `attendance` maps family id to a status (`present`, `excused`, `absent`) and must name exactly the
    KUBE's live members. Returns the new Meeting, or the one already stored under `client_uuid` (a form
    sent twice is stored once). Raises ActivityError for a future date, a KUBE that is not live, a family
    that is not a live member, a member without a status, or an unknown status.
    """
    client_uuid = _as_uuid(client_uuid)
    found = _existing(Meeting, client_uuid, kube)
    if found is not None:
        return found
    _require_past_or_today(date, _("pertemuan"))
    _require_live(kube)
    statuses = _attendance_checked(kube, attendance)

    def create() -> Meeting:
        locked = Kube.objects.select_for_update().get(pk=kube.pk)
        _require_live(locked)
        # Re-read membership under the lock: a member removed meanwhile must not be recorded as present.
        _attendance_checked(locked, statuses)
        meeting = Meeting.objects.create(
            kube=locked,
            date=date,
            agenda=(agenda or "").strip()[:250],
            spiritual_guidance=bool(spiritual_guidance),
            notes=(notes or "").strip(),
            recorded_by=_actor_or_none(actor),
            **({"client_uuid": client_uuid} if client_uuid else {}),
        )
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, family_id=family_id, status=status) for family_id, status in statuses.items()]
        )
        counts = {s: sum(1 for v in statuses.values() if v == s) for s in AttendanceStatus.values}
        audit_record(
            actor=actor,
            action="meeting.record",
            object_type="meeting",
            object_id=str(meeting.pk),
            changes={
                "kube": kube.pk,
                "date": date.isoformat(),
                "spiritual_guidance": meeting.spiritual_guidance,
                "agenda": meeting.agenda,
                **counts,
            },
        )
        return meeting

    return _idempotent(Meeting, client_uuid, kube, create)


def _attendance_checked(kube: Kube, attendance: Mapping[int | str, str]) -> dict[int, str]:
    members = set(Membership.objects.filter(kube=kube, live=True).values_list("family_id", flat=True))
    if not members:
        raise ActivityError(_("%(kube)s belum punya anggota; pertemuan tidak dapat dicatat.") % {"kube": kube.name})
    statuses: dict[int, str] = {}
    for key, status in attendance.items():
        try:
            family_id = int(key)
        except (TypeError, ValueError) as error:
            raise ActivityError(_("Keluarga %(key)s tidak dikenal.") % {"key": key}) from error
        if status not in AttendanceStatus.values:
            raise ActivityError(
                _("Status kehadiran “%(status)s” tidak dikenal; pilih Hadir, Izin atau Tidak hadir.")
                % {"status": status}
            )
        statuses[family_id] = status
    strangers = set(statuses) - members
    if strangers:
        raise ActivityError(
            _("%(n)d keluarga yang dicatat bukan anggota aktif %(kube)s.") % {"n": len(strangers), "kube": kube.name}
        )
    missing = members - set(statuses)
    if missing:
        raise ActivityError(
            _("Kehadiran %(n)d anggota belum diisi; setiap anggota perlu status Hadir, Izin atau Tidak hadir.")
            % {"n": len(missing)}
        )
    return statuses


def visit_record(
    *,
    actor: User | None,
    kube: Kube,
    facilitator: Facilitator | None,
    date: dt.date,
    purpose: str,
    role_served: str,
    notes: str = "",
    lat: float | None = None,
    lon: float | None = None,
    photo: IO[bytes] | None = None,
    client_uuid: uuid.UUID | str | None = None,
) -> Visit:
    """Record a pendamping's visit to a KUBE: purpose, the role it served (Tjokrowinoto), notes, and
    optionally where it happened (GPS) and a photo.

    `photo` is an uploaded file (JPEG or PNG, at most 5 MB by default, setting VISIT_PHOTO_MAX_BYTES).
    Returns the new Visit, or the one already stored under `client_uuid`. Raises ActivityError for a
    future date, a KUBE that is not live, an unknown purpose or role, a pendamping not assigned to the
    KUBE on that date, only one of lat/lon or a position outside Indonesia, or a photo that is not an
    image or too large.
    """
    client_uuid = _as_uuid(client_uuid)
    found = _existing(Visit, client_uuid, kube)
    if found is not None:
        return found
    _require_past_or_today(date, _("kunjungan"))
    _require_live(kube)
    if purpose not in VisitPurpose.values:
        raise ActivityError(_("Tujuan kunjungan “%(value)s” tidak dikenal.") % {"value": purpose})
    if role_served not in FacilitatorRole.values:
        raise ActivityError(_("Pilih peran pendamping yang dijalankan dalam kunjungan ini."))
    if facilitator is not None and not _assigned_on(facilitator, kube, date):
        raise ActivityError(
            _("%(name)s tidak mendampingi %(kube)s pada %(date)s.")
            % {"name": facilitator.name, "kube": kube.name, "date": date.isoformat()}
        )
    lat, lon = _position_checked(lat, lon)
    photo_file = _photo_checked(photo, client_uuid) if photo else None

    def create() -> Visit:
        visit = Visit(
            kube=kube,
            facilitator=facilitator,
            date=date,
            purpose=purpose,
            role_served=role_served,
            notes=(notes or "").strip(),
            lat=lat,
            lon=lon,
            recorded_by=_actor_or_none(actor),
        )
        if client_uuid:
            visit.client_uuid = client_uuid
        if photo_file is not None:
            # The stored name is the form's code, never the phone's file name (it can carry a name or place).
            visit.photo.save(photo_file.name, photo_file, save=False)
        visit.save()
        audit_record(
            actor=actor,
            action="visit.record",
            object_type="visit",
            object_id=str(visit.pk),
            changes={
                "kube": kube.pk,
                "date": date.isoformat(),
                "purpose": purpose,
                "role_served": role_served,
                "facilitator": facilitator.pk if facilitator else None,
                "gps": lat is not None,
                "photo": bool(visit.photo),
            },
        )
        return visit

    return _idempotent(Visit, client_uuid, kube, create)


def _assigned_on(facilitator: Facilitator, kube: Kube, date: dt.date) -> bool:
    assignments = kube.assignments.filter(facilitator=facilitator, start__lte=date)
    return assignments.filter(end__isnull=True).exists() or assignments.filter(end__gte=date).exists()


def _position_checked(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    lat = None if lat in (None, "") else lat
    lon = None if lon in (None, "") else lon
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise ActivityError(_("Lokasi perlu lintang dan bujur sekaligus; ambil lokasi lagi atau kosongkan keduanya."))
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as error:
        raise ActivityError(_("Lintang dan bujur harus berupa angka.")) from error
    bounds = {**DEFAULT_VISIT_BOUNDS, **_setting("VISIT_BOUNDS", {})}
    if not (bounds["lat_min"] <= lat <= bounds["lat_max"] and bounds["lon_min"] <= lon <= bounds["lon_max"]):
        raise ActivityError(
            _("Lokasi %(lat).5f, %(lon).5f berada di luar Indonesia; GPS ponsel mungkin belum siap, coba lagi.")
            % {"lat": lat, "lon": lon}
        )
    return lat, lon


def _photo_checked(photo: IO[bytes], client_uuid: uuid.UUID | None) -> ContentFile:
    limit = _setting("VISIT_PHOTO_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES)
    size = getattr(photo, "size", None)
    if size is not None and size > limit:
        raise ActivityError(_photo_too_large(size, limit))
    if hasattr(photo, "seek"):
        photo.seek(0)
    data = photo.read(limit + 1)
    if len(data) > limit:
        raise ActivityError(_photo_too_large(len(data), limit))
    extension = next((ext for signature, ext in _IMAGE_SIGNATURES if data.startswith(signature)), None)
    if extension is None:
        raise ActivityError(_("Foto harus berupa gambar JPEG atau PNG."))
    return ContentFile(data, name=f"{client_uuid or uuid.uuid4()}.{extension}")


def _photo_too_large(size: int, limit: int) -> str:
    return _("Foto terlalu besar (%(size).1f MB); batasnya %(limit).0f MB.") % {
        "size": size / 1024 / 1024,
        "limit": limit / 1024 / 1024,
    }


def training_record(
    *,
    actor: User | None,
    topic: str,
    trainer: str,
    date: dt.date,
    days: int,
    region: Region,
    participants: Iterable[tuple[Kube, Family]],
    notes: str = "",
) -> Training:
    """Record a training that took place, with the member families (and their KUBE) who took part.

    `participants` are (kube, family) pairs; a family named twice counts once. Returns the Training.
    Raises ActivityError for an empty topic or trainer, a future date, a length outside 1–60 days, a
    region outside the actor's, no participants, a KUBE outside the training's region or not live, or
    a family that is not a live member of the KUBE given with it.
    """
    topic, trainer = (topic or "").strip(), (trainer or "").strip()
    if not topic or not trainer:
        raise ActivityError(_("Topik dan pelatih wajib diisi."))
    _require_past_or_today(date, _("pelatihan"))
    if not 1 <= int(days) <= MAX_TRAINING_DAYS:
        raise ActivityError(_("Lama pelatihan harus 1 sampai %(max)d hari.") % {"max": MAX_TRAINING_DAYS})
    actor = _actor_or_none(actor)
    if actor is not None and not code_in_scope(actor, region.code):
        raise ActivityError(_("Wilayah %(code)s di luar wilayah Anda.") % {"code": region.code})
    pairs: dict[int, Kube] = {}
    for kube, family in participants:
        pairs.setdefault(family.pk, kube)
    if not pairs:
        raise ActivityError(_("Pilih setidaknya satu KUBE peserta."))
    kubes = {kube.pk: kube for kube in pairs.values()}
    for kube in kubes.values():
        if not (kube.region_id == region.code or kube.region_id.startswith(region.code + ".")):
            raise ActivityError(
                _("%(kube)s tidak berada di wilayah pelatihan %(code)s.") % {"kube": kube.name, "code": region.code}
            )
        _require_live(kube)
    live = set(
        Membership.objects.filter(kube_id__in=kubes, live=True, family_id__in=pairs).values_list("kube_id", "family_id")
    )
    strangers = [family_id for family_id, kube in pairs.items() if (kube.pk, family_id) not in live]
    if strangers:
        raise ActivityError(_("%(n)d peserta bukan anggota aktif KUBE yang disebut.") % {"n": len(strangers)})

    with transaction.atomic():
        training = Training.objects.create(
            topic=topic[:200],
            trainer=trainer[:150],
            date=date,
            days=int(days),
            region=region,
            notes=(notes or "").strip(),
            recorded_by=actor,
        )
        TrainingParticipant.objects.bulk_create(
            [TrainingParticipant(training=training, kube=kube, family_id=fid) for fid, kube in pairs.items()]
        )
        audit_record(
            actor=actor,
            action="training.record",
            object_type="training",
            object_id=str(training.pk),
            changes={
                "topic": training.topic,
                "date": date.isoformat(),
                "days": training.days,
                "region": region.code,
                "kubes": sorted(kubes),
                "participants": len(pairs),
            },
        )
    return training
