"""The seeded demo DTKS registry of Kota Pontianak (berdaya.demo.world)."""

from __future__ import annotations

import ast
import csv
import random
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from berdaya.demo import world
from berdaya.demo.world import (
    FIELDS,
    KELURAHAN,
    REFERENCE_DATE,
    build_dtks_world,
    generate_dtks,
    write_csv,
    write_xlsx,
)

STATE_JOBS = ("PNS", "PEGAWAI NEGERI", "TNI", "POLRI", "PENSIUNAN")


@pytest.fixture(scope="module")
def demo() -> world.DtksWorld:
    return build_dtks_world(2026, 2000)


@pytest.fixture(scope="module")
def rows(demo: world.DtksWorld) -> list[dict[str, str]]:
    return demo.rows


@pytest.fixture(scope="module")
def families(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row["no_kk"]].append(row)
    return grouped


def nik_date(row: dict[str, str]) -> str:
    """The DDMMYY a correct NIK carries for this row's birth date and sex."""
    born = date.fromisoformat(row["tanggal_lahir"])
    day = born.day + (40 if row["jenis_kelamin"] == "P" else 0)
    return f"{day:02d}{born.month:02d}{born.year % 100:02d}"


def candidate(members: list[dict[str, str]]) -> dict[str, str] | None:
    earners = [m for m in members if m["pencari_nafkah_utama"] == "Y"]
    if earners:
        return earners[0]
    return next((m for m in members if m["hubungan_keluarga"] == "KEPALA KELUARGA"), None)


def age_on_reference_date(row: dict[str, str]) -> int:
    born = date.fromisoformat(row["tanggal_lahir"])
    ref = REFERENCE_DATE
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def test_the_same_seed_gives_identical_rows():
    assert generate_dtks(7, 300) == generate_dtks(7, 300)


def test_different_seeds_give_different_rows():
    assert generate_dtks(7, 300) != generate_dtks(8, 300)


def test_the_default_call_is_seed_2026_with_2000_families(rows):
    assert generate_dtks() == rows


def test_it_leaves_the_global_random_state_alone():
    random.seed(123)
    before = random.getstate()
    generate_dtks(5, 50)
    assert random.getstate() == before


def test_every_row_has_the_canonical_columns_in_order_and_only_strings(rows):
    for row in rows:
        assert tuple(row) == FIELDS
        assert all(isinstance(value, str) for value in row.values())


def test_it_generates_exactly_the_requested_number_of_families(families):
    assert len(families) == 2000


def test_families_average_about_three_and_a_half_members(rows, families):
    assert 3.2 <= len(rows) / len(families) <= 3.8
    # One family also lists the person who is on another card (the shared NIK).
    assert max(len(members) for members in families.values()) <= 8


def test_about_seventy_percent_of_families_live_in_pontianak_utara(families):
    kecamatan = Counter(members[0]["kode_wilayah"][:8] for members in families.values())
    assert set(kecamatan) == {"61.71.04", "61.71.05"}
    assert 0.67 <= kecamatan["61.71.04"] / len(families) <= 0.73


def test_every_kelurahan_has_families_in_twenty_to_forty_rt(rows):
    hamlets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in rows:
        hamlets[row["kode_wilayah"]].add((row["rw"], row["rt"]))
    assert set(hamlets) == {k.code for k in KELURAHAN}
    for code, rts in hamlets.items():
        assert 12 <= len(rts) <= 40, code
        assert 5 <= len({rw for rw, _ in rts}) <= 15, code


def test_all_niks_are_sixteen_digits_from_the_kecamatan_of_the_row(rows, demo):
    shared = set(demo.problems.shared_nik)
    for row in rows:
        assert len(row["nik"]) == 16 and row["nik"].isdigit()
        if row["nik"] not in shared:
            assert row["nik"][:6] == row["kode_wilayah"][:8].replace(".", "")


def test_no_kk_are_sixteen_digits_from_the_kecamatan_of_the_family(families):
    for no_kk, members in families.items():
        assert len(no_kk) == 16 and no_kk.isdigit()
        assert no_kk[:6] == members[0]["kode_wilayah"][:8].replace(".", "")
        assert len({m["kode_wilayah"] for m in members}) == 1


