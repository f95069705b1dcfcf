"""Turning the text columns of an input into typed values, and listing what cannot be read.

Two SQL layers over the input: the inner one cleans each text once and parses it once; the outer
one keeps the typed values and, for a row where some text is present but not readable, a list of
(column, value, reason) entries. Rows with entries are *rejected rows*; their readable parts still
help find the family's candidate. Each expression is evaluated once per row on purpose: this
query runs over millions of rows (bench/screening.py).
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
MALE = ("L", "LAKI-LAKI", "LAKI LAKI", "PRIA")
FEMALE = ("P", "PEREMPUAN", "WANITA")


@dataclass(frozen=True)
class ParseOptions:
    keep_personal: bool = False  # keep nama, alamat, id_dtks, hubungan text (database import)


def _in_list(values) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _yn(text: str) -> str:
    return f"CASE WHEN {text} IN {_in_list(YES)} THEN TRUE WHEN {text} IN {_in_list(NO)} THEN FALSE END"


def _spaces(text: str) -> str:
    """Collapse inner runs of spaces, paying for the regex only when a double space is there."""
    return f"CASE WHEN contains({text}, '  ') THEN regexp_replace({text}, '\\s+', ' ', 'g') ELSE {text} END"


def parse_sql(source_view: str, options: ParseOptions) -> str:
    """SQL selecting typed columns plus `_errors` (NULL when the row is readable) from `source_view`.

    Expects a table `known_desa(code VARCHAR, id INTEGER)` of dotted desa/kelurahan codes.
    """
    marital = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MARITAL.items())
    # Layer 1: clean text once (NULL when empty).
    cleaned = f"""
      SELECT _line,
        nullif(translate(trim(nik), ' .-', ''), '') AS nik,
        nullif(translate(trim(no_kk), ' .-', ''), '') AS no_kk,
        nullif(upper(trim(jenis_kelamin)), '') AS sex_t,
        nullif(trim(tanggal_lahir), '') AS birth_t,
        nullif(upper(trim(status_kawin)), '') AS status_t,
        nullif(upper(trim(hubungan_keluarga)), '') AS relation_t,
        nullif(upper(trim(pencari_nafkah_utama)), '') AS earner_t,
        nullif(trim(pekerjaan), '') AS occupation,
        nullif(translate(trim(kode_wilayah), ' ', ''), '') AS code_t,
        nullif(trim(desil), '') AS desil_t,
        nullif(trim(lat), '') AS lat_t,
        nullif(trim(lon), '') AS lon_t,
        nullif(trim(keahlian), '') AS skill_text,
        nullif(upper(trim(kesediaan)), '') AS ready_t,
        nullif(upper(trim(pernah_bantuan_kube)), '') AS prior_t,
        nullif(trim(rt), '') AS rt_text, nullif(trim(rw), '') AS rw_text
        {", nullif(trim(id_dtks), '') AS id_dtks, nullif(trim(nama), '') AS nama, "
         "nullif(trim(alamat), '') AS alamat" if options.keep_personal else ""}
      FROM {source_view}
    """
    # Layer 2: parse once. ISO dates go through the fast native cast; DD-MM-YYYY and DD/MM/YYYY are
    # reordered into ISO first.
    parsed = f"""
      SELECT c.*,
        CASE WHEN c.sex_t IN {_in_list(MALE)} THEN 'L' WHEN c.sex_t IN {_in_list(FEMALE)} THEN 'P' END AS sex,
        CASE
          WHEN regexp_full_match(c.birth_t, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN TRY_CAST(c.birth_t AS DATE)
          WHEN regexp_full_match(c.birth_t, '\\d{{1,2}}[-/]\\d{{1,2}}[-/]\\d{{4}}') THEN TRY_CAST(
            split_part(replace(c.birth_t, '/', '-'), '-', 3) || '-' || split_part(replace(c.birth_t, '/', '-'), '-', 2)
            || '-' || split_part(replace(c.birth_t, '/', '-'), '-', 1) AS DATE)
        END AS birth_date,
        CASE {_spaces("c.status_t")} {marital} END AS marital_status,
        coalesce(c.relation_t = 'KEPALA KELUARGA'
          OR (c.relation_t LIKE 'KEPALA%' AND {_spaces("c.relation_t")} = 'KEPALA KELUARGA'), FALSE) AS is_head,
        {_yn("c.earner_t")} AS earner,
        {_yn("c.ready_t")} AS ready,
        {_yn("c.prior_t")} AS prior_aid,
        TRY_CAST(c.desil_t AS TINYINT) AS desil_n,
        TRY_CAST(c.lat_t AS DOUBLE) AS lat_n,
        TRY_CAST(c.lon_t AS DOUBLE) AS lon_n,
        CASE WHEN regexp_full_match(c.code_t, '\\d{{2}}\\.\\d{{2}}\\.\\d{{2}}\\.\\d{{4}}') THEN c.code_t
             WHEN regexp_full_match(c.code_t, '\\d{{10}}') THEN concat_ws('.', c.code_t[1:2], c.code_t[3:4],
               c.code_t[5:6], c.code_t[7:10]) END AS code_n
      FROM ({cleaned}) c
    """
    checks = [
        ("no_kk", "no_kk", "NO_KK_EMPTY", "p.no_kk IS NULL"),
        ("tanggal_lahir", "birth_t", "BAD_DATE", "p.birth_t IS NOT NULL AND p.birth_date IS NULL"),
        ("jenis_kelamin", "sex_t", "BAD_SEX", "p.sex_t IS NOT NULL AND p.sex IS NULL"),
        ("status_kawin", "status_t", "BAD_STATUS", "p.status_t IS NOT NULL AND p.marital_status IS NULL"),
        ("pencari_nafkah_utama", "earner_t", "BAD_YN", "p.earner_t IS NOT NULL AND p.earner IS NULL"),
        ("kesediaan", "ready_t", "BAD_YN", "p.ready_t IS NOT NULL AND p.ready IS NULL"),
        ("pernah_bantuan_kube", "prior_t", "BAD_YN", "p.prior_t IS NOT NULL AND p.prior_aid IS NULL"),
        (
            "desil",
            "desil_t",
            "BAD_DESIL",
            "p.desil_t IS NOT NULL AND (p.desil_n IS NULL OR p.desil_n NOT BETWEEN 1 AND 10)",
        ),
        ("kode_wilayah", "code_t", "BAD_CODE", "p.code_t IS NOT NULL AND p.code_n IS NULL"),
        ("kode_wilayah", "code_t", "UNKNOWN_CODE", "p.code_n IS NOT NULL AND k.code IS NULL"),
        ("lat", "lat_t", "BAD_COORD", "p.lat_t IS NOT NULL AND (p.lat_n IS NULL OR abs(p.lat_n) > 90)"),
        ("lon", "lon_t", "BAD_COORD", "p.lon_t IS NOT NULL AND (p.lon_n IS NULL OR abs(p.lon_n) > 180)"),
    ]
    error_items = ", ".join(
        f"CASE WHEN {cond} THEN {{'column': '{col}', 'value': p.{raw}, 'reason': '{reason}'}} END"
        for col, raw, reason, cond in checks
    )
    any_bad = " OR ".join(f"coalesce({cond}, FALSE)" for _, _, _, cond in checks)
    if options.keep_personal:
        personal = ", p.id_dtks, p.nama, p.alamat, p.relation_t AS relationship, k.code AS kode_wilayah"

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
            ("occupation", "p.occupation"),
            ("desil", "CASE WHEN p.desil_n BETWEEN 1 AND 10 THEN p.desil_n END"),
            ("lat", "CASE WHEN abs(p.lat_n) <= 90 THEN p.lat_n END"),
            ("lon", "CASE WHEN abs(p.lon_n) <= 180 THEN p.lon_n END"),
            ("skill_text", "p.skill_text"),
            ("ready", "p.ready"),
            ("prior_aid", "p.prior_aid"),
            ("rt_text", "p.rt_text"),
            ("rw_text", "p.rw_text"),
        )
    )
    return f"""
    SELECT
      p._line, p.nik, p.no_kk,
      p.is_head, p.relation_t IS NULL AS role_unknown,
      coalesce(p.earner, FALSE) AS is_earner, p.earner IS NULL AS earner_unknown,
      k.id AS desa_id,
      {kept}
      {personal},
      CASE WHEN {any_bad} THEN list_filter([{error_items}], lambda x: x IS NOT NULL) END AS _errors
    FROM ({parsed}) p
    LEFT JOIN known_desa k ON k.code = p.code_n
    """
