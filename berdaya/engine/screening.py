"""Eligibility screening (spec §4): one implementation, in DuckDB SQL, for the CLI and the web app.

Input rows are individuals; the decision is per family (No KK), made on its candidate: the
main earner if there is one, else the head. Each rule answers PASS, FAIL or UNKNOWN (with a
detail after a colon, e.g. `FAIL:DATE`); the family is ELIGIBLE when all pass, INELIGIBLE
when any fails, NEEDS_VERIFICATION when none fails and some are unknown, and always
NEEDS_VERIFICATION when it has a conflict (no single candidate, a NIK shared with another
family, an unreadable candidate row).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from berdaya.engine.errors import InputError
from berdaya.engine.parsing import REASONS, ParseOptions, parse_sql
from berdaya.engine.reading import FastCsvUnavailable, InputInfo, finish_read, read_input
from berdaya.engine.regions import RegionIndex, normalize_code
from berdaya.engine.rulesets import RULE_CODES, RuleSet

DECISIONS = ("ELIGIBLE", "INELIGIBLE", "NEEDS_VERIFICATION")
CONFLICTS = {
    "TWO_HEADS": "keluarga memiliki lebih dari satu kepala keluarga",
    "TWO_EARNERS": "keluarga memiliki lebih dari satu pencari nafkah utama",
    "NO_CANDIDATE": "keluarga tanpa kepala keluarga maupun pencari nafkah utama",
    "NIK_IN_TWO_FAMILIES": "NIK anggota keluarga ini juga tercatat di keluarga lain",
    "DUPLICATE_NIK": "NIK yang sama muncul dua kali dalam keluarga ini",
    "CANDIDATE_ROW_REJECTED": "baris kandidat tidak dapat dibaca sepenuhnya",
    # An unreadable "main earner" flag might hide the real candidate: never guess around it.
    "EARNER_FLAG_UNREADABLE": "penanda pencari nafkah utama salah satu anggota tidak terbaca",
}
OUTPUT_COLUMNS = (
    "no_kk",
    "kode_wilayah",
    "nik_masked",
    "decision",
    "failed_rules",
    "unknown_rules",
    "lat",
    "lon",
    "keahlian",
    "rt",
    "rw",
    "conflicts",
)


@dataclass
class ScreeningOptions:
    ruleset: RuleSet
    regions: RegionIndex
    as_of: dt.date
    region_prefix: str | None = None
    mapping: dict[str, str] | None = None
    encoding: str = "utf-8"
    keep_personal: bool = False
    # No KKs already in an active KUBE (from the database); they fail NO_PRIOR_AID.
    active_kube_families: Iterable[str] = ()
    memory_limit: str = "1000MB"
    threads: int | None = None
    # Told what is happening on a long run: progress(stage, rows read so far).
    progress: Callable[[str, int], None] | None = None


@dataclass
class ScreeningResult:
    """Decisions live in DuckDB tables on `con`: `families`, `rejected`, `rows` (parsed individuals)."""

    con: duckdb.DuckDBPyConnection
    info: InputInfo
    ruleset: RuleSet
    as_of: dt.date
    region_prefix: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def family_rows(self, columns: str = "f.*, c.*", where: str = "TRUE") -> list[dict]:
        """Families with their candidate's values (for explanations); for a few thousand, not millions."""
        cursor = self.con.execute(
            f"""
            SELECT {columns} FROM families f
            LEFT JOIN (SELECT _line, nik AS candidate_nik, desil, birth_date, sex, marital_status, occupation,
                              skill_text, ready, prior_aid, is_head AS candidate_is_head,
                              is_earner AS candidate_is_earner FROM rows) c ON c._line = f.candidate_line
            WHERE {where} ORDER BY f.no_kk
            """
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rejected_rows(self) -> list[dict]:
        cursor = self.con.execute(
            'SELECT line, "column", value, reason_code, reason FROM rejected ORDER BY line, "column"'
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def write(self, out: str | Path, rejected_out: str | Path | None = None) -> None:
        """Write one row per family (OUTPUT_COLUMNS) and the rejected-rows report, CSV or Parquet by suffix."""
        out = Path(out)
        columns = ", ".join(OUTPUT_COLUMNS)
        _copy(self.con, f"SELECT {columns} FROM families ORDER BY no_kk", out)
        if rejected_out is not None:
            _copy(
                self.con,
                'SELECT line, "column", value, reason_code, reason FROM rejected ORDER BY line, "column"',
                Path(rejected_out),
            )

    def close(self) -> None:
        close_connection(self.con)


def _copy(con, query: str, path: Path) -> None:
    fmt = "FORMAT PARQUET" if path.suffix.lower() == ".parquet" else "FORMAT CSV, HEADER"
    con.execute(f"COPY ({query}) TO '{str(path).replace(chr(39), chr(39) * 2)}' ({fmt})")


def connect(memory_limit: str = "1000MB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on a throw-away database file in a temporary folder.

    A file, not memory: DuckDB compresses what it stores in a file and keeps only `memory_limit`
    of it in memory, so ten million parsed rows stay under 2 GB of RAM (bench/screening.py). The
    folder goes when the connection is closed through close_connection().
    """
    folder = tempfile.mkdtemp(prefix="berdaya-screen-")
    con = duckdb.connect(
        os.path.join(folder, "screen.duckdb"), config={"memory_limit": memory_limit, "temp_directory": folder}
    )
    _FOLDERS[id(con)] = folder
    # Every result is ordered explicitly (ORDER BY), and every row carries its line number, so
    # DuckDB may write tables in whatever order its threads finish.
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


_FOLDERS: dict[int, str] = {}


@atexit.register
def _remove_leftover_folders() -> None:
    """A result nobody closed still leaves no database file behind."""
    for folder in _FOLDERS.values():
        shutil.rmtree(folder, ignore_errors=True)


def close_connection(con: duckdb.DuckDBPyConnection) -> None:
    con.close()
    folder = _FOLDERS.pop(id(con), None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def screen(source: str | Path | pa.Table, options: ScreeningOptions, con=None) -> ScreeningResult:
    """Screen a DTKS file or Arrow table of individuals; return decisions per family.

    Raises engine.errors.InputError when the input cannot be used at all. Unreadable rows do
    not stop the run: they are in the result's `rejected` table with line, column and reason.
    With `options.keep_personal` the parsed individuals stay in the table `rows` (for imports).
    """
    if con is None:
        con = connect(options.memory_limit, options.threads or os.cpu_count())
        try:
            return _screen(source, options, con)
        except BaseException:
            close_connection(con)
            raise
    return _screen(source, options, con)


def _screen(source, options: ScreeningOptions, con) -> ScreeningResult:
    _load_reference_tables(con, options)
    info = None
    try:
        info = read_input(con, source, mapping=options.mapping, encoding=options.encoding)
        _scan(con, info, options)
    except (duckdb.Error, FastCsvUnavailable) as error:
        if info is not None and not info.fast_failed:
            raise InputError(f"berkas tidak dapat dibaca: {error}", path=info.path) from error
        # The fast reader met something it cannot place (bytes outside the encoding): DuckDB's
        # reader finds the line and says so.
        info = read_input(con, source, mapping=options.mapping, encoding=options.encoding, fast_csv=False)
        try:
            _scan(con, info, options)
        except duckdb.Error as error_again:
            raise InputError(f"berkas tidak dapat dibaca: {error_again}", path=info.path) from error_again
    _build_rejected(con, info)
    _build_families(con, options.ruleset, options)
    counts = dict(con.execute("SELECT decision, count(*) FROM families GROUP BY decision").fetchall())
    counts = {d: int(counts.get(d, 0)) for d in DECISIONS}
    counts["families"] = sum(counts[d] for d in DECISIONS)
    counts["rows"] = int(con.execute("SELECT coalesce(sum(members), 0) FROM fam").fetchone()[0]) + info.rows_skipped
    counts["rejected_rows"] = int(con.execute("SELECT count(DISTINCT line) FROM rejected").fetchone()[0])
    counts["conflicts"] = int(con.execute("SELECT count(*) FROM families WHERE conflicts <> ''").fetchone()[0])
    return ScreeningResult(con, info, options.ruleset, options.as_of, options.region_prefix, counts)


def _scan(con, info: InputInfo, options: ScreeningOptions) -> None:
    """Read the input once into `rows` (parsed), then summarise it per family into `fam`.

    Holding the parsed rows costs memory, but every later step (repeated NIKs, candidates,
    rejected rows) is then a cheap pass over a table instead of another read of the file;
    members who cannot be a candidate keep only their identifiers and roles (parsing.py).
    """
    parsed = f"({parse_sql('raw_input', ParseOptions(options.keep_personal))})"
    report = options.progress or (lambda stage, rows: None)
    report("membaca", 0)
    read = 0
    for index in info.each_scan():
        if index == 0:
            con.execute(f"CREATE OR REPLACE TABLE rows AS {parsed}")
            read = con.execute("SELECT count(*) FROM rows").fetchall()[0][0]
        else:
            read += con.execute(f"INSERT INTO rows {parsed}").fetchall()[0][0]
        report("membaca", read)
    finish_read(con, info, "rows")
    for line, column, value, code in info.row_errors:
        # The reader refused a value inside a row it kept (an XLSX NIK stored as a number).
        con.execute(
            "UPDATE rows SET _errors = list_append(coalesce(_errors, []), {'column': ?, 'value': ?, 'reason': ?}) "
            "WHERE _line = ?",
            [column, value, code, line],
        )
    report("mencari NIK ganda", read)
    _repeated_niks(con)
    report("menilai keluarga", read)
    _aggregate_families(con)


def _repeated_niks(con) -> None:
    """NIKs seen more than once, and whether in more than one family.

    Grouping ten million NIK strings takes memory and time; grouping their 64-bit hashes takes a
    fraction. Hashes collide (about 25 pairs among 10^7 NIKs), so they only pick the candidates,
    and the NIKs themselves are then grouped exactly: a collision costs a little work, never a
    wrong answer.
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE nik_hash_repeats AS
        SELECT hash(nik) AS h FROM rows WHERE nik IS NOT NULL AND no_kk IS NOT NULL
        GROUP BY h HAVING count(*) > 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE repeated_niks AS
        SELECT nik, min(no_kk) <> max(no_kk) AS shared
        FROM rows
        WHERE nik IS NOT NULL AND no_kk IS NOT NULL AND hash(nik) IN (SELECT h FROM nik_hash_repeats)
        GROUP BY nik HAVING count(*) > 1
        """
    )


def _aggregate_families(con) -> None:
    """One row per No KK: member roles and the candidate's line.

    The candidate is the main earner, else the head (the lowest line breaks ties, but a tie is a
    conflict and the candidate is then dropped, see _build_families).
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE fam AS
        SELECT no_kk,
               count(*) AS members,
               count(*) FILTER (WHERE is_head) AS heads,
               count(*) FILTER (WHERE is_earner) AS earners,
               bool_and(role_unknown AND earner_unknown) AS roles_unknown,
               min(desa_id) AS any_desa_id,
               min(_line) AS first_line,
               bool_or(earner_unreadable) AS earner_unreadable,
               arg_min(_line, CASE WHEN is_earner THEN 0 ELSE 1 END * 1000000000000 + _line)
                 FILTER (WHERE is_head OR is_earner) AS candidate_line
        FROM rows
        GROUP BY no_kk
        """
    )


def _load_reference_tables(con, options: ScreeningOptions) -> None:
    regions = options.regions
    con.execute(
        "CREATE OR REPLACE TABLE known_desa AS "
        "SELECT code, CAST(row_number() OVER (ORDER BY code) AS INTEGER) AS id "
        "FROM (SELECT unnest(?::VARCHAR[]) AS code)",
        [regions.codes("desa")],
    )
    con.execute(
        "CREATE OR REPLACE TABLE known_kecamatan AS SELECT unnest(?::VARCHAR[]) AS code",
        [regions.plain_codes("kecamatan")],
    )
    con.execute(
        "CREATE OR REPLACE TABLE known_kabkota AS SELECT unnest(?::VARCHAR[]) AS code",
        [regions.plain_codes("kabkota")],
    )
    synonyms = options.ruleset.skill_synonyms
    con.execute(
        "CREATE OR REPLACE TABLE skill_map AS SELECT unnest(?::VARCHAR[]) AS text, unnest(?::VARCHAR[]) AS type",
        [list(synonyms), list(synonyms.values())],
    )
    con.execute(
        "CREATE OR REPLACE TABLE active_kube_families AS SELECT unnest(?::VARCHAR[]) AS no_kk",
        [sorted(set(options.active_kube_families))],
    )


def _build_rejected(con, info: InputInfo) -> None:
    reason_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in REASONS.items())
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rejected AS
        SELECT _line AS line, e.column AS "column", e.value AS value, e.reason AS reason_code,
               CASE e.reason {reason_case} END AS reason
        FROM (SELECT _line, unnest(_errors) AS e FROM rows WHERE _errors IS NOT NULL)
        """
    )
    if info.structural_rejects:
        con.executemany(
            "INSERT INTO rejected VALUES (?, ?, ?, ?, ?)",
            [(line, col, value, "UNREADABLE_ROW", reason) for line, col, value, reason in info.structural_rejects],
        )


def _rule_sql(ruleset: RuleSet, as_of: dt.date, region_prefix: str | None) -> dict[str, str]:
    """One SQL expression per rule over the candidate row `c`."""
    lo, hi = ruleset.age_range
    as_of_sql = f"DATE '{as_of.isoformat()}'"
    age = (
        f"(year({as_of_sql}) - year(c.birth_date) - CASE WHEN month({as_of_sql}) * 100 + day({as_of_sql})"
        " < month(c.birth_date) * 100 + day(c.birth_date) THEN 1 ELSE 0 END)"
    )
    # NIK date part: DDMMYY, day + 40 for women.
    nik_day = "TRY_CAST(c.nik[7:8] AS INTEGER)"
    nik_month = "TRY_CAST(c.nik[9:10] AS INTEGER)"
    nik_year = "TRY_CAST(c.nik[11:12] AS INTEGER)"
    day_matches = (
        f"CASE c.sex WHEN 'P' THEN {nik_day} = day(c.birth_date) + 40 WHEN 'L' THEN {nik_day} = day(c.birth_date) "
        f"ELSE {nik_day} % 40 = day(c.birth_date) END"
    )
    date_possible = (
        f"(({nik_day} BETWEEN 1 AND 31) OR ({nik_day} BETWEEN 41 AND 71)) AND {nik_month} BETWEEN 1 AND 12 "
        f"AND try(make_date(2000 + {nik_year}, {nik_month}, {nik_day} % 40)) IS NOT NULL"
    )
    nik = f"""CASE
        WHEN c.nik IS NULL THEN 'UNKNOWN:EMPTY'
        WHEN NOT regexp_full_match(c.nik, '\\d+') THEN 'FAIL:FORMAT'
        WHEN length(c.nik) <> 16 THEN 'FAIL:LENGTH'
        WHEN kc.code IS NULL THEN 'FAIL:REGION'
        WHEN c.birth_date IS NULL THEN CASE WHEN {date_possible} THEN 'UNKNOWN:NO_BIRTH_DATE' ELSE 'FAIL:DATE' END
        WHEN {day_matches} AND {nik_month} = month(c.birth_date) AND {nik_year} = year(c.birth_date) % 100
          THEN 'PASS'
        ELSE 'FAIL:DATE' END"""
    kk = """CASE
        WHEN NOT regexp_full_match(c.no_kk, '\\d+') THEN 'FAIL:FORMAT'
        WHEN length(c.no_kk) <> 16 THEN 'FAIL:LENGTH'
        WHEN kk.code IS NULL THEN 'FAIL:REGION'
        ELSE 'PASS' END"""
    terms = "|".join(
        "\\s+".join(re.escape(word) for word in term.split()) for term in ruleset.state_employee_terms
    ).replace("'", "''") or "(?!)"
    none_values = ", ".join("'" + v.replace("'", "''") + "'" for v in ruleset.skill_none_values) or "NULL"
    if region_prefix:
        prefix = normalize_code(region_prefix)
        resident = (
            f"CASE WHEN c.desa_id IS NULL THEN 'UNKNOWN:EMPTY' WHEN kd.code = '{prefix}' "
            f"OR starts_with(kd.code, '{prefix}.') THEN 'PASS' ELSE 'FAIL' END"
        )
    else:
        resident = "'PASS'"
    return {
        "NIK_VALID": nik,
        "KK_VALID": kk,
        "IN_DTKS": f"CASE WHEN c.desil IS NULL THEN 'UNKNOWN:EMPTY' WHEN c.desil <= {ruleset.desil_max} "
        "THEN 'PASS' ELSE 'FAIL' END",
        "HEAD_OR_EARNER": "CASE WHEN c.is_head OR c.is_earner THEN 'PASS' ELSE 'FAIL' END",
        "AGE": f"CASE WHEN c.birth_date IS NULL THEN 'UNKNOWN:EMPTY' WHEN {age} BETWEEN {lo} AND {hi} "
        "THEN 'PASS' ELSE 'FAIL' END",
        "MARRIED": "CASE WHEN c.marital_status IS NULL THEN 'UNKNOWN:EMPTY' "
        "WHEN c.marital_status = 'BELUM KAWIN' THEN 'FAIL' ELSE 'PASS' END",
        "RESIDENT": resident,
        "READY": "CASE WHEN c.ready IS NULL THEN 'UNKNOWN:EMPTY' WHEN c.ready THEN 'PASS' ELSE 'FAIL' END",
        "SKILL": f"""CASE WHEN c.skill_text IS NULL THEN 'UNKNOWN:EMPTY'
            WHEN regexp_replace(lower(trim(c.skill_text)), '\\s+', ' ', 'g') IN ({none_values}) THEN 'FAIL'
            WHEN sm.type IS NOT NULL THEN 'PASS' ELSE 'UNKNOWN:UNRECOGNISED' END""",
        "NOT_STATE_EMPLOYEE": f"""CASE WHEN c.occupation IS NULL THEN 'UNKNOWN:EMPTY'
            WHEN regexp_matches(upper(c.occupation), '\\b({terms})\\b') THEN 'FAIL' ELSE 'PASS' END""",
        "NO_PRIOR_AID": """CASE WHEN akf.no_kk IS NOT NULL THEN 'FAIL:ACTIVE_KUBE'
            WHEN c.prior_aid IS NULL THEN 'UNKNOWN:EMPTY' WHEN c.prior_aid THEN 'FAIL' ELSE 'PASS' END""",
    }


def _build_families(con, ruleset: RuleSet, options: ScreeningOptions) -> None:
    con.execute(
        """
        CREATE OR REPLACE TABLE nik_conflicts AS
        SELECT no_kk, bool_or(shared) AS shared, bool_or(n > 1) AS duplicate
        FROM (SELECT r.no_kk, r.nik, any_value(d.shared) AS shared, count(*) AS n
              FROM rows r JOIN repeated_niks d USING (nik)
              GROUP BY r.no_kk, r.nik)
        GROUP BY no_kk
        """
    )
    # One row per family with its candidate's values (NULL when there is no single candidate).
    con.execute(
        """
        CREATE OR REPLACE VIEW family_candidates AS
        SELECT f.no_kk, f.members, f.heads, f.earners, f.roles_unknown, f.any_desa_id, f.first_line,
               f.earner_unreadable,
               r._line, r.nik, r.sex, r.birth_date, r.marital_status, r.occupation, r.desa_id, r.desil, r.lat,
               r.lon, r.skill_text, r.ready, r.prior_aid, r.rt_text, r.rw_text, r.is_head, r.is_earner,
               r._errors IS NOT NULL AS bad
        FROM fam f
        LEFT JOIN rows r ON r._line = CASE WHEN f.heads > 1 OR f.earners > 1 THEN NULL ELSE f.candidate_line END
        WHERE f.no_kk IS NOT NULL
        """
    )
    rules = _rule_sql(ruleset, options.as_of, options.region_prefix)
    enabled = ruleset.enabled_codes
    # Rules that need no candidate: the No KK itself, the roles, and RESIDENT when no region is set.
    family_level = "'KK_VALID', 'HEAD_OR_EARNER'" + ("" if options.region_prefix else ", 'RESIDENT'")
    rule_cols = ",\n".join(
        f"CASE WHEN c._line IS NULL AND '{code}' NOT IN ({family_level}) THEN 'UNKNOWN:NO_CANDIDATE' "
        f"ELSE {rules[code]} END AS r_{code}"
        if code in enabled
        else f"CAST(NULL AS VARCHAR) AS r_{code}"
        for code in RULE_CODES
    )
    head_or_earner = (
        "CASE WHEN c._line IS NOT NULL THEN (" + rules["HEAD_OR_EARNER"] + ") "
        "WHEN c.heads + c.earners > 0 THEN 'PASS' WHEN c.roles_unknown THEN 'UNKNOWN:EMPTY' ELSE 'FAIL' END"
    )
    rule_cols = rule_cols.replace(
        f"ELSE {rules['HEAD_OR_EARNER']} END AS r_HEAD_OR_EARNER",
        f"ELSE {head_or_earner} END AS r_HEAD_OR_EARNER",
    )
    conflicts = """concat_ws(';',
            CASE WHEN c.heads > 1 THEN 'TWO_HEADS' END,
            CASE WHEN c.earners > 1 THEN 'TWO_EARNERS' END,
            CASE WHEN c.heads = 0 AND c.earners = 0 THEN 'NO_CANDIDATE' END,
            CASE WHEN s.shared THEN 'NIK_IN_TWO_FAMILIES' END,
            CASE WHEN s.duplicate THEN 'DUPLICATE_NIK' END,
            CASE WHEN c.bad THEN 'CANDIDATE_ROW_REJECTED' END,
            CASE WHEN c.earner_unreadable THEN 'EARNER_FLAG_UNREADABLE' END)"""
    fail_list = " , ".join(f"CASE WHEN starts_with(r_{c}, 'FAIL') THEN '{c}' END" for c in enabled)
    unknown_list = " , ".join(f"CASE WHEN starts_with(r_{c}, 'UNKNOWN') THEN '{c}' END" for c in enabled)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE families AS
        WITH judged AS (
          SELECT c.no_kk, c.members, c._line AS candidate_line, coalesce(c._line, c.first_line) AS rep_line,
                 c.nik AS candidate_nik, kd.code AS kode_wilayah,
                 c.lat, c.lon, sm.type AS keahlian, c.rt_text AS rt, c.rw_text AS rw,
                 {conflicts} AS conflicts,
                 {rule_cols}
          FROM family_candidates c
          LEFT JOIN known_desa kd ON kd.id = coalesce(c.desa_id, c.any_desa_id)
          LEFT JOIN nik_conflicts s ON s.no_kk = c.no_kk
          LEFT JOIN known_kecamatan kc ON kc.code = c.nik[1:6]
          LEFT JOIN known_kabkota kk ON kk.code = c.no_kk[1:4]
          LEFT JOIN skill_map sm ON sm.text = regexp_replace(lower(trim(c.skill_text)), '\\s+', ' ', 'g')
          LEFT JOIN active_kube_families akf ON akf.no_kk = c.no_kk
        ), listed AS (
          SELECT *,
                 concat_ws(';', {fail_list}) AS failed_rules,
                 concat_ws(';', {unknown_list}) AS unknown_rules,
                 CASE WHEN candidate_nik IS NULL THEN NULL
                      WHEN length(candidate_nik) >= 8 THEN candidate_nik[1:4] || repeat('•', length(candidate_nik) - 8)
                           || candidate_nik[-4:]
                      ELSE repeat('•', length(candidate_nik)) END AS nik_masked
          FROM judged
        )
        SELECT * EXCLUDE (candidate_nik), CASE
            WHEN conflicts <> '' THEN 'NEEDS_VERIFICATION'
            WHEN failed_rules <> '' THEN 'INELIGIBLE'
            WHEN unknown_rules <> '' THEN 'NEEDS_VERIFICATION'
            ELSE 'ELIGIBLE' END AS decision
        FROM listed
        """
    )
