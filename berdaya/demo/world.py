"""A seeded, synthetic DTKS registry of Kota Pontianak for the demo (spec §10).

Pure Python, no Django: `generate_dtks(seed, families)` returns one dict of strings per
individual, in the canonical import columns of spec §4, for Kecamatan Pontianak Utara (about
70 % of families, including the sweet-corn growers of Siantan Hulu) and Kecamatan Pontianak
Kota (about 30 %). Everything is drawn from one `random.Random(seed)`, so the same seed gives
the same rows and the global `random` state is never touched.

The registry is deliberately not clean, so that the import and screening pages have something
to show: about 1 % of NIKs disagree with the birth date, two families list two heads, one NIK
sits in two families, and a few families lack `desil` or `keahlian`. `build_dtks_world` returns
the rows together with a `DataProblems` list naming exactly those cases.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from berdaya.engine.columns import CANONICAL

# The canonical DTKS import columns (spec §4), in order: the engine defines them once.
FIELDS = CANONICAL

# Columns a spreadsheet must never turn into numbers.
_IDENTIFIERS = frozenset(("id_dtks", "nik", "no_kk"))

# Ages are counted on this day; nobody in the world is born after it.
REFERENCE_DATE = date(2026, 1, 1)

HEAD = "KEPALA KELUARGA"
WIFE = "ISTRI"
CHILD = "ANAK"
OTHER = "FAMILI LAIN"

SINGLE = "BELUM KAWIN"
MARRIED = "KAWIN"
DIVORCED = "CERAI HIDUP"
WIDOWED = "CERAI MATI"

NOT_WORKING = "TIDAK/BELUM BEKERJA"
HOUSEWORK = "MENGURUS RUMAH TANGGA"
STUDENT = "PELAJAR/MAHASISWA"
PENSIONER = "PENSIUNAN"


@dataclass(frozen=True)
class Kelurahan:
    """One kelurahan of the demo world: real Kemendagri code and name, approximate centre."""

    code: str
    name: str
    lat: float
    lon: float
    radius: float  # degrees; RW centres fall within this distance of the centre
    share: float  # share of its kecamatan's families
    livelihood: str  # key of _OCCUPATIONS
    streets: tuple[str, ...]

    @property
    def kecamatan_code(self) -> str:
        return self.code.rsplit(".", 1)[0]


KECAMATAN = {"61.71.04": "Pontianak Utara", "61.71.05": "Pontianak Kota"}
KECAMATAN_SHARE = {"61.71.04": 0.7, "61.71.05": 0.3}

KELURAHAN = (
    Kelurahan(
        "61.71.04.1001",
        "Siantan Hulu",
        0.0185,
        109.3470,
        0.0110,
        0.36,
        "tani",
        (
            "Jl. Budi Utomo",
            "Jl. Parit Pangeran",
            "Jl. Selat Sumba",
            "Jl. Gusti Situt Mahmud",
            "Jl. Kebangkitan Nasional",
            "Jl. Parit Makmur",
        ),
    ),
    Kelurahan(
        "61.71.04.1002",
        "Siantan Tengah",
        0.0010,
        109.3380,
        0.0070,
        0.24,
        "campur",
        (
            "Jl. Khatulistiwa",
            "Jl. 28 Oktober",
            "Jl. Gusti Situt Mahmud",
            "Jl. Selat Panjang",
            "Jl. Parit Pangeran",
        ),
    ),
    Kelurahan(
        "61.71.04.1003",
        "Siantan Hilir",
        -0.0095,
        109.3560,
        0.0070,
        0.22,
        "sungai",
        ("Jl. Khatulistiwa", "Jl. Sungai Selamat", "Jl. Dharma Putra", "Jl. 28 Oktober"),
    ),
    Kelurahan(
        "61.71.04.1004",
        "Batulayang",
        0.0065,
        109.3160,
        0.0080,
        0.18,
        "sungai",
        ("Jl. Khatulistiwa", "Jl. Batu Layang", "Jl. Sungai Selamat Dalam", "Jl. Parit Wan Salim"),
    ),
    Kelurahan(
        "61.71.05.1001",
        "Sungaibangkong",
        -0.0415,
        109.3065,
        0.0060,
        0.34,
        "kota",
        (
            "Jl. H. Rais A. Rahman",
            "Jl. Tabrani Ahmad",
            "Jl. Husein Hamzah",
            "Jl. Apel",
            "Jl. Dr. Wahidin Sudirohusodo",
        ),
    ),
    Kelurahan(
        "61.71.05.1002",
        "Daratsekip",
        -0.0365,
        109.3240,
        0.0040,
        0.17,
        "kota",
        ("Jl. Merdeka", "Jl. Pahlawan", "Jl. Hijas", "Jl. Johar"),
    ),
    Kelurahan(
        "61.71.05.1003",
        "Tengah",
        -0.0300,
        109.3310,
        0.0030,
        0.11,
        "kota",
        ("Jl. Tanjungpura", "Jl. Sisingamangaraja", "Jl. Nusa Indah", "Jl. Diponegoro"),
    ),
    Kelurahan(
        "61.71.05.1004",
        "Mariana",
        -0.0335,
        109.3290,
        0.0030,
        0.12,
        "kota",
        ("Jl. Gajah Mada", "Jl. Pattimura", "Jl. Diponegoro", "Jl. Pak Kasih"),
    ),
    Kelurahan(
        "61.71.05.1005",
        "Sungaijawi",
        -0.0355,
        109.3120,
        0.0050,
        0.26,
        "kota",
        ("Jl. Sungai Jawi", "Jl. Merdeka", "Jl. H.O.S. Cokroaminoto", "Jl. Dr. Sutomo"),
    ),
)

_GANGS = (
    "Mawar",
    "Melati",
    "Anggrek",
    "Kenanga",
    "Dahlia",
    "Cempaka",
    "Flamboyan",
    "Teratai",
    "Kamboja",
    "Seroja",
    "Nusa Indah",
    "Bougenville",
    "Sepakat",
    "Harapan",
    "Damai",
    "Rukun",
    "Bersama",
    "Sejahtera",
    "Swadaya",
    "Karya Tani",
    "Usaha Tani",
    "Tani Makmur",
    "Family",
    "Amaliah",
    "Al-Ikhlas",
    "Al-Hidayah",
    "Nurul Iman",
    "Haji Muhidin",
    "Haji Abbas",
    "Mekar Sari",
    "Sepakat Baru",
    "Kurnia",
    "Selamat",
    "Purnama",
    "Merpati",
    "Kenari",
    "Cendrawasih",
    "Rajawali",
    "Kutilang",
    "Jambu",
    "Nangka",
    "Durian",
    "Rambutan",
    "Langsat",
    "Pisang",
    "Kelapa",
    "Pinang",
    "Pendidikan",
    "Pemuda",
    "Gotong Royong",
    "Bhakti",
    "Sentosa",
    "Parit Bugis",
    "Parit Demang",
    "Parit Haji Husin",
    "Suka Maju",
    "Sukadamai",
    "Tanjung Harapan",
    "Wonodadi",
    "Dharma",
)


# --- weighted tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    values: tuple[Any, ...]
    cum: tuple[float, ...]

    def pick(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cum)[0]


def _table(pairs: Sequence[tuple[Any, float]]) -> _Table:
    return _Table(tuple(v for v, _ in pairs), tuple(accumulate(w for _, w in pairs)))


_FAMILY_SIZE = _table([(1, 10), (2, 18), (3, 23), (4, 24), (5, 14), (6, 7), (7, 4)])

# Skewed to the poorest deciles: this is a registry of poor families.
_DESIL = _table(
    [
        ("1", 22),
        ("2", 22),
        ("3", 20),
        ("4", 16),
        ("5", 10),
        ("6", 4),
        ("7", 3),
        ("8", 1.5),
        ("9", 1),
        ("10", 0.5),
    ]
)

_KESEDIAAN = _table([("Y", 90), ("N", 7), ("", 3)])

_ETHNIC = {
    "61.71.04": _table([("melayu", 42), ("bugis", 16), ("madura", 10), ("jawa", 14), ("tionghoa", 8), ("dayak", 10)]),
    "61.71.05": _table([("melayu", 32), ("bugis", 10), ("madura", 8), ("jawa", 16), ("tionghoa", 22), ("dayak", 12)]),
}

# The rest of the city (the city-scale demo): a mix between the two kecamatan above.
_ETHNIC_CITY = _table([("melayu", 36), ("bugis", 13), ("madura", 10), ("jawa", 15), ("tionghoa", 15), ("dayak", 11)])

_STATE_JOBS = [("PNS", 1.0), ("PEGAWAI NEGERI SIPIL", 0.3), ("TNI", 0.4), ("POLRI", 0.4)]

# Occupation of the main breadwinner, by the livelihood of the kelurahan.
_OCCUPATIONS = {
    "tani": _table(
        [
            ("PETANI", 34),
            ("BURUH TANI/PERKEBUNAN", 6),
            ("BURUH HARIAN LEPAS", 18),
            ("PEDAGANG KELILING", 9),
            ("WIRASWASTA", 8),
            ("TUKANG OJEK", 5),
            ("NELAYAN", 2),
            ("SOPIR", 2),
            ("KARYAWAN SWASTA", 3),
            ("TUKANG BATU", 3),
            *_STATE_JOBS,
        ]
    ),
    "campur": _table(
        [
            ("PETANI", 10),
            ("BURUH TANI/PERKEBUNAN", 3),
            ("NELAYAN", 4),
            ("BURUH HARIAN LEPAS", 28),
            ("PEDAGANG KELILING", 14),
            ("WIRASWASTA", 12),
            ("TUKANG OJEK", 9),
            ("SOPIR", 3),
            ("KARYAWAN SWASTA", 5),
            ("TUKANG BATU", 4),
            *_STATE_JOBS,
        ]
    ),
    "sungai": _table(
        [
            ("NELAYAN", 14),
            ("PETANI", 8),
            ("BURUH HARIAN LEPAS", 25),
            ("PEDAGANG KELILING", 12),
            ("WIRASWASTA", 10),
            ("TUKANG OJEK", 7),
            ("SOPIR", 3),
            ("KARYAWAN SWASTA", 4),
            ("TUKANG BATU", 4),
            *_STATE_JOBS,
        ]
    ),
    "kota": _table(
        [
            ("PETANI", 1),
            ("NELAYAN", 1),
            ("BURUH HARIAN LEPAS", 30),
            ("PEDAGANG KELILING", 18),
            ("WIRASWASTA", 15),
            ("TUKANG OJEK", 12),
            ("SOPIR", 5),
            ("KARYAWAN SWASTA", 8),
            ("TUKANG BATU", 4),
            *_STATE_JOBS,
        ]
    ),
}
_MEN_ONLY = {"TUKANG OJEK", "TUKANG BATU", "SOPIR", "TNI", "NELAYAN"}
_WOMEN_EARNING = _table([("PEDAGANG KELILING", 45), ("BURUH HARIAN LEPAS", 35), ("WIRASWASTA", 20)])
_WIFE_JOB = _table(
    [
        (HOUSEWORK, 66),
        ("PEDAGANG KELILING", 10),
        ("BURUH HARIAN LEPAS", 10),
        ("WIRASWASTA", 8),
        ("PETANI", 4),
        ("KARYAWAN SWASTA", 2),
    ]
)
_YOUNG_ADULT_JOB = _table(
    [
        (STUDENT, 30),
        (NOT_WORKING, 25),
        ("BURUH HARIAN LEPAS", 20),
        ("KARYAWAN SWASTA", 10),
        ("PEDAGANG KELILING", 5),
        ("TUKANG OJEK", 5),
        ("WIRASWASTA", 5),
    ]
)
_ELDER_JOB = _table([(NOT_WORKING, 85), (PENSIONER, 4), ("PETANI", 6), ("PEDAGANG KELILING", 5)])

# keahlian follows the breadwinner's work; synonyms and case variants are what field officers
# actually type, and they are what the SKILL rule's synonym table is for.
_SKILL_BY_JOB = {
    "farm": _table(
        [
            ("pertanian", 60),
            ("bertani", 18),
            ("berkebun", 4),
            ("Pertanian", 4),
            ("peternakan", 6),
            ("beternak", 4),
            ("pengolahan_pangan", 4),
        ]
    ),
    "fish": _table([("perikanan", 80), ("budidaya ikan", 10), ("nelayan", 5), ("pengolahan_pangan", 5)]),
    "trade": _table([("perdagangan", 50), ("dagang", 20), ("warung", 15), ("jualan", 5), ("pengolahan_pangan", 10)]),
    "business": _table(
        [
            ("perdagangan", 25),
            ("warung", 15),
            ("pengolahan_pangan", 20),
            ("kuliner", 5),
            ("membuat kue", 5),
            ("kerajinan", 10),
            ("menjahit", 5),
            ("jasa", 10),
            ("bengkel", 5),
        ]
    ),
    "transport": _table([("jasa", 60), ("perdagangan", 15), ("bengkel", 10), ("peternakan", 15)]),
    "build": _table([("jasa", 50), ("kerajinan", 30), ("pertanian", 20)]),
    "other": _table(
        [
            ("pertanian", 15),
            ("peternakan", 15),
            ("beternak", 8),
            ("perikanan", 8),
            ("pengolahan_pangan", 15),
            ("perdagangan", 15),
            ("warung", 8),
            ("kerajinan", 6),
            ("jasa", 10),
            ("Jasa", 1),
        ]
    ),
}
_JOB_SKILL_GROUP = {
    "PETANI": "farm",
    "BURUH TANI/PERKEBUNAN": "farm",
    "NELAYAN": "fish",
    "PEDAGANG KELILING": "trade",
    "WIRASWASTA": "business",
    "TUKANG OJEK": "transport",
    "SOPIR": "transport",
    "TUKANG BATU": "build",
}
# Values the rule set does not know: the screening shows them raw as UNKNOWN.
_UNRECOGNISED_SKILLS = ("serabutan", "belum tahu", "macam-macam", "ikut kelompok")


# --- names -------------------------------------------------------------------------------------

_MELAYU_L = (
    "ABDUL HADI",
    "ABDUL RAHMAN",
    "ABDULLAH",
    "AHMAD",
    "ALI",
    "AMRAN",
    "ARIFIN",
    "AZHAR",
    "BAHARUDIN",
    "BUJANG",
    "DAHLAN",
    "EDY",
    "FADLI",
    "HAMDAN",
    "HAMZAH",
    "HASAN",
    "HENDRI",
    "IDRIS",
    "ISMAIL",
    "JAMALUDIN",
    "JUMADI",
    "KAMARUDIN",
    "M. YUSUF",
    "MAHMUD",
    "MANSUR",
    "MUHAMMAD",
    "MUSLIM",
    "RAMLI",
    "RIDUAN",
    "RUSLAN",
    "SAFARUDIN",
    "SAHRIL",
    "SUHAIMI",
    "SYAHRANI",
    "SYAMSUDIN",
    "UMAR",
    "USMAN",
    "YUSRAN",
    "ZAINAL",
    "ZULKIFLI",
    "ISKANDAR",
    "JUNAIDI",
)
_MELAYU_P = (
    "AISYAH",
    "ASMAH",
    "FATIMAH",
    "HALIMAH",
    "HASNAH",
    "JAMILAH",
    "KHADIJAH",
    "MAHANI",
    "MARIAM",
    "MASNAH",
    "NORMA",
    "NURBAYA",
    "NURHAYATI",
    "NURJANAH",
    "RAHMAH",
    "ROSNAH",
    "RUSMINI",
    "SALMAH",
    "SAMSIAH",
    "SITI AMINAH",
    "SITI NORMALA",
    "SUMIATI",
    "UMI KALSUM",
    "WARDAH",
    "ZAINAB",
    "ZURAIDAH",
    "MURNI",
    "RAHMAWATI",
    "ERNAWATI",
    "JUBAIDAH",
)
_BUGIS_L = (
    "AMIRUDDIN",
    "ARSYAD",
    "BAHARUDDIN",
    "HAMZAH",
    "HASANUDDIN",
    "JUFRI",
    "MAKMUR",
    "MUHAMMAD ARSYAD",
    "NASRUDDIN",
    "RAHMAN",
    "SAHABUDDIN",
    "SAPARUDDIN",
    "SYAMSUDDIN",
    "TAHIR",
    "ZAINUDDIN",
    "MUHAMMAD TANG",
    "LATIF",
    "BASO",
    "SUDIRMAN",
    "RUSTAM",
)
_BUGIS_P = (
    "HASMAWATI",
    "HASNAWATI",
    "NURHAYATI",
    "NURMIATI",
    "SITTI HAWA",
    "SITTI RAHMA",
    "ST. NURBAYA",
    "RATNAWATI",
    "SUHARTINI",
    "MARLINA",
    "HADIJAH",
    "MURNIATI",
    "SANIAH",
    "JUMRAH",
)
_JAWA_L = (
    "BAMBANG",
    "BUDI SANTOSO",
    "DARMAJI",
    "JOKO SUSILO",
    "PAIMAN",
    "PARNO",
    "SLAMET",
    "SUGENG",
    "SUGIONO",
    "SUKARDI",
    "SUPARMAN",
    "SUPRIYADI",
    "SUTRISNO",
    "TRIYONO",
    "WAGIMAN",
    "WARSITO",
    "EKO PRASETYO",
    "AGUS SUPRIYANTO",
    "PURWANTO",
    "SUKIMAN",
    "TUKIRAN",
    "KATIMIN",
)
_JAWA_P = (
    "SRI WAHYUNI",
    "SITI AMINAH",
    "SUPARMI",
    "SUMARNI",
    "SUWARNI",
    "TRI WULANDARI",
    "SUMIYATI",
    "PARTINI",
    "SUKINAH",
    "WARSINI",
    "ENDANG",
    "NGATINI",
    "RUBIYAH",
    "SUPRIHATIN",
    "DWI ASTUTI",
)
_MADURA_L = (
    "MAT SALEH",
    "SUHAIRI",
    "MARSUKI",
    "MOH. SHOLEH",
    "ABDUL KADIR",
    "HOLIK",
    "SAHRAWI",
    "JUMALI",
    "MUSTAKIM",
    "SAMSUL ARIFIN",
    "HASYIM",
    "MARZUKI",
    "MATRAWI",
    "SAHWI",
)
_MADURA_P = (
    "HOLIFAH",
    "MARWIYAH",
    "SUMIYATI",
    "MASRIFAH",
    "NURHASANAH",
    "SITI HOLIMAH",
    "MUNAWAROH",
    "HOSNIYAH",
    "FATIMAH",
    "JUMAILAH",
    "SAMIYAH",
)
_MUSLIM_YOUNG_L = (
    "MUHAMMAD RIZKY",
    "M. FAJAR",
    "ARYA",
    "DIMAS",
    "FIRMANSYAH",
    "HENDRA",
    "ILHAM",
    "RAFI",
    "RAHMAT HIDAYAT",
    "REZA",
    "RIZAL",
    "SYAHRUL",
    "WAHYU",
    "YOGA",
    "ZIDAN",
    "ALDI",
    "ARDIANSYAH",
    "FAUZAN",
    "GILANG",
    "HAIKAL",
    "NAUFAL",
    "RAFA",
    "ARKAN",
    "FATHIR",
    "ANDIKA",
    "BAYU",
)
_MUSLIM_YOUNG_P = (
    "AULIA",
    "AYU LESTARI",
    "DEWI",
    "FITRI",
    "INTAN",
    "NADIA",
    "NUR AINI",
    "NURUL HIKMAH",
    "PUTRI",
    "RAHMAWATI",
    "SALSABILA",
    "SITI NURHALIZA",
    "WULANDARI",
    "YULIANTI",
    "ZAHRA",
    "ANISA",
    "KHAIRUNNISA",
    "AQILA",
    "NAYLA",
    "AZZAHRA",
    "RINI",
    "SRI RAHAYU",
)
_CHINESE_SURNAMES = (
    "LIM",
    "TAN",
    "LIE",
    "BONG",
    "CHIN",
    "NG",
    "THAM",
    "LAY",
    "KHO",
    "ANG",
    "LO",
    "PHANG",
    "THJIA",
    "HUANG",
    "JONG",
    "SIAUW",
    "LIU",
    "CHANG",
)
_CHINESE_SYLLABLES_L = (
    "KIM",
    "FUI",
    "SIN",
    "KIUN",
    "FAT",
    "CHOI",
    "SIONG",
    "JUNG",
    "KIAT",
    "LIONG",
    "HIN",
    "KHIN",
    "FONG",
    "CHAN",
    "MIN",
    "TJHONG",
)
_CHINESE_SYLLABLES_P = (
    "KIM",
    "HUI",
    "MOI",
    "LIAN",
    "NYUK",
    "MEI",
    "YUN",
    "LAN",
    "FUNG",
    "JIN",
    "NGO",
    "SIAN",
    "LING",
)
_CHINESE_L = (
    "HENDRA",
    "SUSANTO",
    "GUNAWAN",
    "HARTONO",
    "ACONG",
    "AKIONG",
    "AHUI",
    "AFUK",
    "BUDIMAN",
    "HERMAN",
    "JOHAN",
    "WILLY",
    "SUWANDI",
    "KURNIAWAN",
    "ALIONG",
    "ASIN",
)
_CHINESE_P = (
    "LINA",
    "MEILIANA",
    "SUSANTI",
    "LILIANA",
    "YENNY",
    "MERRY",
    "LIANA",
    "WIDYA",
    "AMOI",
    "AKIM",
    "NOVITA",
    "LILI",
    "AMEI",
)
_CHINESE_YOUNG_L = (
    "KEVIN",
    "STEVEN",
    "VINCENT",
    "FELIX",
    "WILLIAM",
    "RICKY",
    "JONATHAN",
    "ALVIN",
    "HENDRIK",
    "DANIEL",
)
_CHINESE_YOUNG_P = (
    "JESSICA",
    "CINDY",
    "MICHELLE",
    "NATASHA",
    "JENNIFER",
    "VIVIAN",
    "SELVI",
    "MELISA",
    "GRACE",
    "CHRISTINE",
)
_DAYAK_FIRST_L = (
    "ANTONIUS",
    "YOHANES",
    "PETRUS",
    "PAULUS",
    "MARKUS",
    "STEFANUS",
    "FRANSISKUS",
    "YAKOBUS",
    "AGUSTINUS",
    "MATIUS",
    "SIMON",
    "LUKAS",
    "BENEDIKTUS",
    "KORNELIUS",
)
_DAYAK_FIRST_P = (
    "MARIA",
    "YULIANA",
    "KATARINA",
    "MAGDALENA",
    "MARTINA",
    "ROSALINA",
    "VERONIKA",
    "ELISABETH",
    "AGNES",
    "SESILIA",
    "THERESIA",
    "ANASTASIA",
)
_DAYAK_YOUNG_L = ("KRISTIANUS", "VALENTINUS", "NOVENSIUS", "YOSEF", "RIKARDUS", "EVAN", "RONALDO", "ARIANTO")
_DAYAK_YOUNG_P = ("YOSEFINA", "SERAFINA", "ANGELINA", "FELISITAS", "ELVIRA", "DEVI", "NOVIANTI", "LUSIANA")
_DAYAK_NAMES = (
    "ANGGANG",
    "BUJANG",
    "DJAMAN",
    "LENJAU",
    "MUDAH",
    "NYANGUN",
    "AMAN",
    "ITUK",
    "LAMBANG",
    "UJANG",
    "TOMENG",
    "ATENG",
    "LUNGAN",
    "SIMPE",
    "NGIRANG",
    "DAMUN",
)

_MUSLIM_GIVEN = {
    "melayu": (_MELAYU_L, _MELAYU_P),
    "bugis": (_BUGIS_L, _BUGIS_P),
    "jawa": (_JAWA_L, _JAWA_P),
    "madura": (_MADURA_L, _MADURA_P),
}
_SINGLE_WORD = {ethnic: tuple(n for n in pools[0] if " " not in n) for ethnic, pools in _MUSLIM_GIVEN.items()}
# Pontianak Malay lines pass a title down: Syarif/Syarifah, Uray, Uti/Utin, Abang/Dayang, Gusti.
_MELAYU_TITLES = (
    ("SYARIF", "SYARIFAH"),
    ("URAY", "URAY"),
    ("UTI", "UTIN"),
    ("ABANG", "DAYANG"),
    ("GUSTI", "GUSTI"),
)


@dataclass
class _Lineage:
    """What a family passes on to the head and the children (not to the wife)."""

    ethnic: str
    surname: str = ""
    title: tuple[str, str] | None = None


def _new_lineage(rng: random.Random, ethnic: str) -> _Lineage:
    if ethnic == "tionghoa":
        return _Lineage(ethnic, surname=rng.choice(_CHINESE_SURNAMES))
    if ethnic == "dayak":
        return _Lineage(ethnic, surname=rng.choice(_DAYAK_NAMES))
    if ethnic == "melayu" and rng.random() < 0.08:
        return _Lineage(ethnic, title=rng.choice(_MELAYU_TITLES))
    if ethnic == "bugis" and rng.random() < 0.10:
        return _Lineage(ethnic, title=("ANDI", "ANDI"))
    return _Lineage(ethnic)


def _given(rng: random.Random, pool: Sequence[str], extra: Sequence[str], p_second: float) -> str:
    """A given name, sometimes followed by a father's name as Malay and Bugis usage has it."""
    name = rng.choice(pool)
    if rng.random() < p_second and " " not in name:
        second = rng.choice(extra)
        if second != name:
            name = f"{name} {second}"
    return name


