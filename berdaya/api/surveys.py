"""Evaluation rounds and their instruments over the API, and one survey submission at a time: the bridge
an ODK Central or KoboToolbox server (or a script between them and Berdaya) posts to (spec §8).

A submission is the JSON the platform sends, keyed by the XLSForm field names: Kobo's flat form
(`{"grp/family_id": "12", "_uuid": "…", "meta/instanceID": "uuid:…"}`) or ODK Central's nested one
(`{"grp": {"family_id": 12}, "meta": {"instanceID": "uuid:…"}}`). It is read by the same reader as an
exported file (`engine.evaluation.submissions`: types, choices, ranges, the consent gate, messages in
Bahasa Indonesia) and stored by `evaluation.services.response_record` (the round's roster, one response
per respondent, audited). Its instanceID makes a re-sent submission answer 200 with the response already
stored.

Who: the rounds a user reads (`rounds_for_user`; another region's round is a 404); submissions from
program officers and admins (`can_manage_rounds`) and from a pendamping for the KUBEs assigned to them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Field, Router, Schema, Status
from ninja.errors import HttpError

from berdaya.api.errors import Error, Refused
from berdaya.api.schemas import MAX_ID, PathId
from berdaya.core.models import Role
from berdaya.engine.errors import InputError
from berdaya.engine.evaluation.instruments import Instrument, load_instrument
from berdaya.engine.evaluation.submissions import read_submissions
from berdaya.evaluation.models import InstrumentName, Response, Round
from berdaya.evaluation.selectors import (
    can_manage_rounds,
    round_get_for_user,
    round_kube_ids_in_scope,
    round_kubes_in_scope,
    rounds_for_user,
    survey_kubes,
)
from berdaya.evaluation.services import response_record
from berdaya.kube.models import Membership

router = Router(tags=["evaluasi"])

InstrumentChoice = StrEnum("InstrumentChoice", {value: value for value in InstrumentName.values})
InstrumentChoice.__doc__ = "welfare, empowerment or group_assessment."

# The engine's reader matches a column to an item by the last part of its name (ODK `grp-code`, Kobo
# `grp/code`); the same split tells which items a submission names at all.
_NAME_PARTS = re.compile(r"[/\-:]")
INSTANCE_ID_MAX = 80  # Response.instance_id


class InstrumentRef(Schema):
    name: str
    version: int
    title: str


class RoundOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region_code: str
    start_on: dt.date
    end_on: dt.date
    baseline_id: int | None
    instruments: list[InstrumentRef]
    kube_ids: list[int] = Field(description="The round's KUBEs the user may read.")


class ChoiceOut(Schema):
    value: str
    label: str


class ItemOut(Schema):
    code: str
    type: str
    label: str
    hint: str
    required: bool
    role: str
    choices: list[ChoiceOut]
    min: float | None
    max: float | None
    max_of: str
    relevant: str = Field(description="When the item is asked, as an XLSForm `relevant` expression ('' always).")


class InstrumentOut(Schema):
    name: str
    version: int
    form_id: str
    title: str
    description: str
    respondent: str
    items: list[ItemOut]


class SubmissionOut(Schema):
    status: str = Field(description="stored, already (the instanceID was stored before) or declined (no consent).")
    instance_id: str
    response_id: int | None
    kube_id: int | None
    family_id: int | None
    warnings: list[str]


def _instrument(round_: Round, name: str) -> Instrument:
    return load_instrument(name, round_.version_of(name))


def _round_out(request: HttpRequest, round_: Round, kube_ids: list[int] | None = None) -> dict:
    return {
        "id": round_.pk,
        "name": round_.name,
        "kind": round_.kind,
        "kind_label": round_.get_kind_display(),
        "region_code": round_.region_id,
        "start_on": round_.start_on,
        "end_on": round_.end_on,
        "baseline_id": round_.baseline_id,
        "instruments": [
            {"name": name, "version": round_.version_of(name), "title": str(label)}
            for name, label in InstrumentName.choices
        ],
        "kube_ids": kube_ids
        if kube_ids is not None
        else list(round_kubes_in_scope(user=request.auth, round=round_).order_by("pk").values_list("pk", flat=True)),
    }


@router.get("/rounds", response=list[RoundOut])
def rounds_list(request: HttpRequest):
    """The survey rounds the user may read, oldest first, with the instrument versions each uses."""
    rounds = list(rounds_for_user(request.auth).order_by("start_on", "id"))
    # The KUBE ids of every round in one query, not one per round.
    kube_ids = round_kube_ids_in_scope(user=request.auth, rounds=rounds)
    return [_round_out(request, round_, kube_ids[round_.pk]) for round_ in rounds]


@router.get("/rounds/{round_id}", response={200: RoundOut, 404: Error})
def round_detail(request: HttpRequest, round_id: PathId):
    return _round_out(request, round_get_for_user(user=request.auth, pk=round_id))


@router.get("/rounds/{round_id}/instruments/{instrument}", response={200: InstrumentOut, 404: Error})
def instrument_detail(request: HttpRequest, round_id: PathId, instrument: InstrumentChoice):
    """The instrument version the round uses: every item with its XLSForm name (`code`), type and choices."""
    definition = _instrument(round_get_for_user(user=request.auth, pk=round_id), instrument.value)
    return {
        "name": definition.name,
        "version": definition.version,
        "form_id": definition.form_id,
        "title": definition.title,
        "description": definition.description,
        "respondent": definition.respondent,
        "items": [
            {
                "code": item.code,
                "type": item.type,
                "label": item.label,
                "hint": item.hint,
                "required": item.required,
                "role": item.role,
                "choices": [{"value": c.value, "label": c.label} for c in item.choices],
                "min": item.min,
                "max": item.max,
                "max_of": item.max_of,
                "relevant": item.when.xpath() if item.when else "",
            }
            for item in definition.items
        ],
    }


# ---- one submission ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"  # the instruments' yes/no lists are 1/0
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\x00", "")


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    """ODK's nested groups become Kobo's `grp/code` names; a list of plain values (a select_multiple sent
    as an array) becomes the space-separated text an export holds. Lists of objects are repeat groups,
    which no instrument has: they are left out, as the file import leaves out Kobo's repeat sheets."""
    if isinstance(value, dict):
        for key, inner in value.items():
            name = str(key).replace("\x00", "")
            _flatten(inner, f"{prefix}/{name}" if prefix else name, out)
    elif isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            out[prefix] = " ".join(_text(v) for v in value)
    else:
        out[prefix] = _text(value)


