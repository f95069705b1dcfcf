"""Cases a review found: each once gave a wrong or silent answer."""

from __future__ import annotations

import zipfile

import pytest

from berdaya.engine import ScreeningOptions, screen
from tests.conftest import AS_OF, person, write_rows, write_xlsx_rows

KK = "6171040101100001"


def judge(run_screen, rows, **kwargs):
    families, rejected, counts = run_screen(rows, **kwargs)
    return families, rejected, counts


@pytest.mark.parametrize("value", ["4.4", "4.5", "0.6", "2,0"])
def test_a_desil_with_decimals_is_refused_not_rounded(run_screen, value):
    families, rejected, _ = judge(run_screen, [person(desil=value)])
    assert [(r["column"], r["reason_code"]) for r in rejected] == [("desil", "BAD_DESIL")]
    assert families[KK]["r_IN_DTKS"] == "UNKNOWN:EMPTY"


@pytest.mark.parametrize("value", ["6171041001   ", "61 71 04 1001", " 61.71.04.1001"])
def test_region_codes_with_stray_spaces_are_read(run_screen, value):
    families, rejected, _ = judge(run_screen, [person(kode_wilayah=value)])
    assert rejected == []
    assert families[KK]["kode_wilayah"] == "61.71.04.1001"


def test_blank_lines_keep_the_line_numbers_of_the_rows_after_them(tmp_path, region_index, permensos):
    path = write_rows(tmp_path / "a.csv", [person()])
    bad = person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="xx")
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("\r\n")  # line 3: blank
        handle.write(",".join(bad.values()) + "\r\n")  # line 4
    result = screen(path, ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF))
    try:
        assert [(r["line"], r["column"]) for r in result.rejected_rows()] == [(4, "tanggal_lahir")]
        assert result.counts["rows"] == 2
    finally:
        result.close()


def test_a_row_of_empty_fields_is_layout_not_a_rejected_row(tmp_path, region_index, permensos):
    path = write_rows(tmp_path / "a.csv", [person()])
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("," * 19 + "\r\n")
    result = screen(path, ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF))
    try:
        assert result.rejected_rows() == [] and result.counts["families"] == 1
    finally:
        result.close()


def test_an_unreadable_earner_flag_is_a_conflict_not_a_silent_pass(run_screen):
    rows = [
        person(pencari_nafkah_utama="N"),
        person(nik="6171045708820002", jenis_kelamin="P", tanggal_lahir="1982-08-17", hubungan_keluarga="ISTRI",
               pencari_nafkah_utama="X", pekerjaan="PNS"),
    ]
    families, _, _ = judge(run_screen, rows)
    assert "EARNER_FLAG_UNREADABLE" in families[KK]["conflicts"]
    assert families[KK]["decision"] == "NEEDS_VERIFICATION"


def test_resident_passes_a_conflict_family_when_no_region_is_set(run_screen):
    rows = [person(), person(nik="6171041708820002", tanggal_lahir="1982-08-17", pencari_nafkah_utama="N")]
    families, _, _ = judge(run_screen, rows)
    assert families[KK]["r_RESIDENT"] == "PASS"
    assert "RESIDENT" not in families[KK]["unknown_rules"]


@pytest.mark.parametrize(
    ("value", "expected"), [("Tidak  Ada", "FAIL"), ("budidaya  ikan", "PASS"), ("Bertani ", "PASS")]
)
def test_skill_text_is_compared_with_spaces_collapsed(run_screen, value, expected):
    families, _, _ = judge(run_screen, [person(keahlian=value)])
    assert families[KK]["r_SKILL"] == expected


def test_a_custom_occupation_term_is_matched_literally(run_screen, permensos):
    from dataclasses import replace

    ruleset = replace(permensos, rules={**permensos.rules, "NOT_STATE_EMPLOYEE": {"terms": ["P.N.S", "(PNS"]}})
    families, _, _ = judge(run_screen, [person(pekerjaan="PXNXS")], ruleset=ruleset)
    assert families[KK]["r_NOT_STATE_EMPLOYEE"] == "PASS"
    families, _, _ = judge(run_screen, [person(pekerjaan="GURU P.N.S")], ruleset=ruleset)
    assert families[KK]["r_NOT_STATE_EMPLOYEE"] == "FAIL"


def test_xlsx_rows_beyond_a_stale_dimension_are_still_read(tmp_path, region_index, permensos):
    rows = [person(), person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17"),
            person(no_kk="6171040101100003", nik="6171041708700004", tanggal_lahir="1970-08-17")]
    source = write_xlsx_rows(tmp_path / "a.xlsx", rows)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(stale, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:T4" />', b'<dimension ref="A1:T2" />')
                assert b'ref="A1:T2"' in data
            zout.writestr(item, data)
    result = screen(stale, ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF))
    try:
        assert result.counts["families"] == 3
    finally:
        result.close()


def test_an_excel_number_nik_counts_its_row_once_and_marks_the_candidate_row(tmp_path, region_index, permensos):
    source = write_xlsx_rows(tmp_path / "a.xlsx", [person()], numeric_nik=True)
    result = screen(source, ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF))
    try:
        assert result.counts["rows"] == 1
        family = result.family_rows()[0]
        assert "CANDIDATE_ROW_REJECTED" in family["conflicts"]
        assert [(r["line"], r["column"], r["reason_code"]) for r in result.rejected_rows()] == [
            (2, "nik", "EXCEL_NUMBER")
        ]
    finally:
        result.close()
