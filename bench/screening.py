"""Benchmark: ``berdaya screen`` against a naive pandas loop and a minimal DuckDB query.

    python bench/screening.py [--individuals N] [--quick] [--workdir DIR]
                              [--rules permensos-2-2019] [--repeat N] [--json FILE]

Generates a synthetic DTKS export (``bench/synth_dtks.py``) as Parquet and CSV (reused
when the workdir already holds them for the same size, seed and generator source), then
times, each in a fresh child process:

(a) ``berdaya screen INPUT --rules R --as-of 2026-11-01 --out OUT.csv`` from Parquet and CSV;
(b) a naive pandas implementation of spec §4 (``read_csv(dtype=str)`` and a Python loop
    over ``iterrows``) on a sample, its time scaled linearly to the full size;
(c) a minimal hand-written DuckDB query of the same rules, from Parquet and CSV: the
    near-limit reference.

Peak memory is the child's ``ru_maxrss`` from ``os.wait4``. A forked child starts with
its parent's resident pages, so this parent imports nothing heavy (stdlib only) and does
all real work in children; its own RSS is reported as the floor of every reading.

The baselines read the rule set's parameters (desil max, age range, skills, occupation
terms) from ``berdaya/engine/rulesets/<name>.toml`` when it exists, else use spec defaults.
Afterwards the script cross-checks decisions: pandas against the DuckDB query on the
sample (they must agree), and ``berdaya screen`` against the DuckDB query on everything.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Run as a script (python bench/NAME.py): its folder is on sys.path.
from machine import machine_info as shared_machine_info  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
GENERATOR = BENCH_DIR / "synth_dtks.py"

AS_OF = "2026-11-01"  # the generator draws ages relative to this day
DEFAULT_INDIVIDUALS = 10_000_000
QUICK_INDIVIDUALS = 200_000
PANDAS_SAMPLE = 100_000

# What `berdaya screen` must reach (issue targets).
TARGET_SPEEDUP_VS_PANDAS = 30.0
TARGET_RELATIVE_TO_DUCKDB = 0.5
TARGET_PEAK_MB = 2048.0

OUTPUT_COLUMNS = (
    "no_kk", "kode_wilayah", "nik_masked", "decision", "failed_rules", "unknown_rules", "lat", "lon", "keahlian",
)  # fmt: skip
RULE_CODES = (
    "NIK_VALID", "KK_VALID", "IN_DTKS", "HEAD_OR_EARNER", "AGE", "MARRIED", "RESIDENT", "READY", "SKILL",
    "NOT_STATE_EMPLOYEE", "NO_PRIOR_AID",
)  # fmt: skip
MARRIED_STATUSES = ("KAWIN", "CERAI HIDUP", "CERAI MATI")
NIK_RE = re.compile(r"[0-9]{16}")
DESIL_RE = re.compile(r"[0-9]{1,2}")
REGION_RE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}|[0-9]{10}")


# ---------------------------------------------------------------------------
# rule parameters, shared by both baselines


@dataclass(frozen=True)
class RuleParams:
    """The numbers and word lists of a rule set that the baselines need."""

    source: str
    desil_max: int = 4
    age_min: int = 18
    age_max: int = 59
    skills_allowed: tuple[str, ...] = (
        "pertanian", "peternakan", "perikanan", "pengolahan_pangan", "perdagangan", "kerajinan", "jasa",
    )  # fmt: skip
    skills_none: tuple[str, ...] = ("tidak ada",)
    skill_synonyms: dict[str, str] = field(default_factory=lambda: {"bertani": "pertanian", "warung": "perdagangan"})
    state_terms: tuple[str, ...] = ("PNS", "ASN", "PEGAWAI NEGERI", "TNI", "POLRI", "POLISI", "PENSIUNAN")

    @property
    def state_pattern(self) -> str:
        """Word-or-phrase match, valid both in Python ``re`` and DuckDB's RE2."""
        return r"\b(" + "|".join(re.escape(t) for t in self.state_terms) + r")\b"


def load_rule_params(rules: str) -> RuleParams:
    """Parameters of rule set ``rules`` (a name shipped with berdaya, or a TOML path).

    Falls back to the spec §4 defaults when the file is not found, so the baselines
    still run before the engine ships its rule sets.
    """
    path = Path(rules)
    if path.suffix != ".toml":
        path = REPO / "berdaya" / "engine" / "rulesets" / f"{rules}.toml"
    if not path.is_file():
        return RuleParams(source="spec §4 defaults")
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("rules", {})
    defaults = RuleParams(source="")
    skill = data.get("SKILL", {})
    return RuleParams(
        source=str(path.relative_to(REPO) if path.is_relative_to(REPO) else path),
        desil_max=int(data.get("IN_DTKS", {}).get("desil_max", defaults.desil_max)),
        age_min=int(data.get("AGE", {}).get("min", defaults.age_min)),
        age_max=int(data.get("AGE", {}).get("max", defaults.age_max)),
        skills_allowed=tuple(s.lower() for s in skill.get("allowed", defaults.skills_allowed)),
        skills_none=tuple(s.lower() for s in skill.get("none_values", defaults.skills_none)),
        skill_synonyms={k.lower(): v.lower() for k, v in skill.get("synonyms", defaults.skill_synonyms).items()},
        state_terms=tuple(t.upper() for t in data.get("NOT_STATE_EMPLOYEE", {}).get("terms", defaults.state_terms)),
    )


