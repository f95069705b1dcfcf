"""`berdaya form-groups`: from `berdaya screen` output to groups, members, unplaced and a summary."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.demo.world import generate_dtks, without_shared_niks, write_csv

runner = CliRunner()


def read(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_screen_then_form_groups_places_every_eligible_family_once(tmp_path):
    rows, _ = without_shared_niks(generate_dtks(seed=11, families=300))
    write_csv(rows, tmp_path / "dtks.csv")
    screened = tmp_path / "layak.csv"
    assert runner.invoke(app, ["screen", str(tmp_path / "dtks.csv"), "--out", str(screened),
                               "--as-of", "2026-11-01"]).exit_code == 0
    out = tmp_path / "kelompok"
    result = runner.invoke(app, ["form-groups", str(screened), "--rules", "kalbar-2019", "--out", str(out),
                                 "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    eligible = {r["no_kk"] for r in read(screened) if r["decision"] == "ELIGIBLE"}
    members, unplaced, groups = read(out / "members.csv"), read(out / "unplaced.csv"), read(out / "groups.csv")
    assert sorted([m["no_kk"] for m in members] + [u["no_kk"] for u in unplaced]) == sorted(eligible)
    assert all(5 <= int(g["size"]) <= 10 for g in groups)  # kalbar-2019 sizes
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["groups"] == len(groups) and summary["rules"] == "kalbar-2019@1"
    assert summary["peak_memory_mb"] > 0


def test_a_file_without_the_needed_columns_is_refused_by_name(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("no_kk,lat\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["form-groups", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "kode_wilayah" in result.output and "x.csv" in result.output


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "kosong.csv"
    path.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["form-groups", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "kosong" in result.output


def test_bounds_buys_a_lower_bound_and_gap_for_larger_strata(tmp_path):
    path = tmp_path / "keluarga.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["no_kk", "kode_wilayah", "lat", "lon", "keahlian"])
        for i in range(45):  # one stratum of 45: above the default bound size of 30
            writer.writerow([f"61710401011{i:05d}", "61.71.04.1001", -0.01 - (i % 7) * 1e-3, 109.33 + (i // 7) * 1e-3,
                             "pertanian"])
    summaries = {}
    for bounds in ("0", "60"):
        out = tmp_path / f"o{bounds}"
        result = runner.invoke(app, ["form-groups", str(path), "--out", str(out), "--bounds", bounds])
        assert result.exit_code == 0, result.output
        summaries[bounds] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summaries["0"]["lower_bound_m"] is None and summaries["0"]["gap"] is None
    assert 0 < summaries["60"]["lower_bound_m"] <= summaries["60"]["objective_m"] + 1e-6
    assert summaries["60"]["gap"] >= 0
    assert summaries["0"]["objective_m"] == summaries["60"]["objective_m"]  # bounds never change the groups