def _person_name(rng: random.Random, lineage: _Lineage, sex: str, birth_year: int) -> str:
    female = sex == "P"
    young = birth_year >= 1995
    if lineage.ethnic == "tionghoa":
        if not young and rng.random() < 0.55:
            syllables = _CHINESE_SYLLABLES_P if female else _CHINESE_SYLLABLES_L
            return f"{lineage.surname} {rng.choice(syllables)} {rng.choice(syllables)}"
        pool = (_CHINESE_YOUNG_P if female else _CHINESE_YOUNG_L) if young else (_CHINESE_P if female else _CHINESE_L)
        return rng.choice(pool) if rng.random() < 0.4 else f"{rng.choice(pool)} {lineage.surname}"
    if lineage.ethnic == "dayak":
        pool = (
            (_DAYAK_YOUNG_P if female else _DAYAK_YOUNG_L) if young else (_DAYAK_FIRST_P if female else _DAYAK_FIRST_L)
        )
        return f"{rng.choice(pool)} {lineage.surname}"
    male_pool, female_pool = _MUSLIM_GIVEN[lineage.ethnic]
    if young and rng.random() < 0.7:
        pool = _MUSLIM_YOUNG_P if female else _MUSLIM_YOUNG_L
    else:
        pool = female_pool if female else male_pool
    name = _given(rng, pool, _SINGLE_WORD[lineage.ethnic], 0.25)
    if lineage.title:
        name = f"{lineage.title[1] if female else lineage.title[0]} {name}"
    return name