def wilayah_csv_path() -> Path:
    """``wilayah_indonesia/csv/base.csv`` of the installed package, found without importing it."""
    spec = importlib.util.find_spec("wilayah_indonesia")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package wilayah_indonesia is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "csv" / "base.csv"


# ---------------------------------------------------------------------------
# (b) naive pandas baseline


def pandas_screen(input_csv: Path, out: Path, params: RuleParams, as_of: dt.date, nrows: int | None) -> dict[str, Any]:
    """Spec §4 the way a careful analyst would first write it: pandas to read, Python to decide.

    Reads ``nrows`` rows (all when None); when cut, the last family may continue past
    the sample, so it is dropped. Writes one row per family to ``out``.
    """
    import pandas as pd

    known_kec, known_kab = set(), set()
    with wilayah_csv_path().open(newline="", encoding="utf-8") as fh:
        for code, *_ in csv.reader(fh):
            if code.count(".") == 2:
                known_kec.add(code.replace(".", ""))
            elif code.count(".") == 1:
                known_kab.add(code.replace(".", ""))

    df = pd.read_csv(input_csv, dtype=str, keep_default_na=False, nrows=nrows)
    if nrows is not None and len(df) == nrows:
        df = df[df["no_kk"] != df["no_kk"].iloc[-1]]

    families: dict[str, list[dict[str, Any]]] = {}
    nik_families: dict[str, set[str]] = {}
    for _, row in df.iterrows():
        person = _parse_person(row)
        families.setdefault(person["no_kk"], []).append(person)
        if person["nik"]:
            nik_families.setdefault(person["nik"], set()).add(person["no_kk"])
    shared = {kk for kks in nik_families.values() if len(kks) > 1 for kk in kks}

    state_re = re.compile(params.state_pattern)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(OUTPUT_COLUMNS)
        for no_kk, members in families.items():
            writer.writerow(
                _decide_family(no_kk, members, no_kk in shared, params, as_of, known_kec, known_kab, state_re)
            )
    return {"rows": len(df), "families": len(families)}


def _parse_person(row: Any) -> dict[str, Any]:
    """One individual, trimmed and parsed; ``rejected`` when a field cannot be read."""
    birth_raw = row["tanggal_lahir"].strip()
    birth = None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            birth = dt.datetime.strptime(birth_raw, fmt).date()
            break
        except ValueError:
            continue
    desil_raw = row["desil"].strip()
    desil = int(desil_raw) if DESIL_RE.fullmatch(desil_raw) and 1 <= int(desil_raw) <= 10 else None
    region = row["kode_wilayah"].strip()
    rejected = (
        (birth_raw != "" and birth is None)
        or (desil_raw != "" and desil is None)
        or (region != "" and not REGION_RE.fullmatch(region))
    )
    return {
        "no_kk": row["no_kk"].strip(),
        "nik": row["nik"].strip(),
        "is_head": row["hubungan_keluarga"].strip().upper() == "KEPALA KELUARGA",
        "is_earner": row["pencari_nafkah_utama"].strip().upper() == "Y",
        "sex": row["jenis_kelamin"].strip().upper(),
        "birth": birth,
        "desil": desil,
        "region": region,
        "rejected": rejected,
        "status": row["status_kawin"].strip().upper(),
        "job": row["pekerjaan"].strip().upper(),
        "skill": row["keahlian"].strip().lower(),
        "ready": row["kesediaan"].strip().upper(),
        "prior_aid": row["pernah_bantuan_kube"].strip().upper(),
        "lat": row["lat"],
        "lon": row["lon"],
        "keahlian": row["keahlian"],
    }


