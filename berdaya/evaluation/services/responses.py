"""Writes of survey responses: one filled in on the web form, or a file exported from ODK Central or
KoboToolbox. A file is imported whole or not at all: any row problem (a value the instrument does not
allow, a KUBE or family that is not on the round's roster) refuses the file, and the attempt is kept
with its problems. A submission imported twice (same instanceID) is stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from berdaya.core.models import User
from berdaya.core.services import audit_record
from berdaya.engine.errors import InputError
from berdaya.engine.evaluation.instruments import Instrument, load_instrument
from berdaya.engine.evaluation.submissions import Submission, read_submissions
from berdaya.evaluation.models import InstrumentName, Response, Round, SubmissionImport
from berdaya.evaluation.services.rounds import EvaluationError
from berdaya.kube.models import Membership
from berdaya.registry.models import Family


def _instrument(round_: Round, name: str) -> Instrument:
    if name not in InstrumentName.values:
        raise EvaluationError(_("Instrumen '%(name)s' tidak dikenal.") % {"name": name})
    return load_instrument(name, round_.version_of(name))


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


class _Roster:
    """The round's KUBEs and their member families (live when the round began, or since), for matching ids."""

    def __init__(self, round_: Round):
        self.kubes = {k.pk: k for k in round_.kubes.all()}
        self.members: dict[int, int] = {}  # family id -> kube id
        for family_id, kube_id in Membership.objects.filter(kube__in=self.kubes.values()).values_list(
            "family_id", "kube_id"
        ):
            self.members[family_id] = kube_id

    def match(self, instrument: str, values: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """(response fields, problem) for one submission's identification answers."""
        kube_id = _int_or_none(values.get("kube_id"))
        family_id = _int_or_none(values.get("family_id"))
        comparison = str(values.get("sample", "")) == "pembanding"
        if instrument == InstrumentName.GROUP_ASSESSMENT:
            if kube_id not in self.kubes:
                return {}, _("KUBE %(id)s tidak ada dalam daftar putaran ini.") % {"id": values.get("kube_id")}
            return {"kube": self.kubes[kube_id]}, None
        if family_id is None:
            return {}, _("Nomor keluarga (family_id) wajib diisi.")
        if comparison:
            if family_id in self.members:
                return {}, _("Keluarga %(id)s anggota KUBE, bukan keluarga pembanding.") % {"id": family_id}
            family = Family.objects.filter(pk=family_id).first()
            if family is None:
                return {}, _("Keluarga %(id)s tidak ada di registri.") % {"id": family_id}
            return {"family": family, "comparison": True}, None
        if self.members.get(family_id) is None:
            return {}, _("Keluarga %(id)s bukan anggota KUBE dalam putaran ini.") % {"id": family_id}
        if kube_id is not None and self.members[family_id] != kube_id:
            return {}, _("Keluarga %(family)s bukan anggota KUBE %(kube)s.") % {"family": family_id, "kube": kube_id}
        return {"family_id": family_id, "kube": self.kubes[self.members[family_id]]}, None


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as JSON can hold them: dates as ISO text, tuples (select_multiple) as lists."""
    cleaned: dict[str, Any] = {}
    for code, value in values.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        cleaned[code] = value
    return cleaned


def _collected_on(submission_values: Mapping[str, Any], round_: Round) -> dt.date:
    value = submission_values.get("survey_date")
    return value if isinstance(value, dt.date) else round_.end_on


def _respondent_clashes(
    round: Round, instrument: str, fresh: list[tuple[Submission, dict[str, Any]]], columns: dict[str, str]
) -> list[dict]:
    """Answers for one respondent (a household, or a KUBE for the group assessment) under another instanceID:
    twice in the file, or beside an answer already stored. The database keeps one response per respondent
    and round; without this the second would fail there as a server error instead of a line in the report.
    """
    field = "kube" if instrument == InstrumentName.GROUP_ASSESSMENT else "family"
    column = columns.get(f"{field}_id", "")

    def respondent(fields: dict[str, Any]) -> int:
        if field == "kube":
            return fields["kube"].pk
        return fields["family_id"] if "family_id" in fields else fields["family"].pk

    keys = {respondent(fields) for _s, fields in fresh}
    answered = set(
        Response.objects.filter(round=round, instrument=instrument, **{f"{field}_id__in": keys}).values_list(
            f"{field}_id", flat=True
        )
    )
    problems: list[dict] = []
    first_line: dict[int, int] = {}
    for submission, fields in fresh:
        key = respondent(fields)
        if key in answered:
            message = _("Responden ini sudah punya isian di putaran ini (dengan instanceID lain).")
        elif key in first_line:
            message = _("Responden ini sudah diisi di baris %(line)s berkas ini.") % {"line": first_line[key]}
        else:
            first_line[key] = submission.line
            continue
        problems.append({"line": submission.line, "column": column, "message": message, "value": str(key)})
    return problems


def submissions_import(
    *, actor: User | None, round: Round, instrument: str, path: Path | str, file_name: str = "", source: str = "odk"
) -> SubmissionImport:
    """Import an ODK Central or KoboToolbox export of one instrument into a round, all or nothing.

    Returns the `SubmissionImport` record: status `imported` with counts {created, already}, or
    `refused` with `problems` [{line, column, message}] and nothing imported. Raises EvaluationError
    for a file that cannot be read at all.
    """
    instrument_def = _instrument(round, instrument)
    path = Path(path)
    file_name = file_name or path.name
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    try:
        batch = read_submissions(path, instrument_def)
    except InputError as error:
        raise EvaluationError(str(error)) from error
    problems = [{"line": e.line, "column": e.column, "message": e.message, "value": e.value} for e in batch.errors]
    roster = _Roster(round)
    matched: list[tuple[Submission, dict[str, Any]]] = []
    for submission in batch.submissions:
        if not submission.consented:
            continue  # declined: nothing to keep
        fields, problem = roster.match(instrument, submission.values)
        if problem:
            column = batch.columns.get("family_id" if "family" in problem.lower() else "kube_id", "")
            problems.append({"line": submission.line, "column": column, "message": problem, "value": ""})
        else:
            matched.append((submission, fields))
    existing = set(
        Response.objects.filter(instance_id__in=[s.instance_id for s, _f in matched]).values_list(
            "instance_id", flat=True
        )
    )
    problems += _respondent_clashes(
        round, instrument, [(s, f) for s, f in matched if s.instance_id not in existing], batch.columns
    )
    with transaction.atomic():
        if problems:
            record = SubmissionImport.objects.create(
                round=round,
                instrument=instrument,
                file_name=file_name,
                sha256=digest,
                status=SubmissionImport.Status.REFUSED,
                counts={"rows": batch.rows_read},
                problems=sorted(problems, key=lambda p: (p["line"], p["column"])),
                created_by=actor if actor is not None and actor.pk else None,
            )
            audit_record(
                actor=actor,
                action="evaluation.import_refused",
                object_type="evaluation.SubmissionImport",
                object_id=record.pk,
                changes={"file": file_name, "problems": len(problems)},
            )
            return record
        record = SubmissionImport.objects.create(
            round=round,
            instrument=instrument,
            file_name=file_name,
            sha256=digest,
            status=SubmissionImport.Status.IMPORTED,
            counts={},
            created_by=actor if actor is not None and actor.pk else None,
        )
        fresh = [
            Response(
                round=round,
                instrument=instrument,
                version=instrument_def.version,
                answers=_clean(submission.values),
                collected_on=_collected_on(submission.values, round),
                instance_id=submission.instance_id,
                source=source,
                batch=record,
                entered_by=actor if actor is not None and actor.pk else None,
                **fields,
            )
            for submission, fields in matched
            if submission.instance_id not in existing
        ]
        Response.objects.bulk_create(fresh)
        record.counts = {"rows": batch.rows_read, "created": len(fresh), "already": len(matched) - len(fresh)}
        record.save(update_fields=["counts"])
        audit_record(
            actor=actor,
            action="evaluation.import",
            object_type="evaluation.SubmissionImport",
            object_id=record.pk,
            changes={"file": file_name, **record.counts},
        )
    return record


def _allowed(item, value: Any) -> bool:
    if item.type == "select_one":
        return str(value) in item.choice_values
    if item.type == "select_multiple":
        return set(map(str, value)) <= set(item.choice_values)
    if item.type in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if item.type == "integer" and not float(value).is_integer():
            return False
        return not ((item.min is not None and value < item.min) or (item.max is not None and value > item.max))
    return True


def _invalid_answers(instrument: Instrument, values: Mapping[str, Any]) -> list[str]:
    """Answers the instrument does not allow: an unknown choice, a number outside its range, a wrong type.

    The web form already converts and checks; this guards every other caller (the API, scripts)."""
    problems = [
        f"{item.code}={values[item.code]!r}"
        for item in instrument.items
        if values.get(item.code) not in (None, "", ()) and not _allowed(item, values[item.code])
    ]
    for item in instrument.items:  # "children not in school" cannot exceed "children aged 7-15"
        value, bound = values.get(item.code), values.get(item.max_of) if item.max_of else None
        if isinstance(value, int | float) and isinstance(bound, int | float) and value > bound:
            problems.append(f"{item.code}={value!r} > {item.max_of}={bound!r}")
    return problems


@transaction.atomic
def response_record(
    *,
    actor: User | None,
    round: Round,
    instrument: str,
    values: Mapping[str, Any],
    instance_id: str,
    source: str = "web",
) -> Response:
    """Store one response entered on the web form (values already converted by the form from the instrument).

    The identification answers (kube_id, family_id, sample) must match the round's roster. The same
    `instance_id` (generated when the form opened) returns the response already stored.
    """
    instrument_def = _instrument(round, instrument)
    instance_id = (instance_id or "").strip()
    if not instance_id:
        raise EvaluationError(_("Kode formulir hilang; muat ulang formulir."))
    existing = Response.objects.filter(instance_id=instance_id).first()
    if existing is not None:
        if existing.round_id != round.pk or existing.instrument != instrument:
            raise EvaluationError(_("Kode formulir ini sudah dipakai untuk isian lain."))
        return existing
    missing = [
        item.code
        for item in instrument_def.items
        if item.required and item.when is None and values.get(item.code) in (None, "", ())
    ]
    if missing:
        raise EvaluationError(_("Belum diisi: %(items)s.") % {"items": ", ".join(missing)})
    wrong = _invalid_answers(instrument_def, values)
    if wrong:
        raise EvaluationError(_("Jawaban tidak sah: %(items)s.") % {"items": "; ".join(wrong)})
    fields, problem = _Roster(round).match(instrument, values)
    if problem:
        raise EvaluationError(problem)
    duplicate = Response.objects.filter(round=round, instrument=instrument)
    duplicate = (
        duplicate.filter(kube=fields["kube"])
        if instrument == InstrumentName.GROUP_ASSESSMENT
        else duplicate.filter(family_id=fields.get("family_id") or fields["family"].pk)
    )
    if duplicate.exists():
        raise EvaluationError(_("Isian untuk responden ini sudah ada di putaran ini."))
    response = Response.objects.create(
        round=round,
        instrument=instrument,
        version=instrument_def.version,
        answers=_clean(values),
        collected_on=_collected_on(values, round),
        instance_id=instance_id,
        source=source,
        entered_by=actor if actor is not None and actor.pk else None,
        **fields,
    )
    audit_record(
        actor=actor,
        action="evaluation.response",
        object_type="evaluation.Response",
        object_id=response.pk,
        changes={"round": round.pk, "instrument": instrument, "kube": response.kube_id},
    )
    return response
