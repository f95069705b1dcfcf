"""Importing a DTKS file into the registry: all of it or nothing, with a row-level report.

The file is read and checked by the engine (the same reader and parser `berdaya screen` uses).
Rows that cannot be read, a NIK in two families, or rows outside the importer's region refuse
the whole file; the report says line, column, value and reason. A newer file of the same
region updates families by No KK and persons by NIK, and every change is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from berdaya.core.models import User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.engine import InputError, ScreeningOptions, screen
from berdaya.engine.columns import load_mapping
from berdaya.engine.masking import mask_id
from berdaya.registry.models import Family, ImportBatch, ImportChange, Person
from berdaya.registry.services.common import default_ruleset, region_index_from_db

FAMILY_FIELDS = (
    "region_id",
    "id_dtks",
    "rt",
    "rw",
    "address",
    "desil",
    "lat",
    "lon",
    "skill_text",
    "ready",
    "prior_aid",
)
PERSON_FIELDS = (
    "family_id",
    "name",
    "sex",
    "birth_date",
    "marital_status",
    "relationship",
    "is_main_earner",
    "occupation",
    "source_line",
)


# The steps `progress` counts: open the file, read and screen its rows, check them, store them.
IMPORT_STEPS = 4



# SQLite refuses a statement with more than a few hundred thousand parameters (a city's NIKs): large
# `__in` lookups go in parts of this size on every database.
IN_CHUNK = 20_000


def _chunks(values) -> list[list]:
    values = list(values)
    return [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dtks_import(
    *,
    path: Path | str,
    actor: User | None,
    file_name: str | None = None,
    mapping_path: Path | str | None = None,
    dry_run: bool = False,
    encoding: str = "utf-8",
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportBatch:
    """Import a DTKS CSV/XLSX/Parquet file of individuals into the registry.

    Returns the ImportBatch: status `applied`, `refused` (nothing written but the batch and its
    report) or `dry_run`. Never raises for bad input: the problems are on the batch.
    `progress(done, total, message)`, when given, is told each of the four steps as it starts.
    """
    path = Path(path)
    report = progress or (lambda done, total, message: None)
    report(0, IMPORT_STEPS, "membaca berkas")
    batch = ImportBatch(
        file_name=file_name or path.name,
        sha256=_sha256(path) if path.is_file() else "",
        kind=path.suffix.lower().lstrip("."),
        created_by=actor if actor is not None and actor.pk else None,
        region_id=getattr(actor, "region_id", None),
        status=ImportBatch.Status.REFUSED,
    )
    try:
        mapping = load_mapping(mapping_path) if mapping_path else None
        result = screen(
            path,
            ScreeningOptions(
                ruleset=default_ruleset(),
                regions=region_index_from_db(),
                as_of=timezone.localdate(),
                mapping=mapping,
                encoding=encoding,
                keep_personal=True,
                progress=lambda stage, rows: report(1, IMPORT_STEPS, f"{stage}: {rows:,} baris"),
            ),
        )
    except (InputError, ValueError) as error:
        batch.error = str(error)
        return _finish(batch, actor)
    try:
        report(2, IMPORT_STEPS, "memeriksa baris")
        problems = (
            result.rejected_rows()
            + _blocking_conflicts(result)
            + _out_of_scope(result, actor)
            + _unplaceable(result)
            + _too_long(result)
        )
        problems.sort(key=lambda p: (p["line"] or 0, p["column"] or ""))
        batch.problems = problems
        batch.counts = {
            "rows": result.counts["rows"],
            "families": result.counts["families"],
            "problem_rows": len({p["line"] for p in problems}),
            "missing_optional_columns": result.info.missing_optional,
        }
        if problems:
            return _finish(batch, actor)
        if dry_run:
            batch.status = ImportBatch.Status.DRY_RUN
            return _finish(batch, actor)
        report(3, IMPORT_STEPS, f"menyimpan {result.counts['families']:,} keluarga")
        return _apply(batch, result, actor)
    finally:
        result.close()


def _finish(batch: ImportBatch, actor: User | None) -> ImportBatch:
    with transaction.atomic():
        batch.save()
        audit_record(
            actor=actor,
            action=f"registry.import.{batch.status}",
            object_type="import_batch",
            object_id=str(batch.pk),
            changes={"file": batch.file_name, "sha256": batch.sha256, **batch.counts},
            note=batch.error[:500],
        )
    return batch


def _problem(line, column, value, code, reason) -> dict:
    return {"line": line, "column": column, "value": value, "reason_code": code, "reason": reason}


def _blocking_conflicts(result) -> list[dict]:
    """A NIK in two families cannot be stored (a NIK is unique), so it blocks the import."""
    rows = result.con.execute(
        """
        SELECT r._line, r.nik, list(DISTINCT o.no_kk ORDER BY o.no_kk), list(o._line ORDER BY o._line)
        FROM rows r JOIN rows o ON o.nik = r.nik AND o._line <> r._line
        WHERE r.nik IS NOT NULL
        GROUP BY r._line, r.nik ORDER BY r._line
        """
    ).fetchall()
    problems = []
    for line, nik, _families, other_lines in rows:
        others = ", ".join(str(x) for x in other_lines[:5])
        problems.append(
            _problem(line, "nik", mask_id(nik), "NIK_REPEATED", f"NIK yang sama juga ada di baris {others}")
        )
    return problems


def _out_of_scope(result, actor: User | None) -> list[dict]:
    if actor is None or actor.region_prefix is None:
        return []
    rows = result.con.execute(
        "SELECT _line, kode_wilayah FROM rows WHERE kode_wilayah IS NOT NULL"
    ).fetchall()
    return [
        _problem(line, "kode_wilayah", code, "OUT_OF_SCOPE", f"di luar wilayah Anda ({actor.region_prefix})")
        for line, code in rows
        if not code_in_scope(actor, code)
    ]


def _unplaceable(result) -> list[dict]:
    """A family without a region would be invisible to every officer: refuse rather than lose it."""
    rows = result.con.execute("SELECT rep_line, no_kk FROM families WHERE kode_wilayah IS NULL").fetchall()
    return [
        _problem(line, "kode_wilayah", "", "MISSING_REGION", "kode wilayah kosong: keluarga tidak dapat ditempatkan")
        for line, _ in rows
    ]


# What the registry can hold (see models); longer values are refused, never cut.
MAX_LENGTHS = {"nik": 32, "no_kk": 32, "id_dtks": 40, "rt_text": 8, "rw_text": 8}
COLUMN_NAMES = {"rt_text": "rt", "rw_text": "rw"}


def _too_long(result) -> list[dict]:
    problems = []
    for column, limit in MAX_LENGTHS.items():
        rows = result.con.execute(f"SELECT _line, {column} FROM rows WHERE length({column}) > {limit}").fetchall()
        problems += [
            _problem(line, COLUMN_NAMES.get(column, column), str(value)[:60], "TOO_LONG",
                     f"lebih dari {limit} karakter")
            for line, value in rows
        ]
    return problems


def _family_values(row: dict) -> dict:
    return {
        "region_id": row["kode_wilayah"],
        "id_dtks": row["id_dtks"] or "",
        "rt": row["rt_text"] or "",
        "rw": row["rw_text"] or "",
        "address": (row["alamat"] or "")[:250],
        "desil": row["desil"],
        "lat": row["lat"],
        "lon": row["lon"],
        "skill_text": (row["skill_text"] or "")[:120],
        "ready": row["ready"],
        "prior_aid": row["prior_aid"],
    }


def _person_values(row: dict) -> dict:
    return {
        "name": (row["nama"] or "")[:150],
        "sex": row["sex"] or "",
        "birth_date": row["birth_date"],
        "marital_status": row["marital_status"] or "",
        "relationship": (row["relationship"] or "")[:40],
        "is_main_earner": None if row["earner_unknown"] else row["is_earner"],
        "occupation": (row["occupation"] or "")[:120],
        "source_line": row["_line"],
    }


def _jsonable(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _diff(obj, values: dict, fields) -> dict:
    changes = {}
    for field in fields:
        old, new = getattr(obj, field), values[field]
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes


@transaction.atomic
def _apply(batch: ImportBatch, result, actor: User | None) -> ImportBatch:
    cursor = result.con.execute(
        "SELECT r.* FROM families f JOIN rows r ON r._line = f.rep_line ORDER BY f.no_kk"
    )
    names = [d[0] for d in cursor.description]
    family_rows = {row["no_kk"]: row for row in (dict(zip(names, r, strict=True)) for r in cursor.fetchall())}
    cursor = result.con.execute("SELECT * FROM rows ORDER BY _line")
    names = [d[0] for d in cursor.description]
    person_rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    batch.status = ImportBatch.Status.APPLIED
    batch.save()
    changes: list[ImportChange] = []
    existing = {
        f.no_kk: f for part in _chunks(family_rows) for f in Family.objects.select_for_update().filter(no_kk__in=part)
    }
    new_families, updated_families = [], []
    for no_kk, row in family_rows.items():
        values = _family_values(row)
        family = existing.get(no_kk)
        if family is None:
            new_families.append(Family(no_kk=no_kk, **values))
            changes.append(ImportChange(batch=batch, entity="family", key=no_kk, action="created"))
            continue
        diff = _diff(family, values, FAMILY_FIELDS)
        if diff:
            for field, value in values.items():
                setattr(family, field, value)
            updated_families.append(family)
            changes.append(
                ImportChange(batch=batch, entity="family", key=no_kk, action="updated", changes=diff)
            )
    Family.objects.bulk_create(new_families, batch_size=2000)
    if updated_families:
        Family.objects.bulk_update(updated_families, FAMILY_FIELDS, batch_size=2000)
    family_ids = {
        no_kk: pk
        for part in _chunks(family_rows)
        for no_kk, pk in Family.objects.filter(no_kk__in=part).values_list("no_kk", "id")
    }

    niks = [r["nik"] for r in person_rows if r["nik"]]
    by_nik = {p.nik: p for part in _chunks(niks) for p in Person.objects.select_for_update().filter(nik__in=part)}
    # Persons stored without a NIK are matched by family, name and birth date, one record to one row
    # (two such members with the same name stay two); a row that now has a NIK may claim one too.
    unkeyed: dict[tuple, list[Person]] = {}
    for part in _chunks(family_ids.values()):
        for p in Person.objects.filter(nik__isnull=True, family_id__in=part).order_by("id"):
            unkeyed.setdefault((p.family_id, p.name, p.birth_date), []).append(p)
    new_persons, updated_persons, seen_ids = [], [], set()
    for row in person_rows:
        values = {"family_id": family_ids[row["no_kk"]], **_person_values(row)}
        key = (row["nik"] or f"{row['no_kk']}/{values['name']}")[:40]
        person = by_nik.get(row["nik"]) if row["nik"] else None
        if person is None:
            candidates = unkeyed.get((values["family_id"], values["name"], values["birth_date"]), [])
            person = candidates.pop(0) if candidates else None
            if person is not None and row["nik"]:
                changes.append(
                    ImportChange(batch=batch, entity="person", key=key, action="updated",
                                 changes={"nik": [None, mask_id(row["nik"])]})
                )
                person.nik = row["nik"]
        if person is None:
            new_persons.append(Person(nik=row["nik"], **values))
            changes.append(ImportChange(batch=batch, entity="person", key=key, action="created"))
            continue
        seen_ids.add(person.pk)
        diff = _diff(person, values, PERSON_FIELDS)
        diff.pop("source_line", None)
        if diff:
            action = "moved" if "family_id" in diff else "updated"
            changes.append(ImportChange(batch=batch, entity="person", key=key, action=action, changes=diff))
        for field, value in values.items():
            setattr(person, field, value)
        updated_persons.append(person)
    # Members of the imported families who are no longer in the file have left the family.
    left_list = [
        person
        for part in _chunks(family_ids.values())
        for person in Person.objects.select_for_update().filter(family_id__in=part)
        if person.pk not in seen_ids
    ]
    for person in left_list:
        changes.append(
            ImportChange(
                batch=batch,
                entity="person",
                key=(person.nik or person.name)[:40],
                action="left",
                changes={"family_id": [person.family_id, None]},
            )
        )
    for part in _chunks([person.pk for person in left_list]):
        Person.objects.filter(pk__in=part).update(family=None)
    if updated_persons:
        Person.objects.bulk_update(updated_persons, (*PERSON_FIELDS, "nik"), batch_size=2000)
    Person.objects.bulk_create(new_persons, batch_size=2000)
    ImportChange.objects.bulk_create(changes, batch_size=5000)

    tally: dict[str, int] = {}
    for change in changes:
        tally[f"{change.entity}_{change.action}"] = tally.get(f"{change.entity}_{change.action}", 0) + 1
    batch.counts = {**batch.counts, **tally}
    batch.save(update_fields=["counts", "status"])
    audit_record(
        actor=actor,
        action="registry.import.applied",
        object_type="import_batch",
        object_id=str(batch.pk),
        changes={"file": batch.file_name, "sha256": batch.sha256, **batch.counts},
    )
    return batch