def _decide_family(
    no_kk: str,
    members: list[dict[str, Any]],
    shared: bool,
    params: RuleParams,
    as_of: dt.date,
    known_kec: set[str],
    known_kab: set[str],
    state_re: re.Pattern[str],
) -> list[str]:
    heads = sum(m["is_head"] for m in members)
    earners = sum(m["is_earner"] for m in members)
    conflict = heads > 1 or earners > 1 or (heads == 0 and earners == 0)
    priority = [2 if m["is_earner"] else 1 if m["is_head"] else 0 for m in members]
    c = members[priority.index(max(priority))]

    outcomes: dict[str, str] = {}
    nik, birth = c["nik"], c["birth"]
    if nik == "":
        outcomes["NIK_VALID"] = "UNKNOWN"
    elif not NIK_RE.fullmatch(nik) or nik[:6] not in known_kec:
        outcomes["NIK_VALID"] = "FAIL"
    elif birth is None or c["sex"] not in ("L", "P"):
        outcomes["NIK_VALID"] = "UNKNOWN"
    else:
        expected = f"{birth.day + (40 if c['sex'] == 'P' else 0):02d}{birth.month:02d}{birth.year % 100:02d}"
        outcomes["NIK_VALID"] = "PASS" if nik[6:12] == expected else "FAIL"
    if no_kk == "":
        outcomes["KK_VALID"] = "UNKNOWN"
    else:
        outcomes["KK_VALID"] = "PASS" if NIK_RE.fullmatch(no_kk) and no_kk[:4] in known_kab else "FAIL"
    if c["desil"] is None:
        outcomes["IN_DTKS"] = "UNKNOWN"
    else:
        outcomes["IN_DTKS"] = "PASS" if c["desil"] <= params.desil_max else "FAIL"
    outcomes["HEAD_OR_EARNER"] = "PASS" if c["is_head"] or c["is_earner"] else "FAIL"
    if birth is None:
        outcomes["AGE"] = "UNKNOWN"
    else:
        age = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
        outcomes["AGE"] = "PASS" if params.age_min <= age <= params.age_max else "FAIL"
    outcomes["MARRIED"] = (
        "PASS" if c["status"] in MARRIED_STATUSES else "FAIL" if c["status"] == "BELUM KAWIN" else "UNKNOWN"
    )
    outcomes["RESIDENT"] = "PASS"  # the benchmark names no programme region (spec §4)
    outcomes["READY"] = {"Y": "PASS", "N": "FAIL"}.get(c["ready"], "UNKNOWN")
    skill = c["skill"]
    if skill == "":
        outcomes["SKILL"] = "UNKNOWN"
    elif skill in params.skills_none:
        outcomes["SKILL"] = "FAIL"
    else:
        outcomes["SKILL"] = "PASS" if params.skill_synonyms.get(skill, skill) in params.skills_allowed else "UNKNOWN"
    if c["job"] == "":
        outcomes["NOT_STATE_EMPLOYEE"] = "UNKNOWN"
    else:
        outcomes["NOT_STATE_EMPLOYEE"] = "FAIL" if state_re.search(c["job"]) else "PASS"
    outcomes["NO_PRIOR_AID"] = {"Y": "FAIL", "N": "PASS"}.get(c["prior_aid"], "UNKNOWN")

    failed = [code for code in RULE_CODES if outcomes[code] == "FAIL"]
    unknown = [code for code in RULE_CODES if outcomes[code] == "UNKNOWN"]
    if conflict or shared or c["rejected"]:
        decision = "NEEDS_VERIFICATION"
    else:
        decision = "INELIGIBLE" if failed else "NEEDS_VERIFICATION" if unknown else "ELIGIBLE"
    if conflict:  # no single candidate: its rule outcomes mean nothing
        failed, unknown = [], []
    masked = nik[:4] + "••••••••" + nik[-4:] if len(nik) >= 8 else nik
    return [
        no_kk, c["region"], masked, decision, ";".join(failed), ";".join(unknown), c["lat"], c["lon"], c["keahlian"],
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# (c) minimal DuckDB reference


def duckdb_source(path: Path, limit: int | None = None) -> str:
    """A FROM-clause for the input file, everything as text like the pandas baseline."""
    quoted = str(path).replace("'", "''")
    if path.suffix == ".parquet":
        source = f"read_parquet('{quoted}')"
    else:
        source = f"read_csv('{quoted}', header = true, all_varchar = true)"
    # LIMIT keeps the first rows: DuckDB preserves file order by default.
    return f"(SELECT * FROM {source} LIMIT {limit})" if limit else source


def duckdb_statements(source: str, out: Path, params: RuleParams, as_of: dt.date) -> list[str]:
    """The reference: three statements, one decision per family written to ``out``.

    The shared-NIK check needs every row grouped by NIK, the decisions every row grouped
    by No KK; doing the small first pass into a temp table avoids materialising the input.
    """
    wilayah = str(wilayah_csv_path()).replace("'", "''")

    def sql_list(values: tuple[str, ...] | list[str]) -> str:
        return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"

    synonyms = " ".join(
        f"WHEN '{k.replace(chr(39), chr(39) * 2)}' THEN '{v.replace(chr(39), chr(39) * 2)}'"
        for k, v in params.skill_synonyms.items()
    )
    canonical_skill = f"CASE c.skill {synonyms} ELSE c.skill END" if synonyms else "c.skill"
    state_pattern = params.state_pattern.replace("'", "''")
    outcomes = ", ".join(RULE_CODES)
    failed = ", ".join(f"CASE WHEN {code} = 'FAIL' THEN '{code}' END" for code in RULE_CODES)
    unknown = ", ".join(f"CASE WHEN {code} = 'UNKNOWN' THEN '{code}' END" for code in RULE_CODES)
    out_sql = str(out).replace("'", "''")
    return [
        f"""CREATE TEMP TABLE known_region AS
            SELECT replace(code, '.', '') AS code FROM read_csv('{wilayah}', header = false,
                columns = {{'code': 'VARCHAR', 'name': 'VARCHAR'}}) WHERE length(code) IN (5, 8)""",
        # NIKs found in two No KKs. Grouped on the text itself: DuckDB's hash() of these
        # 16-digit strings collides (25 pairs among 10^7 NIKs), so it cannot stand in for them.
        f"""CREATE TEMP TABLE shared_nik AS
            SELECT nik
            FROM (SELECT nullif(trim(nik), '') AS nik, trim(no_kk) AS kk FROM {source})
            WHERE nik IS NOT NULL
            GROUP BY nik HAVING min(kk) <> max(kk)""",
        f"""COPY (
        WITH t AS (
            SELECT
                nullif(trim(no_kk), '') AS kk,
                nullif(trim(nik), '') AS nik,
                upper(trim(hubungan_keluarga)) = 'KEPALA KELUARGA' AS is_head,
                upper(trim(pencari_nafkah_utama)) = 'Y' AS is_earner,
                upper(trim(jenis_kelamin)) AS sex,
                nullif(trim(tanggal_lahir), '') AS birth_raw,
                nullif(trim(desil), '') AS desil_raw,
                nullif(trim(kode_wilayah), '') AS region,
                upper(trim(status_kawin)) AS status,
                upper(trim(pekerjaan)) AS job,
                lower(trim(keahlian)) AS skill,
                upper(trim(kesediaan)) AS ready,
                upper(trim(pernah_bantuan_kube)) AS prior_aid,
                lat, lon, keahlian
            FROM {source}
        ), p AS (
            SELECT *,
                CAST(coalesce(try_strptime(birth_raw, '%Y-%m-%d'), try_strptime(birth_raw, '%d-%m-%Y')) AS DATE)
                    AS birth,
                CASE WHEN regexp_full_match(desil_raw, '[0-9]{{1,2}}') AND CAST(desil_raw AS INTEGER) BETWEEN 1 AND 10
                     THEN CAST(desil_raw AS INTEGER) END AS desil_n,
                nik IN (SELECT nik FROM shared_nik) AS in_shared
            FROM t
        ), fam AS (
            SELECT kk,
                count(*) FILTER (WHERE is_head) AS n_heads,
                count(*) FILTER (WHERE is_earner) AS n_earners,
                coalesce(bool_or(in_shared), false) AS shared,
                -- the candidate: the main earner, else the head (ties are conflicts anyway)
                arg_max(struct_pack(nik, is_head, is_earner, sex, birth, desil_n, region, status, job, skill,
                                    ready, prior_aid, lat, lon, keahlian,
                                    rejected := (birth_raw IS NOT NULL AND birth IS NULL)
                                        OR (desil_raw IS NOT NULL AND desil_n IS NULL)
                                        OR (region IS NOT NULL AND NOT regexp_full_match(region,
                                            '[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]{{2}}\\.[0-9]{{4}}|[0-9]{{10}}'))),
                        CASE WHEN is_earner THEN 2 WHEN is_head THEN 1 ELSE 0 END) AS c
            FROM p GROUP BY kk
        ), r AS (
            SELECT kk, c, shared,
                n_heads > 1 OR n_earners > 1 OR (n_heads = 0 AND n_earners = 0) AS conflict,
                CASE WHEN c.nik IS NULL THEN 'UNKNOWN'
                     WHEN NOT regexp_full_match(c.nik, '[0-9]{{16}}') THEN 'FAIL'
                     WHEN left(c.nik, 6) NOT IN (SELECT code FROM known_region) THEN 'FAIL'
                     WHEN c.birth IS NULL OR coalesce(c.sex, '') NOT IN ('L', 'P') THEN 'UNKNOWN'
                     WHEN substr(c.nik, 7, 6) = lpad(CAST(day(c.birth) + CASE WHEN c.sex = 'P' THEN 40 ELSE 0 END
                          AS VARCHAR), 2, '0') || strftime(c.birth, '%m%y') THEN 'PASS'
                     ELSE 'FAIL' END AS NIK_VALID,
                CASE WHEN kk IS NULL THEN 'UNKNOWN'
                     WHEN regexp_full_match(kk, '[0-9]{{16}}') AND left(kk, 4) IN (SELECT code FROM known_region)
                     THEN 'PASS' ELSE 'FAIL' END AS KK_VALID,
                CASE WHEN c.desil_n IS NULL THEN 'UNKNOWN'
                     WHEN c.desil_n <= {params.desil_max} THEN 'PASS' ELSE 'FAIL' END AS IN_DTKS,
                CASE WHEN c.is_head OR c.is_earner THEN 'PASS' ELSE 'FAIL' END AS HEAD_OR_EARNER,
                CASE WHEN c.birth IS NULL THEN 'UNKNOWN'
                     WHEN {as_of.year} - year(c.birth) - CASE WHEN month(c.birth) > {as_of.month}
                          OR (month(c.birth) = {as_of.month} AND day(c.birth) > {as_of.day}) THEN 1 ELSE 0 END
                          BETWEEN {params.age_min} AND {params.age_max} THEN 'PASS'
                     ELSE 'FAIL' END AS AGE,
                CASE WHEN c.status IN {sql_list(MARRIED_STATUSES)} THEN 'PASS'
                     WHEN c.status = 'BELUM KAWIN' THEN 'FAIL' ELSE 'UNKNOWN' END AS MARRIED,
                'PASS' AS RESIDENT, -- no programme region is named (spec §4)
                CASE c.ready WHEN 'Y' THEN 'PASS' WHEN 'N' THEN 'FAIL' ELSE 'UNKNOWN' END AS READY,
                CASE WHEN coalesce(c.skill, '') = '' THEN 'UNKNOWN'
                     WHEN c.skill IN {sql_list(params.skills_none)} THEN 'FAIL'
                     WHEN {canonical_skill} IN {sql_list(params.skills_allowed)} THEN 'PASS'
                     ELSE 'UNKNOWN' END AS SKILL,
                CASE WHEN coalesce(c.job, '') = '' THEN 'UNKNOWN'
                     WHEN regexp_matches(c.job, '{state_pattern}') THEN 'FAIL' ELSE 'PASS' END AS NOT_STATE_EMPLOYEE,
                CASE c.prior_aid WHEN 'Y' THEN 'FAIL' WHEN 'N' THEN 'PASS' ELSE 'UNKNOWN' END AS NO_PRIOR_AID
            FROM fam
        )
        SELECT
            kk AS no_kk,
            c.region AS kode_wilayah,
            CASE WHEN length(c.nik) >= 8 THEN left(c.nik, 4) || '••••••••' || right(c.nik, 4) ELSE c.nik END
                AS nik_masked,
            CASE WHEN conflict OR shared OR c.rejected THEN 'NEEDS_VERIFICATION'
                 WHEN list_contains([{outcomes}], 'FAIL') THEN 'INELIGIBLE'
                 WHEN list_contains([{outcomes}], 'UNKNOWN') THEN 'NEEDS_VERIFICATION'
                 ELSE 'ELIGIBLE' END AS decision,
            CASE WHEN conflict THEN '' ELSE concat_ws(';', {failed}) END AS failed_rules,
            CASE WHEN conflict THEN '' ELSE concat_ws(';', {unknown}) END AS unknown_rules,
            c.lat AS lat, c.lon AS lon, c.keahlian AS keahlian
        FROM r
        ) TO '{out_sql}' (FORMAT csv, HEADER true)""",
    ]


def duckdb_screen(
    input_path: Path, out: Path, params: RuleParams, as_of: dt.date, limit: int | None = None
) -> dict[str, Any]:
    """Run the reference on ``input_path`` (its first ``limit`` rows when given)."""
    import duckdb

    con = duckdb.connect()
    for statement in duckdb_statements(duckdb_source(input_path, limit), out, params, as_of):
        con.execute(statement)
    families = con.execute(f"SELECT count(*) FROM read_csv('{out}', header = true, all_varchar = true)").fetchone()
    return {"families": families[0] if families else 0}


# ---------------------------------------------------------------------------
# cross-checks


def compare_decisions(left: Path, right: Path) -> dict[str, Any]:
    """Per-family agreement of two decision files (joined on no_kk)."""
    import duckdb

    con = duckdb.connect()
    for name, path in (("l", left), ("r", right)):
        quoted = str(path).replace("'", "''")
        con.execute(
            f"""CREATE TEMP TABLE {name} AS
                SELECT no_kk, decision, list_sort(list_filter(string_split(coalesce(failed_rules, ''), ';'),
                       lambda x: x <> '')) AS failed
                FROM read_csv('{quoted}', header = true, all_varchar = true)"""
        )
    left_n, right_n = (con.execute(f"SELECT count(*) FROM {side}").fetchone()[0] for side in ("l", "r"))
    matched, same_decision, both_ineligible, same_failed = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE l.decision = r.decision),
                  count(*) FILTER (WHERE l.decision = 'INELIGIBLE' AND r.decision = 'INELIGIBLE'),
                  count(*) FILTER (WHERE l.decision = 'INELIGIBLE' AND r.decision = 'INELIGIBLE'
                                   AND l.failed = r.failed)
           FROM l JOIN r USING (no_kk)"""
    ).fetchone()
    pairs = con.execute(
        """SELECT l.decision || ' vs ' || r.decision, count(*) FROM l JOIN r USING (no_kk)
           WHERE l.decision <> r.decision GROUP BY ALL ORDER BY 2 DESC"""
    ).fetchall()
    counts = {
        side: dict(con.execute(f"SELECT decision, count(*) FROM {side} GROUP BY ALL ORDER BY 1").fetchall())
        for side in ("l", "r")
    }
    return {
        "left_families": left_n,
        "right_families": right_n,
        "matched_families": matched,
        "decisions_agree": same_decision,
        "agreement": round(same_decision / matched, 6) if matched else None,
        "both_ineligible": both_ineligible,
        "both_ineligible_same_failed_rules": same_failed,
        "disagreements": dict(pairs),
        "left_counts": counts["l"],
        "right_counts": counts["r"],
    }


# ---------------------------------------------------------------------------
# child processes and their measurement


@dataclass
class Measurement:
    """One child process: wall time, peak resident memory, exit code, last stdout line."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout_tail: str
    stderr_tail: str


