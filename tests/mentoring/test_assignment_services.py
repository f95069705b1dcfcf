"""Pendamping and assignment services: proposals from the engine, accept within caps, overrides, ends."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.core.models import AuditEvent, Region
from berdaya.kube.models import KubeState
from berdaya.mentoring.models import Assignment, Facilitator
from berdaya.mentoring.services.assignment import (
    AssignmentError,
    assignment_accept,
    assignment_end,
    assignment_propose,
    assignment_set,
    facilitator_create,
    facilitator_update,
)
from tests.factories import assign, make_facilitator, make_kube

UTARA = "61.71.04"  # Pontianak Utara
SIANTAN_HULU = "61.71.04.1001"
START = dt.date(2025, 3, 1)

pytestmark = pytest.mark.django_db


def kecamatan_in(code_prefix: str) -> str:
    """A real kecamatan of Kota Pontianak other than the case's (from the loaded region list)."""
    return (
        Region.objects.filter(level="kecamatan", code__startswith=code_prefix + ".")
        .exclude(code=UTARA)
        .order_by("code")[0]
        .code
    )


def village_of(kecamatan: str) -> str:
    return Region.objects.filter(level="desa", code__startswith=kecamatan + ".").order_by("code")[0].code


# -- pendamping ---------------------------------------------------------------------------------


def test_it_creates_a_pendamping_with_the_default_cap_and_an_audit_row(officer, settings):
    settings.BERDAYA = {**settings.BERDAYA, "FACILITATOR_CAP": 7}
    facilitator = facilitator_create(
        actor=officer, name=" Rina ", home_region=Region.objects.get(code=UTARA), phone="0812", lat=-0.01, lon=109.33
    )

    assert (facilitator.name, facilitator.cap, facilitator.home_region_id) == ("Rina", 7, UTARA)
    audit = AuditEvent.objects.get(action="facilitator.create")
    assert audit.actor == officer and audit.object_id == str(facilitator.pk)


def test_it_refuses_a_home_that_is_not_a_kecamatan(officer):
    with pytest.raises(AssignmentError, match="kecamatan"):
        facilitator_create(actor=officer, name="Rina", home_region=Region.objects.get(code=SIANTAN_HULU))
    assert not Facilitator.objects.exists()


def test_it_refuses_a_home_outside_the_officers_region(stranger):
    with pytest.raises(AssignmentError, match="di luar wilayah"):
        facilitator_create(actor=stranger, name="Rina", home_region=Region.objects.get(code=UTARA))


def test_it_links_only_a_pendamping_account_and_only_once(officer, make_user):
    account = make_user("rina", "facilitator", "61.71")
    home = Region.objects.get(code=UTARA)
    facilitator_create(actor=officer, name="Rina", home_region=home, user=account)

    with pytest.raises(AssignmentError, match="sudah terhubung"):
        facilitator_create(actor=officer, name="Rina lagi", home_region=home, user=account)
    with pytest.raises(AssignmentError, match="bukan akun pendamping"):
        facilitator_create(actor=officer, name="Budi", home_region=home, user=officer)


def test_it_refuses_half_a_coordinate(officer):
    with pytest.raises(AssignmentError, match="bersama-sama"):
        facilitator_create(actor=officer, name="Rina", home_region=Region.objects.get(code=UTARA), lat=-0.01)


def test_it_updates_a_pendamping_and_records_old_and_new_values(officer):
    facilitator = make_facilitator(name="Rina", cap=10)

    facilitator_update(actor=officer, facilitator=facilitator, data={"cap": 12, "phone": "0813"})

    facilitator.refresh_from_db()
    assert (facilitator.cap, facilitator.phone) == (12, "0813")
    assert AuditEvent.objects.get(action="facilitator.update").changes == {"cap": [10, 12], "phone": ["", "0813"]}


