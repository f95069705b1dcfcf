"""Importing existing KUBEs from CSV/XLSX: every status through the lifecycle, row-level problems, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from berdaya.core.models import AuditEvent
from berdaya.engine.masking import mask_id
from berdaya.kube.models import Aid, Kube, KubeState
from berdaya.kube.services.importing import COLUMNS, kube_import
from tests.factories import make_families, make_family, make_kube

pytestmark = pytest.mark.django_db

HULU = "61.71.04.1001"
TENGAH = "61.71.04.1002"


def kube_rows(name: str, families, *, status: str = "diusulkan", officers: bool = True, **values) -> list[dict]:
    """One row per family; the first three families' heads are ketua, sekretaris, bendahara."""
    rows = []
    for i, family in enumerate(families):
        role = ("ketua", "sekretaris", "bendahara")[i] if officers and i < 3 else "anggota"
        head = family.members.order_by("id").first()
        rows.append(
            {
                "nama_kube": name,
                "kode_wilayah": family.region_id,
                "jenis_usaha": "pertanian",
                "no_kk": family.no_kk,
                "peran": role,
                "nik": head.nik if role != "anggota" else "",
                "status": status,
                "tanggal_bentuk": "2024-01-06",
                **values,
            }
        )
    return rows


def established(**extra) -> dict:
    return {
        "tanggal_musyawarah": "2024-01-13",
        "bank": "Bank Kalbar",
        "no_rekening": "1001001",
        "no_sk": "SK/01/KUBE/2024",
        "tanggal_sk": "2024-02-05",
        **extra,
    }


def funded(**extra) -> dict:
    return established(
        **{"bantuan_jumlah": "20.000.000", "bantuan_tanggal": "2024-03-01", "bantuan_referensi": "UEP-2024-01", **extra}
    )


