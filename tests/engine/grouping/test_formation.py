"""Group formation end to end: every family once, sizes and villages respected, reasons for the rest."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berdaya.engine.grouping.formation import GroupingOptions, form_groups
from berdaya.engine.grouping.strata import group_count

TYPES = ["pertanian", "perdagangan", "perikanan", "jasa"]
VILLAGES = ["61.71.04.1001", "61.71.04.1002", "61.71.05.1001"]


def families(seed: int, n: int, *, villages=VILLAGES, types=TYPES) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        village = villages[rng.integers(len(villages))]
        base = VILLAGES.index(village) * 0.02 if village in VILLAGES else 0.0
        rows.append({
            "no_kk": f"6171040101{i:06d}",
            "kode_wilayah": village,
            "lat": -0.01 + base + rng.normal(0, 0.003),
            "lon": 109.33 + base + rng.normal(0, 0.003),
            "keahlian": types[rng.integers(len(types))],
            "rt": f"{rng.integers(1, 20):03d}",
            "rw": f"{rng.integers(1, 6):03d}",
        })
    return rows


def check_invariants(rows, result, options):
    placed = [m["no_kk"] for m in result.members]
    unplaced = [u["no_kk"] for u in result.unplaced]
    assert sorted(placed + unplaced) == sorted(r["no_kk"] for r in rows)  # every family exactly once
    village_of = {r["no_kk"]: r["kode_wilayah"] for r in rows}
    by_group: dict[str, list[str]] = {}
    for member in result.members:
        by_group.setdefault(member["group_id"], []).append(member["no_kk"])
    for group in result.groups:
        members = by_group[group["group_id"]]
        assert options.size_min <= len(members) == group["size"] <= options.size_max
        assert {village_of[no_kk] for no_kk in members} == {group["kode_wilayah"]}
        assert group["meeting_no_kk"] in members


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 120), size_min=st.integers(3, 6), spread=st.integers(0, 10))
def test_every_family_is_placed_once_within_size_and_village(seed, n, size_min, spread):
    options = GroupingOptions(size_min=size_min, size_max=size_min * 2 + spread, target=size_min + 4, seed=seed,
                              time_limit=5)
    rows = families(seed, n)
    check_invariants(rows, form_groups(rows, options), options)


def test_the_same_seed_gives_the_same_groups():
    rows = families(3, 150)
    options = GroupingOptions(size_min=5, size_max=20, seed=1)
    first, second = form_groups(rows, options), form_groups(rows, options)
    assert first.groups == second.groups and first.members == second.members


def test_bad_input_becomes_reasons_not_crashes():
    rows = families(4, 30, villages=[VILLAGES[0]], types=["pertanian"])
    rows.append(dict(rows[0]))  # duplicate No KK
    rows.append({**rows[1], "no_kk": "x1", "lat": 0.0, "lon": 0.0})  # (0, 0)
    rows.append({**rows[1], "no_kk": "x2", "lat": 48.85, "lon": 2.35})  # Paris
    rows.append({**rows[1], "no_kk": "x3", "kode_wilayah": ""})
    # a village with fewer than the minimum
    rows += [{**r, "no_kk": f"s{i}"} for i, r in enumerate(families(5, 3, villages=["61.71.02.1001"]))]
    result = form_groups(rows, GroupingOptions(size_min=5, size_max=20))
    reasons = {(u["no_kk"], u["reason_code"]) for u in result.unplaced}
    assert (rows[0]["no_kk"], "DUPLICATE_NO_KK") in reasons
    assert {("x1", "BAD_COORDINATES"), ("x2", "BAD_COORDINATES"), ("x3", "NO_VILLAGE")} <= reasons
    assert sum(1 for _, code in reasons if code == "VILLAGE_TOO_SMALL") == 3
    assert len(result.members) + len(result.unplaced) == len(rows)


def test_rare_business_types_are_pooled_into_a_mixed_group():
    rows = families(6, 40, villages=[VILLAGES[0]], types=["pertanian"])
    rare = families(7, 6, villages=[VILLAGES[0]])
    rows += [{**r, "no_kk": f"r{i}", "keahlian": t}
             for i, (r, t) in enumerate(zip(rare, ["jasa", "kerajinan"] * 3, strict=True))]
    result = form_groups(rows, GroupingOptions(size_min=5, size_max=20))
    mixed = [g for g in result.groups if g["mixed"]]
    assert mixed and all(g["business_type"] == "campuran" for g in mixed)
    assert not result.unplaced


def test_a_lone_rare_family_joins_the_nearest_group_with_room():
    rows = families(8, 30, villages=[VILLAGES[0]], types=["pertanian"])
    rows.append({**rows[0], "no_kk": "lonely", "keahlian": "jasa"})
    result = form_groups(rows, GroupingOptions(size_min=5, size_max=20))
    group_of = {m["no_kk"]: m["group_id"] for m in result.members}
    joined = next(g for g in result.groups if g["group_id"] == group_of["lonely"])
    assert joined["mixed"] and joined["business_type"] == "pertanian"


def test_without_coordinates_rt_rw_is_the_proxy():
    rows = [{**r, "lat": None, "lon": None} for r in families(9, 25, villages=[VILLAGES[0]], types=["jasa"])]
    result = form_groups(rows, GroupingOptions(size_min=5, size_max=20))
    assert result.summary["proxy_villages"] == [VILLAGES[0]]
    assert len(result.members) == 25


def test_the_summary_reports_distances_and_a_lower_bound_on_small_strata():
    rows = families(10, 60, villages=[VILLAGES[0]], types=["pertanian"])
    result = form_groups(rows, GroupingOptions(size_min=5, size_max=20, exact_max=60))
    summary = result.summary
    assert abs(summary["objective_m"] - sum(m["distance_m"] for m in result.members)) <= 0.05 * len(result.members)
    assert summary["lower_bound_m"] is not None and summary["lower_bound_m"] <= summary["objective_m"] + 1e-6
    assert summary["max_distance_m"] >= summary["p90_distance_m"] >= 0


def test_group_count_follows_the_spec_formula():
    assert [group_count(n, target=10, size_min=5, size_max=20) for n in (4, 5, 15, 25, 101)] == [0, 1, 2, 3, 10]
    assert group_count(11, target=10, size_min=5, size_max=10) == 2  # at least ceil(11 / 10)


def test_any_executor_gives_the_same_proposal_and_progress_reaches_the_end():
    from concurrent.futures import ThreadPoolExecutor

    rows = families(12, 200)
    options = GroupingOptions(size_min=5, size_max=20, seed=2)
    inline = form_groups(rows, options)
    seen = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = form_groups(rows, options, executor=pool, progress=lambda done, total: seen.append((done, total)))
    assert pooled.groups == inline.groups and pooled.members == inline.members
    assert seen[-1][0] == seen[-1][1] == inline.summary["strata"]


def test_a_process_pool_gives_the_same_proposal():
    rows = families(13, 150)
    options = GroupingOptions(size_min=5, size_max=20, seed=3)
    assert form_groups(rows, options, workers=2).members == form_groups(rows, options).members


def test_families_as_columns_give_the_same_proposal_as_dicts():
    from berdaya.engine.grouping.formation import FamilyColumns

    rows = families(5, 300)
    columns = FamilyColumns({key: np.array([r[key] for r in rows]) for key in rows[0]})
    options = GroupingOptions(size_min=5, size_max=20, seed=2)
    as_dicts, as_columns = form_groups(rows, options), form_groups(columns, options)
    assert as_columns.groups == as_dicts.groups
    assert as_columns.members == as_dicts.members and as_columns.unplaced == as_dicts.unplaced
    assert isinstance(as_columns.members[0]["no_kk"], str)  # NumPy scalars come back as Python values


def test_columns_of_different_lengths_are_refused_and_absent_ones_read_as_none():
    import pytest

    from berdaya.engine.grouping.formation import FamilyColumns

    with pytest.raises(ValueError, match="differ in length"):
        FamilyColumns({"no_kk": ["1", "2"], "lat": [0.1]})
    columns = FamilyColumns({"no_kk": ["1"], "kode_wilayah": ["61.71.04.1001"]})
    assert len(columns) == 1 and columns[0]["lat"] is None and columns[-1]["no_kk"] == "1"
    with pytest.raises(IndexError):
        columns[1]
