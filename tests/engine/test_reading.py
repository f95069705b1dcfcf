"""Bad files: each gives a clear message that names the place; the other rows still get decisions."""

from __future__ import annotations

import pytest

from berdaya.engine import InputError, ScreeningOptions, screen
from berdaya.engine.columns import CANONICAL, MappingError, load_mapping
from tests.conftest import AS_OF, person, write_rows, write_xlsx_rows


@pytest.fixture
def options(region_index, permensos):
    return ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF)


def screened(path, options):
    result = screen(path, options)
    try:
        return {f["no_kk"]: f for f in result.family_rows()}, result.rejected_rows(), result.counts
    finally:
        result.close()


def test_a_missing_required_column_names_the_column_and_what_was_found(tmp_path, options):
    path = write_rows(tmp_path / "a.csv", [person()], columns=[c for c in CANONICAL if c != "tanggal_lahir"])
    with pytest.raises(InputError) as error:
        screen(path, options)
    message = str(error.value)
    assert "tanggal_lahir" in message and "kolom wajib" in message
    assert "a.csv" in message and "baris 1" in message
    assert "nik" in message  # the columns it did find are listed


def test_a_missing_optional_column_only_makes_its_rule_unknown(tmp_path, options):
    path = write_rows(tmp_path / "a.csv", [person()], columns=[c for c in CANONICAL if c != "desil"])
    families, _, _ = screened(path, options)
    assert families["6171040101100001"]["r_IN_DTKS"] == "UNKNOWN:EMPTY"


def test_a_bad_date_and_a_non_numeric_desil_are_reported_with_line_and_column(tmp_path, options):
    rows = [person(), person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-02-30", desil="dua")]
    families, rejected, _ = screened(write_rows(tmp_path / "a.csv", rows), options)
    assert [(r["line"], r["column"], r["value"], r["reason_code"]) for r in rejected] == [
        (3, "desil", "dua", "BAD_DESIL"),
        (3, "tanggal_lahir", "1970-02-30", "BAD_DATE"),
    ]
    assert all(r["reason"] for r in rejected)
    assert families["6171040101100001"]["decision"] == "ELIGIBLE"  # the good row still gets its decision


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("jenis_kelamin", "X", "BAD_SEX"),
        ("status_kawin", "JANDA?", "BAD_STATUS"),
        ("kesediaan", "mungkin", "BAD_YN"),
        ("desil", "11", "BAD_DESIL"),
        ("kode_wilayah", "6171040", "BAD_CODE"),  # a BPS code is not a Kemendagri code
        ("kode_wilayah", "61.71.04.9999", "UNKNOWN_CODE"),
        ("lat", "utara", "BAD_COORD"),
    ],
)
def test_each_unreadable_value_has_its_reason(tmp_path, options, column, value, code):
    _, rejected, _ = screened(write_rows(tmp_path / "a.csv", [person(**{column: value})]), options)
    assert [(r["line"], r["column"], r["reason_code"]) for r in rejected] == [(2, column, code)]


def test_plain_ten_digit_region_codes_are_read_as_dotted(tmp_path, options):
    families, rejected, _ = screened(write_rows(tmp_path / "a.csv", [person(kode_wilayah="6171041001")]), options)
    assert rejected == []
    assert families["6171040101100001"]["kode_wilayah"] == "61.71.04.1001"


def test_an_empty_file_is_refused(tmp_path, options):
    path = tmp_path / "kosong.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="kosong"):
        screen(path, options)


def test_a_header_without_rows_is_refused(tmp_path, options):
    with pytest.raises(InputError, match="tanpa baris data"):
        screen(write_rows(tmp_path / "a.csv", []), options)


def test_a_file_in_the_wrong_encoding_names_the_line(tmp_path, options):
    path = write_rows(
        tmp_path / "a.csv",
        [
            person(),
            person(
                no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17", pekerjaan="PETANI KOPÍ"
            ),
        ],
        encoding="latin-1",
    )
    with pytest.raises(InputError) as error:
        screen(path, options)
    assert error.value.line == 3
    assert "UTF-8" in str(error.value) and "--encoding" in str(error.value)


def test_the_wrong_encoding_can_be_named(tmp_path, region_index, permensos):
    path = write_rows(tmp_path / "a.csv", [person(nama="JOSÉ")], encoding="latin-1")
    options = ScreeningOptions(ruleset=permensos, regions=region_index, as_of=AS_OF, encoding="latin-1")
    families, rejected, _ = screened(path, options)
    assert rejected == [] and families["6171040101100001"]["decision"] == "ELIGIBLE"


