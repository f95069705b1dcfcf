"""Screening the registry's families with the engine, and storing each decision with its reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from berdaya.core.models import User
from berdaya.core.scoping import code_in_scope, region_q
from berdaya.core.services import audit_record
from berdaya.engine import RULE_CODES, RULE_TITLES, ScreeningOptions, explain, explain_conflicts, load_ruleset, screen
from berdaya.engine.columns import CANONICAL
from berdaya.engine.regions import RegionCodeError, normalize_code
from berdaya.registry.models import EligibilityDecision, EligibilityRun, Family, Person
from berdaya.registry.services.common import default_ruleset, region_index_from_db


class ScreeningError(ValueError):
    pass


def _yn(value: bool | None) -> str | None:
    return None if value is None else ("Y" if value else "N")


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _float(value) -> str | None:
    return repr(value) if value is not None else None  # repr: every digit, so DuckDB reads the same double


# Canonical DTKS column -> where the registry keeps it, and how to write it back as text.
REGISTRY_COLUMNS = {
    "id_dtks": ("family__id_dtks", None),
    "nik": ("nik", None),
    "no_kk": ("family__no_kk", None),
    "nama": ("name", None),
    "jenis_kelamin": ("sex", None),
    "tanggal_lahir": ("birth_date", _iso),
    "status_kawin": ("marital_status", None),
    "hubungan_keluarga": ("relationship", None),
    "pencari_nafkah_utama": ("is_main_earner", _yn),
    "pekerjaan": ("occupation", None),
    "kode_wilayah": ("family__region_id", None),
    "rt": ("family__rt", None),
    "rw": ("family__rw", None),
    "alamat": ("family__address", None),
    "desil": ("family__desil", None),
    "lat": ("family__lat", _float),
    "lon": ("family__lon", _float),
    "keahlian": ("family__skill_text", None),
    "kesediaan": ("family__ready", _yn),
    "pernah_bantuan_kube": ("family__prior_aid", _yn),
}


def registry_as_table(*, families) -> pa.Table:
    """The registry's persons as a DTKS table of text (canonical columns), as a file would give them."""
    sources = [source for source, _ in REGISTRY_COLUMNS.values()]
    converters = [convert for _, convert in REGISTRY_COLUMNS.values()]
    columns: list[list[str | None]] = [[] for _ in CANONICAL]
    lines: list[int] = []
    # An anonymised leaver (berdaya.pdp) is kept for the books and statistics, never screened again.
    persons = Person.objects.filter(family__in=families, anonymised_at__isnull=True).order_by(
        "family__no_kk", "source_line", "id"
    )
    for line, row in enumerate(persons.values_list(*sources).iterator(chunk_size=5000), start=2):
        for column, convert, value in zip(columns, converters, row, strict=True):
            column.append(_text(convert(value) if convert else value))
        lines.append(line)
    arrays = [pa.array(column, pa.string()) for column in columns] + [pa.array(lines, pa.int64())]
    return pa.Table.from_arrays(arrays, names=[*CANONICAL, "_line"])