def _wife_lineage(rng: random.Random, husband: _Lineage) -> _Lineage:
    if rng.random() < 0.85 or husband.ethnic in ("tionghoa", "dayak"):
        ethnic = husband.ethnic
    else:
        ethnic = rng.choice(("melayu", "bugis", "jawa", "madura"))
    return _new_lineage(rng, ethnic)


# --- NIK and No KK -------------------------------------------------------------------------------


def _nik_date(birth: date, sex: str) -> str:
    """DDMMYY as a NIK carries it: 40 is added to the day for women."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"


class _Serials:
    """Hands out the 4-digit serial after a 12-digit prefix, so that every number is new."""

    def __init__(self, rng: random.Random, first_max: int, step_max: int) -> None:
        self._rng = rng
        self._first_max = first_max
        self._step_max = step_max
        self._last: dict[str, int] = {}

    def issue(self, prefix: str) -> str:
        last = self._last.get(prefix)
        serial = (
            self._rng.randint(1, self._first_max) if last is None else (last + self._rng.randint(1, self._step_max))
        )
        if serial > 9999:
            raise OverflowError(f"no serial left after {prefix}")
        self._last[prefix] = serial
        return f"{prefix}{serial:04d}"


# --- the world ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataProblems:
    """The deliberate faults of a generated registry, so a demo or a test can point at them."""

    nik_date_mismatch: tuple[str, ...]  # id_dtks whose NIK date part disagrees with tanggal_lahir
    double_head: tuple[str, ...]  # no_kk of families that list two KEPALA KELUARGA
    shared_nik: dict[str, tuple[str, ...]]  # NIK -> the no_kk of the families that both list it
    empty_desil: tuple[str, ...]  # no_kk
    empty_keahlian: tuple[str, ...]  # no_kk
    no_main_earner: tuple[str, ...]  # no_kk with nobody flagged; the head is then the candidate


@dataclass(frozen=True)
class DtksWorld:
    rows: list[dict[str, str]]
    problems: DataProblems


@dataclass
class _Person:
    relation: str
    sex: str
    age: int
    status: str
    earner: bool = False
    job: str = ""
    name: str = ""
    birth: date = REFERENCE_DATE
    nik: str = ""
    id_dtks: str = ""


@dataclass
class _Family:
    kelurahan: Kelurahan
    rt: str
    rw: str
    alamat: str
    lat: float
    lon: float
    lineage: _Lineage | None = None
    no_kk: str = ""
    desil: str = ""
    keahlian: str = ""
    kesediaan: str = ""
    prior_aid: str = ""
    members: list[_Person] = field(default_factory=list)


@dataclass
class _Rt:
    rw: str
    rt: str
    lat: float
    lon: float
    street: str
    gang: str
    weight: float


def _in_disc(rng: random.Random, radius: float) -> tuple[float, float]:
    while True:
        dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        if dx * dx + dy * dy <= 1:
            return dx * radius, dy * radius


def _layout(rng: random.Random, kel: Kelurahan) -> list[_Rt]:
    """RW and RT hamlets of a kelurahan: 8-15 RW, 20-40 RT numbered through the kelurahan."""
    n_rw = rng.randint(8, 15)
    n_rt = rng.randint(20, 40)
    per_rw = [1] * n_rw
    for _ in range(n_rt - n_rw):
        per_rw[rng.randrange(n_rw)] += 1
    gangs = list(_GANGS)
    rng.shuffle(gangs)
    hamlets: list[_Rt] = []
    for rw_index, count in enumerate(per_rw, start=1):
        dlat, dlon = _in_disc(rng, kel.radius)
        rw_lat, rw_lon = kel.lat + dlat, kel.lon + dlon
        street = rng.choice(kel.streets)
        for _ in range(count):
            dlat, dlon = _in_disc(rng, 0.0030)
            gang = "" if rng.random() < 0.15 else gangs[len(hamlets) % len(gangs)]
            hamlets.append(
                _Rt(
                    f"{rw_index:03d}",
                    f"{len(hamlets) + 1:03d}",
                    rw_lat + dlat,
                    rw_lon + dlon,
                    street,
                    gang,
                    rng.uniform(0.5, 1.5),
                )
            )
    return hamlets


def _jitter(rng: random.Random) -> float:
    """A house's offset from its RT centre: mostly within 150 m, never beyond about 280 m."""
    return max(-0.0025, min(0.0025, rng.gauss(0.0, 0.0009)))