def measure(cmd: list[str], log_stem: Path) -> Measurement:
    """Run ``cmd`` in a fresh child and measure it with ``os.wait4`` (its own rusage only)."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return Measurement(
        seconds=seconds,
        peak_mb=_maxrss_mb(usage.ru_maxrss),
        returncode=proc.returncode,
        stdout_tail=_tail(out_path),
        stderr_tail=_tail(err_path),
    )


def _maxrss_mb(value: int) -> float:
    return value / 2**20 if sys.platform == "darwin" else value / 1024  # bytes on macOS, KiB on Linux


def _tail(path: Path, lines: int = 6) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


def _worker(kind: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_worker", kind, *args]


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def berdaya_command() -> list[str] | None:
    """How to call ``berdaya``, or None when no ``berdaya screen`` answers ``--help``."""
    candidates = []
    script = Path(sys.executable).parent / "berdaya"
    if script.exists():
        candidates.append([str(script)])
    candidates.append([sys.executable, "-m", "berdaya"])
    for cmd in candidates:
        try:
            probe = subprocess.run([*cmd, "screen", "--help"], cwd=REPO, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return cmd
    return None


# ---------------------------------------------------------------------------
# the benchmark


@dataclass
class Variant:
    """A timed variant and its runs."""

    name: str
    input_format: str
    runs: list[Measurement] = field(default_factory=list)
    note: str = ""
    seconds: float | None = None  # median over runs (scaled to the full size for pandas)
    peak_mb: float | None = None  # max over runs
    extra: dict[str, Any] = field(default_factory=dict)
    scaled: list[float] = field(default_factory=list)  # sampled variants: seconds at full size

    def summarise(self) -> None:
        ok = [r for r in self.runs if r.returncode == 0]
        if ok:
            self.seconds = statistics.median(self.scaled or [r.seconds for r in ok])
            self.peak_mb = max(r.peak_mb for r in ok)


def ensure_inputs(workdir: Path, n: int, seed: int) -> tuple[dict[str, Path], dict[str, Any]]:
    """Parquet and CSV inputs for (n, seed), generated unless already in ``workdir``.

    The file name carries a hash of the generator's source, so a changed generator
    never reuses stale files; the generator writes atomically, so a file that exists
    is complete.
    """
    version = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:8]
    paths, generated = {}, {}
    for fmt in ("parquet", "csv"):
        path = workdir / f"dtks-{n}-s{seed}-g{version}.{fmt}"
        paths[fmt] = path
        if path.exists():
            generated[fmt] = {"reused": True}
            continue
        print(f"generating {path.name} …", flush=True)
        m = measure(
            [sys.executable, str(GENERATOR), "--individuals", str(n), "--seed", str(seed), "--out", str(path)],
            workdir / "logs" / f"generate-{fmt}",
        )
        if m.returncode != 0:
            raise SystemExit(f"generator failed:\n{m.stderr_tail}")
        generated[fmt] = {"reused": False, "seconds": round(m.seconds, 2), "peak_mb": round(m.peak_mb)}
        print(f"  {m.seconds:.1f} s, peak {m.peak_mb:,.0f} MB", flush=True)
    return paths, generated


def machine_info() -> dict[str, Any]:
    return shared_machine_info({"duckdb": "duckdb", "pandas": "pandas", "pyarrow": "pyarrow"})


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate inputs, time every variant, cross-check, and return the results."""
    n = QUICK_INDIVIDUALS if args.quick and args.individuals is None else args.individuals or DEFAULT_INDIVIDUALS
    machine = machine_info()  # before the work, so the load average is other people's
    workdir = Path(args.workdir).resolve()
    out_dir, log_dir = workdir / "out", workdir / "logs"
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs, generated = ensure_inputs(workdir, n, args.seed)
    params = load_rule_params(args.rules)
    sample = min(args.pandas_sample, n)

    cmd = berdaya_command()
    variants = {
        **{f"berdaya_{fmt}": Variant("berdaya screen", fmt) for fmt in ("parquet", "csv")},
        **{f"duckdb_{fmt}": Variant("minimal DuckDB SQL", fmt) for fmt in ("parquet", "csv")},
        "pandas_csv": Variant("naive pandas", "csv", note=f"{sample:,}-row sample, scaled"),
    }
    if cmd is None:
        for fmt in ("parquet", "csv"):
            variants[f"berdaya_{fmt}"].note = "berdaya screen not available"
        print("berdaya screen not available", flush=True)

    rule_args = ["--rules", args.rules, "--as-of", AS_OF]
    for repeat in range(args.repeat):
        # Engine and reference alternate so that drift in machine load hits both alike.
        for fmt in ("parquet", "csv"):
            if cmd is not None:
                out = _fresh(out_dir / f"berdaya-{fmt}.csv")
                run = [*cmd, "screen", str(inputs[fmt]), *rule_args, "--out", str(out)]
                _record(variants[f"berdaya_{fmt}"], measure(run, log_dir / f"berdaya-{fmt}-{repeat}"))
            out = _fresh(out_dir / f"duckdb-{fmt}.csv")
            run = _worker("duckdb", str(inputs[fmt]), str(out), *rule_args)
            _record(variants[f"duckdb_{fmt}"], measure(run, log_dir / f"duckdb-{fmt}-{repeat}"), required=True)
        run = _worker(
            "pandas", str(inputs["csv"]), str(_fresh(out_dir / "pandas-sample.csv")), *rule_args, "--rows", str(sample)
        )
        _record(variants["pandas_csv"], measure(run, log_dir / f"pandas-{repeat}"), required=True, full_rows=n)

    for variant in variants.values():
        variant.summarise()
    pandas = variants["pandas_csv"]
    checks = cross_checks(inputs, out_dir, log_dir, pandas.extra.get("rows"), rule_args, berdaya=cmd is not None)
    return {
        "benchmark": "screening",
        "individuals": n,
        "seed": args.seed,
        "rules": args.rules,
        "rule_params_source": params.source,
        "as_of": AS_OF,
        "repeat": args.repeat,
        "machine": machine,
        "parent_rss_mb": round(_maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1),
        "inputs": {
            fmt: {"path": str(p), "mb": round(p.stat().st_size / 2**20, 1), **generated[fmt]}
            for fmt, p in inputs.items()
        },
        "variants": {key: _variant_json(v) for key, v in variants.items()},
        "ratios": ratios(variants),
        "targets": {
            "speedup_vs_pandas": TARGET_SPEEDUP_VS_PANDAS,
            "relative_to_duckdb": TARGET_RELATIVE_TO_DUCKDB,
            "peak_mb": TARGET_PEAK_MB,
        },
        "checks": checks,
    }