def _as_row(payload: dict[str, Any], instrument: Instrument) -> dict[str, str]:
    """The submission as one row of an export: its fields, and an empty column for each item it leaves out
    (platforms omit unanswered questions; the reader then says which required answer is empty)."""
    row: dict[str, str] = {}
    _flatten(payload, "", row)
    named = {(_NAME_PARTS.split(key) or [key])[-1].lower() for key in row if key}
    for item in instrument.items:
        if item.code.lower() not in named:
            row[item.code] = ""
    return row


def _read(row: dict[str, str], instrument: Instrument):
    with tempfile.TemporaryDirectory(prefix="berdaya-api-") as folder:
        path = Path(folder) / "kiriman.csv"
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(list(row))
                writer.writerow(list(row.values()))
        except UnicodeEncodeError as error:  # a lone surrogate (\ud800) is valid JSON but no text
            raise HttpError(422, _("Kiriman berisi huruf yang tidak sah (bukan UTF-8).")) from error
        try:
            return read_submissions(path, instrument)
        except (InputError, csv.Error) as error:
            raise HttpError(422, _("Kiriman tidak dapat dibaca: %(error)s") % {"error": _plain(error)}) from error


def _plain(error: Exception) -> str:
    # InputError names the temporary file; the client never saw it.
    return getattr(error, "message", None) or str(error)