def test_it_refuses_to_lower_a_cap_below_the_current_caseload(officer):
    facilitator = make_facilitator(cap=3)
    for _ in range(2):
        assign(make_kube(size=5), facilitator)

    with pytest.raises(AssignmentError, match="di bawah"):
        facilitator_update(actor=officer, facilitator=facilitator, data={"cap": 1})
    facilitator_update(actor=officer, facilitator=facilitator, data={"cap": 2})
    facilitator.refresh_from_db()
    assert facilitator.cap == 2


def test_it_refuses_to_deactivate_a_pendamping_who_still_keeps_kubes(officer):
    facilitator = make_facilitator()
    kube = make_kube(size=5)
    assign(kube, facilitator)

    with pytest.raises(AssignmentError, match="masih mendampingi"):
        facilitator_update(actor=officer, facilitator=facilitator, data={"active": False})
    assignment_end(actor=officer, kube=kube, end=START, reason="pindah tugas")
    facilitator_update(actor=officer, facilitator=facilitator, data={"active": False})
    facilitator.refresh_from_db()
    assert facilitator.active is False


# -- proposal -----------------------------------------------------------------------------------


def test_it_proposes_only_live_kubes_without_a_pendamping_and_counts_current_loads(officer):
    keeper = make_facilitator(name="Rina", cap=2)
    kept = make_kube(size=5)
    assign(kept, keeper)
    waiting = [make_kube(size=5), make_kube(size=5)]
    dissolved = make_kube(size=5, state=KubeState.DISSOLVED)

    proposal = assignment_propose(user=officer)

    assert [(r.kube, r.facilitator) for r in proposal.rows] == [(waiting[0], keeper)]
    assert [(u.kube, u.reason_code) for u in proposal.unassigned] == [(waiting[1], "ALL_AT_CAP")]
    assert "batas" in proposal.unassigned[0].reason
    proposed = {r.kube.pk for r in proposal.rows} | {u.kube.pk for u in proposal.unassigned}
    assert kept.pk not in proposed and dissolved.pk not in proposed
    assert Assignment.objects.count() == 1  # nothing saved


def test_it_does_not_count_a_dissolved_kube_in_the_caseload(officer):
    keeper = make_facilitator(cap=1)
    assign(make_kube(size=5, state=KubeState.DISSOLVED), keeper)
    waiting = make_kube(size=5)

    proposal = assignment_propose(user=officer)

    assert [(r.kube, r.facilitator) for r in proposal.rows] == [(waiting, keeper)]


def test_it_prefers_the_home_kecamatan_and_lists_kecamatan_without_pendamping(officer):
    other = kecamatan_in("61.71")
    home_one = make_facilitator(name="Utara", home=UTARA, lat=-0.20, lon=109.40)  # far away, same kecamatan
    make_facilitator(name="Lain", home=other)  # right beside the KUBE, other kecamatan
    kube = make_kube(size=5)
    lonely = make_kube(size=5, region=village_of(kecamatan_in_without(other)))

    proposal = assignment_propose(user=officer)

    by_kube = {r.kube: r for r in proposal.rows}
    assert by_kube[kube].facilitator == home_one and by_kube[kube].same_kecamatan
    assert by_kube[lonely].same_kecamatan is False
    assert [r.code for r in proposal.kecamatan_without_facilitator] == [kecamatan_of_kube(lonely)]


def kecamatan_in_without(*taken: str) -> str:
    return (
        Region.objects.filter(level="kecamatan", code__startswith="61.71.")
        .exclude(code__in=[UTARA, *taken])
        .order_by("code")[0]
        .code
    )


def kecamatan_of_kube(kube) -> str:
    return ".".join(kube.region_id.split(".")[:3])


def test_it_proposes_nothing_outside_the_users_region(officer, stranger):
    make_facilitator()
    make_kube(size=5)

    proposal = assignment_propose(user=stranger)

    assert proposal.rows == [] and proposal.unassigned == [] and proposal.facilitators == []


