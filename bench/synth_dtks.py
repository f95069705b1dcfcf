"""Seeded synthetic DTKS "by name by address" export, for benchmarks.

One row per individual with the canonical import columns of spec §4. Families have
about 3.3 members, exactly one KEPALA KELUARGA and one main earner (usually the head,
sometimes the wife), and sit in a few thousand real Kemendagri desa/kelurahan codes
taken from the ``wilayah_indonesia`` package. The data is deliberately dirty in the
ways real exports are: ~1 % of NIKs invalid, ~0.3 % of rows unreadable, ~0.5 % of
families with a head/earner conflict, a few NIKs shared by two families.

The generator is vectorised: numpy lays out the family skeleton (who belongs to
which family and desa) and one DuckDB query derives every column from a keyed hash
of ``(seed, row or family, column)``. Because each value depends only on its key,
the output does not depend on thread scheduling: the same seed gives byte-identical
files (for a given DuckDB version).

Use as a module::

    from bench.synth_dtks import generate
    generate("/tmp/dtks.parquet", 1_000_000, seed=1)

or as a script::

    python bench/synth_dtks.py --individuals 10000000 --seed 1 --out /tmp/dtks.parquet
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

#: Ages are drawn relative to this day; the screening benchmark uses it as --as-of.
REFERENCE_DATE = "2026-11-01"

COLUMNS = (
    "id_dtks", "nik", "no_kk", "nama", "jenis_kelamin", "tanggal_lahir", "status_kawin",
    "hubungan_keluarga", "pencari_nafkah_utama", "pekerjaan", "kode_wilayah", "rt", "rw",
    "alamat", "desil", "lat", "lon", "keahlian", "kesediaan", "pernah_bantuan_kube",
)  # fmt: skip

N_DESA = 3000

# Family size distribution (mean ~3.35, like DTKS' ~3.3 persons per KK).
FAMILY_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
FAMILY_SIZE_WEIGHTS = (0.12, 0.20, 0.25, 0.22, 0.11, 0.06, 0.03, 0.01)

# Rates of the deliberate defects (per family or per row, as named).
CONFLICT_RATE = 0.005  # families: half two heads, half no head and no earner
SHARED_NIK_RATE = 0.0005  # families of 3+ whose last member is also the next family's head
INVALID_NIK_RATE = 0.010  # rows
UNREADABLE_DATE_RATE = 0.002  # rows
UNREADABLE_DESIL_RATE = 0.001  # rows
BAD_KK_RATE = 0.002  # families

# Rough centre (lat, lon) and spread in degrees of each province (Kemendagri code),
# used only to place desa plausibly; the exact geography does not matter here.
PROVINCE_CENTRES = {
    "11": (4.4, 96.9, 1.2), "12": (2.2, 99.2, 1.5), "13": (-0.8, 100.6, 1.0),
    "14": (0.4, 101.7, 1.2), "15": (-1.6, 103.0, 1.0), "16": (-3.3, 104.2, 1.2),
    "17": (-3.6, 102.3, 0.7), "18": (-4.9, 105.0, 0.9), "19": (-2.4, 106.4, 0.8),
    "21": (1.0, 104.5, 1.0), "31": (-6.2, 106.83, 0.1), "32": (-6.9, 107.6, 0.7),
    "33": (-7.2, 110.1, 0.7), "34": (-7.85, 110.4, 0.2), "35": (-7.6, 112.5, 0.9),
    "36": (-6.4, 106.1, 0.4), "51": (-8.4, 115.2, 0.3), "52": (-8.6, 117.3, 0.8),
    "53": (-9.3, 121.5, 1.6), "61": (0.0, 111.0, 1.5), "62": (-1.6, 113.4, 1.5),
    "63": (-2.9, 115.3, 0.8), "64": (0.6, 116.4, 1.5), "65": (3.0, 116.3, 0.8),
    "71": (1.0, 124.4, 0.7), "72": (-1.4, 121.2, 1.5), "73": (-4.0, 120.0, 1.2),
    "74": (-4.1, 122.3, 0.8), "75": (0.7, 122.5, 0.5), "76": (-2.5, 119.3, 0.6),
    "81": (-3.3, 129.5, 2.0), "82": (0.8, 127.8, 1.2), "91": (-4.0, 138.5, 2.0),
    "92": (-1.3, 133.0, 1.5),
}  # fmt: skip
# Kota Pontianak is the spec's case study: keep it compact and on the real city.
KAB_CENTRES = {"61.71": (-0.03, 109.34, 0.05)}
CASE_KAB = "61.71"

MALE_NAMES = (
    "AHMAD", "MUHAMMAD", "BUDI", "AGUS", "SUPRIYADI", "SLAMET", "HENDRA", "RUDI", "ANDI",
    "DEDI", "JOKO", "BAMBANG", "HASAN", "ABDUL", "IRWAN", "YUSUF", "RIZKI", "FAJAR",
    "DIMAS", "EKO", "HERU", "SUDIRMAN", "WAHYU", "ARIF", "SYAHRIL", "UDIN", "DARMAWAN",
    "MARTINUS", "YOHANES", "ANTONIUS", "MADE", "KADEK", "LA ODE", "MA'RUF", "IWAN",
    "SUKARDI", "TONO", "ISKANDAR", "HERMAN", "RAHMAT",
)  # fmt: skip
FEMALE_NAMES = (
    "SITI", "NUR", "SRI", "DEWI", "RINA", "YANTI", "WATI", "AMINAH", "FATIMAH", "MARYAM",
    "ENDANG", "SUSANTI", "RATNA", "NURHAYATI", "SUMIATI", "KARTINI", "INDAH", "PUTRI",
    "AYU", "MARIA", "THERESIA", "NI LUH", "WAHYUNI", "HALIMAH", "ROSMINI", "ASMAH",
    "JUMIATI", "MURNI", "LINDA", "YULIANA",
)  # fmt: skip
MALE_SECOND = (
    "HIDAYAT", "SETIAWAN", "SANTOSO", "WIJAYA", "PRATAMA", "KURNIAWAN", "NASUTION",
    "SIREGAR", "LUBIS", "RAHMAN", "HAMID", "IBRAHIM", "ISMAIL", "SAPUTRA", "SUSANTO",
)  # fmt: skip
FEMALE_SECOND = (
    "NINGSIH", "HANDAYANI", "WULANDARI", "RAHAYU", "LESTARI", "SARI", "SAPUTRI",
    "PURNAMASARI", "ANGGRAINI", "FITRIANI",
)  # fmt: skip
STREETS = (
    "MERDEKA", "SUDIRMAN", "GAJAH MADA", "DIPONEGORO", "AHMAD YANI", "PATTIMURA",
    "KHATULISTIWA", "GUSTI SITUT MAHMUD", "SELAT PANJANG", "PARIT PANGERAN", "MELATI",
    "KENANGA", "DAMAI", "SEJAHTERA", "PEMUDA",
)  # fmt: skip
DUSUNS = (
    "KRAJAN", "SUKAMAJU", "SUKAMAKMUR", "MEKAR SARI", "SUMBER REJO", "TANJUNG", "MUARA",
    "KARYA BARU", "SIDOMULYO", "SUNGAI BESAR",
)  # fmt: skip


@dataclass(frozen=True)
class GenerateResult:
    """What :func:`generate` wrote."""

    path: Path
    rows: int
    families: int
    seconds: float


def generate(
    path: str | os.PathLike[str],
    n_individuals: int,
    seed: int = 1,
    fmt: str | None = None,
    *,
    threads: int | None = None,
    memory_limit: str = "1500MB",
) -> GenerateResult:
    """Write a synthetic DTKS export of ``n_individuals`` rows to ``path``.

    ``fmt`` is ``"csv"`` or ``"parquet"`` (default: from the file suffix). Every
    column is text (VARCHAR in Parquet); missing values are NULL in Parquet and
    empty fields in CSV. The file is written beside ``path`` and renamed into
    place at the end, so a reader never sees a half-written file.

    Raises ``ValueError`` for an unknown format or a non-positive size.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    if n_individuals < 1:
        raise ValueError("n_individuals must be at least 1")

    started = time.perf_counter()
    rng = np.random.Generator(np.random.PCG64(seed))
    desa = _pick_desa(rng, N_DESA)
    skeleton, n_families = _skeleton(rng, n_individuals, desa)

    tmp = path.with_name(path.name + ".tmp")
    options = "FORMAT csv, HEADER true"
    if fmt == "parquet":
        options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        # Order is part of "byte-identical": DuckDB keeps the skeleton's row order.
        con.execute("SET preserve_insertion_order = true")
        for statement in _macros(seed):
            con.execute(statement)
        con.register("skeleton", skeleton)
        con.execute(f"COPY ({_query(n_individuals, seed)}) TO '{_sql_str(tmp)}' ({options})")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(tmp, path)
    return GenerateResult(path, n_individuals, n_families, time.perf_counter() - started)


