"""`berdaya export survey`: a round's instrument as research data with a codebook, pseudonymised by default."""

from __future__ import annotations

import csv
import io

import pyreadstat
import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.models import AuditEvent
from tests.evaluation.test_analysis import build_world
from tests.evaluation.test_dataset_exports import assert_no_personal_data

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def world(officer):
    return build_world(officer)


def export(*args: str):
    return runner.invoke(app, ["export", "survey", *args])


def test_it_writes_a_pseudonymised_csv_and_its_codebook(world, tmp_path):
    out = tmp_path / "kesejahteraan.csv"
    result = export("--round", str(world.endline.pk), "--instrument", "welfare", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "14 baris" in result.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 14 and "family_id" not in rows[0] and rows[0]["pid"].startswith("F-")
    assert (tmp_path / "kesejahteraan.codebook.csv").is_file()
    assert_no_personal_data(world, out.read_bytes())
    event = AuditEvent.objects.filter(action="evaluation.export").get()
    assert event.actor is None and event.changes["pseudonymised"] is True and event.changes["format"] == "csv"


def test_no_pseudonymise_adds_the_family_id_but_never_a_nik(world, tmp_path):
    out = tmp_path / "berdaya.sav"
    result = export(
        "--round", str(world.endline.pk), "--instrument", "empowerment", "--format", "sav", "--out", str(out),
        "--no-pseudonymise",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame, meta = pyreadstat.read_sav(str(out))
    assert sorted(frame["family_id"]) == sorted(float(f.pk) for f in world.members)
    assert meta.variable_value_labels["within_econ_1"][4.0] == "Sangat setuju"
    assert_no_personal_data(world, out.read_bytes())


def test_stata_output_reads_back(world, tmp_path):
    out = tmp_path / "w.dta"
    result = export("--round", str(world.baseline.pk), "--instrument", "welfare", "--format", "dta", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame, _meta = pyreadstat.read_dta(str(out))
    assert len(frame) == 14


def test_an_unknown_format_or_round_is_refused(world, tmp_path):
    out = tmp_path / "x.txt"
    bad_format = export(
        "--round", str(world.endline.pk), "--instrument", "welfare", "--format", "txt", "--out", str(out)
    )
    assert bad_format.exit_code == 2 and "csv, xlsx, sav, dta" in bad_format.output
    missing = export("--round", "99999", "--instrument", "welfare", "--format", "csv", "--out", str(out))
    assert missing.exit_code == 1 and "tidak ditemukan" in missing.output
    assert not out.exists()