def test_it_reports_a_kube_whose_kabkota_has_no_pendamping(admin_user):
    make_facilitator(home=UTARA)
    singkawang = Region.objects.filter(level="desa", code__startswith="61.72.").order_by("code")[0].code
    far = make_kube(size=5, region=singkawang)

    proposal = assignment_propose(user=admin_user)

    assert [(u.kube, u.reason_code) for u in proposal.unassigned] == [(far, "NO_FACILITATOR_IN_KABKOTA")]


def test_it_narrows_the_proposal_to_a_region_code(officer):
    make_facilitator()
    here = make_kube(size=5)
    elsewhere = make_kube(size=5, region=village_of(kecamatan_in_without()))

    proposal = assignment_propose(user=officer, region_code=UTARA)

    assert [r.kube for r in proposal.rows] == [here]
    assert elsewhere not in [r.kube for r in proposal.rows]


# -- accept -------------------------------------------------------------------------------------


def test_it_accepts_proposed_pairs_as_assignments_with_an_audit_row(officer):
    facilitator = make_facilitator()
    kubes = [make_kube(size=5), make_kube(size=5)]
    proposal = assignment_propose(user=officer)

    created = assignment_accept(
        actor=officer, pairs=[(r.kube.pk, r.facilitator.pk) for r in proposal.rows], start=START
    )

    assert len(created) == 2
    saved = Assignment.objects.filter(end__isnull=True).order_by("kube_id")
    assert [(a.kube, a.facilitator, a.source, a.start, a.assigned_by) for a in saved] == [
        (k, facilitator, "proposed", START, officer) for k in kubes
    ]
    assert AuditEvent.objects.filter(action="assignment.accept").count() == 2


def test_it_never_accepts_past_a_cap_and_saves_nothing_then(officer):
    facilitator = make_facilitator(cap=2)
    assign(make_kube(size=5), facilitator)
    kubes = [make_kube(size=5), make_kube(size=5)]

    with pytest.raises(AssignmentError, match="melebihi batas 2"):
        assignment_accept(actor=officer, pairs=[(k.pk, facilitator.pk) for k in kubes], start=START)
    assert Assignment.objects.count() == 1


def test_it_refuses_a_kube_that_got_a_pendamping_since_the_proposal(officer):
    facilitator = make_facilitator()
    kube = make_kube(size=5)
    proposal = assignment_propose(user=officer)
    assign(kube, make_facilitator())

    with pytest.raises(AssignmentError, match="sudah memiliki pendamping"):
        assignment_accept(actor=officer, pairs=[(proposal.rows[0].kube.pk, facilitator.pk)], start=START)


def test_it_refuses_accepting_pairs_outside_the_actors_region(stranger):
    facilitator = make_facilitator()
    kube = make_kube(size=5)

    with pytest.raises(AssignmentError, match="di luar wilayah"):
        assignment_accept(actor=stranger, pairs=[(kube.pk, facilitator.pk)], start=START)
    assert not Assignment.objects.exists()


def test_it_refuses_the_same_kube_twice_and_unknown_ids(officer):
    kube = make_kube(size=5)
    one, two = make_facilitator(), make_facilitator()

    with pytest.raises(AssignmentError, match="satu pendamping"):
        assignment_accept(actor=officer, pairs=[(kube.pk, one.pk), (kube.pk, two.pk)], start=START)
    with pytest.raises(AssignmentError, match="tidak ditemukan"):
        assignment_accept(actor=officer, pairs=[(kube.pk, 999_999)], start=START)


def test_it_refuses_an_inactive_pendamping(officer):
    facilitator = make_facilitator()
    facilitator_update(actor=officer, facilitator=facilitator, data={"active": False})
    kube = make_kube(size=5)

    with pytest.raises(AssignmentError, match="tidak aktif"):
        assignment_accept(actor=officer, pairs=[(kube.pk, facilitator.pk)], start=START)


# -- override and end ---------------------------------------------------------------------------


