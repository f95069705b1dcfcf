"""The breach report (UU PDP: the authority and the people concerned are told within 3×24 hours): who read,
revealed, exported or changed which records in a time window, from the append-only audit log.

Each audit row becomes one line — when, who (user, role, region, client address), what kind of access
(`reveal`, `export` or `change`), which record, how many rows an export held and in which format — and a
summary per actor. Narrow it to a region (rows whose record or actor lies in it, and national exports
such as a backup, which hold every region) or to one person's NIK (rows about the person, their family
or their KUBE, and every export or reveal that may have included them: bulk reads of their region).

Reading the report is itself a bulk read of the log; the callers audit it (`export.breach_report`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from berdaya.core.models import AuditEvent
from berdaya.engine.masking import mask_id

# Bulk reads named before the `export.*` convention (kept: tests and history use them).
BULK_READS = {
    "api.families.list",
    "backup.create",
    "evaluation.export",
    "ledger.export_beancount",
    "ledger.export_xlsx",
    "pdp.subject_export",
    "registry.import.report",
    "reports.evaluation_pdf",
    "reports.evaluation_xlsx",
    "reports.kube_pdf",
}
REVEALS = {"pdp.reveal"}
# Keys under which the audit rows of exports give their size.
ROW_COUNT_KEYS = ("rows", "count", "records", "families", "persons", "members", "lines", "entries", "kubes")
FORMATS = ("csv", "xlsx", "json")


def access_kind(action: str) -> str:
    if action in REVEALS:
        return "reveal"
    if action.startswith("export.") or action in BULK_READS:
        return "export"
    return "change"


@dataclass
class BreachRow:
    at: dt.datetime
    actor: str
    role: str
    actor_region: str
    client_address: str
    kind: str
    action: str
    object_type: str
    object_id: str
    object_region: str
    rows: int | None
    format: str
    details: str
    note: str
    match: str = ""


@dataclass
class ActorSummary:
    actor: str
    role: str
    actor_region: str
    addresses: list[str] = field(default_factory=list)
    reveals: int = 0
    exports: int = 0
    rows_exported: int = 0
    changes: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


@dataclass
class BreachReport:
    start: dt.datetime
    end: dt.datetime
    region: str
    nik_masked: str
    rows: list[BreachRow]
    actors: list[ActorSummary]


def breach_report(
    *, start: dt.datetime, end: dt.datetime, region: str | None = None, nik: str | None = None
) -> BreachReport:
    """The audit rows of [start, end) as a breach report, optionally narrowed to a region code or a NIK.

    Raises ValueError for an empty window or a NIK the registry does not hold.
    """
    if end <= start:
        raise ValueError(_("Waktu akhir harus setelah waktu awal."))
    events = list(AuditEvent.objects.filter(at__gte=start, at__lt=end).select_related("actor").order_by("at", "id"))
    object_regions = _object_regions(events)
    rows = [_row(event, object_regions.get((event.object_type, event.object_id), "")) for event in events]
    if region:
        rows = [row for row in rows if _region_overlaps(row, region)]
    if nik:
        rows = _about_person(rows, nik)
    return BreachReport(
        start=start,
        end=end,
        region=region or "",
        nik_masked=mask_id(nik) if nik else "",
        rows=rows,
        actors=_summaries(rows),
    )


def _row(event: AuditEvent, object_region: str) -> BreachRow:
    actor = event.actor
    changes = event.changes if isinstance(event.changes, dict) else {}
    kind = access_kind(event.action)
    rows = next((changes[k] for k in ROW_COUNT_KEYS if isinstance(changes.get(k), int)), None)
    fmt = str(changes.get("format") or changes.get("kind") or "") if kind == "export" else ""
    if kind == "export" and not fmt:
        fmt = next((f for f in ("xlsx", "pdf", "csv", "beancount", "json") if event.action.endswith(f)), "")
    if event.object_type == "database":
        object_region = "*"
    return BreachRow(
        at=timezone.localtime(event.at),
        actor=actor.username if actor else "",
        role=actor.role if actor else "",
        actor_region=(actor.region_id or "*") if actor else "",
        client_address=event.client_address or "",
        kind=kind,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_region=object_region,
        rows=rows,
        format=fmt,
        details=json.dumps(changes, ensure_ascii=False, sort_keys=True, default=str),
        note=event.note,
    )


def _object_regions(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """The region code of each audited record that has one ("*" for the whole nation)."""
    from berdaya.kube.models import Kube
    from berdaya.registry.models import Family, ImportBatch, Person

    wanted: dict[str, set[int]] = defaultdict(set)
    found: dict[tuple[str, str], str] = {}
    for event in events:
        if event.object_type in ("region", "core.Region"):
            found[(event.object_type, event.object_id)] = event.object_id
        elif event.object_id.isdigit():
            wanted[event.object_type].add(int(event.object_id))
    lookups = {
        ("kube", "kube.Kube"): (Kube.objects, "region_id"),
        ("family", "registry.Family"): (Family.objects, "region_id"),
        ("person", "registry.Person"): (Person.objects, "family__region_id"),
        ("import_batch",): (ImportBatch.objects, "region_id"),
    }
    for types, (manager, field_name) in lookups.items():
        for object_type in types:
            ids = wanted.get(object_type)
            if ids:
                for pk, code in manager.filter(pk__in=ids).values_list("pk", field_name):
                    found[(object_type, str(pk))] = code or ""
    return found


def _overlaps(code: str, prefix: str) -> bool:
    """Could records of region `code` include records of region `prefix` (or the other way round)?"""
    if code == "*":
        return True
    return bool(code) and (code == prefix or code.startswith(prefix + ".") or prefix.startswith(code + "."))


def _region_overlaps(row: BreachRow, prefix: str) -> bool:
    if row.object_region:
        return _overlaps(row.object_region, prefix)
    return _overlaps(row.actor_region, prefix)


def _about_person(rows: list[BreachRow], nik: str) -> list[BreachRow]:
    from berdaya.kube.models import Membership
    from berdaya.registry.models import Person

    person = Person.objects.select_related("family").filter(nik=nik.strip()).first()
    if person is None:
        raise ValueError(_("NIK ini tidak ada di registri.") + f" ({mask_id(nik)})")
    direct = {("person", str(person.pk)), ("registry.Person", str(person.pk))}
    family_region = ""
    if person.family_id:
        family_region = person.family.region_id or ""
        direct |= {("family", str(person.family_id)), ("registry.Family", str(person.family_id))}
        for kube_id in Membership.objects.filter(family_id=person.family_id).values_list("kube_id", flat=True):
            direct |= {("kube", str(kube_id)), ("kube.Kube", str(kube_id))}
    kept = []
    for row in rows:
        if (row.object_type, row.object_id) in direct:
            row.match = "record"
        elif row.kind == "export" and family_region and _region_overlaps(row, family_region):
            row.match = "bulk"  # an export of their region may have held them
        else:
            continue
        kept.append(row)
    return kept


def _summaries(rows: list[BreachRow]) -> list[ActorSummary]:
    by_actor: dict[str, ActorSummary] = {}
    for row in rows:
        summary = by_actor.get(row.actor)
        if summary is None:
            summary = by_actor[row.actor] = ActorSummary(row.actor, row.role, row.actor_region)
        if row.client_address and row.client_address not in summary.addresses:
            summary.addresses.append(row.client_address)
        if row.kind == "reveal":
            summary.reveals += 1
        elif row.kind == "export":
            summary.exports += 1
            summary.rows_exported += row.rows or 0
        else:
            summary.changes += 1
        summary.first = summary.first or row.at
        summary.last = row.at
    return sorted(by_actor.values(), key=lambda s: (-(s.reveals + s.exports), s.actor))


# ---- files -------------------------------------------------------------------------------------------

ROW_COLUMNS = [f for f in BreachRow.__dataclass_fields__]
ACTOR_COLUMNS = [f for f in ActorSummary.__dataclass_fields__]


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, list):
        return " ".join(value)
    return value


def breach_csv(report: BreachReport) -> bytes:
    """The event lines as CSV (UTF-8 with BOM, so spreadsheet programs read it right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROW_COLUMNS)
    for row in report.rows:
        writer.writerow([_plain(getattr(row, c)) for c in ROW_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def breach_json(report: BreachReport) -> bytes:
    data = {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "region": report.region,
        "nik": report.nik_masked,
        "actors": [{k: _plain(v) for k, v in asdict(a).items()} for a in report.actors],
        "rows": [{k: _plain(v) for k, v in asdict(r).items()} for r in report.rows],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def breach_xlsx(report: BreachReport) -> bytes:
    """Two sheets: the events and the summary per actor (times in local time, without a zone: Excel)."""
    from openpyxl import Workbook

    workbook = Workbook()
    events = workbook.active
    events.title = "Kejadian"
    events.append(ROW_COLUMNS)
    for row in report.rows:
        events.append([_excel(getattr(row, c)) for c in ROW_COLUMNS])
    actors = workbook.create_sheet("Per pengguna")
    actors.append(ACTOR_COLUMNS)
    for summary in report.actors:
        actors.append([_excel(getattr(summary, c)) for c in ACTOR_COLUMNS])
    about = workbook.create_sheet("Keterangan")
    for label, value in (
        ("Dari", _excel(report.start)),
        ("Sampai", _excel(report.end)),
        ("Wilayah", report.region or "semua"),
        ("NIK", report.nik_masked or "—"),
    ):
        about.append([label, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return _plain(value)


def breach_file(report: BreachReport, fmt: str) -> tuple[bytes, str]:
    """The report as bytes in `fmt` (csv, xlsx, json) and its content type."""
    if fmt == "csv":
        return breach_csv(report), "text/csv; charset=utf-8"
    if fmt == "xlsx":
        return breach_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if fmt == "json":
        return breach_json(report), "application/json; charset=utf-8"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def breach_audit(*, actor, report: BreachReport, fmt: str) -> None:
    """Record that the report was read (it names people and records): `export.breach_report`."""
    from berdaya.core.services import audit_record

    audit_record(
        actor=actor,
        action="export.breach_report",
        object_type="audit",
        changes={
            "from": report.start.isoformat(),
            "to": report.end.isoformat(),
            "region": report.region,
            "nik": report.nik_masked,
            "rows": len(report.rows),
            "format": fmt,
        },
    )


def parse_moment(text: str, *, end: bool = False) -> dt.datetime:
    """`2026-11-28` or `2026-11-28T10:00` (local time unless a zone is given) as an aware datetime.
    A bare date as the end of a window means the end of that day."""
    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time())
    else:
        moment = dt.datetime.fromisoformat(text)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
