"""Families of the registry over the API, read-only (spec §2, §9).

Who: program officers and admins read the families in their region, NIK and No KK always masked (the API
has no reveal); an evaluator reads the same list pseudonymised — no id, No KK, name or address, only the
pseudonym the research exports use (`F-…`, evaluation/dataset.py) — and no single-family record. Others
get 403. A family outside the user's region is a 404 that says nothing of whether it exists.

Every list page is a bulk read of personal data, so it is audited (`api.families.list` with the filters
and how many rows were given), like the registry's exports.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from berdaya.api.errors import Error
from berdaya.api.schemas import PageQuery, PathId, Text, page_of
from berdaya.core.models import Role
from berdaya.core.scoping import can_read_registry
from berdaya.core.services import audit_record
from berdaya.engine.masking import mask_id
from berdaya.evaluation.dataset import family_pseudonym
from berdaya.kube.models import Membership
from berdaya.kube.selectors import family_head
from berdaya.registry import selectors
from berdaya.registry.models import Decision, Person

router = Router(tags=["keluarga"])

DecisionFilter = StrEnum("DecisionFilter", {value: value for value in [*Decision.values, "NONE"]})
DecisionFilter.__doc__ = "The latest eligibility decision; NONE: not screened yet."
REGION_CODE = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
_NUMBER = re.compile(r"^\d{16}$")


class FamilyQuery(PageQuery):
    region: str | None = Field(None, pattern=REGION_CODE, description="Region code prefix, e.g. 61.71.04.")
    decision: DecisionFilter | None = None
    q: Text | None = Field(
        None,
        min_length=3,
        max_length=100,
        description="A full 16-digit NIK or No KK, or part of a member's name. Not for evaluators.",
    )


class FamilyOut(Schema):
    id: int | None = Field(description="Berdaya's family id; null for evaluators (pseudonymised).")
    pid: str = Field(description="Pseudonym, stable per installation (the research exports' `pid`).")
    no_kk: str | None = Field(description="Masked: 6171••••••••0001. Null for evaluators.")
    head_name: str | None = Field(description="Head of family; null for evaluators.")
    region_code: str | None
    region_name: str | None
    desil: int | None
    decision: str | None
    decision_label: str | None
    business_type: str
    member_count: int
    kube_id: int | None = Field(description="The live KUBE the family belongs to, if any.")


class FamilyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FamilyOut]


class PersonOut(Schema):
    id: int
    nik: str = Field(description="Masked.")
    name: str
    sex: str
    birth_date: dt.date | None
    relationship: str
    is_main_earner: bool | None
    occupation: str


class ReasonOut(Schema):
    code: str
    outcome: str
    text: str


class FamilyDetail(FamilyOut):
    rt: str
    rw: str
    address: str
    decision_as_of: dt.date | None
    reasons: list[ReasonOut]
    members: list[PersonOut]


def _reader(request: HttpRequest) -> bool:
    """True for a reader of names (officer, admin), False for an evaluator; 403 for anyone else."""
    user = request.auth
    if can_read_registry(user):
        return True
    if user.role == Role.EVALUATOR:
        return False
    raise HttpError(403, _("Anda tidak berhak membaca data keluarga."))


def _with_kube(families):
    live = Membership.objects.filter(family=OuterRef("pk"), live=True).values("kube_id")[:1]
    return families.annotate(live_kube_id=Subquery(live))


def _row(family, *, names: bool) -> dict:
    decision = family.latest_decision
    head = family_head(family) if names else None
    return {
        "id": family.pk if names else None,
        "pid": family_pseudonym(family.pk),
        "no_kk": mask_id(family.no_kk) if names else None,
        "head_name": (head.name if head else "") if names else None,
        "region_code": family.region_id,
        "region_name": family.region.name if family.region else None,
        "desil": family.desil,
        "decision": decision.decision if decision else None,
        "decision_label": decision.get_decision_display() if decision else None,
        "business_type": decision.business_type if decision else "",
        "member_count": family.member_count,
        "kube_id": family.live_kube_id,
    }


def _search(families, q: str):
    # Through a subquery, not a join: a join on members would multiply the member count beside it.
    if _NUMBER.match(q):
        return families.filter(Q(no_kk=q) | Q(pk__in=Person.objects.filter(nik=q).values("family_id")))
    return families.filter(pk__in=Person.objects.filter(name__icontains=q).values("family_id"))


@router.get("/families", response={200: FamilyPage, 403: Error})
def families_list(request: HttpRequest, filters: Query[FamilyQuery]):
    """Families in the user's region, by region and No KK; filters: region prefix, decision, search."""
    names = _reader(request)
    if filters.q and not names:
        raise HttpError(403, _("Evaluator bekerja dengan data samaran: pencarian nama atau nomor tidak tersedia."))
    families = selectors.families_for_user(
        user=request.auth,
        decision=filters.decision.value if filters.decision else "",
        region=filters.region or "",
    )
    if filters.q:
        families = _search(families, filters.q.strip())
    if names:
        families = families.prefetch_related("members")
    page = page_of(_with_kube(families), filters)
    page["items"] = [_row(family, names=names) for family in page["items"]]
    audit_record(
        actor=request.auth,
        action="api.families.list",
        object_type="registry.Family",
        changes={
            "count": len(page["items"]),
            "total": page["count"],
            "offset": filters.offset,
            "region": filters.region or "",
            "decision": filters.decision.value if filters.decision else "",
            "search": bool(filters.q),
            "pseudonymised": not names,
        },
    )
    return page


@router.get("/families/{family_id}", response={200: FamilyDetail, 403: Error, 404: Error})
def family_detail(request: HttpRequest, family_id: PathId):
    """One family with its members (NIK masked) and the reasons of its latest decision."""
    if not _reader(request):
        raise HttpError(403, _("Evaluator bekerja dengan data samaran: data per keluarga tidak tersedia."))
    family = selectors.family_get_for_user(user=request.auth, pk=family_id)
    family = (
        _with_kube(selectors.families_for_user(user=request.auth))
        .select_related("latest_decision__run")
        .prefetch_related("members")
        .get(pk=family.pk)
    )
    decision = family.latest_decision
    members = sorted(family.members.all(), key=lambda person: person.pk)
    return {
        **_row(family, names=True),
        "rt": family.rt,
        "rw": family.rw,
        "address": family.address,
        "decision_as_of": decision.run.as_of if decision else None,
        "reasons": [
            {"code": str(r.get("code", "")), "outcome": str(r.get("outcome", "")), "text": str(r.get("text", ""))}
            for r in (decision.reasons if decision else [])
        ],
        "members": [
            {
                "id": person.pk,
                "nik": mask_id(person.nik),
                "name": person.name,
                "sex": person.sex,
                "birth_date": person.birth_date,
                "relationship": person.relationship,
                "is_main_earner": person.is_main_earner,
                "occupation": person.occupation,
            }
            for person in members
        ],
    }
