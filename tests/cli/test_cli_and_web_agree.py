"""The CLI and the web app give identical decisions for the same file (one engine serves both)."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.demo.world import generate_dtks, without_shared_niks, write_csv
from berdaya.registry.models import Family
from tests.conftest import PASSWORD


@pytest.mark.parametrize("rules", ["permensos-2-2019", "kalbar-2019"])
def test_cli_and_web_decide_the_same_for_every_family(client, officer, regions, tmp_path, rules):
    rows, _ = without_shared_niks(generate_dtks(seed=7, families=150))
    source = tmp_path / "dtks.csv"
    write_csv(rows, source)

    out = tmp_path / "cli.csv"
    result = CliRunner().invoke(
        app,
        [
            "screen",
            str(source),
            "--rules",
            rules,
            "--as-of",
            "2026-11-01",
            "--region",
            "61.71",
            "--regions",
            str(regions),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as handle:
        cli = {r["no_kk"]: (r["decision"], r["failed_rules"], r["unknown_rules"]) for r in csv.DictReader(handle)}

    assert client.login(username=officer.username, password=PASSWORD)
    with open(source, "rb") as handle:
        response = client.post("/registri/impor/", {"file": handle, "encoding": "utf-8"})
    assert response.status_code == 302
    response = client.post("/registri/penyaringan/", {"ruleset": rules, "as_of": "2026-11-01", "region": "61.71"})
    assert response.status_code == 302
    web = {
        f.no_kk: (f.latest_decision.decision, f.latest_decision.failed_rules, f.latest_decision.unknown_rules)
        for f in Family.objects.select_related("latest_decision")
    }
    assert len(cli) == 150
    assert web == cli
    # The world is varied enough for the comparison to mean something.
    assert {d for d, _, _ in cli.values()} == {"ELIGIBLE", "INELIGIBLE", "NEEDS_VERIFICATION"}
