"""Research datasets and their exports (CSV, XLSX, SPSS .sav, Stata .dta), each with a codebook; no NIK, No
KK or name ever in a file, and the evaluator's export pseudonymised."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import zipfile

import openpyxl
import pyreadstat
import pytest

from berdaya.core.models import AuditEvent
from berdaya.engine.evaluation.answers import household_from_answers
from berdaya.engine.evaluation.welfare import welfare_index
from berdaya.evaluation.dataset import family_pseudonym, round_dataset
from berdaya.evaluation.exports import export_round, stata_names, write_files
from berdaya.evaluation.models import Response
from berdaya.registry.models import Person
from tests.evaluation.test_analysis import MEMBER_FOOD_SHORT, MEMBER_INCOME, MEMBER_LIKERT, MEMBER_SIZE, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(officer):
    return build_world(officer)


@pytest.fixture
def evaluator(make_user):
    return make_user("peneliti", "evaluator", "61.71")


def personal_strings(world) -> list[str]:
    """Every NIK, No KK and name of the surveyed families."""
    families = [*world.members, *world.comparison]
    found = [f.no_kk for f in families]
    for person in Person.objects.filter(family__in=families):
        found += [person.nik, person.name]
    return found


def unpacked(content: bytes) -> list[bytes]:
    """A file's bytes, or every member of a zip (xlsx included), decompressed."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read(name) for name in archive.namelist()]
    return [content]


def assert_no_personal_data(world, content: bytes) -> None:
    for part in unpacked(content):
        for text in personal_strings(world):
            assert text.encode("utf-8") not in part, text


def test_a_dataset_has_one_row_per_response_with_ids_items_and_derived_columns(world):
    data = round_dataset(world.baseline, "welfare", pseudonymise=False)
    frame = data.frame
    assert data.rows == 14 and list(frame.columns) == data.codebook.names
    assert data.codebook.names[:11] == [
        "pid", "family_id", "kube_id", "kube_name", "kelurahan", "kecamatan", "round_id", "round_kind",
        "comparison", "collected_on", "consent",
    ]  # fmt: skip
    members = frame[frame["comparison"] == 0].sort_values("family_id").reset_index(drop=True)
    assert list(members["family_id"]) == [f.pk for f in world.members]
    assert list(members["income_pc"]) == pytest.approx(
        [i[0] / s for i, s in zip(MEMBER_INCOME, MEMBER_SIZE, strict=True)]
    )
    assert list(members["dep_food"]) == [b for b, _a in MEMBER_FOOD_SHORT]
    assert list(members["community_activity_types__arisan"]) == [1] * 8
    assert list(members["community_activity_types__posyandu"]) == [0] * 8
    assert set(frame["kecamatan"]) == {"61.71.04"} and set(frame["round_kind"]) == {"baseline"}
    comparison = frame[frame["comparison"] == 1]
    assert comparison["kube_id"].isna().all() and set(comparison["kelurahan"]) == {"61.71.04.1001", "61.71.04.1002"}


def test_the_censored_deprivation_score_averages_to_the_engines_m0(world):
    frame = round_dataset(world.baseline, "welfare", pseudonymise=False).frame
    responses = Response.objects.filter(round=world.baseline, instrument="welfare")
    result = welfare_index([household_from_answers(r.answers) for r in responses])
    assert frame["dep_score_k"].mean() == pytest.approx(result.M0) and result.M0 > 0
    assert frame["af_poor"].mean() == pytest.approx(result.H)


def test_the_pseudonym_is_a_keyed_hash_stable_across_rounds(world, settings):
    family = world.members[0]
    digest = hmac.new(settings.SECRET_KEY.encode(), str(family.pk).encode(), hashlib.sha256).hexdigest()
    assert family_pseudonym(family.pk) == "F-" + digest[:10]
    before = round_dataset(world.baseline, "welfare", pseudonymise=True).frame
    after = round_dataset(world.endline, "welfare", pseudonymise=True).frame
    assert "family_id" not in before.columns
    assert set(before["pid"]) == set(after["pid"]) and len(set(before["pid"])) == 14


def test_empowerment_derives_indicator_means_scores_and_the_80_percent_rule(world):
    frame = round_dataset(world.endline, "empowerment", pseudonymise=False).frame.sort_values("family_id")
    after = [float(a) for _b, a in MEMBER_LIKERT]
    assert list(frame["ind_with_social"]) == after
    assert list(frame["score_overall"]) == pytest.approx([(a - 1) / 3 * 100 for a in after])
    assert list(frame["score_within"]) == pytest.approx([(a - 1) / 3 * 100 for a in after])
    assert list(frame["empowered"]) == [int(a >= 3) for a in after]


def test_the_codebook_says_what_each_variable_is(world):
    book = round_dataset(world.baseline, "welfare", pseudonymise=True).codebook
    floor = book.variable("floor_material")
    assert (floor.source, floor.type, floor.value_labels["semen"]) == ("item", "string", "Semen atau plester")
    assert book.variable("food_shortage_month").value_labels == {1: "Ya", 0: "Tidak"}
    income = book.variable("income_pc")
    assert income.source == "derived" and income.formula == "income_month / household_size"
    assert book.variable("pid").source == "id"
    assert "observer" not in book.names and "sample" not in book.names