def test_women_carry_forty_on_their_nik_day_except_the_planted_mismatches(rows, demo):
    mismatched = set(demo.problems.nik_date_mismatch)
    for row in rows:
        if row["id_dtks"] in mismatched:
            continue
        day = int(row["nik"][6:8])
        assert (day > 40) if row["jenis_kelamin"] == "P" else (1 <= day <= 31)
        assert row["nik"][6:12] == nik_date(row)


def test_about_one_percent_of_niks_disagree_with_the_birth_date(rows, demo):
    disagreeing = {row["id_dtks"] for row in rows if row["nik"][6:12] != nik_date(row)}
    assert disagreeing == set(demo.problems.nik_date_mismatch)
    assert 0.005 <= len(disagreeing) / len(rows) <= 0.02


def test_niks_are_unique_except_one_shared_by_two_families(rows, families, demo):
    counts = Counter(row["nik"] for row in rows)
    repeated = {nik for nik, n in counts.items() if n > 1}
    assert repeated == set(demo.problems.shared_nik) and len(repeated) == 1
    nik = repeated.pop()
    holders = {row["no_kk"] for row in rows if row["nik"] == nik}
    assert holders == set(demo.problems.shared_nik[nik]) and len(holders) == 2
    people = {(row["nama"], row["tanggal_lahir"]) for row in rows if row["nik"] == nik}
    assert len(people) == 1


def test_exactly_two_families_list_two_heads(families, demo):
    double = [
        no_kk
        for no_kk, members in families.items()
        if sum(m["hubungan_keluarga"] == "KEPALA KELUARGA" for m in members) == 2
    ]
    assert sorted(double) == sorted(demo.problems.double_head)
    assert len(double) == 2
    assert all(sum(m["hubungan_keluarga"] == "KEPALA KELUARGA" for m in v) >= 1 for v in families.values())


def test_every_family_has_a_candidate(families):
    for members in families.values():
        assert candidate(members) is not None


def test_nearly_every_family_has_exactly_one_main_breadwinner(families, demo):
    earners = Counter(sum(m["pencari_nafkah_utama"] == "Y" for m in v) for v in families.values())
    assert set(earners) <= {0, 1}
    assert earners[0] == len(demo.problems.no_main_earner) <= len(families) * 0.01


def test_the_breadwinner_is_usually_the_head(families):
    heads = sum(candidate(v)["hubungan_keluarga"] == "KEPALA KELUARGA" for v in families.values())
    assert heads / len(families) >= 0.85


def test_heads_are_mostly_men_with_some_widows(rows):
    heads = [r for r in rows if r["hubungan_keluarga"] == "KEPALA KELUARGA"]
    women = [r for r in heads if r["jenis_kelamin"] == "P"]
    assert 0.05 <= len(women) / len(heads) <= 0.3
    assert Counter(r["status_kawin"] for r in women).most_common(1)[0][0] == "CERAI MATI"


def test_marital_status_fits_age_and_role(rows):
    statuses = {"BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"}
    for row in rows:
        assert row["status_kawin"] in statuses
        if row["hubungan_keluarga"] == "ISTRI":
            assert row["status_kawin"] == "KAWIN" and row["jenis_kelamin"] == "P"
        if age_on_reference_date(row) < 18:
            assert row["status_kawin"] == "BELUM KAWIN"


def test_birth_dates_are_iso_and_nobody_is_born_after_the_reference_date(rows):
    for row in rows:
        assert date.fromisoformat(row["tanggal_lahir"]) < REFERENCE_DATE
    heads = [age_on_reference_date(r) for r in rows if r["hubungan_keluarga"] == "KEPALA KELUARGA"]
    assert min(heads) >= 18


def test_family_level_fields_repeat_on_every_member(families):
    shared_fields = (
        "kode_wilayah",
        "rt",
        "rw",
        "alamat",
        "desil",
        "lat",
        "lon",
        "keahlian",
        "kesediaan",
        "pernah_bantuan_kube",
    )
    for members in families.values():
        for name in shared_fields:
            assert len({m[name] for m in members}) == 1, name