def _coordinate(value: float) -> str:
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, round(value))))


def _compose(rng: random.Random) -> list[_Person]:
    """Relations, sexes, ages and marital status of one family; the head comes first."""
    size = _FAMILY_SIZE.pick(rng)
    if size == 1:
        if rng.random() < 0.55:
            age = _clamp(rng.gauss(66, 10), 30, 92)
            status = rng.choices((WIDOWED, DIVORCED, SINGLE), (75, 18, 7))[0]
            return [_Person(HEAD, "P", age, status)]
        if rng.random() < 0.3:
            return [_Person(HEAD, "L", rng.randint(21, 34), SINGLE)]
        age = _clamp(rng.gauss(63, 10), 35, 88)
        return [_Person(HEAD, "L", age, rng.choices((WIDOWED, DIVORCED, SINGLE), (60, 30, 10))[0])]

    members: list[_Person] = []
    if rng.random() < 0.13:
        head = _Person(
            HEAD,
            "P",
            _clamp(rng.gauss(50, 11), 24, 85),
            rng.choices((WIDOWED, DIVORCED, MARRIED), (62, 32, 6))[0],
        )
        mother_age = head.age
        members.append(head)
    else:
        head = _Person(HEAD, "L", _clamp(rng.gauss(44, 11), 22, 84), MARRIED)
        members.append(head)
        if rng.random() < 0.9:
            wife_age = max(18, min(84, head.age - rng.randint(-3, 10)))
            members.append(_Person(WIFE, "P", wife_age, MARRIED))
            mother_age = wife_age
        else:
            weights = (65, 30, 5) if head.age >= 45 else (35, 55, 10)
            head.status = rng.choices((WIDOWED, DIVORCED, MARRIED), weights)[0]
            mother_age = max(18, head.age - rng.randint(0, 6))

    remaining = size - len(members)
    relative: _Person | None = None
    if remaining >= 1 and rng.random() < 0.08:
        remaining -= 1
        parent_age = head.age + rng.randint(20, 32)
        if parent_age <= 92 and rng.random() < 0.6:
            relative = _Person(OTHER, "P" if rng.random() < 0.75 else "L", parent_age, WIDOWED)
        else:
            relative = _Person(OTHER, rng.choice("LP"), rng.randint(3, 24), SINGLE)

    ages = sorted((mother_age - rng.randint(18, max(18, min(44, mother_age))) for _ in range(remaining)), reverse=True)
    for age in ages:
        status = SINGLE
        if age >= 25:
            status = rng.choices((SINGLE, DIVORCED, MARRIED), (88, 8, 4))[0]
        members.append(_Person(CHILD, rng.choice("LP"), age, status))
    if relative:
        members.append(relative)
    return members