def eligibility_screen(
    *,
    actor: User | None,
    ruleset_name: str | None = None,
    as_of: dt.date | None = None,
    region_prefix: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> EligibilityRun:
    """Screen every family in the actor's scope (narrowed by `region_prefix`) and store the decisions.

    The RESIDENT rule uses `region_prefix`. Each family's `latest_decision` points at its new decision.
    Raises ScreeningError for a region outside the actor's scope or an empty registry.
    `progress(done, total, message)`, when given, is told each of the three steps as it starts.
    """
    report = progress or (lambda done, total, message: None)
    ruleset = load_ruleset(ruleset_name) if ruleset_name else default_ruleset()
    as_of = as_of or timezone.localdate()
    families = Family.objects.all()
    if actor is not None:
        families = families.filter(region_q(actor, "region"))
    if region_prefix:
        try:
            region_prefix = normalize_code(region_prefix)
        except RegionCodeError as error:
            raise ScreeningError(f"Kode wilayah {region_prefix!r} bukan kode Kemendagri.") from error
        if actor is not None and not code_in_scope(actor, region_prefix):
            raise ScreeningError(f"Wilayah {region_prefix} di luar wilayah Anda.")
        families = families.filter(Q(region=region_prefix) | Q(region__code__startswith=region_prefix + "."))
    report(0, SCREEN_STEPS, "membaca registri")
    table = registry_as_table(families=families)
    if table.num_rows == 0:
        raise ScreeningError("Tidak ada keluarga di wilayah ini untuk disaring. Impor data DTKS dulu.")
    result = screen(
        table,
        ScreeningOptions(
            ruleset=ruleset, regions=region_index_from_db(), as_of=as_of, region_prefix=region_prefix,
            active_kube_families=_families_with_kube_aid_or_group(),
            progress=lambda stage, rows: report(1, SCREEN_STEPS, f"menyaring: {stage} · {rows:,} baris"),
        ),
    )
    try:
        rows = result.family_rows()
    finally:
        result.close()
    report(2, SCREEN_STEPS, f"menyimpan {len(rows):,} keputusan")
    return _store(
        rows, ruleset=ruleset, as_of=as_of, region_prefix=region_prefix, actor=actor, counts=result.counts,
        families=families,
    )


# The steps `progress` counts: read the registry, screen, store.
SCREEN_STEPS = 3


def _families_with_kube_aid_or_group() -> list[str]:
    """No KKs that fail NO_PRIOR_AID (spec §4): in a live KUBE now, or ever in a KUBE that received UEP aid."""
    from berdaya.kube.models import Membership

    return list(
        Membership.objects.filter(Q(live=True) | Q(kube__aid__isnull=False))
        .values_list("family__no_kk", flat=True)
        .distinct()
    )


@transaction.atomic
def _store(rows, *, ruleset, as_of, region_prefix, actor, counts, families) -> EligibilityRun:
    run = EligibilityRun.objects.create(
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        ruleset_digest=ruleset.digest,
        as_of=as_of,
        region_prefix=region_prefix or "",
        created_by=actor if actor is not None and actor.pk else None,
        counts={k: counts[k] for k in ("ELIGIBLE", "INELIGIBLE", "NEEDS_VERIFICATION", "families")},
    )
    family_ids = dict(Family.objects.filter(no_kk__in=[r["no_kk"] for r in rows]).values_list("no_kk", "id"))
    decisions = []
    for row in rows:
        outcomes = {code: row[f"r_{code}"] for code in RULE_CODES if row[f"r_{code}"] is not None}
        reasons = [
            {
                "code": code,
                "outcome": outcome,
                "title": RULE_TITLES[code],
                "text": explain(
                    code, outcome, row, ruleset=ruleset, as_of=as_of, region_prefix=region_prefix
                ),
            }
            for code, outcome in outcomes.items()
        ]
        reasons += [
            {"code": "CONFLICT", "outcome": "CONFLICT", "text": t}
            for t in explain_conflicts(row["conflicts"])
        ]
        decisions.append(
            EligibilityDecision(
                run=run,
                family_id=family_ids[row["no_kk"]],
                decision=row["decision"],
                outcomes=outcomes,
                reasons=reasons,
                conflicts=row["conflicts"] or "",
                failed_rules=row["failed_rules"] or "",
                unknown_rules=row["unknown_rules"] or "",
                business_type=row["keahlian"] or "",
            )
        )
    EligibilityDecision.objects.bulk_create(decisions, batch_size=2000)
    latest = dict(EligibilityDecision.objects.filter(run=run).values_list("family_id", "id"))
    updates = [Family(id=fid, latest_decision_id=did) for fid, did in latest.items()]
    Family.objects.bulk_update(updates, ["latest_decision_id"], batch_size=2000)
    # A family whose members have all left has no one to judge: its old decision no longer holds.
    emptied = families.exclude(id__in=list(latest)).exclude(latest_decision__isnull=True).update(latest_decision=None)
    if emptied:
        run.counts = {**run.counts, "without_members": emptied}
        run.save(update_fields=["counts"])
    audit_record(
        actor=actor,
        action="registry.screen",
        object_type="eligibility_run",
        object_id=str(run.pk),
        changes={"ruleset": f"{ruleset.name}@{ruleset.version}", "as_of": as_of.isoformat(), **run.counts},
    )
    return run
