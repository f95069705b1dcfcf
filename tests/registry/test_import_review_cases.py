"""Import cases a review found: each once lost, duplicated or hid a record."""

from __future__ import annotations

import datetime as dt

from berdaya.registry.models import Family, ImportBatch, Person
from berdaya.registry.services import dtks_import, eligibility_screen
from tests.conftest import person, write_rows

KK = "6171040101100001"


def test_a_family_without_a_region_code_is_refused_not_hidden(officer, tmp_path):
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", [person(kode_wilayah="")]), actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    assert [p["reason_code"] for p in batch.problems] == ["MISSING_REGION"]
    assert Family.objects.count() == 0


def test_values_longer_than_the_registry_holds_are_refused_not_cut(officer, tmp_path):
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", [person(rt="RT 001 DUSUN II")]), actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    assert [(p["column"], p["reason_code"]) for p in batch.problems] == [("rt", "TOO_LONG")]


def test_a_person_whose_nik_arrives_later_stays_one_person(officer, tmp_path):
    child = dict(nik="", nama="ANAK TANPA NIK", tanggal_lahir="2015-01-01", hubungan_keluarga="ANAK",
                 pencari_nafkah_utama="N", status_kawin="BELUM KAWIN")
    dtks_import(path=write_rows(tmp_path / "v1.csv", [person(), person(**child)]), actor=officer)
    with_nik = {**child, "nik": "6171040101150009"}
    batch = dtks_import(path=write_rows(tmp_path / "v2.csv", [person(), person(**with_nik)]), actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED, batch.problems
    assert Person.objects.count() == 2
    assert Person.objects.get(name="ANAK TANPA NIK").nik == "6171040101150009"
    assert not batch.changes.filter(action="left").exists()


def test_two_members_without_nik_and_the_same_name_stay_two_on_reimport(officer, tmp_path):
    twin = dict(nik="", nama="", tanggal_lahir="", hubungan_keluarga="ANAK", pencari_nafkah_utama="N")
    path = write_rows(tmp_path / "a.csv", [person(), person(**twin), person(**twin)])
    dtks_import(path=path, actor=officer)
    batch = dtks_import(path=path, actor=officer)
    assert batch.changes.count() == 0
    assert Family.objects.get(no_kk=KK).members.count() == 3


def test_a_family_whose_members_all_left_loses_its_old_decision(officer, tmp_path):
    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    eligibility_screen(actor=officer, as_of=dt.date(2026, 11, 1))
    assert Family.objects.get(no_kk=KK).latest_decision is not None
    second = person(no_kk="6171040101100002", nik="6171041708700003", tanggal_lahir="1970-08-17")
    Person.objects.update(family=None)
    dtks_import(path=write_rows(tmp_path / "b.csv", [second]), actor=officer)
    run = eligibility_screen(actor=officer, as_of=dt.date(2026, 11, 1))
    assert Family.objects.get(no_kk=KK).latest_decision is None
    assert run.counts["without_members"] == 1


def test_a_plain_region_code_narrows_the_screening_like_a_dotted_one(officer, tmp_path):
    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    run = eligibility_screen(actor=officer, as_of=dt.date(2026, 11, 1), region_prefix="617104")
    assert run.region_prefix == "61.71.04" and run.counts["families"] == 1