def _earner_job(rng: random.Random, livelihood: str, person: _Person) -> str:
    if person.age >= 58 and rng.random() < 0.04:
        return PENSIONER
    if person.age >= 72 and rng.random() < 0.5:
        return NOT_WORKING
    job = _OCCUPATIONS[livelihood].pick(rng)
    if person.sex == "P" and job in _MEN_ONLY:
        job = _WOMEN_EARNING.pick(rng)
    if person.age > 58 and job in ("TNI", "POLRI"):
        job = PENSIONER
    return job


def _dependant_job(rng: random.Random, livelihood: str, person: _Person) -> str:
    age = person.age
    if person.relation == WIFE and age < 65:
        return _WIFE_JOB.pick(rng)
    if age < 5:
        return NOT_WORKING
    if age < 18:
        return STUDENT if age < 15 or rng.random() < 0.85 else rng.choice((NOT_WORKING, "BURUH HARIAN LEPAS"))
    if age >= 62:
        return HOUSEWORK if person.sex == "P" and rng.random() < 0.4 else _ELDER_JOB.pick(rng)
    if age < 24:
        job = _YOUNG_ADULT_JOB.pick(rng)
    elif person.sex == "P" and rng.random() < 0.4:
        job = HOUSEWORK
    elif rng.random() < 0.2:
        job = NOT_WORKING
    else:
        job = _earner_job(rng, livelihood, person)
    if person.sex == "P" and job in _MEN_ONLY:
        job = _WOMEN_EARNING.pick(rng)
    return job