def write_csv(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def codes(result) -> set[tuple[int, str, str]]:
    return {(p["line"], p["column"], p["reason_code"]) for p in result.problems}


def test_a_csv_of_kubes_in_several_states_is_imported_through_the_lifecycle(tmp_path, officer):
    proposed = kube_rows("KUBE Anggrek 6", make_families(5), officers=False)
    verified = kube_rows(
        "KUBE Mawar",
        make_families(5),
        status="terverifikasi",
        tanggal_musyawarah="13-01-2024",
        bank="BRI",
        no_rekening="555",
    )
    settled = kube_rows("KUBE Jagung Manis 8", make_families(6), status="ditetapkan", **established())
    active = kube_rows(
        "KUBE Lidah Buaya",
        make_families(5, region=TENGAH),
        status="active",
        **funded(no_sk="SK/02/KUBE/2024", bantuan_referensi="UEP-2024-02"),
    )
    path = write_csv(tmp_path / "kube.csv", proposed + verified + settled + active)
    result = kube_import(actor=officer, path=path)
    assert result.problems == [] and result.status == "applied"
    assert result.counts["kubes"] == 4 and result.counts["members"] == 21 and len(result.kube_ids) == 4
    states = dict(Kube.objects.values_list("name", "state"))
    assert states == {
        "KUBE Anggrek 6": KubeState.PROPOSED,
        "KUBE Mawar": KubeState.VERIFIED,
        "KUBE Jagung Manis 8": KubeState.ESTABLISHED,
        "KUBE Lidah Buaya": KubeState.ACTIVE,
    }
    jagung = Kube.objects.get(name="KUBE Jagung Manis 8")
    assert jagung.memberships.filter(live=True).count() == 6 and jagung.decree_number == "SK/01/KUBE/2024"
    assert jagung.decree_date == dt.date(2024, 2, 5) and jagung.formed_on == dt.date(2024, 1, 6)
    assert set(jagung.officers.values_list("role", flat=True)) == {"ketua", "sekretaris", "bendahara"}
    assert Kube.objects.get(name="KUBE Mawar").musyawarah_on == dt.date(2024, 1, 13)
    lidah = Kube.objects.get(name="KUBE Lidah Buaya")
    assert Aid.objects.get(kube=lidah).amount == 20_000_000 and lidah.region_id == TENGAH
    assert list(lidah.events.values_list("action", flat=True)) == [
        "create",
        "officers_set",
        "verify",
        "establish",
        "aid",
        "activate",
    ]
    assert AuditEvent.objects.filter(action="kube.import.applied").count() == 1


def test_an_xlsx_with_title_rows_excel_dates_and_numbers_is_imported(tmp_path, officer):
    from openpyxl import Workbook

    rows = kube_rows("KUBE Nelayan Siantan", make_families(5), status="menerima bantuan", **funded())
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DAFTAR KUBE KOTA PONTIANAK"])
    sheet.append(list(COLUMNS))
    for row in rows:
        values = [row.get(c, "") for c in COLUMNS]
        values[COLUMNS.index("tanggal_sk")] = dt.datetime(2024, 2, 5)
        values[COLUMNS.index("bantuan_jumlah")] = 20000000
        sheet.append(values)
    workbook.save(tmp_path / "kube.xlsx")
    result = kube_import(actor=officer, path=tmp_path / "kube.xlsx")
    assert result.problems == [] and result.status == "applied"
    kube = Kube.objects.get(name="KUBE Nelayan Siantan")
    assert kube.state == KubeState.FUNDED and kube.decree_date == dt.date(2024, 2, 5)
    assert kube.aid.get().amount == 20_000_000


def test_an_xlsx_with_no_kk_stored_as_a_number_is_refused_at_that_cell(tmp_path, officer):
    from openpyxl import Workbook

    rows = kube_rows("KUBE Angka", make_families(5), officers=False)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for i, row in enumerate(rows):
        values = [row.get(c, "") for c in COLUMNS]
        if i == 1:
            values[COLUMNS.index("no_kk")] = int(values[COLUMNS.index("no_kk")])
        sheet.append(values)
    workbook.save(tmp_path / "kube.xlsx")
    result = kube_import(actor=officer, path=tmp_path / "kube.xlsx")
    assert result.refused and (3, "no_kk", "EXCEL_NUMBER") in codes(result)
    assert not Kube.objects.exists()


def refused(tmp_path, actor, rows) -> set:
    result = kube_import(actor=actor, path=write_csv(tmp_path / "kube.csv", rows))
    assert result.refused and result.status == "refused" and result.problems
    assert not Kube.objects.filter(name__startswith="KUBE Uji Impor").exists()
    for problem in result.problems:
        assert problem["reason"] and isinstance(problem["line"], int)
    return codes(result)


def test_an_unknown_no_kk_is_reported_with_its_line(tmp_path, officer):
    rows = kube_rows("KUBE Uji Impor", make_families(5), officers=False)
    rows[2]["no_kk"] = "6171049999999999"
    result = kube_import(actor=officer, path=write_csv(tmp_path / "kube.csv", rows))
    assert (4, "no_kk", "UNKNOWN_NO_KK") in codes(result)
    problem = next(p for p in result.problems if p["reason_code"] == "UNKNOWN_NO_KK")
    assert problem["value"] == mask_id("6171049999999999")


def test_a_family_of_another_village_is_refused(tmp_path, officer):
    families = make_families(4) + [make_family(region=TENGAH)]
    rows = kube_rows("KUBE Uji Impor", families, officers=False)
    rows[4]["kode_wilayah"] = HULU
    assert (6, "no_kk", "OTHER_VILLAGE") in refused(tmp_path, officer, rows)


def test_a_village_and_families_outside_the_importers_region_are_refused(tmp_path, stranger):
    rows = kube_rows("KUBE Uji Impor", make_families(5), officers=False)
    found = refused(tmp_path, stranger, rows)
    assert (2, "kode_wilayah", "OUT_OF_SCOPE") in found and (2, "no_kk", "UNKNOWN_NO_KK") in found


def test_a_family_already_in_a_live_kube_is_refused(tmp_path, officer):
    existing = make_kube(name="KUBE Lama", size=5)
    families = make_families(4) + [existing.memberships.first().family]
    found = refused(tmp_path, officer, kube_rows("KUBE Uji Impor", families, officers=False))
    assert (6, "no_kk", "IN_LIVE_KUBE") in found


def test_bad_dates_amounts_roles_and_statuses_are_reported_by_column(tmp_path, officer):
    rows = kube_rows("KUBE Uji Impor", make_families(6), status="menerima bantuan", **funded())
    rows[0]["tanggal_sk"] = "31-02-2024"
    rows[1]["bantuan_jumlah"] = "dua puluh juta"
    rows[3]["peran"] = "wakil ketua"
    rows[4]["status"] = "selesai"
    found = refused(tmp_path, officer, rows)
    assert {
        (2, "tanggal_sk", "BAD_DATE"),
        (3, "bantuan_jumlah", "BAD_AMOUNT"),
        (5, "peran", "BAD_ROLE"),
        (6, "status", "BAD_STATUS"),
    } <= found
    # An unreadable value is not reported a second time as missing.
    assert not any(column in ("tanggal_sk", "bantuan_jumlah") and code == "REQUIRED" for _l, column, code in found)


def test_a_verified_kube_without_a_treasurer_or_nik_is_refused(tmp_path, officer):
    rows = kube_rows("KUBE Uji Impor", make_families(6), status="terverifikasi", **established())
    rows[2]["peran"] = "anggota"  # no bendahara
    rows[1]["nik"] = ""  # the secretary without NIK
    found = refused(tmp_path, officer, rows)
    assert (2, "peran", "MISSING_OFFICER") in found and (3, "nik", "MISSING_NIK") in found


def test_an_officer_nik_of_another_family_is_refused(tmp_path, officer):
    families = make_families(6)
    rows = kube_rows("KUBE Uji Impor", families, status="terverifikasi", **established())
    rows[0]["nik"] = families[5].members.first().nik
    assert (2, "nik", "NIK_OTHER_FAMILY") in refused(tmp_path, officer, rows)


def test_an_established_kube_outside_the_rule_sets_size_is_refused(tmp_path, officer):
    rows = kube_rows("KUBE Uji Impor", make_families(3), status="ditetapkan", **established())
    found = refused(tmp_path, officer, rows)
    assert (2, "no_kk", "SIZE") in found


def test_a_decree_number_already_used_in_the_database_or_the_file_is_refused(tmp_path, officer):
    existing = make_kube(state=KubeState.ESTABLISHED)
    first = kube_rows(
        "KUBE Uji Impor 1", make_families(5), status="ditetapkan", **established(no_sk=existing.decree_number)
    )
    second = kube_rows("KUBE Uji Impor 2", make_families(5), status="ditetapkan", **established(no_sk="SK/9/2024"))
    third = kube_rows("KUBE Uji Impor 3", make_families(5), status="ditetapkan", **established(no_sk="SK/9/2024"))
    found = refused(tmp_path, officer, first + second + third)
    assert (2, "no_sk", "DUPLICATE_DECREE") in found and (12, "no_sk", "DUPLICATE_DECREE") in found
    assert not any(line == 7 for line, _c, _code in found)


def test_rows_of_one_kube_that_disagree_and_repeated_families_are_refused(tmp_path, officer):
    families = make_families(5)
    rows = kube_rows("KUBE Uji Impor", families, officers=False)
    rows[3]["jenis_usaha"] = "perikanan"
    rows.append({**rows[4]})
    other = kube_rows("KUBE Uji Impor B", [families[0]], officers=False)
    found = refused(tmp_path, officer, rows + other)
    assert (5, "jenis_usaha", "INCONSISTENT") in found
    assert (7, "no_kk", "DUPLICATE_NO_KK") in found and (8, "no_kk", "DUPLICATE_NO_KK") in found


def test_a_decree_before_the_musyawarah_is_refused(tmp_path, officer):
    rows = kube_rows(
        "KUBE Uji Impor", make_families(5), status="ditetapkan", **established(tanggal_musyawarah="2024-03-01")
    )
    assert (2, "tanggal_sk", "DATE_ORDER") in refused(tmp_path, officer, rows)


def test_one_bad_kube_refuses_the_whole_file(tmp_path, officer):
    good = kube_rows("KUBE Baik", make_families(5), officers=False)
    bad = kube_rows("KUBE Uji Impor", make_families(5), status="ditetapkan")  # no decree, no bank
    result = kube_import(actor=officer, path=write_csv(tmp_path / "kube.csv", good + bad))
    assert result.refused and {(7, "no_sk", "REQUIRED"), (7, "bank", "REQUIRED")} <= codes(result)
    assert not Kube.objects.exists() and result.kube_ids == []
    assert AuditEvent.objects.filter(action="kube.import.refused").count() == 1


def test_a_dry_run_checks_through_the_services_and_keeps_nothing(tmp_path, officer):
    rows = kube_rows("KUBE Coba", make_families(5), status="aktif", **funded())
    result = kube_import(actor=officer, path=write_csv(tmp_path / "kube.csv", rows), dry_run=True)
    assert result.status == "dry_run" and result.problems == [] and result.counts["kubes"] == 1
    assert not Kube.objects.exists() and not Aid.objects.exists()
    assert AuditEvent.objects.filter(action="kube.import.dry_run").count() == 1


def test_a_file_without_the_required_columns_is_refused_as_a_whole(tmp_path, officer):
    path = tmp_path / "kube.csv"
    path.write_text("nama,no_kk\nKUBE A,6171040000000001\n", encoding="utf-8")
    result = kube_import(actor=officer, path=path)
    assert result.refused and "nama_kube" in result.error


def test_a_facilitator_may_not_import(tmp_path, make_user):
    rows = kube_rows("KUBE Uji Impor", make_families(5), officers=False)
    result = kube_import(
        actor=make_user("pendamping", "facilitator", "61.71"), path=write_csv(tmp_path / "kube.csv", rows)
    )
    assert result.refused and "tidak berwenang" in result.error and not Kube.objects.exists()


def test_the_import_page_shows_the_problems_table(client, officer, tmp_path):
    rows = kube_rows("KUBE Uji Impor", make_families(5), officers=False)
    rows[1]["tanggal_bentuk"] = "kemarin"
    client.force_login(officer)
    with open(write_csv(tmp_path / "kube.csv", rows), "rb") as handle:
        page = client.post(reverse("kube:kube_import"), {"file": handle}).content.decode()
    assert 'data-status="refused"' in page and 'id="problems"' in page
    assert "<td>3</td><td>tanggal_bentuk</td><td>kemarin</td>" in page
    assert not Kube.objects.exists()


def test_the_import_page_applies_a_clean_file(client, officer, tmp_path):
    rows = kube_rows("KUBE Halaman", make_families(5), officers=False)
    client.force_login(officer)
    with open(write_csv(tmp_path / "kube.csv", rows), "rb") as handle:
        page = client.post(reverse("kube:kube_import"), {"file": handle}).content.decode()
    assert 'data-status="applied"' in page and Kube.objects.filter(name="KUBE Halaman").exists()
