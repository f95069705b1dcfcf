"""Submissions exported from ODK Central (CSV) and KoboToolbox (XLSX) are read and checked row by row."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from openpyxl import Workbook

from berdaya.engine.errors import InputError
from berdaya.engine.evaluation.instruments import load_instrument
from berdaya.engine.evaluation.submissions import read_submissions


@pytest.fixture(scope="module")
def empowerment():
    return load_instrument("empowerment")


@pytest.fixture(scope="module")
def welfare():
    return load_instrument("welfare")


def _empowerment_answers(family_id: int, level: int = 3) -> dict[str, str]:
    answers = {"kube_id": "12", "family_id": str(family_id), "round": "baseline", "survey_date": "2026-03-02"}
    answers["consent"] = "1"
    for item in load_instrument("empowerment").answer_items:
        answers[item.code] = str(level)
    return answers


def _write_odk_csv(path, rows: list[dict[str, str]]):
    """ODK Central's layout: SubmissionDate first, group prefixes joined by '-', meta-instanceID, KEY."""
    codes = list(rows[0])
    header = ["SubmissionDate", "start", "end", *[f"bagian-{code}" if "_" in code else code for code in codes]]
    header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "ReviewState"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for number, row in enumerate(rows, start=1):
            uuid = f"uuid:0000-{number:04d}"
            writer.writerow(
                ["2026-03-02T10:00:00.000Z", "2026-03-02T09:40:00.000+07:00", "2026-03-02T09:55:00.000+07:00"]
                + [row[code] for code in codes]
                + [uuid, uuid, "7", "pendamping", "0", ""]
            )
    return path


def test_a_good_odk_central_csv_is_read_into_typed_answers(tmp_path, empowerment):
    rows = [_empowerment_answers(101, 4), _empowerment_answers(102, 2)]
    rows[1]["to_econ_1"] = "1"
    path = _write_odk_csv(tmp_path / "berdaya_empowerment_v1.csv", rows)

    batch = read_submissions(path, empowerment)

    assert batch.ok, [str(error) for error in batch.errors]
    assert batch.rows_read == 2 and len(batch.submissions) == 2
    first, second = batch.submissions
    assert (first.line, second.line) == (2, 3)
    assert first.instance_id == "0000-0001" and first.submitted_at.startswith("2026-03-02")
    assert first.values["family_id"] == 101 and first.values["round"] == "baseline"
    assert first.values["survey_date"] == dt.date(2026, 3, 2)
    assert first.values["within_econ_1"] == 4 and second.values["to_econ_1"] == 1
    assert first.consented and batch.columns["within_econ_1"] == "bagian-within_econ_1"
    assert batch.warnings == ()  # every platform column is recognised


def test_a_declined_consent_keeps_the_row_without_answers(tmp_path, empowerment):
    row = _empowerment_answers(103)
    row["consent"] = "0"
    for item in empowerment.answer_items:
        row[item.code] = ""
    batch = read_submissions(_write_odk_csv(tmp_path / "e.csv", [row]), empowerment)
    assert batch.ok
    (only,) = batch.submissions
    assert not only.consented and only.values["within_econ_1"] is None


def test_a_kobo_xlsx_with_slash_groups_labels_and_option_columns_is_read(tmp_path, welfare):
    header = [
        "start",
        "end",
        "identitas/sample",
        "identitas/kube_id",
        "identitas/family_id",
        "identitas/round",
        "identitas/survey_date",
        "consent",
        "ekonomi/income_month",
        "ekonomi/household_size",
        "pangan/meals_per_day",
        "pangan/food_shortage_month",
        "pangan/protein_week",
        "new_clothes_year",
        "rumah/floor_material",
        "rumah/wall_material",
        "rumah/roof_material",
        "rumah/floor_area",
        "sick_untreated",
        "health_insurance",
        "children_7_15",
        "children_not_school",
        "worship_able",
        "community_activity_3m",
        "community_activity_types",
        "community_activity_types/arisan",
        "community_activity_types/posyandu",
        "catatan_enumerator",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "__version__",
        "_index",
    ]
    times = ["2026-03-03T09:00:00.000+07:00", "2026-03-03T09:20:00.000+07:00"]
    member = [
        *times,
        "anggota",
        12,
        201,
        "baseline",
        dt.datetime(2026, 3, 3),
        "Ya",
        1_500_000,
        4,
        3,
        "Tidak",
        "Ya",
        "Ya",
    ]
    member += ["semen", "tembok", "seng", 36.5, "Tidak", "Ya", 2, 0, "Ya", "Ya", "arisan posyandu", 1, 1, ""]
    member += [9001, "a1b2", "2026-03-03T12:00:00", "", "vXyZ", 1]
    comparison = [*times, "pembanding", None, 202, "baseline", dt.date(2026, 3, 3), "1", 800000, 5, 2, "1", "0", "0"]
    comparison += ["tanah", "Bambu, rumbia, atau anyaman", "daun", 20, "1", "0", 0, None, "1", "0", None, 0, 0, "x"]
    comparison += [9002, "c3d4", "2026-03-03T13:00:00", "", "vXyZ", 2]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Survei Kesejahteraan"
    sheet.append(header)
    sheet.append(member)
    sheet.append(comparison)
    path = tmp_path / "kobo.xlsx"
    workbook.save(path)

    batch = read_submissions(path, welfare)

    assert batch.ok, [str(error) for error in batch.errors]
    first, second = batch.submissions
    assert first.instance_id == "a1b2" and second.line == 3
    assert first.values["kube_id"] == 12 and second.values["kube_id"] is None  # not asked of comparisons
    assert first.values["consent"] == 1 and first.values["food_shortage_month"] == 0
    assert first.values["floor_area"] == 36.5 and first.values["income_month"] == 1_500_000
    assert first.values["community_activity_types"] == ("arisan", "posyandu")
    assert second.values["wall_material"] == "bambu_rumbia"  # a label read back to its value
    assert second.values["children_not_school"] is None and second.values["community_activity_types"] is None
    assert first.values["survey_date"] == dt.date(2026, 3, 3)
    assert batch.warnings == ("kolom tidak dikenal diabaikan: catatan_enumerator",)