def _fresh(path: Path) -> Path:
    """``path`` with any earlier output removed, so a failed run cannot pass off an old file."""
    path.unlink(missing_ok=True)
    return path


def _check(m: Measurement, label: str) -> None:
    if m.returncode != 0:
        raise SystemExit(f"{label} failed (exit {m.returncode}):\n{m.stderr_tail}")


def _record(variant: Variant, m: Measurement, *, required: bool = False, full_rows: int | None = None) -> None:
    """Keep a run, print it, and stop (``required``) or note it when it failed."""
    variant.runs.append(m)
    line = f"  {variant.name:<20} {variant.input_format:<8} {m.seconds:8.2f} s  {m.peak_mb:7,.0f} MB"
    if m.returncode != 0:
        print(f"{line}  FAILED (exit {m.returncode})", flush=True)
        if required:
            _check(m, variant.name)
        variant.note = f"failed (exit {m.returncode}): see logs"
        return
    variant.extra = _last_json(m.stdout_tail)
    if full_rows is not None:
        # Scale only the work that grows with the input, not interpreter start-up and imports.
        inner = variant.extra["inner_seconds"]
        variant.scaled.append(m.seconds - inner + inner * full_rows / variant.extra["rows"])
        line += f"  on {variant.extra['rows']:,} rows; scaled to {full_rows:,}: {variant.scaled[-1]:,.1f} s"
    print(line, flush=True)


