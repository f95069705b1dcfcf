"""Formation in the app: run the optimiser over a kelurahan or kecamatan, edit the proposal, approve it."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from berdaya.core.models import AuditEvent
from berdaya.engine.masking import mask_id
from berdaya.kube.models import FormationRun, Kube, KubeState
from berdaya.kube.services.formation import (
    UNPLACED,
    FormationError,
    formation_approve,
    formation_discard,
    formation_move,
    formation_run,
)
from berdaya.registry.models import Decision, EligibilityDecision, EligibilityRun, Family
from tests.factories import LAT, LON, make_family, make_kube

pytestmark = pytest.mark.django_db

SIANTAN_HULU = "61.71.04.1001"
SIANTAN_TENGAH = "61.71.04.1002"
FORMED = dt.date(2026, 2, 2)


def screened(families, decision: str = Decision.ELIGIBLE):
    """Record a screening decision for each family, as eligibility_screen stores it."""
    run = EligibilityRun.objects.create(
        ruleset_name="permensos-2-2019", ruleset_version=1, ruleset_digest="uji", as_of=dt.date(2026, 1, 1)
    )
    for family in families:
        family.latest_decision = EligibilityDecision.objects.create(
            run=run, family=family, decision=decision, business_type=family.skill_text
        )
        family.save(update_fields=["latest_decision"])
    return families


def village_families(
    count: int,
    *,
    region: str = SIANTAN_HULU,
    seed: int = 1,
    skill: str = "pertanian",
    decision: str = Decision.ELIGIBLE,
):
    """`count` families scattered over about a kilometre around the village centre."""
    rng = random.Random(seed)
    families = [
        make_family(
            region=region, lat=LAT + rng.uniform(-0.005, 0.005), lon=LON + rng.uniform(-0.005, 0.005), skill=skill
        )
        for _ in range(count)
    ]
    return screened(families, decision)


def placed(run: FormationRun) -> list[int]:
    return [i for g in run.groups for i in g["family_ids"]]


def sizes(run: FormationRun) -> dict[str, int]:
    return {g["key"]: len(g["family_ids"]) for g in run.groups}


def test_a_run_places_every_eligible_family_of_the_village_once_within_the_size_bounds(officer):
    families = village_families(40)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU)
    assert run.status == FormationRun.Status.DRAFT and run.created_by == officer
    assert (run.size_min, run.size_max, run.ruleset_name) == (5, 20, "permensos-2-2019")
    everyone = placed(run) + [u["family_id"] for u in run.unplaced]
    assert sorted(everyone) == sorted(f.pk for f in families)
    assert run.groups and all(5 <= n <= 20 for n in sizes(run).values())
    for group in run.groups:
        assert group["kode_wilayah"] == SIANTAN_HULU and group["business_type"] == "pertanian"
        assert group["meeting_family_id"] in group["family_ids"]
        assert len(group["distances"]) == len(group["family_ids"]) and max(group["distances"]) < 2000
    assert run.summary["families"] == 40 and run.summary["groups"] == len(run.groups)
    assert AuditEvent.objects.filter(action="kube.formation.run", object_id=str(run.pk)).exists()


def test_ineligible_families_and_members_of_a_live_kube_are_left_out(officer):
    eligible = village_families(12, seed=2)
    ineligible = village_families(5, seed=3, decision=Decision.INELIGIBLE)
    unsure = village_families(3, seed=4, decision=Decision.NEEDS_VERIFICATION)
    in_kube = village_families(6, seed=5)
    make_kube(families=in_kube)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU)
    everyone = set(placed(run)) | {u["family_id"] for u in run.unplaced}
    assert everyone == {f.pk for f in eligible}
    assert not everyone & {f.pk for f in ineligible + unsure + in_kube}


def test_a_kecamatan_run_keeps_every_group_inside_one_village(officer):
    hulu = village_families(12, seed=6)
    tengah = village_families(12, region=SIANTAN_TENGAH, seed=7)
    run = formation_run(actor=officer, region_code="61.71.04", ruleset="kalbar-2019")
    village_of = {f.pk: f.region_id for f in hulu + tengah}
    assert {g["kode_wilayah"] for g in run.groups} == {SIANTAN_HULU, SIANTAN_TENGAH}
    for group in run.groups:
        assert {village_of[i] for i in group["family_ids"]} == {group["kode_wilayah"]}
        assert 5 <= len(group["family_ids"]) <= 10


def test_a_village_too_small_for_a_group_leaves_its_families_unplaced_with_the_reason(officer):
    village_families(3, seed=8)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU)
    assert run.groups == []
    assert [u["reason_code"] for u in run.unplaced] == ["VILLAGE_TOO_SMALL"] * 3


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("61.72.01.1001", "di luar wilayah Anda"),  # Kota Singkawang
        ("61.71", "kecamatan atau desa/kelurahan"),
        ("99.99.99.9999", "tidak dikenal"),
        ("61.71.04.1003", "Tidak ada keluarga layak"),
    ],
)
def test_a_run_is_refused_outside_scope_at_the_wrong_level_or_without_families(officer, code, message):
    village_families(10, seed=9)
    with pytest.raises(FormationError, match=message):
        formation_run(actor=officer, region_code=code)
    assert not FormationRun.objects.exists()


def test_an_officer_of_another_city_cannot_run_or_edit_a_run_here(officer, stranger):
    village_families(12, seed=10)
    with pytest.raises(FormationError, match="di luar wilayah Anda"):
        formation_run(actor=stranger, region_code=SIANTAN_HULU)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU)
    with pytest.raises(FormationError, match="di luar wilayah Anda"):
        formation_move(actor=stranger, run=run, family_id=run.groups[0]["family_ids"][0], to_key=UNPLACED)
    with pytest.raises(FormationError, match="di luar wilayah Anda"):
        formation_approve(actor=stranger, run=run, formed_on=FORMED)
    assert not Kube.objects.exists()


def test_a_facilitator_may_not_run_formation(make_user):
    village_families(12, seed=11)
    facilitator = make_user("pendamping", "facilitator", "61.71")
    with pytest.raises(FormationError, match="tidak berwenang"):
        formation_run(actor=facilitator, region_code=SIANTAN_HULU)


def kalbar_run(officer, count: int = 16) -> FormationRun:
    """Two groups (kalbar-2019: 5–10 families) from `count` families of one village."""
    village_families(count, seed=12)
    run = formation_run(actor=officer, region_code=SIANTAN_HULU, ruleset="kalbar-2019")
    assert len(run.groups) == 2
    return run


def test_moves_keep_groups_within_the_rule_sets_bounds(officer):
    run = kalbar_run(officer)
    small, large = sorted(run.groups, key=lambda g: len(g["family_ids"]))
    filling = 10 - len(small["family_ids"])
    # Fill the smaller group up to the maximum from the larger one: each step is allowed.
    while len(small["family_ids"]) < 10:
        mover = next(i for i in large["family_ids"] if i != large["meeting_family_id"])
        run = formation_move(actor=officer, run=run, family_id=mover, to_key=small["key"])
        small, large = (next(g for g in run.groups if g["key"] == k) for k in (small["key"], large["key"]))
    assert (len(small["family_ids"]), len(large["family_ids"])) == (10, 6)
    run = formation_move(actor=officer, run=run, family_id=large["family_ids"][-1], to_key=UNPLACED)
    out = run.unplaced[-1]
    assert out["reason_code"] == "MOVED_OUT" and sizes(run)[large["key"]] == 5
    with pytest.raises(FormationError, match="paling banyak 10 KK"):
        formation_move(actor=officer, run=run, family_id=out["family_id"], to_key=small["key"])
    with pytest.raises(FormationError, match="di bawah minimum 5 KK"):
        formation_move(actor=officer, run=run, family_id=large["family_ids"][0], to_key=UNPLACED)
    run.refresh_from_db()
    assert sizes(run) == {small["key"]: 10, large["key"]: 5} and run.summary["unplaced"] == 1
    assert run.summary["moves"] == filling + 1 and run.summary["size_histogram"] == {"5": 1, "10": 1}


def test_a_family_moved_back_from_unplaced_gets_a_distance_and_the_meeting_house_stays_a_member(officer):
    run = kalbar_run(officer, count=14)
    large = max(run.groups, key=lambda g: len(g["family_ids"]))
    meeting = large["meeting_family_id"]
    run = formation_move(actor=officer, run=run, family_id=meeting, to_key=UNPLACED)
    large = next(g for g in run.groups if g["key"] == large["key"])
    assert meeting not in large["family_ids"] and large["meeting_family_id"] in large["family_ids"]
    run = formation_move(actor=officer, run=run, family_id=meeting, to_key=large["key"])
    large = next(g for g in run.groups if g["key"] == large["key"])
    assert meeting in large["family_ids"] and None not in large["distances"]
    assert run.unplaced == [] and AuditEvent.objects.filter(action="kube.formation.move").count() == 2


def test_a_family_cannot_move_to_a_group_in_another_village(officer):
    village_families(12, seed=13)
    village_families(12, region=SIANTAN_TENGAH, seed=14)
    run = formation_run(actor=officer, region_code="61.71.04", ruleset="kalbar-2019")
    hulu = next(g for g in run.groups if g["kode_wilayah"] == SIANTAN_HULU and len(g["family_ids"]) > 5)
    tengah = next(g for g in run.groups if g["kode_wilayah"] == SIANTAN_TENGAH)
    with pytest.raises(FormationError, match="satu desa/kelurahan"):
        formation_move(actor=officer, run=run, family_id=hulu["family_ids"][0], to_key=tengah["key"])


def test_moving_to_the_same_place_or_an_unknown_group_is_refused(officer):
    run = kalbar_run(officer)
    group = run.groups[0]
    with pytest.raises(FormationError, match="sudah berada"):
        formation_move(actor=officer, run=run, family_id=group["family_ids"][0], to_key=group["key"])
    with pytest.raises(FormationError, match="tidak ada dalam usulan"):
        formation_move(actor=officer, run=run, family_id=group["family_ids"][0], to_key="G99")
    with pytest.raises(FormationError, match="tidak ada dalam usulan"):
        formation_move(actor=officer, run=run, family_id=-1, to_key=group["key"])


def test_approving_creates_one_proposed_kube_per_group_with_unique_names_in_the_village(officer):
    make_kube(name="KUBE Pertanian 1", size=5)
    run = kalbar_run(officer)
    kubes = formation_approve(actor=officer, run=run, formed_on=FORMED)
    run.refresh_from_db()
    assert run.status == FormationRun.Status.APPROVED and run.approved_at is not None
    assert sorted(k.name for k in kubes) == ["KUBE Pertanian 2", "KUBE Pertanian 3"]
    for kube, group in zip(kubes, run.groups, strict=True):
        assert kube.state == KubeState.PROPOSED and kube.formation_run == run and kube.formed_on == FORMED
        assert kube.region_id == SIANTAN_HULU and kube.business_type == "pertanian"
        assert kube.meeting_family_id == group["meeting_family_id"]
        assert sorted(kube.memberships.filter(live=True).values_list("family_id", flat=True)) == sorted(
            group["family_ids"]
        )
        assert kube.events.filter(action="create").exists()
    assert AuditEvent.objects.filter(action="kube.formation.approve", object_id=str(run.pk)).exists()
    with pytest.raises(FormationError, match="hanya usulan yang masih draf"):
        formation_approve(actor=officer, run=run, formed_on=FORMED)


def test_approving_after_a_family_was_taken_refuses_and_creates_nothing(officer):
    run = kalbar_run(officer)
    taken_id = run.groups[1]["family_ids"][0]
    taken = Family.objects.get(pk=taken_id)
    other = make_kube(name="KUBE Jagung Manis 8", families=[taken, *village_families(4, seed=15)])
    before = Kube.objects.count()
    with pytest.raises(FormationError) as refusal:
        formation_approve(actor=officer, run=run, formed_on=FORMED)
    assert mask_id(taken.no_kk) in str(refusal.value) and other.name in str(refusal.value)
    assert "Tidak ada KUBE yang dibuat" in str(refusal.value)
    assert Kube.objects.count() == before
    run.refresh_from_db()
    assert run.status == FormationRun.Status.DRAFT
    # Taking the family out of the proposal lets the rest be approved.
    run = formation_move(actor=officer, run=run, family_id=taken_id, to_key=UNPLACED)
    assert len(formation_approve(actor=officer, run=run, formed_on=FORMED)) == 2


def test_a_discarded_run_can_no_longer_be_edited_or_approved(officer):
    run = kalbar_run(officer)
    formation_discard(actor=officer, run=run, reason="data belum lengkap")
    run.refresh_from_db()
    assert run.status == FormationRun.Status.DISCARDED
    with pytest.raises(FormationError, match="draf"):
        formation_move(actor=officer, run=run, family_id=run.groups[0]["family_ids"][0], to_key=UNPLACED)
    with pytest.raises(FormationError, match="draf"):
        formation_approve(actor=officer, run=run, formed_on=FORMED)
    assert not Kube.objects.exists()
    assert AuditEvent.objects.filter(action="kube.formation.discard", note="data belum lengkap").exists()
