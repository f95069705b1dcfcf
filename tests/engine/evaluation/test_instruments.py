"""The three survey instruments are versioned data files that load into checked dataclasses."""

from __future__ import annotations

import pytest

from berdaya.engine.evaluation.instruments import (
    LIKERT_MAX,
    LIKERT_MIN,
    POWERS,
    SPHERES,
    InstrumentError,
    bundled_instrument_files,
    items_by_indicator,
    list_instruments,
    load_instrument,
    load_instrument_file,
)

NAMES = ("welfare", "empowerment", "group_assessment")


@pytest.mark.parametrize("name", NAMES)
def test_each_shipped_instrument_loads_with_unique_codes(name):
    instrument = load_instrument(name)
    assert instrument.name == name and instrument.version == 1
    assert instrument.title and instrument.description and instrument.digest
    codes = [item.code.lower() for item in instrument.items]
    assert len(codes) == len(set(codes))
    assert all(item.label and item.label_en for item in instrument.items)
    assert all(choice.label and choice.label_en for item in instrument.items for choice in item.choices)


def test_the_list_names_the_three_instruments_with_their_versions():
    assert list_instruments() == {"empowerment": (1,), "group_assessment": (1,), "welfare": (1,)}


def test_empowerment_has_twelve_indicators_four_powers_by_three_spheres_on_a_1_to_4_scale():
    instrument = load_instrument("empowerment")
    assert instrument.respondent == "member"
    pairs = {(indicator.power, indicator.sphere) for indicator in instrument.indicators}
    assert len(instrument.indicators) == 12
    assert pairs == {(power, sphere) for power in POWERS for sphere in SPHERES}
    grouped = items_by_indicator(instrument)
    assert set(grouped) == {indicator.code for indicator in instrument.indicators}
    assert "WITHIN_ECON" in grouped and "WITH_SOCIAL" in grouped
    for items in grouped.values():
        assert 2 <= len(items) <= 3
        for item in items:
            assert item.likert and item.scale == (LIKERT_MIN, LIKERT_MAX) == (1, 4)
            assert [choice.value for choice in item.choices] == ["1", "2", "3", "4"]


def test_empowerment_asks_who_when_and_consent_before_the_questions():
    instrument = load_instrument("empowerment")
    ids = [item.code for item in instrument.items if item.role == "id"]
    assert ids == ["kube_id", "family_id", "round", "survey_date"]
    assert instrument.consent_item is not None and instrument.consent_item.code == "consent"


def test_welfare_items_feed_the_eight_dimensions_of_the_spec():
    instrument = load_instrument("welfare")
    assert instrument.respondent == "household"
    grouped = items_by_indicator(instrument)
    assert list(grouped) == ["INCOME", "FOOD", "CLOTHING", "HOUSING", "HEALTH", "EDUCATION", "RELIGIOUS", "SOCIAL"]
    assert instrument.item("income_month").type == "integer" and instrument.item("income_month").min == 0
    assert instrument.item("floor_area").type == "decimal"
    assert instrument.item("community_activity_types").type == "select_multiple"
    assert instrument.item("children_not_school").when is not None


def test_group_assessment_covers_the_observed_success_indicators():
    instrument = load_instrument("group_assessment")
    assert instrument.respondent == "group" and instrument.consent_item is None
    grouped = items_by_indicator(instrument)
    assert set(grouped) == {
        "S2_SOCIAL_DYNAMICS",
        "S3_SKILLS",
        "G1_COOPERATION",
        "G2_TRUSTED",
        "G3_REGULAR",
        "G4_EXPANSION",
        "G6_SOLIDARITY",
    }
    cooperation = [item for item in grouped["G1_COOPERATION"] if item.likert]
    assert len(cooperation) == 4
    assert {"books_shown", "aid_report_submitted", "new_product_market", "partner_count"} <= set(instrument.codes)