def _variant_json(v: Variant) -> dict[str, Any]:
    return {
        "name": v.name,
        "input": v.input_format,
        "seconds": round(v.seconds, 3) if v.seconds is not None else None,
        "peak_mb": round(v.peak_mb, 1) if v.peak_mb is not None else None,
        "note": v.note,
        "runs": [{k: v for k, v in asdict(r).items() if k != "stdout_tail"} for r in v.runs],
        **({"extra": v.extra} if v.extra else {}),
    }


def ratios(variants: dict[str, Variant]) -> dict[str, dict[str, float | None]]:
    """Speed-up over pandas, speed relative to the DuckDB reference, per input format."""
    pandas = variants["pandas_csv"].seconds
    result = {}
    for fmt in ("parquet", "csv"):
        engine, reference = variants[f"berdaya_{fmt}"], variants[f"duckdb_{fmt}"]
        if engine.seconds is None:
            result[fmt] = {"speedup_vs_pandas": None, "relative_to_duckdb": None, "peak_mb": None}
            continue
        result[fmt] = {
            "speedup_vs_pandas": round(pandas / engine.seconds, 1) if pandas else None,
            "relative_to_duckdb": round(reference.seconds / engine.seconds, 3) if reference.seconds else None,
            "peak_mb": round(engine.peak_mb, 1) if engine.peak_mb is not None else None,
        }
    return result