def test_it_overrides_by_ending_the_current_assignment_the_day_before(officer):
    old, new = make_facilitator(name="Lama"), make_facilitator(name="Baru")
    kube = make_kube(size=5)
    first = assign(kube, old, start=dt.date(2025, 1, 1))

    assignment = assignment_set(actor=officer, kube=kube, facilitator=new, start=START, reason="dekat rumah")

    first.refresh_from_db()
    assert first.end == START - dt.timedelta(days=1)
    assert (assignment.facilitator, assignment.source, assignment.start, assignment.end) == (
        new,
        "override",
        START,
        None,
    )
    audit = AuditEvent.objects.get(action="assignment.override")
    assert audit.changes["previous_facilitator"] == old.pk and audit.changes["over_cap"] is False
    assert audit.note == "dekat rumah"


def test_it_ends_the_current_assignment_on_the_start_day_when_it_began_that_day(officer):
    old, new = make_facilitator(), make_facilitator()
    kube = make_kube(size=5)
    first = assign(kube, old, start=START)

    assignment_set(actor=officer, kube=kube, facilitator=new, start=START)

    first.refresh_from_db()
    assert first.end == START


def test_it_refuses_an_override_over_cap_without_a_reason(officer):
    facilitator = make_facilitator(cap=1)
    assign(make_kube(size=5), facilitator)
    kube = make_kube(size=5)

    with pytest.raises(AssignmentError, match="isi alasannya"):
        assignment_set(actor=officer, kube=kube, facilitator=facilitator, start=START, reason="  ")
    assert not Assignment.objects.filter(kube=kube).exists()


def test_it_allows_an_override_over_cap_with_a_reason_and_marks_it(officer):
    facilitator = make_facilitator(cap=1)
    assign(make_kube(size=5), facilitator)
    kube = make_kube(size=5)

    assignment_set(actor=officer, kube=kube, facilitator=facilitator, start=START, reason="tidak ada pendamping lain")

    assert Assignment.objects.filter(facilitator=facilitator, end__isnull=True).count() == 2
    audit = AuditEvent.objects.get(action="assignment.override")
    assert audit.changes["over_cap"] is True and audit.changes["load"] == 2 and audit.changes["cap"] == 1


def test_it_refuses_overriding_with_the_same_pendamping_or_an_earlier_start(officer):
    facilitator = make_facilitator()
    kube = make_kube(size=5)
    assign(kube, facilitator, start=START)

    with pytest.raises(AssignmentError, match="sudah didampingi"):
        assignment_set(actor=officer, kube=kube, facilitator=facilitator, start=START)
    with pytest.raises(AssignmentError, match="sebelum awal"):
        assignment_set(actor=officer, kube=kube, facilitator=make_facilitator(), start=START - dt.timedelta(days=1))


def test_it_refuses_an_override_for_a_kube_that_is_no_longer_live(officer):
    kube = make_kube(size=5, state=KubeState.DISSOLVED)

    with pytest.raises(AssignmentError, match="berjalan"):
        assignment_set(actor=officer, kube=kube, facilitator=make_facilitator(), start=START)


def test_it_ends_an_assignment_with_a_reason(officer):
    kube = make_kube(size=5)
    current = assign(kube, make_facilitator(), start=dt.date(2025, 1, 1))

    assignment_end(actor=officer, kube=kube, end=START, reason="pendamping mengundurkan diri")

    current.refresh_from_db()
    assert current.end == START
    assert AuditEvent.objects.get(action="assignment.end").note == "pendamping mengundurkan diri"


def test_it_refuses_to_end_without_a_reason_without_a_pendamping_or_before_the_start(officer):
    kube = make_kube(size=5)
    with pytest.raises(AssignmentError, match="tidak sedang didampingi"):
        assignment_end(actor=officer, kube=kube, end=START, reason="selesai")
    assign(kube, make_facilitator(), start=START)
    with pytest.raises(AssignmentError, match="wajib"):
        assignment_end(actor=officer, kube=kube, end=START, reason="")
    with pytest.raises(AssignmentError, match="sebelum awal"):
        assignment_end(actor=officer, kube=kube, end=START - dt.timedelta(days=1), reason="selesai")
    assert Assignment.objects.get(kube=kube).end is None