def _assign_work(rng: random.Random, livelihood: str, members: list[_Person]) -> None:
    """Flag one main breadwinner (usually the head) and give everyone an occupation."""
    head = members[0]
    earner: _Person | None = head
    working_children = [p for p in members if p.relation == CHILD and 20 <= p.age <= 55]
    wife = next((p for p in members if p.relation == WIFE), None)
    if head.age >= 66 and working_children and rng.random() < 0.75:
        earner = rng.choice(working_children)
    elif wife and wife.age <= 60 and rng.random() < 0.04:
        earner = wife  # the head is ill or out of work
    if rng.random() < 0.003:
        earner = None
    for person in members:
        if person is earner:
            person.earner = True
            person.job = _earner_job(rng, livelihood, person)
        elif person is head and earner is not None:
            person.job = NOT_WORKING if head.age < 60 else _ELDER_JOB.pick(rng)
            if head.sex == "P" and person.job == NOT_WORKING:
                person.job = HOUSEWORK
        elif person is head:
            person.job = _earner_job(rng, livelihood, person)
        else:
            person.job = _dependant_job(rng, livelihood, person)


def _skill(rng: random.Random, kel: Kelurahan, job: str) -> str:
    roll = rng.random()
    if roll < 0.035:
        return "tidak ada"
    if roll < 0.043:
        return rng.choice(_UNRECOGNISED_SKILLS)
    group = _JOB_SKILL_GROUP.get(job, "other")
    # Siantan Hulu grows sweet corn: even families with other work often farm a plot.
    if kel.livelihood == "tani" and group != "farm" and rng.random() < 0.2:
        group = "farm"
    return _SKILL_BY_JOB[group].pick(rng)


def _birth_date(rng: random.Random, age: int, reference: date) -> date:
    """A birth date giving `age` full years on the reference date."""
    latest = (
        date(reference.year - age, reference.month, reference.day)
        if not (reference.month == 2 and reference.day == 29)
        else date(reference.year - age, 2, 28)
    )
    return latest - timedelta(days=rng.randrange(1, 366))