# ---------------------------------------------------------------------------
# regions and the family skeleton (numpy; small)


def wilayah_csv_path() -> Path:
    """Path of ``wilayah_indonesia/csv/base.csv`` in the installed package."""
    # find_spec does not import the package (it is a Django app and would want settings).
    spec = importlib.util.find_spec("wilayah_indonesia")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package wilayah_indonesia is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "csv" / "base.csv"


def _load_desa_codes() -> list[str]:
    with wilayah_csv_path().open(newline="", encoding="utf-8") as fh:
        return sorted(row[0] for row in csv.reader(fh) if row and row[0].count(".") == 3)


def _pick_desa(rng: np.random.Generator, n_desa: int) -> list[str]:
    """Kota Pontianak's kelurahan plus random real desa codes, sorted by code."""
    codes = _load_desa_codes()
    case = [c for c in codes if c.startswith(CASE_KAB + ".")]
    rest = [c for c in codes if not c.startswith(CASE_KAB + ".")]
    chosen = rng.choice(len(rest), size=min(n_desa - len(case), len(rest)), replace=False)
    # Sorted codes make each desa and kecamatan a contiguous block of rows, as in a
    # real export, which keeps NIK serials from colliding (see nik_serial in _macros).
    return sorted(case + [rest[k] for k in chosen])


