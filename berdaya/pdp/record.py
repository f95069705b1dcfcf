"""Everything held on one person, found by NIK (spec §9: the right of access, UU PDP art. 7 and 32).

`subject_record` gathers it as a JSON-serialisable dict: the person, their family card (the family-level
fields are theirs too; other members appear only by relationship and masked NIK), eligibility decisions and
the import changes that touched them, KUBE memberships and officer roles, meetings attended and trainings,
member loans and the journal entries that name their membership, survey responses, and the audit trail of
their own record. Unmasked on purpose: it is the person's own data, handed to them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404

from berdaya.core.models import User
from berdaya.core.scoping import can_read_registry, region_q
from berdaya.engine.masking import mask_id
from berdaya.registry.models import Person

RECORD_VERSION = 1


def normalise_nik(text: str) -> str:
    """A NIK as typed (spaces, dots, dashes) to its digits."""
    return "".join(ch for ch in (text or "") if ch.isdigit())


def subject_get_for_user(*, user: User, nik: str) -> Person:
    """The person with this NIK whose family lies in the user's region, or 404 (never a hint it exists).

    Only registry readers (admin, program officer) may look a person up; a person detached from any family
    has no region, so only a national user (admin) finds them.
    """
    if not can_read_registry(user):
        raise Http404
    nik = normalise_nik(nik)
    if not nik:
        raise Http404
    persons = Person.objects.select_related("family__region").filter(nik=nik)
    if user.region_prefix is not None:
        persons = persons.filter(region_q(user, "family__region"))
    person = persons.first()
    if person is None:
        raise Http404
    return person


def person_get_for_user(*, user: User, pk: int) -> Person:
    """A person by primary key, within the user's region (as `subject_get_for_user`), or 404.

    The pages address a person by key so that a NIK never appears in a URL (and so in access logs).
    """
    if not can_read_registry(user):
        raise Http404
    persons = Person.objects.select_related("family__region").filter(pk=pk)
    if user.region_prefix is not None:
        persons = persons.filter(region_q(user, "family__region"))
    person = persons.first()
    if person is None:
        raise Http404
    return person


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(obj, fields: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


PERSON_FIELDS = [
    "nik", "name", "sex", "birth_date", "birth_year", "marital_status", "relationship", "is_main_earner",
    "occupation", "source_line", "updated_at", "anonymised_at",
]  # fmt: skip
FAMILY_FIELDS = [
    "no_kk", "region_id", "id_dtks", "rt", "rw", "address", "desil", "lat", "lon", "skill_text", "ready",
    "prior_aid", "created_at", "updated_at", "anonymised_at",
]  # fmt: skip


def subject_record(*, person: Person, generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """Every record held on `person`, as a JSON-serialisable dict (keys in English, values as stored).

    Sections: person, family, decisions, import_changes, kube_memberships, officer_roles, attendance,
    trainings, member_loans, journal_entries, survey_responses, user_account, audit. A few bounded queries
    per section; the family's books are read only for entries that name its membership.
    """
    from django.utils import timezone

    family = person.family
    record: dict[str, Any] = {
        "format": "berdaya.subject",
        "version": RECORD_VERSION,
        "generated_at": _plain(generated_at or timezone.now()),
        "person": _row(person, PERSON_FIELDS),
        "family": None,
    }
    if family is not None:
        record["family"] = {
            **_row(family, FAMILY_FIELDS),
            "region_name": family.region.name if family.region else "",
            "other_members": [
                {"nik_masked": mask_id(m.nik), "relationship": m.relationship}
                for m in family.members.exclude(pk=person.pk).order_by("source_line", "id")
            ],
        }
    record.update(_registry_sections(person))
    record.update(_kube_sections(person))
    record.update(_ledger_sections(person))
    record["survey_responses"] = _responses(person)
    record["user_account"] = _user_accounts(person)
    record["audit"] = _audit(person)
    return record


def _registry_sections(person: Person) -> dict[str, Any]:
    from berdaya.registry.models import EligibilityDecision, ImportChange

    family = person.family
    decisions = []
    if family is not None:
        for d in EligibilityDecision.objects.filter(family=family).select_related("run").order_by("run__as_of", "id"):
            decisions.append(
                {
                    "as_of": _plain(d.run.as_of),
                    "ruleset": f"{d.run.ruleset_name}@{d.run.ruleset_version}",
                    "decision": d.decision,
                    "latest": family.latest_decision_id == d.pk,
                    "business_type": d.business_type,
                    "reasons": _plain(d.reasons),
                }
            )
    keys = Q(entity="person", key=person.nik or "-") | Q(entity="family", key=family.no_kk if family else "-")
    changes = [
        {
            "at": _plain(c.batch.created_at),
            "file": c.batch.file_name,
            "entity": c.entity,
            "action": c.action,
            "changes": _plain(c.changes),
        }
        for c in ImportChange.objects.filter(keys).select_related("batch").order_by("id")
    ]
    return {"decisions": decisions, "import_changes": changes}


def _kube_sections(person: Person) -> dict[str, Any]:
    from berdaya.kube.models import Membership, Officer
    from berdaya.mentoring.models import Attendance, TrainingParticipant

    family_id = person.family_id or -1
    memberships = [
        {
            "kube": m.kube.name,
            "region_id": m.kube.region_id,
            "state": m.kube.state,
            "decree_number": m.kube.decree_number,
            "decree_date": _plain(m.kube.decree_date),
            "joined_on": _plain(m.joined_on),
            "left_on": _plain(m.left_on),
            "left_reason": m.left_reason,
            "live": m.live,
        }
        for m in Membership.objects.filter(family_id=family_id).select_related("kube").order_by("id")
    ]
    roles = [
        {"kube": o.kube.name, "role": o.role, "since": _plain(o.since)}
        for o in Officer.objects.filter(person=person).select_related("kube").order_by("kube_id", "role")
    ]
    attendance = [
        {"kube": a.meeting.kube.name, "date": _plain(a.meeting.date), "agenda": a.meeting.agenda, "status": a.status}
        for a in Attendance.objects.filter(family_id=family_id)
        .select_related("meeting__kube")
        .order_by("meeting__date", "id")
    ]
    trainings = [
        {
            "topic": t.training.topic,
            "trainer": t.training.trainer,
            "date": _plain(t.training.date),
            "days": t.training.days,
            "kube": t.kube.name,
        }
        for t in TrainingParticipant.objects.filter(family_id=family_id)
        .select_related("training", "kube")
        .order_by("training__date", "id")
    ]
    return {"kube_memberships": memberships, "officer_roles": roles, "attendance": attendance, "trainings": trainings}


def _ledger_sections(person: Person) -> dict[str, Any]:
    from berdaya.ledger.models import JournalEntry, MemberLoan

    family_id = person.family_id or -1
    loans = [
        {
            "kube": loan.kube.name,
            "principal": loan.principal,
            "term_months": loan.term_months,
            "first_due_on": _plain(loan.first_due_on),
            "fee_percent": _plain(loan.fee_percent),
            "created_at": _plain(loan.created_at),
        }
        for loan in MemberLoan.objects.filter(member__family_id=family_id).select_related("kube").order_by("id")
    ]
    entries = [
        {
            "kube": e.kube.name,
            "number": e.number,
            "date": _plain(e.date),
            "operation": e.operation,
            "description": e.description,
            "total": e.total,
        }
        for e in JournalEntry.objects.filter(member__family_id=family_id)
        .select_related("kube")
        .order_by("kube_id", "date", "number")
    ]
    return {"member_loans": loans, "journal_entries": entries}


def _responses(person: Person) -> list[dict[str, Any]]:
    from berdaya.evaluation.models import Response

    who = Q(person=person)
    if person.family_id:
        who |= Q(family_id=person.family_id)
    return [
        {
            "round": r.round.name,
            "instrument": r.instrument,
            "version": r.version,
            "collected_on": _plain(r.collected_on),
            "source": r.source,
            "answers": _plain(r.answers),
        }
        for r in Response.objects.filter(who).select_related("round").order_by("collected_on", "id")
    ]


def _user_accounts(person: Person) -> list[dict[str, Any]]:
    """The sign-in of a KUBE officer who is this person (Officer.user), if any: name and dates only."""
    users = User.objects.filter(kube_offices__person=person).distinct().order_by("id")
    return [
        {
            "username": u.username,
            "full_name": u.get_full_name(),
            "email": u.email,
            "role": u.role,
            "date_joined": _plain(u.date_joined),
            "last_login": _plain(u.last_login),
            "active": u.is_active,
        }
        for u in users
    ]


def _audit(person: Person) -> list[dict[str, Any]]:
    """What was done to this person's record (exports, corrections): when, what, by which role."""
    from berdaya.core.models import AuditEvent

    events = AuditEvent.objects.filter(object_type="registry.Person", object_id=str(person.pk)).select_related("actor")
    return [
        {"at": _plain(e.at), "action": e.action, "actor_role": e.actor.role if e.actor else "", "note": e.note}
        for e in events.order_by("at", "id")
    ]