def cross_checks(
    inputs: dict[str, Path],
    out_dir: Path,
    log_dir: Path,
    sample_rows: int | None,
    rule_args: list[str],
    *,
    berdaya: bool,
) -> dict[str, Any]:
    """Decision agreement between the variants (untimed)."""
    checks: dict[str, Any] = {}
    if sample_rows:
        sample_ref = out_dir / "duckdb-sample.csv"
        m = measure(
            _worker("duckdb", str(inputs["csv"]), str(sample_ref), *rule_args, "--limit", str(sample_rows)),
            log_dir / "duckdb-sample",
        )
        _check(m, "minimal DuckDB on the sample")
        checks["pandas_vs_duckdb_on_sample"] = _compare(out_dir / "pandas-sample.csv", sample_ref, log_dir)
    checks["duckdb_csv_vs_parquet"] = _compare(out_dir / "duckdb-csv.csv", out_dir / "duckdb-parquet.csv", log_dir)
    if berdaya:
        for fmt in ("parquet", "csv"):
            engine_out = out_dir / f"berdaya-{fmt}.csv"
            if engine_out.exists():
                checks[f"berdaya_vs_duckdb_{fmt}"] = _compare(engine_out, out_dir / f"duckdb-{fmt}.csv", log_dir)
    return checks


def _compare(left: Path, right: Path, log_dir: Path) -> dict[str, Any]:
    m = measure(_worker("compare", str(left), str(right)), log_dir / f"compare-{left.stem}-{right.stem}")
    if m.returncode != 0:
        return {"error": m.stderr_tail}
    return _last_json(m.stdout_tail)