def _shift_date(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + years, day=28)


def _wrong_nik_date(rng: random.Random, person: _Person) -> str:
    """A NIK date part that disagrees with the birth date, in the ways real registries do."""
    right = _nik_date(person.birth, person.sex)
    kinds = ["shift", "year", "swap"] + (["no40", "no40"] if person.sex == "P" else [])
    while True:
        kind = rng.choice(kinds)
        if kind == "no40":
            wrong = f"{person.birth.day:02d}{person.birth.month:02d}{person.birth.year % 100:02d}"
        elif kind == "shift":
            wrong = _nik_date(person.birth + timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 20)), person.sex)
        elif kind == "year":
            wrong = _nik_date(_shift_date(person.birth, rng.choice((-1, 1)) * rng.randint(1, 3)), person.sex)
        elif person.birth.day <= 12 and person.birth.day != person.birth.month:
            swapped = person.birth.replace(day=person.birth.month, month=person.birth.day)
            wrong = _nik_date(swapped, person.sex)
        else:
            continue
        if wrong != right:
            return wrong


def build_dtks_world(
    seed: int = 2026,
    families: int = 2000,
    *,
    reference_date: date = REFERENCE_DATE,
    kelurahan: Sequence[Kelurahan] = KELURAHAN,
    kecamatan_share: Mapping[str, float] = KECAMATAN_SHARE,
) -> DtksWorld:
    """Generate the demo DTKS registry and the list of its deliberate data problems.

    seed: everything is drawn from `random.Random(seed)`; the same seed gives the same rows.
    families: number of families (No KK); about 3.5 individuals each.
    reference_date: the day ages are counted on; nobody is born after it.
    kelurahan, kecamatan_share: the villages families live in and each kecamatan's share of the
    families (the last kecamatan takes what rounding leaves); the city-scale demo passes all of
    Kota Pontianak (`berdaya.demo.scale`), the default is the small demo's two kecamatan.
    Returns a DtksWorld: `rows` (one dict of strings per individual, keys in FIELDS order,
    families in kelurahan/RW/RT order) and `problems`. Raises ValueError for a negative count.
    """
    if families < 0:
        raise ValueError("families must not be negative")
    rng = random.Random(seed)

    codes = list(kecamatan_share)
    per_kecamatan = {code: round(families * kecamatan_share[code]) for code in codes[:-1]}
    per_kecamatan[codes[-1]] = families - sum(per_kecamatan.values())
    all_families: list[_Family] = []
    for kec_code, count in per_kecamatan.items():
        kels = [k for k in kelurahan if k.kecamatan_code == kec_code]
        layouts = {k.code: _layout(rng, k) for k in kels}
        hamlet_choice = {code: _table([(h, h.weight) for h in hamlets]) for code, hamlets in layouts.items()}
        kel_choice = _table([(k, k.share) for k in kels])
        drawn = sorted((kel_choice.pick(rng) for _ in range(count)), key=lambda k: k.code)
        for kel in drawn:
            hamlet = hamlet_choice[kel.code].pick(rng)
            number = f"{rng.randint(1, 150)}{'AB'[rng.randrange(2)] if rng.random() < 0.03 else ''}"
            alamat = (
                f"{hamlet.street} Gg. {hamlet.gang} No. {number}" if hamlet.gang else (f"{hamlet.street} No. {number}")
            )
            family = _Family(kel, hamlet.rt, hamlet.rw, alamat, hamlet.lat + _jitter(rng), hamlet.lon + _jitter(rng))
            family.members = _compose(rng)
            family.lineage = _new_lineage(rng, _ETHNIC.get(kec_code, _ETHNIC_CITY).pick(rng))
            all_families.append(family)
    all_families.sort(key=lambda f: (f.kelurahan.code, f.rw, f.rt, f.alamat))

    nik_serials = _Serials(rng, first_max=5, step_max=3)
    kk_serials = _Serials(rng, first_max=60, step_max=4)
    kk_first, kk_last = date(2008, 1, 1).toordinal(), (reference_date - timedelta(days=1)).toordinal()
    for family in all_families:
        kel = family.kelurahan
        kec_plain = kel.kecamatan_code.replace(".", "")
        lineage = family.lineage or _Lineage("melayu")
        _assign_work(rng, kel.livelihood, family.members)
        head = family.members[0]
        wife_lineage = _wife_lineage(rng, lineage)
        for person in family.members:
            person.birth = _birth_date(rng, person.age, reference_date)
        # A card is reissued whenever someone joins, so it is never older than the youngest member.
        youngest = max(p.birth for p in family.members).toordinal()
        issued = date.fromordinal(rng.randint(max(kk_first, youngest), kk_last))
        family.no_kk = kk_serials.issue(f"{kec_plain}{issued:%d%m%y}")
        for person in family.members:
            own = (
                wife_lineage
                if person.relation == WIFE
                else (_new_lineage(rng, lineage.ethnic) if person.relation == OTHER else lineage)
            )
            person.name = _person_name(rng, own, person.sex, person.birth.year)
            person.nik = nik_serials.issue(f"{kec_plain}{_nik_date(person.birth, person.sex)}")
        candidate = next((p for p in family.members if p.earner), head)
        family.desil = _DESIL.pick(rng)
        family.keahlian = _skill(rng, kel, candidate.job)
        family.kesediaan = _KESEDIAAN.pick(rng)
        family.prior_aid = "Y" if rng.random() < 0.05 else "N"

    planted = _plant_problems(rng, all_families, nik_serials)
    rows = _emit(all_families)  # gives every person an id_dtks, which the problem list names
    return DtksWorld(rows=rows, problems=planted.listed(all_families))


@dataclass
class _Planted:
    mismatched: list[_Person]
    double: list[_Family]
    shared: tuple[_Person, _Family, _Family] | None
    no_desil: list[_Family]
    no_skill: list[_Family]

    def listed(self, families: list[_Family]) -> DataProblems:
        shared = self.shared
        return DataProblems(
            nik_date_mismatch=tuple(p.id_dtks for p in self.mismatched),
            double_head=tuple(f.no_kk for f in self.double),
            shared_nik={shared[0].nik: (shared[1].no_kk, shared[2].no_kk)} if shared else {},
            empty_desil=tuple(f.no_kk for f in self.no_desil),
            empty_keahlian=tuple(f.no_kk for f in self.no_skill),
            no_main_earner=tuple(f.no_kk for f in families if not any(p.earner for p in f.members)),
        )


