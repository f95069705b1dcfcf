"""`berdaya demo` builds the same world for the same seed; `berdaya stats --json` counts it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.models import User
from berdaya.demo.build import DemoError, demo_build
from berdaya.registry.models import Family


def world_snapshot():
    return sorted(
        Family.objects.values_list(
            "no_kk", "region_id", "desil", "lat", "lon", "latest_decision__decision", "latest_decision__failed_rules"
        )
    )


def test_the_same_seed_builds_the_same_world(regions):
    demo_build(seed=5, families=120, log=lambda m: None)
    first = world_snapshot()
    demo_build(seed=5, families=120, log=lambda m: None)  # rebuilding replaces the previous demo
    assert world_snapshot() == first
    assert len(first) == 120
    demo_build(seed=6, families=120, log=lambda m: None)
    assert world_snapshot() != first


def test_the_demo_creates_one_user_per_role_with_their_regions(regions):
    summary = demo_build(seed=5, families=60, log=lambda m: None)
    users = {u.username: (u.role, u.region_id) for u in User.objects.all()}
    assert users["petugas"] == ("program_officer", "61.71")
    assert users["pemantau"] == ("viewer", "61")
    assert users["admin"] == ("admin", None)
    assert {"pendamping1", "bendahara", "peneliti"} <= set(users)
    assert [u for u, _ in summary["users"]] == ["admin", "petugas", "pendamping1", "bendahara", "pemantau", "peneliti"]


def test_the_demo_refuses_to_overwrite_real_data(officer, tmp_path):
    from berdaya.registry.services import dtks_import
    from tests.conftest import person, write_rows

    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    with pytest.raises(DemoError, match="bukan data demo"):
        demo_build(seed=5, families=60, log=lambda m: None)
    assert Family.objects.count() == 1


def test_stats_json_counts_families_persons_and_decisions(regions):
    demo_build(seed=5, families=80, log=lambda m: None)
    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["families"] == 80
    assert stats["persons"] == sum(Family.objects.get(pk=f.pk).members.count() for f in Family.objects.all())
    assert sum(stats["decisions"].values()) == 80