def test_desil_is_skewed_to_the_poorest_and_a_few_are_empty(families, demo):
    desil = Counter(v[0]["desil"] for v in families.values())
    assert set(desil) <= {"", *map(str, range(1, 11))}
    assert 3 <= desil[""] <= 20
    assert {no_kk for no_kk, v in families.items() if v[0]["desil"] == ""} == set(demo.problems.empty_desil)
    poorest = sum(n for d, n in desil.items() if d and int(d) <= 5)
    assert poorest / len(families) >= 0.8


def test_keahlian_mixes_business_types_synonyms_refusals_and_blanks(families, demo):
    skills = Counter(v[0]["keahlian"] for v in families.values())
    for expected in (
        "pertanian",
        "peternakan",
        "perikanan",
        "pengolahan_pangan",
        "perdagangan",
        "kerajinan",
        "jasa",
        "bertani",
        "warung",
        "beternak",
        "dagang",
        "tidak ada",
    ):
        assert skills[expected] > 0, expected
    blanks = {no_kk for no_kk, v in families.items() if v[0]["keahlian"] == ""}
    assert blanks == set(demo.problems.empty_keahlian) and len(blanks) >= 3


def test_siantan_hulu_is_full_of_farmers(families):
    siantan_hulu = [v for v in families.values() if v[0]["kode_wilayah"] == "61.71.04.1001"]
    farming = [v for v in siantan_hulu if v[0]["keahlian"].lower() in ("pertanian", "bertani", "berkebun")]
    assert len(farming) / len(siantan_hulu) >= 0.3


def test_most_families_are_ready_and_few_had_kube_aid(families):
    ready = Counter(v[0]["kesediaan"] for v in families.values())
    aided = Counter(v[0]["pernah_bantuan_kube"] for v in families.values())
    assert ready["Y"] / len(families) >= 0.8
    assert 0.02 <= aided["Y"] / len(families) <= 0.08
    assert set(aided) == {"Y", "N"}


def test_a_few_percent_of_breadwinners_are_state_employees(families):
    jobs = [candidate(v)["pekerjaan"] for v in families.values()]
    state = sum(any(term in job for term in STATE_JOBS) for job in jobs)
    assert 0.005 <= state / len(jobs) <= 0.06
    assert all(job == job.upper() and job for job in jobs)


def test_coordinates_have_six_decimals_and_lie_in_pontianak(families):
    for members in families.values():
        row = members[0]
        lat, lon = row["lat"], row["lon"]
        assert len(lat.split(".")[1]) == 6 and len(lon.split(".")[1]) == 6
        if row["kode_wilayah"].startswith("61.71.04"):
            assert -0.025 <= float(lat) <= 0.04 and 109.30 <= float(lon) <= 109.37
        else:
            assert -0.055 <= float(lat) <= -0.02 and 109.29 <= float(lon) <= 109.34


def test_houses_sit_within_a_few_hundred_metres_of_their_rt(families):
    by_rt: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for members in families.values():
        row = members[0]
        by_rt[(row["kode_wilayah"], row["rt"])].append((float(row["lat"]), float(row["lon"])))
    for points in by_rt.values():
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        assert max(lats) - min(lats) <= 0.0051 and max(lons) - min(lons) <= 0.0051


def test_addresses_read_like_pontianak_streets(families):
    for members in families.values():
        assert members[0]["alamat"].startswith("Jl. ") and " No. " in members[0]["alamat"]


def test_the_generator_does_not_import_django():
    tree = ast.parse(Path(world.__file__).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "django"]


def test_write_csv_keeps_the_header_and_every_value(tmp_path):
    sample = generate_dtks(3, 40)
    path = write_csv(sample, tmp_path / "dtks.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == FIELDS
        assert list(reader) == sample


def test_write_xlsx_stores_niks_as_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    sample = generate_dtks(3, 40)
    path = write_xlsx(sample, tmp_path / "dtks.xlsx")
    sheet = openpyxl.load_workbook(path, read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == FIELDS
    assert len(table) == len(sample) + 1
    for values, row in zip(table[1:], sample, strict=True):
        assert [v if v is not None else "" for v in values] == [row[name] for name in FIELDS]
        assert isinstance(values[FIELDS.index("nik")], str)
