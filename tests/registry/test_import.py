"""Importing DTKS into the registry: whole or nothing, a row-level report, updates recorded."""

from __future__ import annotations

import pytest

from berdaya.core.models import AuditEvent
from berdaya.registry.models import Family, ImportBatch, ImportChange, Person
from berdaya.registry.services import dtks_import
from tests.conftest import person, write_rows

KK1, KK2 = "6171040101100001", "6171040101100002"


def two_families(**second):
    return [
        person(),
        person(
            nik="6171045708820002",
            nama="SITI",
            jenis_kelamin="P",
            tanggal_lahir="1982-08-17",
            hubungan_keluarga="ISTRI",
            pencari_nafkah_utama="N",
        ),
        person(no_kk=KK2, nik="6171041708700003", nama="AHMAD", tanggal_lahir="1970-08-17", **second),
    ]


def snapshot():
    return (
        list(Family.objects.order_by("no_kk").values()),
        list(Person.objects.order_by("id").values()),
    )


def test_a_clean_file_imports_every_family_and_person(officer, tmp_path):
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", two_families()), actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED, batch.problems
    assert Family.objects.count() == 2 and Person.objects.count() == 3
    family = Family.objects.get(no_kk=KK1)
    assert family.region_id == "61.71.04.1001" and family.desil == 2 and family.rt == "001"
    siti = Person.objects.get(nik="6171045708820002")
    assert siti.family == family and siti.sex == "P" and siti.is_main_earner is False
    assert batch.counts["family_created"] == 2 and batch.counts["person_created"] == 3
    assert AuditEvent.objects.filter(action="registry.import.applied", object_id=str(batch.pk)).exists()


