"""The KUBE lifecycle: every guarded transition refuses with a clear message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from berdaya.core.models import AuditEvent, Region
from berdaya.kube import services
from berdaya.kube.models import Kube, KubeState, Membership
from berdaya.kube.services import KubeError
from tests.factories import make_families, make_family, make_kube

pytestmark = pytest.mark.django_db
D = dt.date(2025, 3, 1)


@pytest.mark.parametrize("state", KubeState.values)
def test_the_factory_walks_the_real_lifecycle_to_every_state(regions, state):
    kube = make_kube(state=state)
    assert kube.state == state
    assert kube.events.filter(action="create").count() == 1


def test_every_transition_is_an_event_with_actor_time_and_reason(regions, officer):
    kube = make_kube(state=KubeState.ACTIVE, actor=officer)
    services.kube_dissolve(actor=officer, kube=kube, on=D, reason="usaha berhenti, anggota pindah")
    transitions = list(kube.events.exclude(from_state="").values_list("from_state", "to_state"))
    assert transitions == [
        ("proposed", "verified"), ("verified", "established"), ("established", "funded"),
        ("funded", "active"), ("active", "dissolved"),
    ]  # fmt: skip
    last = kube.events.order_by("-id").first()
    assert last.actor == officer and last.reason == "usaha berhenti, anggota pindah" and last.at is not None
    assert AuditEvent.objects.filter(action="kube.dissolve", object_id=str(kube.pk)).exists()


def test_verification_needs_three_officers(regions):
    kube = make_kube(state=KubeState.PROPOSED)
    with pytest.raises(KubeError, match="pengurus .* belum lengkap .*Ketua, Sekretaris, Bendahara"):
        services.kube_verify(actor=None, kube=kube, musyawarah_on=D, bank_name="Bank Kalbar", bank_account="1")
    kube.refresh_from_db()
    assert kube.state == KubeState.PROPOSED


def test_verification_needs_a_size_within_the_rule_set(regions):
    kube = make_kube(state=KubeState.PROPOSED, size=4)
    with pytest.raises(KubeError, match="beranggota 4 KK.*5–20 KK"):
        services.kube_verify(actor=None, kube=kube, musyawarah_on=D, bank_name="Bank Kalbar", bank_account="1")


def test_verification_needs_the_groups_own_bank_account(regions):
    kube = make_kube(state=KubeState.PROPOSED)
    heads = [m.family.members.first() for m in kube.memberships.all()[:3]]
    services.officers_set(actor=None, kube=kube, chair=heads[0], secretary=heads[1], treasurer=heads[2])
    with pytest.raises(KubeError, match="rekening bank"):
        services.kube_verify(actor=None, kube=kube, musyawarah_on=D, bank_name="", bank_account="")


def test_no_decree_without_three_officers(regions):
    kube = make_kube(state=KubeState.VERIFIED)
    kube.officers.filter(role="bendahara").delete()
    with pytest.raises(KubeError, match="belum ada Bendahara"):
        services.kube_establish(actor=None, kube=kube, decree_number="SK/1", decree_date=D)
    kube.refresh_from_db()
    assert kube.state == KubeState.VERIFIED and kube.decree_number == ""


def test_no_decree_when_members_left_below_the_minimum(regions, permensos):
    kube = make_kube(state=KubeState.VERIFIED, size=5)
    family = kube.memberships.filter(live=True).order_by("-id").first().family
    services.member_remove(actor=None, kube=kube, family=family, left_on=D, reason="pindah domisili")
    with pytest.raises(KubeError, match="beranggota 4 KK"):
        services.kube_establish(actor=None, kube=kube, decree_number="SK/2", decree_date=D, ruleset=permensos)


def test_a_decree_number_is_used_once(regions):
    first = make_kube(state=KubeState.ESTABLISHED)
    second = make_kube(state=KubeState.VERIFIED)
    with pytest.raises(KubeError, match="sudah dipakai"):
        services.kube_establish(actor=None, kube=second, decree_number=first.decree_number, decree_date=D)


@pytest.mark.parametrize("state", [KubeState.PROPOSED, KubeState.VERIFIED])
def test_no_aid_before_the_decree(regions, state):
    kube = make_kube(state=state)
    with pytest.raises(KubeError, match="Pencatatan bantuan UEP hanya bisa dari status"):
        services.aid_record(actor=None, kube=kube, amount=20_000_000, paid_on=D, reference="UEP-X")
    assert not kube.aid.exists()


def test_aid_dated_before_the_decree_is_refused(regions):
    kube = make_kube(state=KubeState.ESTABLISHED)
    with pytest.raises(KubeError, match="sebelum tanggal SK"):
        services.aid_record(
            actor=None,
            kube=kube,
            amount=1_000_000,
            paid_on=kube.decree_date - dt.timedelta(days=1),
            reference="UEP-EARLY",
        )


def test_the_first_aid_payment_makes_the_group_funded_and_later_ones_add_up(regions):
    kube = make_kube(state=KubeState.ESTABLISHED)
    services.aid_record(actor=None, kube=kube, amount=15_000_000, paid_on=kube.decree_date, reference="UEP-A")
    kube.refresh_from_db()
    assert kube.state == KubeState.FUNDED
    services.aid_record(actor=None, kube=kube, amount=5_000_000, paid_on=kube.decree_date, reference="UEP-B")
    assert sum(kube.aid.values_list("amount", flat=True)) == 20_000_000


def test_officers_must_be_three_people_from_member_families(regions):
    kube = make_kube(state=KubeState.PROPOSED)
    heads = [m.family.members.first() for m in kube.memberships.all()[:2]]
    with pytest.raises(KubeError, match="tiga orang yang berbeda"):
        services.officers_set(actor=None, kube=kube, chair=heads[0], secretary=heads[0], treasurer=heads[1])
    outsider = make_family().members.first()
    with pytest.raises(KubeError, match="keluarga anggota"):
        services.officers_set(actor=None, kube=kube, chair=heads[0], secretary=heads[1], treasurer=outsider)
    assert not kube.officers.exists()


def test_a_family_joins_one_live_kube_only(regions):
    kube = make_kube()
    family = kube.memberships.first().family
    with pytest.raises(KubeError, match="sudah menjadi anggota"):
        make_kube(families=[family, *make_families(5)])
    assert Kube.objects.count() == 1


def test_the_one_live_kube_rule_holds_in_the_database_not_only_in_python(regions):
    first, second = make_kube(), make_kube()
    family = first.memberships.first().family
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(kube=second, family=family, live=True)


def test_dissolving_releases_the_families_and_keeps_them_as_history(regions):
    kube = make_kube(state=KubeState.FUNDED)
    families = [m.family for m in kube.memberships.all()]
    services.kube_dissolve(actor=None, kube=kube, on=D, reason="konflik internal")
    assert not kube.memberships.filter(live=True).exists()
    assert kube.memberships.filter(left_on=D).count() == len(families)
    again = make_kube(families=families[:6])
    assert again.memberships.filter(live=True).count() == 6


def test_dissolving_needs_a_reason_and_a_live_group(regions):
    kube = make_kube()
    with pytest.raises(KubeError, match="Alasan pembubaran"):
        services.kube_dissolve(actor=None, kube=kube, on=D, reason=" ")
    services.kube_dissolve(actor=None, kube=kube, on=D, reason="tidak jadi")
    with pytest.raises(KubeError, match="hanya bisa dari status"):
        services.kube_dissolve(actor=None, kube=kube, on=D, reason="lagi")


def test_members_of_a_kube_live_in_its_village(regions):
    elsewhere = make_family(region="61.71.04.1002")
    with pytest.raises(KubeError, match="satu desa/kelurahan"):
        make_kube(families=[*make_families(5), elsewhere])
    with pytest.raises(KubeError, match="bukan desa/kelurahan"):
        services.kube_create(
            actor=None, name="KUBE X", region=Region.objects.get(code="61.71.04"), families=make_families(5)
        )


def test_adding_a_member_stops_at_the_rule_sets_maximum(regions, permensos):
    kube = make_kube(size=20)
    with pytest.raises(KubeError, match="batas aturan"):
        services.member_add(actor=None, kube=kube, family=make_family(), ruleset=permensos)


def test_a_member_who_leaves_gives_up_their_officer_role(regions):
    kube = make_kube(state=KubeState.VERIFIED)
    chair = kube.officers.get(role="ketua")
    services.member_remove(actor=None, kube=kube, family=chair.person.family, left_on=D, reason="meninggal dunia")
    assert not kube.officers.filter(role="ketua").exists()


def test_a_business_plan_is_versioned_and_checks_its_lines(regions):
    kube = make_kube(state=KubeState.VERIFIED)
    lines = [
        {"kind": "investment", "description": "Bibit jagung manis", "quantity": 20, "unit": "kg", "unit_price": 120_000}
    ]
    first = services.plan_record(actor=None, kube=kube, title="RUB 2025", lines=lines)
    second = services.plan_record(actor=None, kube=kube, title="RUB 2025 revisi", lines=lines * 2)
    assert (first.version, second.version) == (1, 2)
    assert second.total == 2 * 20 * 120_000
    with pytest.raises(KubeError, match="Baris 1: jenis"):
        services.plan_record(actor=None, kube=kube, title="x", lines=[{"kind": "gift", "unit_price": 1}])


def test_dissolving_ends_the_pendamping_assignment_so_it_leaves_the_caseload(regions, officer):
    from tests.factories import assign, make_facilitator

    kube = make_kube(state=KubeState.ACTIVE)
    assignment = assign(kube, make_facilitator())
    services.kube_dissolve(actor=officer, kube=kube, on=D, reason="usaha berhenti")
    assignment.refresh_from_db()
    assert assignment.end == D


def test_an_officer_cannot_create_a_kube_outside_their_city(regions, stranger):
    with pytest.raises(KubeError, match="di luar wilayah kerja"):
        make_kube(actor=stranger)
    assert not Kube.objects.exists()