def test_csv_is_utf8_with_bom_and_has_a_codebook(world, tmp_path):
    data = round_dataset(world.baseline, "welfare", pseudonymise=True)
    out, companion = write_files(data, "csv", tmp_path / "welfare.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 14 and rows[0]["pid"].startswith("F-")
    assert {r["income_month"] for r in rows} >= {"1200000"}  # integers without ".0"
    book = list(csv.DictReader(io.StringIO(companion.read_text(encoding="utf-8-sig"))))
    assert [r["variable"] for r in book if not r["variable"].startswith("#")] == data.codebook.names
    assert next(r for r in book if r["variable"] == "food_shortage_month")["value_labels"] == "1=Ya; 0=Tidak"


def test_xlsx_holds_the_data_and_the_codebook(world, tmp_path):
    data = round_dataset(world.baseline, "welfare", pseudonymise=True)
    (out,) = write_files(data, "xlsx", tmp_path / "welfare.xlsx")
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["data", "codebook", "catatan"]
    sheet = list(workbook["data"].values)
    assert list(sheet[0]) == data.codebook.names and len(sheet) == 15
    book = list(workbook["codebook"].values)
    assert [r[0] for r in book[1:]] == data.codebook.names


def test_sav_keeps_values_variable_labels_and_value_labels(world, tmp_path):
    data = round_dataset(world.baseline, "welfare", pseudonymise=False)
    out, companion = write_files(data, "sav", tmp_path / "welfare.sav")
    frame, meta = pyreadstat.read_sav(str(out))
    assert list(frame.columns) == data.codebook.names and len(frame) == 14
    members = frame[frame["comparison"] == 0].sort_values("family_id")
    assert list(members["income_month"]) == [float(i[0]) for i in MEMBER_INCOME]
    assert meta.column_names_to_labels["income_pc"] == "Pendapatan per kapita per bulan (rupiah)"
    assert meta.variable_value_labels["food_shortage_month"] == {1.0: "Ya", 0.0: "Tidak"}
    assert meta.variable_value_labels["floor_material"]["tanah"] == "Tanah"
    assert companion.name == "welfare.codebook.csv" and companion.is_file()


def test_dta_has_valid_stata_names_recorded_in_the_codebook(world, tmp_path):
    data = round_dataset(world.baseline, "welfare", pseudonymise=True)
    out, companion = write_files(data, "dta", tmp_path / "welfare.dta")
    frame, meta = pyreadstat.read_dta(str(out))
    names = stata_names(data.codebook.names)
    assert list(frame.columns) == [names[n] for n in data.codebook.names]
    assert all(len(n) <= 32 for n in frame.columns) and len(set(frame.columns)) == len(frame.columns)
    long = "community_activity_types__gotong_royong"
    assert len(names[long]) <= 32 and names[long] in frame.columns
    book = {r["variable"]: r for r in csv.DictReader(io.StringIO(companion.read_text(encoding="utf-8-sig")))}
    assert book[long]["variable_stata"] == names[long]
    assert meta.variable_value_labels[names["dep_food"]] == {0: "Tidak kekurangan", 1: "Kekurangan"}
    assert meta.column_names_to_labels["income_pc"] == "Pendapatan per kapita per bulan (rupiah)"
    members = frame[frame["comparison"] == 0].sort_values("income_month")
    assert sorted(members["income_month"]) == sorted(float(i[0]) for i in MEMBER_INCOME)


def test_stata_names_are_cut_numbered_and_never_reserved():
    names = stata_names(["with", "a" * 40, "a" * 41, "ok_name"])
    assert names["with"] != "with" and names["ok_name"] == "ok_name"
    assert len(names["a" * 40]) <= 32 and names["a" * 40] != names["a" * 41]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
@pytest.mark.parametrize("instrument", ["welfare", "empowerment"])
def test_no_export_carries_a_nik_a_no_kk_or_a_name(world, officer, fmt, instrument):
    result = export_round(actor=officer, round=world.endline, instrument=instrument, fmt=fmt)
    assert result.content and result.rows > 0
    assert_no_personal_data(world, result.content)


def test_an_export_is_audited_as_a_bulk_read(world, officer):
    result = export_round(actor=officer, round=world.endline, instrument="welfare", fmt="sav", pseudonymise=False)
    event = AuditEvent.objects.filter(action="evaluation.export").latest("id")
    assert event.actor == officer and event.object_id == str(world.endline.pk)
    assert event.changes == {
        "round": world.endline.pk, "instrument": "welfare", "format": "sav", "rows": 14, "pseudonymised": False,
    }  # fmt: skip
    assert result.filename.endswith("_sav.zip")


def test_an_evaluators_export_is_pseudonymised_whatever_is_asked(world, evaluator):
    result = export_round(actor=evaluator, round=world.endline, instrument="welfare", fmt="csv", pseudonymise=False)
    assert result.pseudonymised is True
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        data = next(n for n in archive.namelist() if not n.endswith("codebook.csv"))
        header = archive.read(data).decode("utf-8-sig").splitlines()[0].split(",")
    assert "family_id" not in header and header[0] == "pid"
    assert AuditEvent.objects.filter(action="evaluation.export", actor=evaluator).get().changes["pseudonymised"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_a_round_without_responses_exports_an_empty_table_with_its_codebook(world, officer, fmt, tmp_path):
    result = export_round(
        actor=officer, round=world.endline, instrument="group_assessment", fmt=fmt, out=tmp_path / f"kosong.{fmt}"
    )
    assert result.rows == 0 and result.paths[0].is_file()
    book = round_dataset(world.endline, "group_assessment", pseudonymise=True).codebook
    assert "observer" not in book.names and "observer_note" not in book.names  # a staff name; free text
    assert "coop_help" in book.names and "ind_g1_cooperation" in book.names
