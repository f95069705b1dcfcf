"""Pendamping and their assignments to KUBEs (spec §6): create and edit pendamping, propose assignments
with the engine, accept them, override by hand, end them.

Every write is atomic, writes an audit row in the same transaction, and refuses with AssignmentError
(an Indonesian message for the user) while changing nothing. A pendamping's *load* is the number of live
KUBEs (LIVE_STATES) they currently keep: a graduated or dissolved KUBE no longer takes their time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from berdaya.core.models import Region, Role, User
from berdaya.core.scoping import code_in_scope, region_q
from berdaya.core.services import audit_record
from berdaya.engine.assignment import (
    AssignmentOptions,
    AssignmentResult,
    FacilitatorSite,
    KubeSite,
    ProposedPair,
    UnassignedKube,
    propose_assignments,
)
from berdaya.kube.models import LIVE_STATES, Kube
from berdaya.kube.selectors import kubes_for_user
from berdaya.mentoring.models import Assignment, Facilitator

_LIVE_CURRENT = Q(assignments__end__isnull=True, assignments__kube__state__in=LIVE_STATES)


class AssignmentError(Exception):
    """A refused pendamping or assignment write; `str(error)` is the message for the user (translated)."""


def default_cap() -> int:
    return int(settings.BERDAYA.get("FACILITATOR_CAP", 10))


def kecamatan_of(code: str) -> str:
    """The kecamatan part of a dotted region code (`61.71.04.1001` → `61.71.04`)."""
    return ".".join(code.split(".")[:3])


def facilitators_for_user(user: User) -> QuerySet[Facilitator]:
    """Pendamping whose home kecamatan lies in the user's region, each with `load` (live KUBEs kept now)."""
    return (
        Facilitator.objects.filter(region_q(user, "home_region"))
        .select_related("home_region", "user")
        .annotate(load=Count("assignments", filter=_LIVE_CURRENT))
    )


def facilitator_load(facilitator: Facilitator) -> int:
    """Live KUBEs the pendamping keeps now."""
    return Assignment.objects.filter(facilitator=facilitator, end__isnull=True, kube__state__in=LIVE_STATES).count()


def _reason_messages() -> dict[str, str]:
    # The engine's reasons are plain Indonesian; the page shows these translatable versions.
    return {
        "NO_FACILITATOR_IN_KABKOTA": _("Tidak ada pendamping aktif di kabupaten/kota KUBE ini."),
        "NO_FACILITATOR": _("Tidak ada pendamping aktif sama sekali."),
        "ALL_AT_CAP": _("Semua pendamping yang dapat menjangkau KUBE ini sudah mencapai batas dampingan."),
    }


# -- pendamping ---------------------------------------------------------------------------------


def _check_actor_region(actor: User | None, code: str) -> None:
    if actor is not None and not code_in_scope(actor, code):
        raise AssignmentError(_("Wilayah %(code)s di luar wilayah kerja Anda.") % {"code": code})


def _check_home(actor: User | None, home_region: Region) -> None:
    if home_region.level != Region.Level.KECAMATAN:
        raise AssignmentError(_("Wilayah asal pendamping harus sebuah kecamatan."))
    _check_actor_region(actor, home_region.code)