# ---------------------------------------------------------------------------
# report


def print_report(result: dict[str, Any]) -> None:
    """The table and the targets, for a terminal."""
    machine = result["machine"]
    print()
    print(
        f"Screening {result['individuals']:,} individuals, rules {result['rules']} "
        f"(baselines: {result['rule_params_source']}), as of {result['as_of']}, repeat {result['repeat']}"
    )
    print(
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"Python {machine['python']}, DuckDB {machine['duckdb']}, pandas {machine['pandas']}, "
        f"load {machine['load_average']}"
    )
    if machine["load_average"][0] > 0.5 * machine["nproc"]:
        print("WARNING: the machine was busy when the benchmark started; figures are noisy.")
    print()
    header = f"{'variant':<22}{'input':<9}{'seconds':>10}{'peak MB':>10}  {'× pandas':>9}{'× DuckDB':>10}  note"
    print(header)
    print("-" * len(header))
    variants, ratio = result["variants"], result["ratios"]
    for key, v in variants.items():
        seconds = f"{v['seconds']:,.2f}" if v["seconds"] is not None else "—"
        peak = f"{v['peak_mb']:,.0f}" if v["peak_mb"] is not None else "—"
        vs_pandas = vs_duckdb = ""
        if key.startswith("berdaya_") and ratio[v["input"]]["speedup_vs_pandas"] is not None:
            vs_pandas = f"{ratio[v['input']]['speedup_vs_pandas']:,.1f}×"
            vs_duckdb = f"{ratio[v['input']]['relative_to_duckdb']:.2f}×"
        note = v["note"] + (" (peak: sample)" if key == "pandas_csv" else "")
        print(f"{v['name']:<22}{v['input']:<9}{seconds:>10}{peak:>10}  {vs_pandas:>9}{vs_duckdb:>10}  {note}")
    print()
    print(f"(peak memory of a child cannot read below this process's own RSS: {result['parent_rss_mb']} MB)")
    targets = result["targets"]
    for fmt in ("parquet", "csv"):
        r = ratio[fmt]
        if r["speedup_vs_pandas"] is None:
            print(f"targets ({fmt}): berdaya screen not available")
            continue
        verdicts = [
            _verdict("speed-up vs pandas", r["speedup_vs_pandas"], targets["speedup_vs_pandas"], "×", True),
            _verdict("vs minimal DuckDB", r["relative_to_duckdb"], targets["relative_to_duckdb"], "×", True),
            _verdict("peak memory", r["peak_mb"], targets["peak_mb"], " MB", False),
        ]
        print(f"targets ({fmt}): " + "; ".join(verdicts))
    print()
    for name, check in result["checks"].items():
        if "error" in check:
            print(f"check {name}: error: {check['error']}")
            continue
        agreement = check["agreement"]
        share = f"{agreement:.4%}" if agreement is not None else "—"
        print(
            f"check {name}: {check['decisions_agree']:,}/{check['matched_families']:,} decisions agree ({share}); "
            f"families {check['left_families']:,} vs {check['right_families']:,}; "
            f"same failed rules on {check['both_ineligible_same_failed_rules']:,}/{check['both_ineligible']:,} "
            "families both call INELIGIBLE"
        )
        if check["disagreements"]:
            print(f"  disagreements: {check['disagreements']}")


def _verdict(label: str, value: float, target: float, unit: str, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value < target
    sign = "≥" if higher_is_better else "<"
    return f"{label} {value:,.1f}{unit} (target {sign} {target:g}{unit}) {'OK' if ok else 'MISSED'}"


# ---------------------------------------------------------------------------
# command line


def _run_worker(argv: list[str]) -> None:
    """Entry point of the child processes: run one variant and print a JSON line."""
    parser = argparse.ArgumentParser(prog="screening.py _worker")
    parser.add_argument("kind", choices=("pandas", "duckdb", "compare"))
    parser.add_argument("input", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rules", default="permensos-2-2019")
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--rows", type=int, help="pandas: read this many rows")
    parser.add_argument("--limit", type=int, help="duckdb: use the first rows only")
    args = parser.parse_args(argv)
    if args.kind == "compare":
        print(json.dumps(compare_decisions(args.input, args.out)))
        return
    params, as_of = load_rule_params(args.rules), dt.date.fromisoformat(args.as_of)
    started = time.perf_counter()
    if args.kind == "pandas":
        info = pandas_screen(args.input, args.out, params, as_of, args.rows)
    else:
        info = duckdb_screen(args.input, args.out, params, as_of, args.limit)
    print(json.dumps({**info, "inner_seconds": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> None:
    """Command line of the benchmark."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_worker"]:
        _run_worker(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--individuals", type=int, help=f"default {DEFAULT_INDIVIDUALS:,}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_INDIVIDUALS:,} individuals")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "berdaya-bench"))
    parser.add_argument("--rules", default="permensos-2-2019")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the median is reported")
    parser.add_argument("--pandas-sample", type=int, default=PANDAS_SAMPLE, help="rows the pandas baseline reads")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    result = run_benchmark(args)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nresults → {args.json}")


if __name__ == "__main__":
    main()