def _unit(text: str) -> float:
    """A stable pseudo-random number in [-0.5, 0.5) from a region code."""
    return zlib.crc32(text.encode()) / 2**32 - 0.5


def _desa_position(code: str) -> tuple[float, float]:
    """A deterministic plausible (lat, lon) for a desa: province centre plus offsets."""
    kab, kec = code[:5], code[:8]
    if kab in KAB_CENTRES:
        lat, lon, spread = KAB_CENTRES[kab]
        lat += spread * (0.5 * _unit(kec + "a") + 0.2 * _unit(code + "a"))
        lon += spread * (0.5 * _unit(kec + "o") + 0.2 * _unit(code + "o"))
    else:
        lat, lon, spread = PROVINCE_CENTRES[code[:2]]
        lat += spread * (_unit(kab + "a") + 0.25 * _unit(kec + "a") + 0.05 * _unit(code + "a"))
        lon += spread * (_unit(kab + "o") + 0.25 * _unit(kec + "o") + 0.05 * _unit(code + "o"))
    return min(max(lat, -11.0), 6.0), min(max(lon, 95.0), 141.0)


def _skeleton(rng: np.random.Generator, n: int, desa: list[str]) -> tuple[pa.Table, int]:
    """One row per individual: row index, family, member index, family size, desa."""
    # Draw more families than needed, then cut at exactly n individuals.
    n_draw = int(n / 3.0) + 16
    sizes = rng.choice(np.array(FAMILY_SIZES, dtype=np.int64), size=n_draw, p=FAMILY_SIZE_WEIGHTS)
    while sizes.sum() < n:  # only possible for tiny n
        sizes = np.concatenate([sizes, sizes])
    ends = np.cumsum(sizes)
    n_families = int(np.searchsorted(ends, n) + 1)
    sizes = sizes[:n_families]
    sizes[-1] -= int(ends[n_families - 1] - n)

    # Desa get uneven populations (lognormal weights); families fill them in code order.
    weights = rng.lognormal(0.0, 0.5, size=len(desa))
    bounds = np.cumsum(weights) / weights.sum()
    fam_desa = np.searchsorted(bounds, (np.arange(n_families) + 0.5) / n_families)
    fam_desa = np.minimum(fam_desa, len(desa) - 1).astype(np.int16)
    fam_desa_next = np.append(fam_desa[1:], fam_desa[-1])

    family = np.repeat(np.arange(n_families, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    member = (np.arange(n, dtype=np.int64) - np.repeat(starts, sizes)).astype(np.int16)
    d = fam_desa[family]
    d_next = fam_desa_next[family]

    codes = pa.array(desa)
    kec6 = pa.array([c[:8].replace(".", "") for c in desa])
    positions = np.array([_desa_position(c) for c in desa])
    is_kel = np.array([c.split(".")[3].startswith("1") for c in desa])
    table = pa.table(
        {
            "i": np.arange(n, dtype=np.int64),
            "f": family,
            "m": member,
            "size": np.repeat(sizes.astype(np.int16), sizes),
            # Dictionary arrays: the strings exist once per desa, not once per row.
            "code": pa.DictionaryArray.from_arrays(pa.array(d), codes),
            "kec6": pa.DictionaryArray.from_arrays(pa.array(d), kec6),
            "kec6_next": pa.DictionaryArray.from_arrays(pa.array(d_next), kec6),
            "is_kel": is_kel[d],
            "dlat": positions[d, 0],
            "dlon": positions[d, 1],
        }
    )
    # Many record batches let DuckDB scan the table on all cores; one batch would not.
    return pa.Table.from_batches(table.to_batches(max_chunksize=65536)), n_families


# ---------------------------------------------------------------------------
# SQL


def _sql_str(value: object) -> str:
    return str(value).replace("'", "''")


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{_sql_str(v)}'" for v in values) + "]"


def _weighted(u: str, choices: list[tuple[str | None, float]]) -> str:
    """SQL choosing a value with the given weights using the uniform draw ``u``."""
    total = sum(w for _, w in choices)
    parts, acc = [], 0.0
    for value, weight in choices[:-1]:
        acc += weight / total
        parts.append(f"WHEN {u} < {acc!r} THEN {_literal(value)}")
    return f"CASE {' '.join(parts)} ELSE {_literal(choices[-1][0])} END"


def _literal(value: str | None) -> str:
    return "NULL" if value is None else f"'{_sql_str(value)}'"


def _seed_mix(seed: int, label: str) -> int:
    digest = hashlib.sha256(f"berdaya-synth-dtks:{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**62 - 1)


def _macros(seed: int) -> list[str]:
    """DuckDB macros: keyed uniform draws and the identity of a family's head.

    ``rnd(key, salt)`` is a uniform [0, 1) draw keyed on a row (salts 0-63) or a
    family (salts 64-127); hashing the single integer ``key * 128 + salt`` gives
    independent draws per column (combining two hashes would correlate them).
    The head's identity is a pure function of the family number so that a row of
    another family can copy it (the shared-NIK defect) without a join.
    """
    mix = _seed_mix(seed, "rnd")
    male_first, female_first = _list(MALE_NAMES), _list(FEMALE_NAMES)
    male_second, female_second = _list(MALE_SECOND), _list(FEMALE_SECOND)
    return [
        f"""CREATE MACRO rnd(k, salt) AS
            CAST(hash(xor(CAST(k AS BIGINT) * 128 + salt, CAST({mix} AS BIGINT))) >> 11 AS DOUBLE)
            / 9007199254740992.0""",
        "CREATE MACRO pick(lst, u) AS list_element(lst, 1 + CAST(floor(u * len(lst)) AS INTEGER))",
        "CREATE MACRO head_female(f) AS rnd(f, 65) < 0.14",
        # Triangular on 18..85, peaking in the fifties.
        "CREATE MACRO head_age(f) AS 18 + CAST(floor((rnd(f, 66) + rnd(f, 67)) / 2 * 68) AS INTEGER)",
        # A birth date that makes the person exactly `age` years old on the reference date.
        f"""CREATE MACRO birth(age, u) AS DATE '{REFERENCE_DATE}'
            - CAST(age * 365 + age // 4 + 1 + floor(u * 364) AS INTEGER)""",
        "CREATE MACRO head_birth(f) AS birth(head_age(f), rnd(f, 68))",
        f"""CREATE MACRO person_name(i, female) AS
            CASE WHEN female THEN pick({female_first}, rnd(i, 10)) ELSE pick({male_first}, rnd(i, 10)) END
            || CASE WHEN rnd(i, 11) < 0.6 THEN ' ' || CASE WHEN female
                 THEN pick({female_second}, rnd(i, 12)) ELSE pick({male_second}, rnd(i, 12)) END
               ELSE '' END""",
        # NIK date part: DDMMYY, with 40 added to the day for women (Dukcapil).
        """CREATE MACRO nik_date(b, female) AS
            lpad(CAST(day(b) + CASE WHEN female THEN 40 ELSE 0 END AS VARCHAR), 2, '0')
            || strftime(b, '%m%y')""",
        # Serials cycle over the row number. Rows of one kecamatan are contiguous and a
        # kecamatan rarely holds 9973 people, so (kecamatan, date, serial) stays unique.
        "CREATE MACRO nik_serial(i) AS lpad(CAST(1 + i % 9973 AS VARCHAR), 4, '0')",
    ]


def _query(n: int, seed: int) -> str:
    """The SELECT producing the export from the ``skeleton`` table."""
    kk_offset = _seed_mix(seed, "kk") % 10**10
    desil = _weighted(
        "u_desil",
        [(str(k), w) for k, w in zip(range(1, 11), (18, 18, 16, 14, 12, 10, 5, 3, 2, 2), strict=True)],
    )
    skills = [
        ("pertanian", 17), ("peternakan", 8), ("perikanan", 6), ("pengolahan_pangan", 6),
        ("perdagangan", 9), ("kerajinan", 5), ("jasa", 6), ("bertani", 8), ("warung", 6),
        ("tidak ada", 14), (None, 15),
    ]  # fmt: skip
    jobs = [
        ("PETANI", 27), ("BURUH HARIAN LEPAS", 25), ("PEDAGANG", 11), ("NELAYAN", 7),
        ("WIRASWASTA", 10), ("TIDAK BEKERJA", 6), ("MENGURUS RUMAH TANGGA", 4),
        ("PNS", 2.5), ("TNI", 0.6), ("POLRI", 0.6), ("PENSIUNAN", 2.0),
    ]  # fmt: skip
    return f"""
WITH fam AS (
    -- family-level draws: every member of a family sees the same values
    SELECT *,
        rnd(f, 64) AS u_conf,
        head_female(f) AS h_female,
        head_age(f) AS h_age,
        rnd(f, 69) AS u_wife,
        rnd(f, 70) AS u_earn,
        rnd(f, 71) AS u_desil,
        rnd(f, 72) AS u_ready,
        rnd(f, 73) AS u_aid,
        rnd(f, 74) AS u_hstatus,
        rnd(f, 75) AS u_misc
    FROM skeleton
), fam2 AS (
    SELECT *,
        CASE WHEN u_conf < {CONFLICT_RATE / 2} AND size >= 2 THEN 'TWO_HEADS'
             WHEN u_conf < {CONFLICT_RATE} THEN 'NO_HEAD' ELSE '' END AS conflict,
        NOT h_female AND size >= 2 AND u_wife < 0.85 AS has_wife,
        -- the last member of a family of 3+ who is also registered as the next family's head
        size >= 3 AND m = size - 1 AND i - m + size < {n} AND rnd(f, 76) < {SHARED_NIK_RATE} AS is_dup
    FROM fam
), role AS (
    SELECT *,
        CASE
            WHEN m = 0 THEN CASE WHEN conflict = 'NO_HEAD' THEN 'FAMILI LAIN' ELSE 'KEPALA KELUARGA' END
            WHEN m = 1 AND conflict = 'TWO_HEADS' THEN 'KEPALA KELUARGA'
            WHEN m = 1 AND has_wife THEN 'ISTRI'
            WHEN rnd(i, 0) < 0.9 THEN 'ANAK'
            ELSE 'FAMILI LAIN'
        END AS hub,
        has_wife AND conflict = '' AND u_earn < 0.08 AS wife_earns
    FROM fam2
), person AS (
    SELECT *,
        CASE WHEN is_dup THEN head_female(f + 1)
             WHEN m = 0 THEN h_female
             WHEN m = 1 AND (has_wife OR conflict = 'TWO_HEADS') THEN true
             ELSE rnd(i, 1) < 0.5 END AS female,
        CASE WHEN m = 0 THEN h_age
             WHEN hub IN ('ISTRI', 'KEPALA KELUARGA') THEN greatest(17, h_age - CAST(floor(rnd(i, 2) * 9) AS INTEGER))
             WHEN hub = 'ANAK' THEN greatest(0, h_age - 18 - CAST(floor(rnd(i, 2) * 25) AS INTEGER))
             ELSE 15 + CAST(floor(rnd(i, 2) * 76) AS INTEGER) END AS age,
        CASE WHEN conflict = 'NO_HEAD' THEN 'N'
             WHEN wife_earns THEN CASE WHEN hub = 'ISTRI' THEN 'Y' ELSE 'N' END
             WHEN m = 0 THEN 'Y' ELSE 'N' END AS pnu,
        rnd(i, 13) AS u_nik,
        rnd(i, 17) AS u_unread
    FROM role
), dated AS (
    SELECT *,
        CASE WHEN is_dup THEN head_birth(f + 1)
             WHEN m = 0 THEN head_birth(f)
             ELSE birth(age, rnd(i, 3)) END AS b
    FROM person
), ident AS (
    SELECT *,
        CASE WHEN is_dup THEN kec6_next || nik_date(b, female) || nik_serial(i - m + size)
             ELSE kec6 || nik_date(b, female) || nik_serial(i) END AS nik_ok
    FROM dated
)
SELECT
    lpad(CAST(i + 1 AS VARCHAR), 12, '0') AS id_dtks,
    CASE WHEN is_dup THEN nik_ok
         -- realistic NIK damage: retyping, Excel, the wrong date, the +40 rule
         WHEN u_nik < {INVALID_NIK_RATE * 0.2} THEN left(nik_ok, 15)
         WHEN u_nik < {INVALID_NIK_RATE * 0.3} THEN nik_ok || '0'
         WHEN u_nik < {INVALID_NIK_RATE * 0.4} THEN left(nik_ok, 1) || '.' || substr(nik_ok, 2, 5) || 'E+15'
         WHEN u_nik < {INVALID_NIK_RATE * 0.7}
            THEN kec6 || nik_date(b + 1 + CAST(floor(rnd(i, 14) * 400) AS INTEGER), female) || nik_serial(i)
         WHEN u_nik < {INVALID_NIK_RATE} THEN kec6 || nik_date(b, NOT female) || nik_serial(i)
         ELSE nik_ok END AS nik,
    CASE WHEN rnd(f, 77) < {BAD_KK_RATE} THEN left(kec6, 5) ELSE kec6 END
        || lpad(CAST((f * 7368787391 + {kk_offset}) % 10000000000 AS VARCHAR), 10, '0') AS no_kk,
    person_name(CASE WHEN is_dup THEN i - m + size ELSE i END, female) AS nama,
    CASE WHEN female THEN 'P' ELSE 'L' END AS jenis_kelamin,
    CASE WHEN u_unread < {UNREADABLE_DATE_RATE / 2} THEN strftime(b, '%Y') || '-13-45'
         WHEN u_unread < {UNREADABLE_DATE_RATE} THEN strftime(b, '%Y') || '-02-30'
         WHEN rnd(i, 15) < 0.03 THEN strftime(b, '%d-%m-%Y')
         ELSE strftime(b, '%Y-%m-%d') END AS tanggal_lahir,
    CASE WHEN rnd(i, 4) < 0.015 THEN NULL
         WHEN hub = 'ISTRI' THEN 'KAWIN'
         WHEN hub = 'KEPALA KELUARGA' OR m = 0 THEN CASE
             WHEN has_wife THEN 'KAWIN'
             WHEN h_female THEN {_weighted("u_hstatus", [("CERAI MATI", 55), ("CERAI HIDUP", 35), ("KAWIN", 10)])}
             WHEN size = 1 THEN {_weighted("u_hstatus", [("BELUM KAWIN", 45), ("CERAI MATI", 30), ("CERAI HIDUP", 25)])}
             ELSE {_weighted("u_hstatus", [("CERAI MATI", 50), ("CERAI HIDUP", 40), ("KAWIN", 10)])} END
         WHEN age < 17 THEN 'BELUM KAWIN'
         WHEN hub = 'ANAK' THEN CASE WHEN rnd(i, 5) < 0.8 THEN 'BELUM KAWIN' ELSE 'KAWIN' END
         ELSE {_weighted("rnd(i, 5)", [("KAWIN", 40), ("CERAI MATI", 45), ("BELUM KAWIN", 15)])} END AS status_kawin,
    hub AS hubungan_keluarga,
    pnu AS pencari_nafkah_utama,
    CASE WHEN rnd(i, 6) < 0.01 THEN NULL
         WHEN hub = 'ANAK' AND age < 6 THEN 'TIDAK BEKERJA'
         WHEN hub = 'ANAK' AND age < 19 THEN 'PELAJAR/MAHASISWA'
         WHEN hub = 'ISTRI' AND pnu = 'N' AND rnd(i, 7) < 0.75 THEN 'MENGURUS RUMAH TANGGA'
         WHEN age >= 65 AND rnd(i, 7) < 0.5 THEN 'TIDAK BEKERJA'
         -- some exports are typed by hand: case and spacing vary
         WHEN rnd(i, 7) > 0.98 THEN ' ' || lower({_weighted("rnd(i, 8)", jobs)}) || ' '
         ELSE {_weighted("rnd(i, 8)", jobs)} END AS pekerjaan,
    code AS kode_wilayah,
    lpad(CAST(1 + CAST(floor(rnd(f, 78) * 12) AS INTEGER) AS VARCHAR), 3, '0') AS rt,
    lpad(CAST(1 + CAST(floor(rnd(f, 79) * 8) AS INTEGER) AS VARCHAR), 3, '0') AS rw,
    CASE WHEN is_kel
         THEN CASE WHEN u_misc < 0.3 THEN 'GG. ' ELSE 'JL. ' END || pick({_list(STREETS)}, rnd(f, 80))
         ELSE 'DUSUN ' || pick({_list(DUSUNS)}, rnd(f, 80)) END
        || ' NO. ' || CAST(1 + CAST(floor(rnd(f, 81) * 150) AS INTEGER) AS VARCHAR) AS alamat,
    CASE WHEN u_unread >= {UNREADABLE_DATE_RATE} AND u_unread < {UNREADABLE_DATE_RATE + UNREADABLE_DESIL_RATE}
            THEN CASE WHEN rnd(i, 16) < 0.8 THEN 'x' ELSE 'lima' END
         WHEN rnd(f, 82) < 0.005 THEN NULL
         ELSE {desil} END AS desil,
    CASE WHEN rnd(f, 83) < 0.03 THEN NULL ELSE printf('%.6f', dlat + (rnd(f, 84) - 0.5) * 0.01) END AS lat,
    CASE WHEN rnd(f, 83) < 0.03 THEN NULL ELSE printf('%.6f', dlon + (rnd(f, 85) - 0.5) * 0.01) END AS lon,
    CASE WHEN hub = 'KEPALA KELUARGA' OR pnu = 'Y' OR rnd(i, 9) < 0.4
         THEN {_weighted("rnd(i, 18)", skills)} END AS keahlian,
    {_weighted("u_ready", [("Y", 80), ("N", 14), (None, 6)])} AS kesediaan,
    {_weighted("u_aid", [("Y", 7), ("N", 89), (None, 4)])} AS pernah_bantuan_kube
FROM ident
"""


def main(argv: list[str] | None = None) -> None:
    """Command line: write one file and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--individuals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="output path (.csv or .parquet)")
    parser.add_argument("--format", choices=("csv", "parquet"), help="default: from --out's suffix")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args(argv)
    try:
        result = generate(args.out, args.individuals, args.seed, args.format, threads=args.threads)
    except ValueError as error:
        parser.error(str(error))
    size_mb = result.path.stat().st_size / 2**20
    print(
        f"wrote {result.rows:,} individuals in {result.families:,} families to {result.path} "
        f"({size_mb:,.1f} MB) in {result.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