def _plant_problems(rng: random.Random, all_families: list[_Family], nik_serials: _Serials) -> _Planted:
    """Plant the deliberate data problems in place and return what was planted."""
    taken: set[int] = set()

    def free(family: _Family) -> bool:
        return id(family) not in taken

    # One person listed in two families: an adult child still on the parents' card and also
    # registered in another household of the same kecamatan.
    shared: tuple[_Person, _Family, _Family] | None = None
    sources = [(f, p) for f in all_families for p in f.members[1:] if p.relation == CHILD and 19 <= p.age <= 40]
    if sources:
        source_family, person = rng.choice(sources)
        hosts = [
            f
            for f in all_families
            if f is not source_family
            and len(f.members) <= 6
            and f.kelurahan.kecamatan_code == source_family.kelurahan.kecamatan_code
            and f.kelurahan is not source_family.kelurahan
        ]
        if hosts:
            host = rng.choice(hosts)
            copy = _Person(
                OTHER,
                person.sex,
                person.age,
                person.status,
                job=person.job,
                name=person.name,
                birth=person.birth,
                nik=person.nik,
            )
            host.members.append(copy)
            taken.update((id(source_family), id(host)))
            shared = (person, source_family, host)

    # Two families listing two heads: a grown-up child (or else the wife) also marked head.
    double: list[_Family] = []
    for family in rng.sample(all_families, len(all_families)):
        if len(double) == 2:
            break
        second = next((p for p in family.members[1:] if p.relation == CHILD and p.age >= 20), None)
        second = second or next((p for p in family.members if p.relation == WIFE), None)
        if second and free(family):
            second.relation = HEAD
            taken.add(id(family))
            double.append(family)

    everyone = [p for f in all_families for p in f.members if not shared or p.nik != shared[0].nik]
    mismatched = rng.sample(everyone, round(len(everyone) * 0.01))
    for person in mismatched:
        person.nik = nik_serials.issue(f"{person.nik[:6]}{_wrong_nik_date(rng, person)}")

    n_few = max(3, round(len(all_families) * 0.004))
    no_desil = rng.sample(all_families, min(n_few, len(all_families)))
    for family in no_desil:
        family.desil = ""
    no_skill = rng.sample(all_families, min(max(3, round(len(all_families) * 0.01)), len(all_families)))
    for family in no_skill:
        family.keahlian = ""

    return _Planted(mismatched, double, shared, no_desil, no_skill)


def _emit(all_families: list[_Family]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    sequence: dict[str, int] = {}
    for family in all_families:
        kel = family.kelurahan
        plain_code = kel.code.replace(".", "")
        sequence[plain_code] = number = sequence.get(plain_code, 0) + 1
        lat, lon = _coordinate(family.lat), _coordinate(family.lon)
        for index, person in enumerate(family.members, start=1):
            person.id_dtks = f"{plain_code}{number:05d}{index:02d}"
            rows.append(
                {
                    "id_dtks": person.id_dtks,
                    "nik": person.nik,
                    "no_kk": family.no_kk,
                    "nama": person.name,
                    "jenis_kelamin": person.sex,
                    "tanggal_lahir": person.birth.isoformat(),
                    "status_kawin": person.status,
                    "hubungan_keluarga": person.relation,
                    "pencari_nafkah_utama": "Y" if person.earner else "N",
                    "pekerjaan": person.job,
                    "kode_wilayah": kel.code,
                    "rt": family.rt,
                    "rw": family.rw,
                    "alamat": family.alamat,
                    "desil": family.desil,
                    "lat": lat,
                    "lon": lon,
                    "keahlian": family.keahlian,
                    "kesediaan": family.kesediaan,
                    "pernah_bantuan_kube": family.prior_aid,
                }
            )
    return rows


def generate_dtks(
    seed: int = 2026,
    families: int = 2000,
    *,
    reference_date: date = REFERENCE_DATE,
    kelurahan: Sequence[Kelurahan] = KELURAHAN,
    kecamatan_share: Mapping[str, float] = KECAMATAN_SHARE,
) -> list[dict[str, str]]:
    """The demo DTKS registry: one dict of strings per individual, keys in FIELDS order.

    Same seed, same rows. See `build_dtks_world` for the parameters and the planted data problems.
    """
    return build_dtks_world(
        seed, families, reference_date=reference_date, kelurahan=kelurahan, kecamatan_share=kecamatan_share
    ).rows


def write_csv(rows: Sequence[dict[str, str]], path: Path | str) -> Path:
    """Write rows as UTF-8 CSV with a header of FIELDS; returns the path."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(rows: Sequence[dict[str, str]], path: Path | str, *, sheet: str = "DTKS") -> Path:
    """Write rows to an .xlsx sheet with every value stored as text, so NIKs stay 16 digits.

    Every column carries the text format `@` (what a user types there stays text too), and the
    identifier cells carry it themselves. Empty values are left as blank cells. Returns the path.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    path = Path(path)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for index, name in enumerate(FIELDS, start=1):
        column = worksheet.column_dimensions[get_column_letter(index)]
        column.number_format = "@"
        column.width = 20 if name in ("id_dtks", "nik", "no_kk", "nama") else 14
    worksheet.column_dimensions[get_column_letter(FIELDS.index("alamat") + 1)].width = 44
    worksheet.freeze_panes = "A2"

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "@"
        return cell

    worksheet.append(list(FIELDS))
    for row in rows:
        worksheet.append(
            [
                text_cell(value) if name in _IDENTIFIERS and value else (value or None)
                for name, value in ((name, row.get(name, "")) for name in FIELDS)
            ]
        )
    workbook.save(path)
    return path


def without_shared_niks(rows: list[dict]) -> tuple[list[dict], int]:
    """A NIK in two families refuses an import (it is reported, never guessed); the demo keeps the first."""
    first_family: dict[str, str] = {}
    kept, dropped = [], 0
    for row in rows:
        nik, no_kk = row["nik"], row["no_kk"]
        if nik and first_family.setdefault(nik, no_kk) != no_kk:
            dropped += 1
            continue
        kept.append(row)
    return kept, dropped
