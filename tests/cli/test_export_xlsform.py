"""`berdaya export xlsform`: an instrument as an XLSForm that pyxform converts; no database needed."""

from __future__ import annotations

import pytest
from pyxform.xls2xform import convert
from typer.testing import CliRunner

from berdaya.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name", ["welfare", "empowerment", "group_assessment"])
def test_it_writes_a_form_that_pyxform_converts(tmp_path, name):
    out = tmp_path / f"{name}.xlsx"
    result = runner.invoke(app, ["export", "xlsform", "--instrument", name, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"berdaya_{name}_v1" in result.output
    converted = convert(xlsform=str(out))
    assert f'id="berdaya_{name}_v1"' in converted.xform and converted.warnings == []


def test_it_takes_an_explicit_version(tmp_path):
    out = tmp_path / "e.xlsx"
    result = runner.invoke(
        app, ["export", "xlsform", "--instrument", "empowerment", "--version", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_an_unknown_instrument_exits_2_listing_the_known_ones(tmp_path):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["export", "xlsform", "--instrument", "kepuasan", "--out", str(out)])
    assert result.exit_code == 2
    assert "tidak dikenal" in result.output
    for name in ("welfare", "empowerment", "group_assessment"):
        assert name in result.output
    assert not out.exists()


def test_an_unknown_version_exits_2(tmp_path):
    result = runner.invoke(
        app, ["export", "xlsform", "--instrument", "welfare", "--version", "7", "--out", str(tmp_path / "w.xlsx")]
    )
    assert result.exit_code == 2 and "Versi yang tersedia: 1" in result.output