def test_an_unknown_name_or_version_lists_what_exists():
    with pytest.raises(InstrumentError, match="welfare") as caught:
        load_instrument("kepuasan")
    assert "empowerment" in str(caught.value) and "group_assessment" in str(caught.value)
    with pytest.raises(InstrumentError, match="Versi yang tersedia: 1"):
        load_instrument("welfare", version=9)


def _copy(tmp_path, name: str, old: str, new: str):
    source = bundled_instrument_files()[(name, 1)].read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / f"{name}-v1.toml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_unchanged_copy_loads_by_path(tmp_path):
    path = _copy(tmp_path, "welfare", 'title = "', 'title = "')
    assert load_instrument_file(path).codes == load_instrument("welfare").codes


@pytest.mark.parametrize(
    ("name", "old", "new", "item", "message"),
    [
        ("empowerment", 'code = "within_econ_2"', 'code = "within_econ_1"', "within_econ_1", "kode ganda"),
        (
            "welfare",
            'code = "meals_per_day"\nindicator = "FOOD"\ntype = "integer"',
            'code = "meals_per_day"\nindicator = "FOOD"\ntype = "angka"',
            "meals_per_day",
            "tipe 'angka' tidak dikenal",
        ),
        (
            "welfare",
            'choices = "lantai"',
            'choices = "lantai_rumah"',
            "floor_material",
            "daftar pilihan 'lantai_rumah' tidak ada",
        ),
        (
            "welfare",
            "min = 1\nmax = 30",
            "min = 30\nmax = 1",
            "household_size",
            "min \\(30\\) lebih besar dari max \\(1\\)",
        ),
        (
            "group_assessment",
            'indicator = "G2_TRUSTED"\ntype = "select_one"\nchoices = "ya_tidak"\nlabel = "Apakah buku',
            'indicator = "G9"\ntype = "select_one"\nchoices = "ya_tidak"\nlabel = "Apakah buku',
            "books_shown",
            "indikator 'G9' tidak ada",
        ),
        ("empowerment", 'code = "to_social_1"', 'code = "to-social-1"', "to-social-1", "tidak sah"),
        (
            "empowerment",
            'code = "over_econ_1"\nindicator = "OVER_ECON"\ntype = "select_one"',
            'code = "over_econ_1"\nindicator = "OVER_ECON"\ntype = "select_one"\nwarna = "merah"',
            "over_econ_1",
            "kunci tidak dikenal: warna",
        ),
    ],
)
def test_a_malformed_item_is_reported_with_the_file_and_the_item_code(tmp_path, name, old, new, item, message):
    path = _copy(tmp_path, name, old, new)
    with pytest.raises(InstrumentError, match=message) as caught:
        load_instrument_file(path)
    assert caught.value.path == str(path) and str(path) in str(caught.value)
    assert caught.value.item == item and f"butir '{item}'" in str(caught.value)


def test_a_likert_scale_that_is_not_1_to_4_is_refused(tmp_path):
    path = _copy(
        tmp_path, "empowerment", '{ value = "4", label = "Sangat setuju"', '{ value = "5", label = "Sangat setuju"'
    )
    with pytest.raises(InstrumentError, match="setuju4.*Likert harus bernilai 1 sampai 4"):
        load_instrument_file(path)


def test_an_empowerment_indicator_without_items_is_refused(tmp_path):
    source = bundled_instrument_files()[("empowerment", 1)].read_text(encoding="utf-8")
    path = tmp_path / "empowerment-v1.toml"
    path.write_text(source.replace('indicator = "WITH_SOCIAL"', 'indicator = "WITH_ECON"'), encoding="utf-8")
    with pytest.raises(InstrumentError, match="indikator tanpa butir: WITH_SOCIAL"):
        load_instrument_file(path)


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "rusak.toml"
    path.write_text('name = "welfare\n', encoding="utf-8")
    with pytest.raises(InstrumentError, match="bukan TOML yang sah") as caught:
        load_instrument_file(path)
    assert str(path) in str(caught.value)