def test_utf16_is_recognised_and_explained(tmp_path, options):
    path = write_rows(tmp_path / "a.csv", [person()], encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16"):
        screen(path, options)


def test_a_row_with_too_few_fields_is_rejected_and_later_lines_keep_their_numbers(tmp_path, options):
    path = write_rows(tmp_path / "a.csv", [person()])
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("1,6171041708700003,6171040101100002\r\n")
        handle.write(",".join(person(no_kk="6171040101100003", nik="6171040101100003x").values()) + "\r\n")
    families, rejected, _ = screened(path, options)
    assert (3, "UNREADABLE_ROW") in [(r["line"], r["reason_code"]) for r in rejected]
    assert families["6171040101100003"]["candidate_line"] == 4


def test_semicolon_separated_files_are_read(tmp_path, options):
    path = tmp_path / "a.csv"
    row = person()
    path.write_text(";".join(row) + "\n" + ";".join(row.values()) + "\n", encoding="utf-8")
    families, rejected, _ = screened(path, options)
    assert rejected == [] and families["6171040101100001"]["decision"] == "ELIGIBLE"


def test_title_rows_above_the_header_in_a_csv_are_skipped_and_lines_stay_true(tmp_path, options):
    path = tmp_path / "a.csv"
    body = write_rows(tmp_path / "b.csv", [person(desil="x")]).read_text(encoding="utf-8")
    path.write_text("DATA DTKS KELURAHAN SIANTAN HULU\n\n" + body, encoding="utf-8")
    _, rejected, _ = screened(path, options)
    assert [(r["line"], r["column"]) for r in rejected] == [(4, "desil")]


def test_stray_title_rows_in_excel_are_skipped_and_lines_are_excel_rows(tmp_path, options):
    path = write_xlsx_rows(
        tmp_path / "a.xlsx",
        [person(), person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="salah")],
        title_rows=3,
    )
    families, rejected, _ = screened(path, options)
    assert families["6171040101100001"]["decision"] == "ELIGIBLE"
    assert [(r["line"], r["column"]) for r in rejected] == [(6, "tanggal_lahir")]


def test_a_nik_stored_as_an_excel_number_is_not_trusted(tmp_path, options):
    families, rejected, _ = screened(write_xlsx_rows(tmp_path / "a.xlsx", [person()], numeric_nik=True), options)
    assert rejected[0]["line"] == 2 and "15 digit" in rejected[0]["reason"]


def test_an_xlsx_that_is_not_a_workbook_is_refused(tmp_path, options):
    path = tmp_path / "palsu.xlsx"
    path.write_text("bukan excel", encoding="utf-8")
    with pytest.raises(InputError, match="XLSX"):
        screen(path, options)


def test_parquet_input_gives_the_same_decisions_as_csv(tmp_path, options):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        person(),
        person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17", pekerjaan="PNS"),
    ]
    csv_families, _, _ = screened(write_rows(tmp_path / "a.csv", rows), options)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    parquet_families, _, _ = screened(tmp_path / "a.parquet", options)
    assert {k: v["decision"] for k, v in csv_families.items()} == {
        k: v["decision"] for k, v in parquet_families.items()
    }


def test_a_mapping_file_renames_other_columns(tmp_path, options):
    mapping_path = tmp_path / "peta.csv"
    mapping_path.write_text("kolom_sumber,kolom_baku\nNOMOR KK,no_kk\nTGL LAHIR,tanggal_lahir\n", encoding="utf-8")
    mapping = load_mapping(mapping_path)
    renamed = ["NOMOR KK" if c == "no_kk" else "TGL LAHIR" if c == "tanggal_lahir" else c for c in CANONICAL]
    path = tmp_path / "a.csv"
    row = person()
    path.write_text(",".join(renamed) + "\n" + ",".join(row[c] for c in CANONICAL) + "\n", encoding="utf-8")
    result = screen(path, ScreeningOptions(**{**options.__dict__, "mapping": mapping}))
    assert result.family_rows()[0]["decision"] == "ELIGIBLE"
    result.close()


def test_a_mapping_to_an_unknown_column_names_the_line(tmp_path):
    path = tmp_path / "peta.csv"
    path.write_text("kolom_sumber,kolom_baku\nNOMOR KK,nomor_keluarga\n", encoding="utf-8")
    with pytest.raises(MappingError, match="peta.csv:2"):
        load_mapping(path)


def test_an_unsupported_file_type_is_refused(tmp_path, options):
    path = tmp_path / "a.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="tidak didukung"):
        screen(path, options)


def test_a_csv_read_in_many_chunks_keeps_every_line_number_and_reports_progress(tmp_path, options, monkeypatch):
    from berdaya.engine import reading

    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 1024)  # a few rows per pyarrow batch
    monkeypatch.setattr(reading, "CSV_CHUNK_ROWS", 2)  # and a chunk as soon as two rows are in
    rows = [
        person(no_kk=f"61710401011000{i:02d}", nik=f"61710417088000{i:02d}", desil="x" if i == 7 else "2")
        for i in range(1, 13)
    ]
    path = write_rows(tmp_path / "a.csv", rows)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("1,2,3\r\n")  # line 14: too few fields
        handle.write(",".join(person(no_kk="6171040101100099", nik="6171041708800099").values()) + "\r\n")
    seen = []
    result = screen(path, ScreeningOptions(**{**options.__dict__, "progress": lambda s, n: seen.append((s, n))}))
    try:
        families = {f["no_kk"]: f for f in result.family_rows()}
        rejected = result.rejected_rows()
    finally:
        result.close()
    assert families["6171040101100099"]["candidate_line"] == 15
    assert families["6171040101100012"]["candidate_line"] == 13
    assert [(r["line"], r["reason_code"]) for r in rejected] == [(8, "BAD_DESIL"), (14, "UNREADABLE_ROW")]
    assert seen[0] == ("membaca", 0) and ("membaca", 13) in seen and seen[-1][0] == "menilai keluarga"


def test_a_file_with_too_few_known_columns_names_only_the_missing_ones(tmp_path, options):
    path = tmp_path / "a.csv"
    path.write_text("nik,nama\n6171041708800001,BUDI\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        screen(path, options)
    message = str(error.value)
    assert "kolom wajib tidak ada: no_kk, jenis_kelamin" in message
    assert "tidak ada: nik" not in message and "baris 1" in message
