"""Turning the text columns of an input into typed values, and listing what cannot be read.

One SQL pass: each column gets a parsed expression and, when its text is present but not
readable, a (column, value, reason) entry. Rows with any entry are *rejected rows*; their
readable parts still help find the family's candidate.
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


@dataclass(frozen=True)
class ParseOptions:
    keep_personal: bool = False  # keep nama, alamat, id_dtks, rt/rw text (database import)


def _in_list(values) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _yn(column: str) -> tuple[str, str]:
    text = f"upper(trim({column}))"
    value = f"CASE WHEN {text} IN {_in_list(YES)} THEN TRUE WHEN {text} IN {_in_list(NO)} THEN FALSE END"
    bad = f"(nullif(trim({column}), '') IS NOT NULL AND {value} IS NULL)"
    return value, bad


def parse_sql(source_view: str, options: ParseOptions) -> str:
    """SQL selecting typed columns plus `_errors` (NULL when the row is readable) from `source_view`.

    Expects a table `known_desa(code VARCHAR)` of dotted desa/kelurahan codes.
    """
    marital_case = " ".join(
        f"WHEN upper(regexp_replace(trim(status_kawin), '\\s+', ' ', 'g')) = '{k}' THEN '{v}'"
        for k, v in MARITAL.items()
    )
    status = f"CASE {marital_case} END"
    sex_text = "upper(trim(jenis_kelamin))"
    sex = (
        f"CASE WHEN {sex_text} IN ('L', 'LAKI-LAKI', 'LAKI LAKI', 'PRIA') THEN 'L' "
        f"WHEN {sex_text} IN ('P', 'PEREMPUAN', 'WANITA') THEN 'P' END"
    )
    birth = (
        "COALESCE(try_strptime(trim(tanggal_lahir), '%Y-%m-%d'), try_strptime(trim(tanggal_lahir), '%d-%m-%Y'),"
        " try_strptime(trim(tanggal_lahir), '%d/%m/%Y'))::DATE"
    )
    desil = "TRY_CAST(trim(desil) AS TINYINT)"
    code_text = "regexp_replace(trim(kode_wilayah), '\\s', '', 'g')"
    code = (
        f"CASE WHEN regexp_full_match({code_text}, '\\d{{2}}\\.\\d{{2}}\\.\\d{{2}}\\.\\d{{4}}') THEN {code_text} "
        f"WHEN regexp_full_match({code_text}, '\\d{{10}}') THEN concat_ws('.', {code_text}[1:2], "
        f"{code_text}[3:4], {code_text}[5:6], {code_text}[7:10]) END"
    )
    lat = "TRY_CAST(trim(lat) AS DOUBLE)"
    lon = "TRY_CAST(trim(lon) AS DOUBLE)"
    earner, earner_bad = _yn("pencari_nafkah_utama")
    ready, ready_bad = _yn("kesediaan")
    prior, prior_bad = _yn("pernah_bantuan_kube")

    def present(column: str) -> str:
        return f"nullif(trim({column}), '') IS NOT NULL"

    checks = [
        ("no_kk", "no_kk", "NO_KK_EMPTY", f"NOT ({present('no_kk')})"),
        ("tanggal_lahir", "tanggal_lahir", "BAD_DATE", f"{present('tanggal_lahir')} AND {birth} IS NULL"),
        ("jenis_kelamin", "jenis_kelamin", "BAD_SEX", f"{present('jenis_kelamin')} AND {sex} IS NULL"),
        ("status_kawin", "status_kawin", "BAD_STATUS", f"{present('status_kawin')} AND {status} IS NULL"),
        ("pencari_nafkah_utama", "pencari_nafkah_utama", "BAD_YN", earner_bad),
        ("kesediaan", "kesediaan", "BAD_YN", ready_bad),
        ("pernah_bantuan_kube", "pernah_bantuan_kube", "BAD_YN", prior_bad),
        (
            "desil",
            "desil",
            "BAD_DESIL",
            f"{present('desil')} AND ({desil} IS NULL OR {desil} NOT BETWEEN 1 AND 10)",
        ),
        ("kode_wilayah", "kode_wilayah", "BAD_CODE", f"{present('kode_wilayah')} AND {code} IS NULL"),
        (
            "kode_wilayah",
            "kode_wilayah",
            "UNKNOWN_CODE",
            f"{code} IS NOT NULL AND {code} NOT IN (SELECT code FROM known_desa)",
        ),
        ("lat", "lat", "BAD_COORD", f"{present('lat')} AND ({lat} IS NULL OR abs({lat}) > 90)"),
        ("lon", "lon", "BAD_COORD", f"{present('lon')} AND ({lon} IS NULL OR abs({lon}) > 180)"),
    ]
    error_items = ", ".join(
        f"CASE WHEN {cond} THEN {{'column': '{col}', 'value': {raw}, 'reason': '{reason}'}} END"
        for col, raw, reason, cond in checks
    )
    any_bad = " OR ".join(f"coalesce({cond}, FALSE)" for _, _, _, cond in checks)
    personal = (
        ", nullif(trim(id_dtks), '') AS id_dtks, nullif(trim(nama), '') AS nama, nullif(trim(alamat), '') AS alamat, "
        "nullif(trim(rt), '') AS rt_text, nullif(trim(rw), '') AS rw_text, "
        "upper(regexp_replace(trim(hubungan_keluarga), '\\s+', ' ', 'g')) AS relationship"
        if options.keep_personal
        else ", nullif(trim(rt), '') AS rt_text, nullif(trim(rw), '') AS rw_text"
    )
    return f"""
    SELECT
      _line,
      nullif(regexp_replace(trim(nik), '[\\s.\\-]', '', 'g'), '') AS nik,
      nullif(regexp_replace(trim(no_kk), '[\\s.\\-]', '', 'g'), '') AS no_kk,
      {sex} AS sex,
      {birth} AS birth_date,
      {status} AS marital_status,
      upper(regexp_replace(trim(hubungan_keluarga), '\\s+', ' ', 'g')) = 'KEPALA KELUARGA' AS is_head,
      nullif(trim(hubungan_keluarga), '') IS NULL AS role_unknown,
      coalesce({earner}, FALSE) AS is_earner,
      {earner} IS NULL AS earner_unknown,
      nullif(trim(pekerjaan), '') AS occupation,
      CASE WHEN {code} IN (SELECT code FROM known_desa) THEN {code} END AS kode_wilayah,
      CASE WHEN {desil} BETWEEN 1 AND 10 THEN {desil} END AS desil,
      CASE WHEN abs({lat}) <= 90 THEN {lat} END AS lat,
      CASE WHEN abs({lon}) <= 180 THEN {lon} END AS lon,
      nullif(trim(keahlian), '') AS skill_text,
      {ready} AS ready,
      {prior} AS prior_aid
      {personal},
      CASE WHEN {any_bad} THEN list_filter([{error_items}], lambda x: x IS NOT NULL) END AS _errors
    FROM {source_view}
    """
