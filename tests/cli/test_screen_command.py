"""`berdaya screen`: one row per family, a rejected-rows report, summary counts, clear errors."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.engine import OUTPUT_COLUMNS
from tests.conftest import person, write_rows

runner = CliRunner()


def rows_of(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_it_writes_one_row_per_family_with_the_spec_columns(tmp_path):
    source = write_rows(
        tmp_path / "dtks.csv",
        [
            person(),
            person(
                nik="6171045708820002",
                jenis_kelamin="P",
                tanggal_lahir="1982-08-17",
                hubungan_keluarga="ISTRI",
                pencari_nafkah_utama="N",
            ),
            person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17", desil="x"),
        ],
    )
    out = tmp_path / "hasil.csv"
    result = runner.invoke(
        app,
        [
            "screen",
            str(source),
            "--rules",
            "kalbar-2019",
            "--as-of",
            "2026-11-01",
            "--region",
            "61.71",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    families = rows_of(out)
    assert tuple(families[0]) == OUTPUT_COLUMNS
    assert [(f["no_kk"], f["decision"]) for f in families] == [
        ("6171040101100001", "ELIGIBLE"),
        ("6171040101100002", "NEEDS_VERIFICATION"),
    ]
    assert families[0]["nik_masked"] == "6171••••••••0001" and families[0]["keahlian"] == "pertanian"
    assert "6171041708800001" not in out.read_text(encoding="utf-8")
    rejected = rows_of(tmp_path / "hasil.rejected.csv")
    assert [(r["line"], r["column"], r["reason_code"]) for r in rejected] == [("4", "desil", "BAD_DESIL")]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["families"] == 2 and summary["ELIGIBLE"] == 1 and summary["rejected_rows"] == 1


def test_failed_and_unknown_rules_are_listed_with_semicolons(tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person(pekerjaan="PNS", desil="9", keahlian="")])
    out = tmp_path / "hasil.csv"
    assert runner.invoke(app, ["screen", str(source), "--out", str(out), "--as-of", "2026-11-01"]).exit_code == 0
    family = rows_of(out)[0]
    assert family["failed_rules"] == "IN_DTKS;NOT_STATE_EMPLOYEE" and family["unknown_rules"] == "SKILL"


def test_parquet_output_is_written_when_asked(tmp_path):
    import pyarrow.parquet as pq

    source = write_rows(tmp_path / "dtks.csv", [person()])
    out = tmp_path / "hasil.parquet"
    assert runner.invoke(app, ["screen", str(source), "--out", str(out)]).exit_code == 0
    assert pq.read_table(out).column("decision").to_pylist() == ["ELIGIBLE"]


def test_a_missing_column_exits_with_a_message_naming_the_file(tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person()], columns=["nik", "no_kk", "nama"])
    result = runner.invoke(app, ["screen", str(source), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "dtks.csv" in result.output and "kolom wajib" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_an_unknown_rule_set_exits_with_the_known_ones(tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person()])
    result = runner.invoke(app, ["screen", str(source), "--rules", "entah", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "kalbar-2019" in result.output


def test_a_bad_reference_date_is_refused(tmp_path):
    source = write_rows(tmp_path / "dtks.csv", [person()])
    result = runner.invoke(app, ["screen", str(source), "--as-of", "1/11/2026", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "--as-of" in result.output
