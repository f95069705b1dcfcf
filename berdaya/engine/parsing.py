"""Turning the text columns of an input into typed values, and listing what cannot be read.

One SQL pass over the input: each column is decoded once and, where its text is present but not
readable, the row gets a (column, value, reason) entry. Rows with entries are *rejected rows*;
their readable parts still help find the family's candidate.

This query runs over every row of files with millions of them (bench/screening.py), so each
decoder first compares the raw text with the forms a clean export uses ('L', 'KAWIN',
'1980-08-17') and only trims, upper-cases or matches patterns for the rest: SQL `CASE` evaluates
a branch only for the rows that reach it. Both paths give the same value.
"""

from __future__ import annotations

from dataclasses import dataclass

# Reason codes for unreadable values, with the sentence the user reads.
REASONS = {
    "NO_KK_EMPTY": "No KK kosong: baris tidak dapat dikaitkan dengan keluarga",
    "BAD_DATE": "tanggal tidak valid; gunakan YYYY-MM-DD atau DD-MM-YYYY",
    "BAD_SEX": "jenis kelamin harus L atau P",
    "BAD_STATUS": "status kawin harus BELUM KAWIN, KAWIN, CERAI HIDUP atau CERAI MATI",
    "BAD_YN": "harus Y atau N",
    "BAD_DESIL": "desil harus bilangan bulat 1-10",
    "BAD_CODE": "kode wilayah harus kode desa/kelurahan Kemendagri (61.71.04.1001 atau 6171041001)",
    "UNKNOWN_CODE": "kode wilayah tidak dikenal dalam daftar wilayah Kemendagri",
    "BAD_COORD": "koordinat harus angka desimal (lat -90..90, lon -180..180)",
    "EXCEL_NUMBER": "NIK/No KK tersimpan sebagai angka; Excel hanya menyimpan 15 digit. Format kolom sebagai Teks "
    "lalu isi ulang.",
}

YES = ("Y", "YA", "1", "YES", "TRUE")
NO = ("N", "T", "TIDAK", "0", "NO", "FALSE")
MARITAL = {
    "BELUM KAWIN": "BELUM KAWIN",
    "KAWIN": "KAWIN",
    "KAWIN TERCATAT": "KAWIN",  # Dukcapil's own values since 2019
    "KAWIN BELUM TERCATAT": "KAWIN",
    "KAWIN TIDAK TERCATAT": "KAWIN",
    "CERAI HIDUP": "CERAI HIDUP",
    "CERAI MATI": "CERAI MATI",
}
SEXES = {"L": "L", "LAKI-LAKI": "L", "LAKI LAKI": "L", "PRIA": "L", "P": "P", "PEREMPUAN": "P", "WANITA": "P"}
# Checked in this order to tell a blank row quickly: the first is filled on almost every real row.
CANONICAL_FOR_EMPTY = (
    "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga", "kode_wilayah", "id_dtks",
    "status_kawin", "pencari_nafkah_utama", "pekerjaan", "rt", "rw", "alamat", "desil", "lat", "lon",
    "keahlian", "kesediaan", "pernah_bantuan_kube",
)
YES_NO = {**{v: "TRUE" for v in YES}, **{v: "FALSE" for v in NO}}


@dataclass(frozen=True)
class ParseOptions:
    keep_personal: bool = False  # keep nama, alamat, id_dtks, hubungan text, every member's values


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clean_id(column: str) -> str:
    """A NIK or No KK without spaces, dots and dashes; NULL when empty. One definition for every pass."""
    return (
        f"CASE WHEN contains({column}, ' ') OR contains({column}, '.') OR contains({column}, '-') "
        f"THEN nullif(translate(trim({column}), ' .-', ''), '') ELSE nullif({column}, '') END"
    )


def _trimmed(column: str) -> str:
    """trim(), paying for the copy only when there is a space to remove."""
    return f"CASE WHEN starts_with({column}, ' ') OR ends_with({column}, ' ') THEN trim({column}) ELSE {column} END"


def _present(column: str) -> str:
    return f"coalesce(trim({column}) <> '', FALSE)"


def _normalized(column: str) -> str:
    """Upper case, trimmed, inner runs of spaces collapsed."""
    return f"regexp_replace(upper(trim({column})), '\\s+', ' ', 'g')"


def _decode(column: str, table: dict[str, str], cast: str = "") -> str:
    """Map text to a value through `table` (upper-case keys): exact text first, normalised text after."""

    def value(v: str) -> str:
        return v if cast == "BOOLEAN" else _q(v)

    fast = " ".join(f"WHEN {_q(k)} THEN {value(v)}" for k, v in table.items())
    slow = " ".join(f"WHEN {_q(k)} THEN {value(v)}" for k, v in table.items())
    return f"CASE {column} {fast} ELSE CASE {_normalized(column)} {slow} END END"


