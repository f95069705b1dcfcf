"""Pendamping assignment (spec §6): same kecamatan first, caps held, leftovers explained, deterministic."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berdaya.engine.assignment import (
    UNASSIGNED_REASONS,
    AssignmentOptions,
    FacilitatorSite,
    KubeSite,
    propose_assignments,
)

UTARA, TIMUR, BARAT = "61.71.04", "61.71.02", "61.71.03"  # kecamatan of Kota Pontianak
SINGKAWANG = "61.72.01"
# Two points in Pontianak about 1.1 km apart, and one about 11 km away.
HERE = (-0.0123, 109.3345)
NEAR = (-0.0223, 109.3345)
FAR = (-0.1123, 109.3345)


def kube(id_: int, kecamatan: str = UTARA, at: tuple[float, float] | None = HERE) -> KubeSite:
    return KubeSite(id=id_, kecamatan=kecamatan, lat=at[0] if at else None, lon=at[1] if at else None)


def facilitator(
    id_: int, kecamatan: str = UTARA, cap: int = 10, load: int = 0, at: tuple[float, float] | None = HERE
) -> FacilitatorSite:
    return FacilitatorSite(
        id=id_, kecamatan=kecamatan, cap=cap, load=load, lat=at[0] if at else None, lon=at[1] if at else None
    )


def test_it_prefers_a_pendamping_of_the_same_kecamatan_over_a_nearer_one_across_the_border():
    result = propose_assignments(
        [kube(1, UTARA, HERE)], [facilitator(10, TIMUR, at=HERE), facilitator(11, UTARA, at=FAR)]
    )

    [pair] = result.pairs
    assert (pair.kube_id, pair.facilitator_id, pair.same_kecamatan) == (1, 11, True)
    assert pair.distance_m == pytest.approx(11_120, rel=0.01)


def test_it_picks_the_nearer_pendamping_when_both_live_in_the_kecamatan():
    result = propose_assignments([kube(1, at=HERE)], [facilitator(10, at=FAR), facilitator(11, at=NEAR)])

    assert [(p.kube_id, p.facilitator_id) for p in result.pairs] == [(1, 11)]
    assert result.pairs[0].distance_m == pytest.approx(1_112, rel=0.01)


def test_it_minimises_total_travel_rather_than_serving_the_first_kube_best():
    # On one north-south line (0.01° ≈ 1.1 km): pendamping B at -1, KUBE 1 at 0, A at 1, KUBE 2 at 1.9.
    def at(step: float) -> tuple[float, float]:
        return (-0.05 + step * 0.01, 109.33)

    kubes = [kube(1, at=at(0)), kube(2, at=at(1.9))]
    result = propose_assignments(kubes, [facilitator(10, cap=1, at=at(1)), facilitator(11, cap=1, at=at(-1))])

    assert {(p.kube_id, p.facilitator_id) for p in result.pairs} == {(1, 11), (2, 10)}
    assert result.total_distance_m == pytest.approx(1.9 * 1_112, rel=0.01)


def test_it_crosses_the_kecamatan_border_when_the_home_pendamping_is_full():
    result = propose_assignments(
        [kube(1, at=HERE), kube(2, at=NEAR)], [facilitator(10, UTARA, cap=1, at=HERE), facilitator(11, TIMUR, at=FAR)]
    )

    assert {(p.kube_id, p.facilitator_id, p.same_kecamatan) for p in result.pairs} == {(1, 10, True), (2, 11, False)}
    assert result.unassigned == []
    assert result.load_after == {10: 1, 11: 1}


def test_it_never_gives_a_pendamping_more_than_cap_minus_load():
    kubes = [kube(i) for i in range(1, 8)]
    result = propose_assignments(kubes, [facilitator(10, cap=5, load=3), facilitator(11, cap=4, load=1)])

    per_facilitator = Counter(p.facilitator_id for p in result.pairs)
    assert per_facilitator == {10: 2, 11: 3}
    assert result.load_after == {10: 5, 11: 4}
    assert [(u.kube_id, u.reason_code) for u in result.unassigned] == [(6, "ALL_AT_CAP"), (7, "ALL_AT_CAP")]


def test_it_gives_nothing_to_a_pendamping_already_over_cap():
    result = propose_assignments([kube(1)], [facilitator(10, cap=2, load=3)])

    assert result.pairs == []
    assert result.unassigned[0].reason_code == "ALL_AT_CAP"
    assert result.load_after == {10: 3}


def test_it_reports_a_kube_whose_kabkota_has_no_pendamping_with_the_indonesian_reason():
    result = propose_assignments([kube(1, SINGKAWANG), kube(2, UTARA)], [facilitator(10, UTARA)])

    [left] = result.unassigned
    assert (left.kube_id, left.reason_code) == (1, "NO_FACILITATOR_IN_KABKOTA")
    assert left.reason == UNASSIGNED_REASONS["NO_FACILITATOR_IN_KABKOTA"]
    assert "kabupaten/kota" in left.reason
    assert [(p.kube_id, p.facilitator_id) for p in result.pairs] == [(2, 10)]


def test_it_crosses_the_kabkota_border_only_when_allowed():
    kubes, facilitators = [kube(1, SINGKAWANG)], [facilitator(10, UTARA)]

    assert propose_assignments(kubes, facilitators).pairs == []
    allowed = propose_assignments(kubes, facilitators, AssignmentOptions(allow_other_kabkota=True))
    assert [(p.kube_id, p.facilitator_id, p.same_kecamatan) for p in allowed.pairs] == [(1, 10, False)]


def test_it_says_no_pendamping_at_all_when_crossing_kabkota_is_allowed_and_there_are_none():
    result = propose_assignments([kube(1)], [], AssignmentOptions(allow_other_kabkota=True))

    assert [u.reason_code for u in result.unassigned] == ["NO_FACILITATOR"]


def test_it_lists_kecamatan_with_kubes_but_no_pendamping_living_there():
    kubes = [kube(1, UTARA), kube(2, BARAT), kube(3, SINGKAWANG), kube(4, BARAT)]
    result = propose_assignments(kubes, [facilitator(10, UTARA), facilitator(11, TIMUR)])

    assert result.kecamatan_without_facilitator == [BARAT, SINGKAWANG]


def test_it_prices_missing_coordinates_with_the_unknown_distance_and_reports_no_distance():
    options = AssignmentOptions(unknown_distance_m=20_000)
    # The pendamping without coordinates would be 20 km away; the known one is 11 km away.
    result = propose_assignments([kube(1, at=HERE)], [facilitator(10, at=None), facilitator(11, at=FAR)], options)
    assert [(p.facilitator_id, p.distance_m is not None) for p in result.pairs] == [(11, True)]

    result = propose_assignments([kube(1, at=None)], [facilitator(10, at=HERE)])
    assert result.pairs[0].distance_m is None


def test_it_treats_zero_zero_as_missing_rather_than_a_place_in_the_ocean():
    result = propose_assignments([kube(1, at=(0.0, 0.0))], [facilitator(10, at=HERE)])

    assert result.pairs[0].distance_m is None


def test_it_covers_more_kubes_rather_than_saving_travel():
    # Facilitator 10 (cap 1) could take either KUBE; giving it KUBE 1 (its kecamatan) lets 11 take KUBE 2.
    kubes = [kube(1, UTARA, HERE), kube(2, TIMUR, HERE)]
    facilitators = [facilitator(10, UTARA, cap=1, at=HERE), facilitator(11, UTARA, cap=1, at=FAR)]
    result = propose_assignments(kubes, facilitators)

    assert len(result.pairs) == 2 and result.unassigned == []


def test_it_refuses_repeated_ids_and_negative_caps():
    with pytest.raises(ValueError, match="repeated KUBE"):
        propose_assignments([kube(1), kube(1)], [facilitator(10)])
    with pytest.raises(ValueError, match="negative"):
        propose_assignments([kube(1)], [facilitator(10, cap=-1)])


KECAMATAN = [UTARA, TIMUR, BARAT, SINGKAWANG, "61.72.02"]
coordinate = st.one_of(st.none(), st.tuples(st.floats(-0.2, 0.1), st.floats(108.9, 109.5)))


@st.composite
def instances(draw):
    kube_count = draw(st.integers(0, 25))
    facilitator_count = draw(st.integers(0, 6))
    kubes = [kube(i, draw(st.sampled_from(KECAMATAN)), draw(coordinate)) for i in range(1, kube_count + 1)]
    facilitators = []
    for j in range(facilitator_count):
        cap = draw(st.integers(1, 6))
        facilitators.append(
            facilitator(100 + j, draw(st.sampled_from(KECAMATAN)), cap, draw(st.integers(0, cap + 1)), draw(coordinate))
        )
    options = AssignmentOptions(
        cross_kecamatan_penalty_m=draw(st.sampled_from([0, 5_000, 50_000])),
        allow_other_kabkota=draw(st.booleans()),
    )
    return kubes, facilitators, options


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.randoms(use_true_random=False))
def test_it_holds_caps_accounts_for_every_kube_once_and_is_deterministic(instance, rng: random.Random):
    kubes, facilitators, options = instance
    result = propose_assignments(kubes, facilitators, options)

    by_id = {f.id: f for f in facilitators}
    given_out = Counter(p.facilitator_id for p in result.pairs)
    for facilitator_id, count in given_out.items():
        assert count <= max(by_id[facilitator_id].cap - by_id[facilitator_id].load, 0)
    assert result.load_after == {f.id: f.load + given_out.get(f.id, 0) for f in facilitators}

    seen = [p.kube_id for p in result.pairs] + [u.kube_id for u in result.unassigned]
    assert sorted(seen) == [k.id for k in kubes]
    assert all(u.reason_code in UNASSIGNED_REASONS for u in result.unassigned)

    # A KUBE is left out only when the pendamping it could reach have no room left.
    for left in result.unassigned:
        if left.reason_code == "ALL_AT_CAP":
            home = next(k for k in kubes if k.id == left.kube_id)
            reachable = [
                f for f in facilitators if options.allow_other_kabkota or f.kecamatan[:5] == home.kecamatan[:5]
            ]
            assert reachable and all(result.load_after[f.id] >= f.cap for f in reachable)

    # Within a kab/kota every pendamping can take every KUBE, so the most KUBEs coverable is min(KUBEs, room).
    def component(code: str) -> str:
        return "" if options.allow_other_kabkota else code[:5]

    for key in {component(k.kecamatan) for k in kubes}:
        waiting = sum(1 for k in kubes if component(k.kecamatan) == key)
        room = sum(max(f.cap - f.load, 0) for f in facilitators if component(f.kecamatan) == key)
        covered = sum(1 for p in result.pairs if component(by_id[p.facilitator_id].kecamatan) == key)
        assert covered == min(waiting, room)

    shuffled_kubes, shuffled_facilitators = kubes[:], facilitators[:]
    rng.shuffle(shuffled_kubes)
    rng.shuffle(shuffled_facilitators)
    assert propose_assignments(shuffled_kubes, shuffled_facilitators, options) == result


def test_it_runs_without_django():
    script = (
        "import sys; from berdaya.engine.assignment import KubeSite, FacilitatorSite, propose_assignments; "
        "r = propose_assignments([KubeSite(1, '61.71.04')], [FacilitatorSite(2, '61.71.04', 1)]); "
        "assert len(r.pairs) == 1; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
