"""Find and replace a leaver's identifiers in the free text of every table (after the direct fields are done).

A NIK, a No KK or a full name can sit in text the registry does not own: an import's change log and problem
list, a removal reason, meeting notes, an eligibility reason. `scrub` walks every model's CharField,
TextField and JSONField, finds rows that contain a needle (one query per column, skipping columns too short
to hold one) and replaces it word-for-word. Tables that are append-only by law or by design — the audit log
and the books — are never changed: what is found there is returned as `residual` for the operator to judge
(the books' own design keeps names out: a loan or entry names a membership, and the name is read through it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

# Never rewritten: the audit log (append-only; it holds masked forms only) and the posted books.
APPEND_ONLY = {"core.AuditEvent", "ledger.JournalEntry", "ledger.JournalLine"}
# Other people's own identity columns: a namesake there is somebody else, not a trace of the leaver.
OTHER_SUBJECTS = {
    ("registry.Person", "name"), ("registry.Person", "nik"), ("registry.Family", "no_kk"),
    ("registry.Family", "address"), ("core.User", "username"), ("core.User", "first_name"),
    ("core.User", "last_name"), ("mentoring.Facilitator", "name"), ("kube.Kube", "name"),
}  # fmt: skip
# Shorter needles are not searched in free text: a name like "ANI" or a short DTKS id like "17" would
# match other people and ordinary words. NIK and No KK have 16 digits.
NAME_MIN_LENGTH = 5
NUMBER_MIN_LENGTH = 10


@dataclass
class ScrubResult:
    replaced: dict[str, int] = field(default_factory=dict)  # "app.Model.field" -> rows rewritten
    residual: dict[str, int] = field(default_factory=dict)  # rows found in append-only tables, left as they are


def text_fields() -> Iterable[tuple[type[models.Model], models.Field]]:
    """Every concrete CharField, TextField and JSONField of every installed model."""
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.CharField | models.TextField | models.JSONField):
                yield model, f


def label(model: type[models.Model], f: models.Field) -> str:
    return f"{model._meta.app_label}.{model.__name__}.{f.name}"


def scrub(needles: dict[str, str], *, exclude: dict[str, Iterable[int]] | None = None) -> ScrubResult:
    """Replace each needle (key) with its replacement (value) wherever it occurs as a whole word.

    `exclude` maps "app.Model" to primary keys already handled (the leaver's own rows). Returns what was
    rewritten and what was found in append-only tables and left alone.
    """
    needles = {k: v for k, v in needles.items() if len(k) >= (NUMBER_MIN_LENGTH if k.isdigit() else NAME_MIN_LENGTH)}
    result = ScrubResult()
    if not needles:
        return result
    pattern = re.compile(
        "|".join(rf"(?<!\w){re.escape(k)}(?!\w)" for k in sorted(needles, key=len, reverse=True)), re.IGNORECASE
    )
    lookup = {k.casefold(): v for k, v in needles.items()}
    shortest = min(len(k) for k in needles)
    exclude = exclude or {}

    def swap(text: str) -> str:
        return pattern.sub(lambda m: lookup[m.group(0).casefold()], text)

    for model, f in text_fields():
        model_label = f"{model._meta.app_label}.{model.__name__}"
        if (model_label, f.name) in OTHER_SUBJECTS or f.choices:
            continue
        if isinstance(f, models.CharField) and f.max_length and f.max_length < shortest:
            continue
        query = Q()
        for needle in needles:
            query |= Q(**{f"{f.name}__icontains": needle})
        rows = model._base_manager.filter(query).exclude(pk__in=list(exclude.get(model_label, ())))
        hits = [(pk, value) for pk, value in rows.values_list("pk", f.name) if _contains(value, pattern)]
        if not hits:
            continue
        if model_label in APPEND_ONLY:
            result.residual[label(model, f)] = len(hits)
            continue
        for pk, value in hits:
            model._base_manager.filter(pk=pk).update(**{f.name: _replace(value, swap)})
        result.replaced[label(model, f)] = len(hits)
    return result


def _contains(value: Any, pattern: re.Pattern) -> bool:
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, dict):
        return any(_contains(k, pattern) or _contains(v, pattern) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains(v, pattern) for v in value)
    return False


def _replace(value: Any, swap) -> Any:
    if isinstance(value, str):
        return swap(value)
    if isinstance(value, dict):
        return {swap(k) if isinstance(k, str) else k: _replace(v, swap) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, swap) for v in value]
    return value
