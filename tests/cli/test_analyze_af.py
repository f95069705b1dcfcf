"""`berdaya analyze af`: Alkire–Foster on a CSV, as JSON anyone can check by hand; clear errors, exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from berdaya.cli import app

runner = CliRunner()

# The hand-worked example of tests/engine/evaluation/test_alkire_foster.py: weights 2:1:1:1, k = 0.4,
# scores 0.4, 0.4, 0.2, 1.0, 0 → H = 0.6, A = 0.6, M0 = 0.36.
DEPRIVATIONS = """id,income,school,water,health
P1,1,0,0,0
P2,0,1,1,0
P3,0,0,0,1
P4,1,1,1,1
P5,0,0,0,0
"""
# The same people as achievements, against cut-offs 500, 6, 1, 1 (deprived when below).
ACHIEVEMENTS = """person_id,income,school,water,health
P1,300,9,1,1
P2,800,4,0,1
P3,500,6,1,0
P4,100,0,0,0
P5,900,12,1,1
"""


def run(tmp_path, text, *args, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return runner.invoke(app, ["analyze", "af", "--input", str(path), *args])


def test_it_prints_h_a_m0_and_each_indicator_as_json(tmp_path):
    result = run(tmp_path, DEPRIVATIONS, "--weights", "2,1,1,1", "--k", "0.4")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 5 and report["k"] == 0.4
    assert (report["H"], report["A"], report["M0"]) == pytest.approx((0.6, 0.6, 0.36))
    names = [row["name"] for row in report["indicators"]]
    assert names == ["income", "school", "water", "health"]  # the id column is not an indicator
    rows = {row["name"]: row for row in report["indicators"]}
    assert rows["income"]["weight"] == pytest.approx(0.4)
    assert rows["health"]["censored_headcount"] == pytest.approx(0.2)  # P3's deprivation is censored
    assert rows["income"]["absolute_contribution"] == pytest.approx(0.16)
    assert rows["income"]["contribution"] == pytest.approx(4 / 9)
    assert sum(r["absolute_contribution"] for r in report["indicators"]) == pytest.approx(0.36)
    assert sum(r["contribution"] for r in report["indicators"]) == pytest.approx(1.0)


def test_cutoffs_on_achievements_give_the_same_json_as_zero_one_deprivations(tmp_path):
    binary = run(tmp_path, DEPRIVATIONS, "--weights", "2,1,1,1", "--k", "0.4", name="binary.csv")
    achieved = run(
        tmp_path, ACHIEVEMENTS, "--weights", "2,1,1,1", "--k", "0.4", "--cutoffs", "500,6,1,1", name="achieved.csv"
    )
    assert achieved.exit_code == 0, achieved.output
    assert json.loads(achieved.stdout) == json.loads(binary.stdout)


def test_a_semicolon_file_with_decimal_commas_from_excel_is_read(tmp_path):
    text = "income;school\n0,5;1\n2;7\n"
    result = run(tmp_path, text, "--weights", "1,1", "--k", "0.5", "--cutoffs", "1,6")
    assert result.exit_code == 0, result.output
    # Row 1: 0.5 < 1 and 1 < 6 → both deprived; row 2: neither.
    assert json.loads(result.stdout)["H"] == 0.5


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("id,a,b\n1,0,1\n2,0,x\n", [], ["baris 3", "kolom 'b'", "'x' bukan angka"]),
        ("id,a,b\n1,0,2\n", [], ["baris 2", "kolom 'b'", "harus 0 atau 1"]),
        ("id,a,b\n1,0,\n", [], ["baris 2", "kolom 'b'", "sel kosong"]),
        ("id,a,b\n1,0\n", [], ["baris 2", "2 sel", "3 kolom"]),
        ("id,a,b\n", [], ["tidak ada baris data"]),
        ("id\n1\n", [], ["tidak ada kolom indikator"]),
        ("a,b\n1,2\n", ["--cutoffs", "1,x"], ["--cutoffs", "nilai ke-2"]),
        ("a,b\n1,2\n", ["--cutoffs", "1,2,3"], ["--cutoffs berisi 3 batas", "2 kolom indikator (a, b)"]),
    ],
)
def test_bad_files_exit_2_naming_line_and_column(tmp_path, text, args, expected):
    result = run(tmp_path, text, "--weights", "1,1", "--k", "0.5", *args)
    assert result.exit_code == 2
    assert "Galat:" in result.stderr
    for piece in expected:
        assert piece in result.stderr


def test_wrong_weights_and_k_exit_2(tmp_path):
    wrong_count = run(tmp_path, DEPRIVATIONS, "--weights", "1,1,1", "--k", "0.4")
    assert wrong_count.exit_code == 2
    assert "--weights berisi 3 bobot, padahal ada 4 kolom indikator" in wrong_count.stderr
    negative = run(tmp_path, DEPRIVATIONS, "--weights", "1,-1,1,1", "--k", "0.4")
    assert negative.exit_code == 2 and "negatif" in negative.stderr
    for k in ("0", "1.5", "abc"):
        result = run(tmp_path, DEPRIVATIONS, "--weights", "1,1,1,1", "--k", k)
        assert result.exit_code == 2 and "--k" in result.stderr, k


def test_an_unreadable_file_exits_2(tmp_path):
    result = runner.invoke(
        app, ["analyze", "af", "--input", str(tmp_path / "hilang.csv"), "--weights", "1", "--k", "1"]
    )
    assert result.exit_code == 2 and "tidak dapat dibaca" in result.stderr