def test_a_malformed_file_is_reported_row_by_row_and_yields_nothing(tmp_path, empowerment):
    rows = [_empowerment_answers(family_id) for family_id in range(301, 307)]
    rows[0]["within_econ_1"] = "5"  # line 2: not a choice
    rows[1]["family_id"] = "dua"  # line 3: not a number
    rows[2]["survey_date"] = "02/03/2026"  # line 4: not ISO
    rows[3]["to_econ_2"] = ""  # line 5: required answer missing
    rows[4]["kube_id"] = "0"  # line 6: below the minimum
    rows[4]["round"] = "akhir"  # line 6 again: not a choice
    path = _write_odk_csv(tmp_path / "rusak.csv", rows)

    batch = read_submissions(path, empowerment)

    assert not batch.ok and batch.submissions == ()
    found = {(error.line, error.column) for error in batch.errors}
    assert found == {
        (2, "bagian-within_econ_1"),
        (3, "bagian-family_id"),
        (4, "bagian-survey_date"),
        (5, "bagian-to_econ_2"),
        (6, "bagian-kube_id"),
        (6, "round"),
    }
    messages = {error.line: str(error) for error in batch.errors if error.line < 6}
    assert "baris 2" in messages[2] and "bukan pilihan yang ada" in messages[2] and "'5'" in messages[2]
    assert "bilangan bulat" in messages[3]
    assert "TTTT-BB-HH" in messages[4]
    assert "jawaban wajib kosong" in messages[5]
    assert all(str(path) in str(error) for error in batch.errors)


def test_a_csv_record_spanning_lines_is_reported_at_the_line_where_it_starts(tmp_path):
    instrument = load_instrument("group_assessment")
    good = {item.code: "" for item in instrument.items}
    good.update(kube_id="12", round="midline", survey_date="2026-09-01", observer="Bu Sari", partner_count="2")
    good.update(community_events="3", new_product_market="1", new_product_market_note="kerupuk\njagung manis")
    for item in instrument.answer_items:
        if item.likert:
            good[item.code] = "3"
        elif item.choice_list == "ya_tidak" and not good[item.code]:
            good[item.code] = "1"
    good["iks_use"] = "sosial"
    bad = dict(good, partner_count="-1", new_product_market_note="")
    path = tmp_path / "kelompok.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*good, "meta-instanceID"])
        writer.writeheader()
        writer.writerow({**good, "meta-instanceID": "uuid:1"})  # lines 2-3
        writer.writerow({**bad, "meta-instanceID": "uuid:2"})  # line 4
        writer.writerow({**good, "meta-instanceID": "uuid:1"})  # lines 5-6: the same submission again
    batch = read_submissions(path, instrument)
    assert sorted((error.line, error.column) for error in batch.errors) == [
        (4, "new_product_market_note"),
        (4, "partner_count"),
        (5, "meta-instanceID"),
    ]


def test_a_file_for_another_instrument_is_refused_as_a_whole(tmp_path, welfare):
    path = _write_odk_csv(tmp_path / "empowerment.csv", [_empowerment_answers(401)])
    with pytest.raises(InputError, match="bukan kiriman instrumen 'welfare'") as caught:
        read_submissions(path, welfare)
    assert caught.value.path == str(path) and caught.value.line == 1


def test_an_empty_or_unreadable_file_is_refused(tmp_path, welfare):
    empty = tmp_path / "kosong.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="berkas kosong"):
        read_submissions(empty, welfare)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("sample;kube_id\nanggota;caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_submissions(latin, welfare)
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"bukan zip")
    with pytest.raises(InputError, match="XLSX"):
        read_submissions(broken, welfare)
    spss = tmp_path / "data.sav"
    spss.write_bytes(b"$FL2")
    with pytest.raises(InputError, match="tidak didukung"):
        read_submissions(spss, welfare)


def test_a_kobo_csv_separated_by_semicolons_is_read(tmp_path, empowerment):
    answers = _empowerment_answers(501)
    header = [f"blok/{code}" for code in answers] + ["meta/instanceID", "_uuid", "_submission_time", "__version__"]
    line = [*answers.values(), "uuid:k-1", "k-1", "2026-03-04T08:00:00", "vAbC"]
    path = tmp_path / "kobo.csv"
    path.write_text(";".join(header) + "\n" + ";".join(line) + "\n", encoding="utf-8-sig")
    batch = read_submissions(path, empowerment)
    assert batch.ok and batch.warnings == ()
    (only,) = batch.submissions
    assert only.instance_id == "k-1" and only.values["with_social_2"] == 3
