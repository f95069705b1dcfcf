"""Revealing one masked identifier (NIK or No KK), for a stated reason, on the record (spec §9).

Pages and exports show `6171••••••••0001`. A program officer (or an admin) who needs the full number —
to check it against a paper Kartu Keluarga, say — asks for one record's one field, says why, and sees
it once; the audit row (`pdp.reveal`) keeps who, when, from where, which record and the reason, never
the number itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from berdaya.core.models import Role, User
from berdaya.core.scoping import get_scoped_or_404
from berdaya.core.services import audit_record
from berdaya.engine.masking import mask_id

REVEALERS = {Role.ADMIN, Role.PROGRAM_OFFICER}
# A reason is a sentence someone could later be asked about, not "ok".
REASON_MIN_WORDS = 3
REASON_MIN_CHARS = 15


@dataclass(frozen=True)
class Revealable:
    """A masked field of a model (`object_type`, as the audit log names it), and the path from the model
    to its region (for scoping)."""

    object_type: str
    field: str
    region_field: str
    label: str


# kind (as in the URL) -> what it reveals.
REVEALABLE = {
    "keluarga": Revealable("registry.Family", "no_kk", "region", "No KK"),
    "individu": Revealable("registry.Person", "nik", "family__region", "NIK"),
}


@dataclass(frozen=True)
class Revealed:
    kind: str
    object_id: int
    label: str
    value: str
    masked: str


class RevealReasonError(ValueError):
    pass


def can_reveal(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in REVEALERS))


def reveal_target(*, user: User, kind: str, pk: int):
    """The record `kind`/`pk` if `user` may reveal it: 403 for a role that never may, 404 outside scope."""
    if not can_reveal(user):
        raise PermissionDenied
    spec = REVEALABLE.get(kind)
    if spec is None:
        raise Http404
    model = apps.get_model(spec.object_type)
    return spec, get_scoped_or_404(model.objects.all(), user, spec.region_field, pk=pk)


def reason_problem(reason: str) -> str | None:
    """Why a reason is not enough (a message for the form), or None when it is."""
    text = " ".join((reason or "").split())
    if len(text.split(" ")) < REASON_MIN_WORDS or len(text) < REASON_MIN_CHARS:
        message = _(
            "Tuliskan alasan yang jelas (paling sedikit %(words)d kata), misalnya untuk apa nomor ini dicocokkan."
        )
        return message % {"words": REASON_MIN_WORDS}
    return None


@transaction.atomic
def pdp_reveal(*, actor: User, kind: str, pk: int, reason: str) -> Revealed:
    """Return the full identifier of one record and log the reveal (`pdp.reveal`) with the reason.

    Raises PermissionDenied (role), Http404 (unknown kind, out of scope, missing) or RevealReasonError.
    """
    spec, target = reveal_target(user=actor, kind=kind, pk=pk)
    problem = reason_problem(reason)
    if problem:
        raise RevealReasonError(problem)
    value = getattr(target, spec.field) or ""
    masked = mask_id(value)
    audit_record(
        actor=actor,
        action="pdp.reveal",
        object_type=spec.object_type,
        object_id=str(target.pk),
        changes={"field": spec.field, "masked": masked},
        note=" ".join(reason.split()),
    )
    return Revealed(kind=kind, object_id=target.pk, label=spec.label, value=value, masked=masked)