def test_a_file_with_a_bad_row_imports_nothing_and_reports_line_column_and_reason(officer, tmp_path):
    dtks_import(path=write_rows(tmp_path / "first.csv", two_families()), actor=officer)
    before = snapshot()
    rows = two_families(desil="x") + [
        person(no_kk="6171040101100003", nik="6171041708700004", tanggal_lahir="1970-02-31")
    ]
    batch = dtks_import(path=write_rows(tmp_path / "second.csv", rows), actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    assert [(p["line"], p["column"], p["reason_code"]) for p in batch.problems] == [
        (4, "desil", "BAD_DESIL"),
        (5, "tanggal_lahir", "BAD_DATE"),
    ]
    assert snapshot() == before  # the registry is exactly as it was
    assert not ImportChange.objects.filter(batch=batch).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "kosong"),
        (b"nik,nama\n1,BUDI\n", "kolom wajib"),
        ("nik,no_kk,nama\n1,2,JOS\xc9\n".encode("latin-1"), "kolom wajib"),
    ],
)
def test_an_unusable_file_is_refused_with_a_message_and_writes_nothing(officer, tmp_path, content, expected):
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    batch = dtks_import(path=path, actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    assert expected in batch.error
    assert Family.objects.count() == 0 and Person.objects.count() == 0


def test_a_file_in_the_wrong_encoding_is_refused_with_the_line(officer, tmp_path):
    rows = [person(nama="JOSÉ")]
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", rows, encoding="latin-1"), actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "baris 2" in batch.error and "UTF-8" in batch.error
    assert Family.objects.count() == 0


def test_a_nik_in_two_families_refuses_the_file_naming_both_lines(officer, tmp_path):
    rows = two_families() + [
        person(
            no_kk="6171040101100003", nik="6171041708800001", hubungan_keluarga="FAMILI LAIN", pencari_nafkah_utama="N"
        )
    ]
    rows.append(person(no_kk="6171040101100003", nik="6171041708700009", tanggal_lahir="1970-08-17"))
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", rows), actor=officer)
    assert batch.status == ImportBatch.Status.REFUSED
    repeated = [p for p in batch.problems if p["reason_code"] == "NIK_REPEATED"]
    assert [p["line"] for p in repeated] == [2, 5]
    assert "5" in repeated[0]["reason"] and "6171" in repeated[0]["value"] and "•" in repeated[0]["value"]
    assert Family.objects.count() == 0


def test_an_officer_cannot_import_families_of_another_city(stranger, tmp_path):
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", two_families()), actor=stranger)
    assert batch.status == ImportBatch.Status.REFUSED
    assert {p["reason_code"] for p in batch.problems} == {"OUT_OF_SCOPE"}
    assert Family.objects.count() == 0


def test_a_dry_run_checks_and_stores_nothing(officer, tmp_path):
    batch = dtks_import(path=write_rows(tmp_path / "a.csv", two_families()), actor=officer, dry_run=True)
    assert batch.status == ImportBatch.Status.DRY_RUN and batch.problems == []
    assert Family.objects.count() == 0


@pytest.mark.parametrize("chunk", [20_000, 1])
def test_a_newer_file_updates_by_nik_and_no_kk_and_records_what_changed(officer, tmp_path, monkeypatch, chunk):
    # chunk=1: every large `__in` lookup goes in parts (SQLite's limit on parameters), with the same result.
    monkeypatch.setattr("berdaya.registry.services.imports.IN_CHUNK", chunk)
    dtks_import(path=write_rows(tmp_path / "v1.csv", two_families()), actor=officer)
    newer = two_families(desil="3", pekerjaan="PEDAGANG")
    newer[0]["alamat"] = "Jl. Baru No. 1"
    newer = [r for r in newer if r["nik"] != "6171045708820002"]  # Siti left the family card
    newer.append(
        person(
            no_kk=KK2,
            nik="6171040101150005",
            nama="BAYI",
            tanggal_lahir="2015-01-01",
            hubungan_keluarga="ANAK",
            pencari_nafkah_utama="N",
            status_kawin="BELUM KAWIN",
        )
    )
    batch = dtks_import(path=write_rows(tmp_path / "v2.csv", newer), actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED, batch.problems
    changes = {(c.entity, c.key, c.action): c.changes for c in batch.changes.all()}
    assert changes[("family", KK1, "updated")] == {"address": ["Jl. Khatulistiwa Gg. Mawar No. 12", "Jl. Baru No. 1"]}
    assert changes[("family", KK2, "updated")] == {"desil": [2, 3]}
    assert changes[("person", "6171041708700003", "updated")] == {"occupation": ["PETANI", "PEDAGANG"]}
    assert ("person", "6171040101150005", "created") in changes
    assert ("person", "6171045708820002", "left") in changes
    assert Person.objects.get(nik="6171045708820002").family is None
    assert Family.objects.get(no_kk=KK2).members.count() == 2
    assert Person.objects.count() == 4  # nobody is deleted


def test_reimporting_the_same_file_changes_nothing(officer, tmp_path):
    path = write_rows(tmp_path / "a.csv", two_families())
    dtks_import(path=path, actor=officer)
    before = snapshot()
    batch = dtks_import(path=path, actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.changes.count() == 0
    after = snapshot()
    strip = lambda rows: [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]  # noqa: E731
    assert strip(after[0]) == strip(before[0]) and strip(after[1]) == strip(before[1])


def test_a_person_who_moved_to_another_family_is_recorded_as_moved(officer, tmp_path):
    dtks_import(path=write_rows(tmp_path / "v1.csv", two_families()), actor=officer)
    moved = two_families()
    moved[1]["no_kk"] = KK2
    moved[1]["hubungan_keluarga"] = "ISTRI"
    batch = dtks_import(path=write_rows(tmp_path / "v2.csv", moved), actor=officer)
    move = batch.changes.get(entity="person", key="6171045708820002")
    assert move.action == "moved"
    assert Person.objects.get(nik="6171045708820002").family.no_kk == KK2


def test_xlsx_imports_like_csv(officer, tmp_path):
    from berdaya.demo.world import write_xlsx

    path = tmp_path / "a.xlsx"
    write_xlsx(two_families(), path)
    batch = dtks_import(path=path, actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED, (batch.error, batch.problems)
    assert Person.objects.count() == 3