def parse_sql(source_view: str, options: ParseOptions) -> str:
    """SQL selecting typed columns plus `_errors` (NULL when the row is readable) from `source_view`.

    Expects a table `known_desa(code VARCHAR, id INTEGER)` of dotted desa/kelurahan codes.
    """
    birth = """CASE
          WHEN length(tanggal_lahir) = 10 AND tanggal_lahir[5] = '-' AND tanggal_lahir[8] = '-'
            THEN TRY_CAST(tanggal_lahir AS DATE)
          WHEN regexp_full_match(trim(tanggal_lahir), '\\d{4}-\\d{1,2}-\\d{1,2}')
            THEN TRY_CAST(trim(tanggal_lahir) AS DATE)
          WHEN regexp_full_match(trim(tanggal_lahir), '\\d{1,2}[-/]\\d{1,2}[-/]\\d{4}') THEN TRY_CAST(
            split_part(replace(trim(tanggal_lahir), '/', '-'), '-', 3) || '-'
            || split_part(replace(trim(tanggal_lahir), '/', '-'), '-', 2) || '-'
            || split_part(replace(trim(tanggal_lahir), '/', '-'), '-', 1) AS DATE)
        END"""
    code = """CASE
          WHEN length(kode_wilayah) = 13 AND kode_wilayah[3] = '.' AND kode_wilayah[6] = '.'
               AND kode_wilayah[9] = '.' AND NOT contains(kode_wilayah, ' ') THEN kode_wilayah
          WHEN length(kode_wilayah) = 10 AND NOT contains(kode_wilayah, '.') AND NOT contains(kode_wilayah, ' ')
            THEN concat_ws('.', kode_wilayah[1:2], kode_wilayah[3:4], kode_wilayah[5:6], kode_wilayah[7:10])
          ELSE CASE
            WHEN regexp_full_match(translate(kode_wilayah, ' ', ''), '\\d{2}\\.\\d{2}\\.\\d{2}\\.\\d{4}')
              THEN translate(kode_wilayah, ' ', '')
            WHEN regexp_full_match(translate(kode_wilayah, ' ', ''), '\\d{10}')
              THEN concat_ws('.', translate(kode_wilayah, ' ', '')[1:2], translate(kode_wilayah, ' ', '')[3:4],
                             translate(kode_wilayah, ' ', '')[5:6], translate(kode_wilayah, ' ', '')[7:10])
          END
        END"""
    is_head = (
        "CASE hubungan_keluarga WHEN 'KEPALA KELUARGA' THEN TRUE ELSE "
        f"coalesce(hubungan_keluarga ILIKE '%kepala%' AND {_normalized('hubungan_keluarga')} = 'KEPALA KELUARGA', "
        "FALSE) END"
    )
    role_unknown = (
        "CASE WHEN hubungan_keluarga IS NULL OR hubungan_keluarga = '' THEN TRUE "
        "WHEN starts_with(hubungan_keluarga, ' ') THEN trim(hubungan_keluarga) = '' ELSE FALSE END"
    )
    all_empty = " AND ".join(f"coalesce(trim({c}), '') = ''" for c in CANONICAL_FOR_EMPTY)
    decoded = f"""
      SELECT _line,
        {clean_id("nik")} AS nik,
        {clean_id("no_kk")} AS no_kk,
        {_decode("jenis_kelamin", SEXES)} AS sex,
        {birth} AS birth_date,
        {_decode("status_kawin", MARITAL)} AS marital_status,
        {is_head} AS is_head,
        {role_unknown} AS role_unknown,
        {_decode("pencari_nafkah_utama", YES_NO, "BOOLEAN")} AS earner,
        {_decode("kesediaan", YES_NO, "BOOLEAN")} AS ready,
        {_decode("pernah_bantuan_kube", YES_NO, "BOOLEAN")} AS prior_aid,
        CASE WHEN desil IN ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10') THEN CAST(desil AS TINYINT)
             WHEN regexp_full_match(trim(desil), '\\d{{1,3}}') THEN CAST(trim(desil) AS SMALLINT) END AS desil_n,
        TRY_CAST(lat AS DOUBLE) AS lat_n,
        TRY_CAST(lon AS DOUBLE) AS lon_n,
        {code} AS code_n,
        id_dtks, nama, alamat, hubungan_keluarga, pekerjaan, keahlian, rt, rw,
        jenis_kelamin, tanggal_lahir, status_kawin, pencari_nafkah_utama, kesediaan, pernah_bantuan_kube,
        desil, lat, lon, kode_wilayah
      FROM {source_view}
      -- A row with every field empty (",,,," from a spreadsheet) is layout, not data.
      WHERE NOT ({all_empty})
    """
    # (column, condition that the present text was not readable): evaluated after the value is
    # known to be NULL, so clean rows never pay for trim().
    checks = [
        ("no_kk", "NO_KK_EMPTY", "p.no_kk IS NULL"),
        ("tanggal_lahir", "BAD_DATE", f"p.birth_date IS NULL AND {_present('p.tanggal_lahir')}"),
        ("jenis_kelamin", "BAD_SEX", f"p.sex IS NULL AND {_present('p.jenis_kelamin')}"),
        ("status_kawin", "BAD_STATUS", f"p.marital_status IS NULL AND {_present('p.status_kawin')}"),
        ("pencari_nafkah_utama", "BAD_YN", f"p.earner IS NULL AND {_present('p.pencari_nafkah_utama')}"),
        ("kesediaan", "BAD_YN", f"p.ready IS NULL AND {_present('p.kesediaan')}"),
        ("pernah_bantuan_kube", "BAD_YN", f"p.prior_aid IS NULL AND {_present('p.pernah_bantuan_kube')}"),
        ("desil", "BAD_DESIL", f"(p.desil_n IS NULL AND {_present('p.desil')}) OR p.desil_n NOT BETWEEN 1 AND 10"),
        ("kode_wilayah", "BAD_CODE", f"p.code_n IS NULL AND {_present('p.kode_wilayah')}"),
        ("kode_wilayah", "UNKNOWN_CODE", "p.code_n IS NOT NULL AND k.code IS NULL"),
        ("lat", "BAD_COORD", f"(p.lat_n IS NULL AND {_present('p.lat')}) OR abs(p.lat_n) > 90"),
        ("lon", "BAD_COORD", f"(p.lon_n IS NULL AND {_present('p.lon')}) OR abs(p.lon_n) > 180"),
    ]
    error_items = ", ".join(
        f"CASE WHEN {cond} THEN {{'column': '{col}', 'value': trim(p.{col}), 'reason': '{reason}'}} END"
        for col, reason, cond in checks
    )
    # Cheap screen first: a row whose every value decoded (or is empty) skips the detailed checks.
    suspicious = " OR ".join(
        [
            "p.no_kk IS NULL",
            "(p.birth_date IS NULL AND p.tanggal_lahir <> '')",
            "(p.sex IS NULL AND p.jenis_kelamin <> '')",
            "(p.marital_status IS NULL AND p.status_kawin <> '')",
            "(p.earner IS NULL AND p.pencari_nafkah_utama <> '')",
            "(p.ready IS NULL AND p.kesediaan <> '')",
            "(p.prior_aid IS NULL AND p.pernah_bantuan_kube <> '')",
            "(p.desil_n IS NULL AND p.desil <> '') OR p.desil_n NOT BETWEEN 1 AND 10",
            "(p.code_n IS NULL AND p.kode_wilayah <> '') OR (p.code_n IS NOT NULL AND k.code IS NULL)",
            "(p.lat_n IS NULL AND p.lat <> '') OR abs(p.lat_n) > 90",
            "(p.lon_n IS NULL AND p.lon <> '') OR abs(p.lon_n) > 180",
        ]
    )
    any_bad = " OR ".join(f"coalesce({cond}, FALSE)" for _, _, cond in checks)

    if options.keep_personal:
        personal = (
            ", nullif(trim(p.id_dtks), '') AS id_dtks, nullif(trim(p.nama), '') AS nama, "
            "nullif(trim(p.alamat), '') AS alamat, "
            f"nullif({_normalized('p.hubungan_keluarga')}, '') AS relationship, k.code AS kode_wilayah"
        )

        def candidate_only(expr: str) -> str:
            return expr
    else:
        personal = ""

        # Only a head or a main earner can be a family's candidate; other members' values are
        # validated (above) but not kept, which halves what a large run holds in memory.
        def candidate_only(expr: str) -> str:
            return f"CASE WHEN p.is_head OR coalesce(p.earner, FALSE) THEN {expr} END"

    kept = ",\n      ".join(
        f"{candidate_only(expr)} AS {name}"
        for name, expr in (
            ("sex", "p.sex"),
            ("birth_date", "p.birth_date"),
            ("marital_status", "p.marital_status"),
            ("occupation", f"nullif({_trimmed('p.pekerjaan')}, '')"),
            ("desil", "CASE WHEN p.desil_n BETWEEN 1 AND 10 THEN p.desil_n END"),
            ("lat", "CASE WHEN abs(p.lat_n) <= 90 THEN p.lat_n END"),
            ("lon", "CASE WHEN abs(p.lon_n) <= 180 THEN p.lon_n END"),
            ("skill_text", f"nullif({_trimmed('p.keahlian')}, '')"),
            ("ready", "p.ready"),
            ("prior_aid", "p.prior_aid"),
            ("rt_text", f"nullif({_trimmed('p.rt')}, '')"),
            ("rw_text", f"nullif({_trimmed('p.rw')}, '')"),
        )
    )
    return f"""
    SELECT
      p._line, p.nik, p.no_kk,
      p.is_head, p.role_unknown,
      coalesce(p.earner, FALSE) AS is_earner, p.earner IS NULL AS earner_unknown,
      CASE WHEN p.earner IS NULL THEN {_present('p.pencari_nafkah_utama')} ELSE FALSE END AS earner_unreadable,
      k.id AS desa_id,
      {kept}
      {personal},
      CASE WHEN ({suspicious}) AND ({any_bad})
           THEN list_filter([{error_items}], lambda x: x IS NOT NULL) END AS _errors
    FROM ({decoded}) p
    LEFT JOIN known_desa k ON k.code = p.code_n
    """