def _check_coordinates(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise AssignmentError(_("Isi lintang dan bujur bersama-sama, atau kosongkan keduanya."))
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AssignmentError(_("Koordinat di luar jangkauan."))


def _check_user(user: User | None, facilitator: Facilitator | None = None) -> None:
    if user is None:
        return
    if user.role != Role.FACILITATOR:
        raise AssignmentError(_("Akun %(username)s bukan akun pendamping.") % {"username": user.username})
    linked = Facilitator.objects.filter(user=user)
    if facilitator is not None:
        linked = linked.exclude(pk=facilitator.pk)
    if linked.exists():
        raise AssignmentError(
            _("Akun %(username)s sudah terhubung dengan pendamping lain.") % {"username": user.username}
        )


@transaction.atomic
def facilitator_create(
    *,
    actor: User | None,
    name: str,
    home_region: Region,
    cap: int | None = None,
    user: User | None = None,
    phone: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> Facilitator:
    """Register a pendamping with a home kecamatan and a caseload cap.

    `cap` defaults to settings.BERDAYA["FACILITATOR_CAP"]; `user` is their own login (role pendamping),
    at most one pendamping per login. Raises AssignmentError for a blank name, a home that is not a
    kecamatan or lies outside the actor's region, a cap below 1, half a coordinate, or a login that is
    not a pendamping's or is already linked.
    """
    name = (name or "").strip()
    if not name:
        raise AssignmentError(_("Nama pendamping wajib diisi."))
    cap = default_cap() if cap is None else int(cap)
    if cap < 1:
        raise AssignmentError(_("Batas jumlah dampingan minimal 1 KUBE."))
    _check_home(actor, home_region)
    _check_coordinates(lat, lon)
    _check_user(user)
    facilitator = Facilitator.objects.create(
        name=name, home_region=home_region, cap=cap, user=user, phone=(phone or "").strip(), lat=lat, lon=lon
    )
    audit_record(
        actor=actor,
        action="facilitator.create",
        object_type="facilitator",
        object_id=str(facilitator.pk),
        changes={"name": name, "home_region": home_region.code, "cap": cap, "user": user.username if user else None},
    )
    return facilitator


_UPDATABLE = {"name", "home_region", "cap", "user", "phone", "lat", "lon", "active"}


@transaction.atomic
def facilitator_update(*, actor: User | None, facilitator: Facilitator, data: dict) -> Facilitator:
    """Change a pendamping's fields (`data` holds any of name, home_region, cap, user, phone, lat, lon, active).

    Refuses (AssignmentError) what facilitator_create refuses, a cap below the live KUBEs they keep now,
    and deactivating a pendamping who still keeps KUBEs (end or move those assignments first). Returns the
    saved pendamping; an audit row records old and new values of what changed.
    """
    unknown = set(data) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    locked = Facilitator.objects.select_for_update().get(pk=facilitator.pk)
    new = {key: data.get(key, getattr(locked, key)) for key in _UPDATABLE}
    new["name"] = (new["name"] or "").strip()
    if not new["name"]:
        raise AssignmentError(_("Nama pendamping wajib diisi."))
    if "home_region" in data:
        _check_home(actor, new["home_region"])
    _check_coordinates(new["lat"], new["lon"])
    if "user" in data:
        _check_user(new["user"], locked)
    load = facilitator_load(locked)
    new["cap"] = int(new["cap"])
    if new["cap"] < 1:
        raise AssignmentError(_("Batas jumlah dampingan minimal 1 KUBE."))
    if new["cap"] < load and new["cap"] != locked.cap:
        raise AssignmentError(
            _("Batas tidak boleh di bawah jumlah KUBE yang sedang didampingi (%(load)s).") % {"load": load}
        )
    if not new["active"] and locked.active and load:
        raise AssignmentError(
            _("%(name)s masih mendampingi %(load)s KUBE; akhiri atau alihkan penugasannya dulu.")
            % {"name": locked.name, "load": load}
        )
    changes = {}
    for key, value in new.items():
        old = getattr(locked, key)
        if old != value:
            changes[key] = [_plain(old), _plain(value)]
            setattr(locked, key, value)
    if changes:
        locked.save()
        audit_record(
            actor=actor,
            action="facilitator.update",
            object_type="facilitator",
            object_id=str(locked.pk),
            changes=changes,
        )
    return locked


def _plain(value):
    """A JSON-friendly form of a field value for the audit row."""
    if isinstance(value, Region):
        return value.code
    if isinstance(value, User):
        return value.username
    return value


# -- proposal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    kube: Kube
    facilitator: Facilitator
    distance_m: float | None
    same_kecamatan: bool

    @property
    def distance_km(self) -> float | None:
        return None if self.distance_m is None else self.distance_m / 1000

    @property
    def value(self) -> str:
        """How the page posts the pair back: `kube_id:facilitator_id`."""
        return f"{self.kube.pk}:{self.facilitator.pk}"


@dataclass(frozen=True)
class UnassignedRow:
    kube: Kube
    reason_code: str
    reason: str


@dataclass
class Proposal:
    """The engine's result with the rows it talks about, ready for a page."""

    result: AssignmentResult
    rows: list[ProposalRow] = field(default_factory=list)
    unassigned: list[UnassignedRow] = field(default_factory=list)
    kecamatan_without_facilitator: list[Region] = field(default_factory=list)
    facilitators: list[Facilitator] = field(default_factory=list)


def assignment_propose(
    *, user: User, region_code: str | None = None, options: AssignmentOptions | None = None
) -> Proposal:
    """Propose pendamping for the live KUBEs in the user's scope that have none now. Saves nothing.

    `region_code` narrows the KUBEs to a kab/kota, kecamatan or kelurahan (pendamping from the whole
    scope stay candidates). Candidates are the active pendamping whose home lies in the user's region,
    with their current loads. The result also lists every kecamatan in scope (or under `region_code`)
    that has live KUBEs but no active pendamping living there, whether or not its KUBEs have one.
    """
    live = kubes_for_user(user).filter(state__in=LIVE_STATES)
    if region_code:
        live = live.filter(Q(region_id=region_code) | Q(region__code__startswith=region_code + "."))
    # A subquery, not exclude(assignments__end__isnull=True): that would also drop KUBEs never assigned,
    # whose outer join yields a NULL end.
    kept = Assignment.objects.filter(end__isnull=True).values("kube_id")
    waiting = list(live.exclude(pk__in=kept).select_related("region").order_by("region_id", "name", "pk"))
    facilitators = list(facilitators_for_user(user).filter(active=True).order_by("home_region_id", "name", "pk"))
    result = propose_assignments(
        [KubeSite(id=k.pk, kecamatan=kecamatan_of(k.region_id), lat=k.lat, lon=k.lon) for k in waiting],
        [
            FacilitatorSite(id=f.pk, kecamatan=f.home_region_id, cap=f.cap, load=f.load, lat=f.lat, lon=f.lon)
            for f in facilitators
        ],
        options,
    )
    kubes = {k.pk: k for k in waiting}
    by_id = {f.pk: f for f in facilitators}
    reasons = _reason_messages()
    homes = {f.home_region_id for f in facilitators}
    uncovered = sorted({kecamatan_of(code) for code in live.values_list("region_id", flat=True)} - homes)
    return Proposal(
        result=result,
        rows=sorted(
            (_row(pair, kubes, by_id) for pair in result.pairs),
            key=lambda r: (r.kube.region_id, r.kube.name, r.kube.pk),
        ),
        unassigned=[_unassigned_row(u, kubes, reasons) for u in result.unassigned],
        kecamatan_without_facilitator=list(Region.objects.filter(code__in=uncovered).order_by("code")),
        facilitators=facilitators,
    )


def _row(pair: ProposedPair, kubes: dict[int, Kube], facilitators: dict[int, Facilitator]) -> ProposalRow:
    return ProposalRow(
        kube=kubes[pair.kube_id],
        facilitator=facilitators[pair.facilitator_id],
        distance_m=pair.distance_m,
        same_kecamatan=pair.same_kecamatan,
    )


def _unassigned_row(item: UnassignedKube, kubes: dict[int, Kube], reasons: dict[str, str]) -> UnassignedRow:
    return UnassignedRow(kube=kubes[item.kube_id], reason_code=item.reason_code, reason=reasons[item.reason_code])


# -- assignments --------------------------------------------------------------------------------


def _check_pair(actor: User | None, kube: Kube, facilitator: Facilitator) -> None:
    if kube.state not in LIVE_STATES:
        raise AssignmentError(
            _("%(kube)s berstatus %(state)s; hanya KUBE yang masih berjalan yang didampingi.")
            % {"kube": kube.name, "state": kube.get_state_display()}
        )
    if not facilitator.active:
        raise AssignmentError(_("%(name)s tidak aktif lagi sebagai pendamping.") % {"name": facilitator.name})
    _check_actor_region(actor, kube.region_id)
    _check_actor_region(actor, facilitator.home_region_id)


def _current(kube: Kube) -> Assignment | None:
    return Assignment.objects.select_for_update().filter(kube=kube, end__isnull=True).first()


@transaction.atomic
def assignment_accept(*, actor: User | None, pairs: Iterable[tuple[int, int]], start: dt.date) -> list[Assignment]:
    """Save accepted proposal pairs `(kube id, facilitator id)` as assignments from `start` (source "proposed").

    All or nothing. Caps are re-checked with the pendamping rows locked, so two officers accepting at
    once cannot push anyone past their cap. Raises AssignmentError when a pair repeats a KUBE, names a
    KUBE or pendamping that does not exist or lies outside the actor's region, a KUBE that is not live
    or already has a pendamping, an inactive pendamping, or when a pendamping would go over cap.
    """
    wanted = [(int(k), int(f)) for k, f in pairs]
    if not wanted:
        raise AssignmentError(_("Pilih setidaknya satu usulan penugasan."))
    kube_ids = [k for k, _f in wanted]
    facilitator_ids = {f for _k, f in wanted}
    if len(set(kube_ids)) != len(kube_ids):
        raise AssignmentError(_("Satu KUBE hanya boleh mendapat satu pendamping."))
    # Lock in a fixed order (by id) so concurrent accepts cannot deadlock; loads are counted after the lock.
    facilitators = {
        f.pk: f for f in Facilitator.objects.select_for_update().filter(pk__in=facilitator_ids).order_by("pk")
    }
    kubes = {k.pk: k for k in Kube.objects.select_for_update().filter(pk__in=kube_ids).order_by("pk")}
    if len(kubes) != len(kube_ids) or len(facilitators) != len(facilitator_ids):
        raise AssignmentError(_("Usulan memuat KUBE atau pendamping yang tidak ditemukan."))
    loads = dict(
        Assignment.objects.filter(facilitator_id__in=facilitator_ids, end__isnull=True, kube__state__in=LIVE_STATES)
        .values("facilitator_id")
        .annotate(n=Count("id"))
        .values_list("facilitator_id", "n")
    )
    taken = set(Assignment.objects.filter(kube_id__in=kube_ids, end__isnull=True).values_list("kube_id", flat=True))
    created = []
    for kube_id, facilitator_id in wanted:
        kube, facilitator = kubes[kube_id], facilitators[facilitator_id]
        _check_pair(actor, kube, facilitator)
        if kube_id in taken:
            raise AssignmentError(_("%(kube)s sudah memiliki pendamping.") % {"kube": kube.name})
        loads[facilitator_id] = loads.get(facilitator_id, 0) + 1
        if loads[facilitator_id] > facilitator.cap:
            raise AssignmentError(
                _("%(name)s akan mendampingi %(load)s KUBE, melebihi batas %(cap)s.")
                % {"name": facilitator.name, "load": loads[facilitator_id], "cap": facilitator.cap}
            )
        assignment = Assignment.objects.create(
            kube=kube, facilitator=facilitator, start=start, source="proposed", assigned_by=_actor(actor)
        )
        audit_record(
            actor=actor,
            action="assignment.accept",
            object_type="assignment",
            object_id=str(assignment.pk),
            changes={"kube": kube.pk, "facilitator": facilitator.pk, "start": start.isoformat()},
        )
        created.append(assignment)
    return created


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


@transaction.atomic
def assignment_set(
    *, actor: User | None, kube: Kube, facilitator: Facilitator, start: dt.date, reason: str = ""
) -> Assignment:
    """Assign a pendamping by hand (source "override"), replacing the KUBE's current one if any.

    The current assignment ends the day before `start` (or on `start` when it began that very day). Going
    over the pendamping's cap is allowed only with a reason; the audit row then says `over_cap`, and the
    pendamping list and alerts show them over cap. Raises AssignmentError for a KUBE that is not live,
    an inactive pendamping, either outside the actor's region, the same pendamping as now, a start before
    the current assignment began, or over cap without a reason.
    """
    reason = (reason or "").strip()
    kube = Kube.objects.select_for_update().get(pk=kube.pk)
    facilitator = Facilitator.objects.select_for_update().get(pk=facilitator.pk)
    _check_pair(actor, kube, facilitator)
    current = _current(kube)
    if current is not None and current.facilitator_id == facilitator.pk:
        raise AssignmentError(
            _("%(kube)s sudah didampingi oleh %(name)s.") % {"kube": kube.name, "name": facilitator.name}
        )
    if current is not None and start < current.start:
        raise AssignmentError(
            _("Tanggal mulai tidak boleh sebelum awal penugasan sekarang (%(date)s).")
            % {"date": current.start.isoformat()}
        )
    load = facilitator_load(facilitator) + 1
    over_cap = load > facilitator.cap
    if over_cap and not reason:
        raise AssignmentError(
            _("%(name)s akan mendampingi %(load)s KUBE, melebihi batas %(cap)s; isi alasannya untuk tetap menugaskan.")
            % {"name": facilitator.name, "load": load, "cap": facilitator.cap}
        )
    previous = None
    if current is not None:
        previous = current.facilitator_id
        current.end = max(start - dt.timedelta(days=1), current.start)
        current.save(update_fields=["end"])
    assignment = Assignment.objects.create(
        kube=kube, facilitator=facilitator, start=start, source="override", assigned_by=_actor(actor)
    )
    audit_record(
        actor=actor,
        action="assignment.override",
        object_type="assignment",
        object_id=str(assignment.pk),
        changes={
            "kube": kube.pk,
            "facilitator": facilitator.pk,
            "previous_facilitator": previous,
            "start": start.isoformat(),
            "load": load,
            "cap": facilitator.cap,
            "over_cap": over_cap,
        },
        note=reason,
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor: User | None, kube: Kube, end: dt.date, reason: str) -> Assignment:
    """End the KUBE's current assignment on `end` (the last day the pendamping keeps it).

    Raises AssignmentError when the KUBE has no current pendamping, lies outside the actor's region, the
    reason is blank, or `end` is before the assignment's start.
    """
    reason = (reason or "").strip()
    kube = Kube.objects.select_for_update().get(pk=kube.pk)
    _check_actor_region(actor, kube.region_id)
    if not reason:
        raise AssignmentError(_("Alasan mengakhiri penugasan wajib diisi."))
    current = _current(kube)
    if current is None:
        raise AssignmentError(_("%(kube)s tidak sedang didampingi.") % {"kube": kube.name})
    if end < current.start:
        raise AssignmentError(
            _("Tanggal berakhir tidak boleh sebelum awal penugasan (%(date)s).") % {"date": current.start.isoformat()}
        )
    current.end = end
    current.save(update_fields=["end"])
    audit_record(
        actor=actor,
        action="assignment.end",
        object_type="assignment",
        object_id=str(current.pk),
        changes={"kube": kube.pk, "facilitator": current.facilitator_id, "end": end.isoformat()},
        note=reason,
    )
    return current


def current_assignments(kubes: Sequence[Kube] | QuerySet[Kube]) -> dict[int, Assignment]:
    """The current assignment of each of these KUBEs, by KUBE id (for pages listing KUBEs)."""
    rows = Assignment.objects.filter(kube__in=kubes, end__isnull=True).select_related("facilitator")
    return {a.kube_id: a for a in rows}
