"""`berdaya import kube`: the same import as the page, with the problems listed and exit code 1 on refusal."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.kube.models import Kube, KubeState
from tests.factories import make_families
from tests.kube.test_kube_import import established, kube_rows, write_csv

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_a_clean_file_is_imported_and_summarised_as_json(tmp_path, officer):
    rows = kube_rows("KUBE Baris", make_families(5), status="ditetapkan", **established())
    path = write_csv(tmp_path / "kube.csv", rows)
    result = runner.invoke(app, ["import", "kube", str(path), "--user", officer.username])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "applied" and summary["kubes"] == 1 and len(summary["kube_ids"]) == 1
    assert Kube.objects.get(name="KUBE Baris").state == KubeState.ESTABLISHED


def test_a_refused_file_lists_its_problems_and_exits_with_1(tmp_path, officer):
    rows = kube_rows("KUBE Baris", make_families(5), officers=False)
    rows[2]["no_kk"] = "6171040000009999"
    report = tmp_path / "masalah.csv"
    result = runner.invoke(
        app, ["import", "kube", str(write_csv(tmp_path / "kube.csv", rows)), "--report", str(report)]
    )
    assert result.exit_code == 1
    assert "baris 4, kolom 'no_kk'" in result.output and "tidak ada KUBE yang disimpan" in result.output
    assert not Kube.objects.exists()
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "baris,kolom,nilai,kode_alasan,alasan" and lines[1].startswith("4,no_kk,")


def test_a_dry_run_keeps_nothing(tmp_path, officer):
    rows = kube_rows("KUBE Baris", make_families(5), officers=False)
    result = runner.invoke(app, ["import", "kube", str(write_csv(tmp_path / "kube.csv", rows)), "--dry-run"])
    assert result.exit_code == 0 and '"status": "dry_run"' in result.output
    assert not Kube.objects.exists()


def test_the_users_region_limits_the_import(tmp_path, stranger):
    rows = kube_rows("KUBE Baris", make_families(5), officers=False)
    result = runner.invoke(
        app, ["import", "kube", str(write_csv(tmp_path / "kube.csv", rows)), "--user", stranger.username]
    )
    assert result.exit_code == 1 and "di luar wilayah Anda" in result.output


def test_an_unknown_user_or_unreadable_file_is_refused_with_2(tmp_path, regions):
    path = tmp_path / "kube.csv"
    path.write_text("nama,alamat\nx,y\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "kube", str(path), "--user", "siapa"]).exit_code == 2
    result = runner.invoke(app, ["import", "kube", str(path)])
    assert result.exit_code == 2 and "nama_kube" in result.output
