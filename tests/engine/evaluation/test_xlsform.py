"""Every instrument exports as an XLSForm that pyxform (ODK's converter) accepts without warnings."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from berdaya.engine.evaluation.instruments import load_instrument
from berdaya.engine.evaluation.xlsform import LANGUAGE_EN, LANGUAGE_ID, xlsform_check, xlsform_write

NAMES = ("welfare", "empowerment", "group_assessment")


def _sheet(workbook, title):
    rows = list(workbook[title].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


@pytest.mark.parametrize("name", NAMES)
def test_each_instrument_converts_with_pyxform_without_warnings(tmp_path, name):
    instrument = load_instrument(name)
    path = xlsform_write(instrument, tmp_path / f"{name}.xlsx")

    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)

    assert warnings == [] and result.warnings == []
    assert f'id="berdaya_{name}_v1"' in result.xform
    assert 'version="1"' in result.xform
    assert f'lang="{LANGUAGE_ID}"' in result.xform and f'lang="{LANGUAGE_EN}"' in result.xform
    for item in instrument.items:
        assert f"/data/{item.code}" in result.xform
    assert xlsform_check(path).warnings == ()


@pytest.mark.parametrize("name", NAMES)
def test_the_settings_sheet_names_the_form_and_its_version(tmp_path, name):
    path = xlsform_write(load_instrument(name), tmp_path / "form.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    (settings,) = _sheet(workbook, "settings")
    assert settings["form_id"] == f"berdaya_{name}_v1"
    assert str(settings["version"]) == "1"
    assert settings["default_language"] == LANGUAGE_ID


@pytest.mark.parametrize("name", NAMES)
def test_every_question_and_choice_is_labelled_in_both_languages(tmp_path, name):
    instrument = load_instrument(name)
    workbook = load_workbook(xlsform_write(instrument, tmp_path / "form.xlsx"))
    survey = {row["name"]: row for row in _sheet(workbook, "survey")}
    for item in instrument.items:
        row = survey[item.code]
        assert row[f"label::{LANGUAGE_ID}"] == item.label
        assert row[f"label::{LANGUAGE_EN}"] == item.label_en
    for row in _sheet(workbook, "choices"):
        assert row[f"label::{LANGUAGE_ID}"] and row[f"label::{LANGUAGE_EN}"]


def test_numbers_are_constrained_and_answers_wait_for_consent(tmp_path):
    workbook = load_workbook(xlsform_write(load_instrument("welfare"), tmp_path / "welfare.xlsx"))
    survey = {row["name"]: row for row in _sheet(workbook, "survey")}
    assert survey["income_month"]["constraint"] == ". >= 0 and . <= 100000000"
    assert survey["children_not_school"]["constraint"].endswith(". <= ${children_7_15}")
    assert survey["income_month"]["relevant"] == "${consent} = '1'"
    assert survey["children_not_school"]["relevant"] == "${consent} = '1' and (${children_7_15} >= 1)"
    assert survey["family_id"]["relevant"] is None  # identification comes before consent
    assert survey["consent"]["type"] == "select_one ya_tidak" and survey["consent"]["required"] == "yes"
    assert survey["community_activity_types"]["required"] is None


def test_likert_items_use_the_likert_appearance(tmp_path):
    workbook = load_workbook(xlsform_write(load_instrument("empowerment"), tmp_path / "e.xlsx"))
    survey = {row["name"]: row for row in _sheet(workbook, "survey")}
    assert survey["within_econ_1"]["type"] == "select_one setuju4"
    assert survey["within_econ_1"]["appearance"] == "likert"
    assert survey["kube_id"]["appearance"] is None