def _refused(batch) -> Refused:
    problems = [
        {"field": e.column, "message": e.message + (f" (isi: {e.value!r})" if e.value else "")} for e in batch.errors
    ]
    detail = _("Kiriman tidak sah: %(problems)s.") % {
        "problems": "; ".join(f"{p['field']} {p['message']}" for p in problems)
    }
    return Refused(detail, problems)


def _small_id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _require_ids_in_range(values: dict[str, Any]) -> None:
    for code in ("kube_id", "family_id"):
        if values.get(code) not in (None, "") and _small_id(values[code]) is None:
            message = _("%(code)s bukan nomor yang dikenal: %(value)s.") % {"code": code, "value": values[code]}
            raise HttpError(422, message)


def _require_submitter(request: HttpRequest, round_: Round, instrument: str, values: dict[str, Any]) -> None:
    """Managers submit for any KUBE of the round in their scope; a pendamping for the KUBEs assigned now."""
    user = request.auth
    if can_manage_rounds(user):
        return
    allowed = set(survey_kubes(user=user, round=round_).values_list("pk", flat=True))
    if instrument == InstrumentName.GROUP_ASSESSMENT:
        mine = _small_id(values.get("kube_id")) in allowed
    else:
        family_id = _small_id(values.get("family_id"))
        mine = Membership.objects.filter(family_id=family_id, kube_id__in=allowed).exists()
    if not mine:
        raise HttpError(403, _("Anda hanya dapat mengirim survei untuk KUBE yang Anda dampingi."))


@router.post(
    "/rounds/{round_id}/instruments/{instrument}/submissions",
    response={200: SubmissionOut, 201: SubmissionOut, 403: Error, 404: Error, 422: Error},
)
def submission_create(
    request: HttpRequest, round_id: PathId, instrument: InstrumentChoice, payload: Body[dict[str, Any]]
):
    """Store one ODK/Kobo submission (JSON keyed by XLSForm names). 201 stored; 200 already stored or declined."""
    round_ = round_get_for_user(user=request.auth, pk=round_id)
    if not can_manage_rounds(request.auth) and request.auth.role != Role.FACILITATOR:
        raise HttpError(403, _("Anda tidak berhak mengirim survei."))
    definition = _instrument(round_, instrument.value)
    batch = _read(_as_row(payload, definition), definition)
    if batch.errors:
        raise _refused(batch)
    if not batch.submissions:  # every field empty: the reader skips a blank row
        raise HttpError(422, _("Kiriman kosong: tidak ada satu jawaban pun."))
    submission = batch.submissions[0]
    if not submission.instance_id:
        raise HttpError(422, _("Kiriman tanpa kode: kirim meta/instanceID (ODK Central) atau _uuid (KoboToolbox)."))
    if len(submission.instance_id) > INSTANCE_ID_MAX:
        raise HttpError(422, _("Kode kiriman lebih dari %(n)d huruf.") % {"n": INSTANCE_ID_MAX})
    _require_ids_in_range(submission.values)
    _require_submitter(request, round_, instrument.value, submission.values)
    out = {"instance_id": submission.instance_id, "warnings": list(batch.warnings)}
    if not submission.consented:
        return Status(200, {**out, "status": "declined", "response_id": None, "kube_id": None, "family_id": None})
    started = timezone.now()
    response: Response = response_record(
        actor=request.auth,
        round=round_,
        instrument=instrument.value,
        values=submission.values,
        instance_id=submission.instance_id,
        source=_source(payload),
    )
    fresh = response.created_at >= started
    return Status(
        201 if fresh else 200,
        {
            **out,
            "status": "stored" if fresh else "already",
            "response_id": response.pk,
            "kube_id": response.kube_id,
            "family_id": response.family_id,
        },
    )


def _source(payload: dict[str, Any]) -> str:
    """Kobo's submissions carry `_uuid` and `_xform_id_string`; ODK Central's do not."""
    return Response.Source.KOBO if "_uuid" in payload or "_xform_id_string" in payload else Response.Source.ODK
