"""KUBEs over the API: the list and one KUBE with its members (No KK masked), officers, state and aid;
adding a member and a member leaving, through the kube services (spec §3).

Who sees which KUBE is `kube.selectors.kubes_for_user`: an admin all, a program officer those in their
kab/kota, a pendamping those assigned to them now, a KUBE officer their own. Viewers and evaluators read
aggregates, not member lists (403), as on the web. A KUBE outside the user's reach is a 404. Changing the
members is for program officers and admins (403 for the others), as on the KUBE page.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from berdaya.api.errors import Error
from berdaya.api.families import REGION_CODE
from berdaya.api.schemas import IsoDate, PageQuery, PathId, RefId, StrictIn, Text, page_of
from berdaya.core.models import Role
from berdaya.engine.masking import mask_id
from berdaya.kube import selectors, services
from berdaya.kube.models import Kube, KubeState, Membership
from berdaya.mentoring.models import Assignment

router = Router(tags=["kube"])

StateFilter = StrEnum("StateFilter", {value: value for value in KubeState.values})
StateFilter.__doc__ = "A KUBE's lifecycle state."


class KubeQuery(PageQuery):
    state: StateFilter | None = None
    region: str | None = Field(None, pattern=REGION_CODE, description="Region code prefix, e.g. 61.71.04.")


class KubeOut(Schema):
    id: int
    name: str
    region_code: str
    region_name: str
    business_type: str
    state: str
    state_label: str
    size: int = Field(description="Live member families.")
    formed_on: dt.date | None
    decree_number: str
    decree_date: dt.date | None


class KubePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[KubeOut]


class MemberOut(Schema):
    family_id: int
    no_kk: str = Field(description="Masked.")
    head_name: str
    joined_on: dt.date | None
    left_on: dt.date | None
    left_reason: str
    live: bool


class OfficerOut(Schema):
    role: str
    role_label: str
    person_id: int
    name: str
    since: dt.date | None


class AidOut(Schema):
    amount: int
    paid_on: dt.date
    reference: str


class FacilitatorOut(Schema):
    id: int
    name: str


class KubeDetail(KubeOut):
    musyawarah_on: dt.date | None
    bank_name: str
    lat: float | None
    lon: float | None
    members: list[MemberOut]
    officers: list[OfficerOut]
    aid: list[AidOut]
    aid_total: int
    facilitator: FacilitatorOut | None = Field(description="The pendamping assigned now.")


class MemberAddIn(StrictIn):
    family_id: RefId
    joined_on: IsoDate | None = None


class MemberLeaveIn(StrictIn):
    left_on: IsoDate
    reason: Text = Field(min_length=1, max_length=200)


def _may_list(request: HttpRequest) -> None:
    user = request.auth
    if not selectors.can_manage_kubes(user) and user.role not in (Role.FACILITATOR, Role.KUBE_OFFICER):
        raise HttpError(403, _("Anda tidak berhak membuka daftar KUBE; pemantau dan evaluator membaca dasbor."))


def _managed(request: HttpRequest, kube_id: int) -> Kube:
    kube = selectors.kube_get_for_user(user=request.auth, pk=kube_id)
    if not selectors.can_manage_kubes(request.auth):
        raise HttpError(403, _("Hanya petugas program yang dapat mengubah anggota KUBE."))
    return kube


def _row(kube: Kube) -> dict:
    return {
        "id": kube.pk,
        "name": kube.name,
        "region_code": kube.region_id,
        "region_name": kube.region.name,
        "business_type": kube.business_type,
        "state": kube.state,
        "state_label": kube.get_state_display(),
        "size": kube.size,
        "formed_on": kube.formed_on,
        "decree_number": kube.decree_number,
        "decree_date": kube.decree_date,
    }


def _member(membership: Membership) -> dict:
    head = selectors.family_head(membership.family)
    return {
        "family_id": membership.family_id,
        "no_kk": mask_id(membership.family.no_kk),
        "head_name": head.name if head else "",
        "joined_on": membership.joined_on,
        "left_on": membership.left_on,
        "left_reason": membership.left_reason,
        "live": membership.live,
    }


def _memberships(kube: Kube):
    return kube.memberships.select_related("family").prefetch_related("family__members")


@router.get("/kubes", response={200: KubePage, 403: Error})
def kubes_list(request: HttpRequest, filters: Query[KubeQuery]):
    """The KUBEs the user may open, by region and name; filters: state, region prefix."""
    _may_list(request)
    kubes = selectors.kubes_for_user(request.auth)
    if filters.state:
        kubes = kubes.filter(state=filters.state.value)
    if filters.region:
        kubes = kubes.filter(Q(region=filters.region) | Q(region__code__startswith=filters.region + "."))
    page = page_of(selectors.kube_list_rows(kubes).order_by("region_id", "name", "id"), filters)
    page["items"] = [_row(kube) for kube in page["items"]]
    return page


@router.get("/kubes/{kube_id}", response={200: KubeDetail, 403: Error, 404: Error})
def kube_detail(request: HttpRequest, kube_id: PathId):
    """One KUBE: members (No KK masked, leavers kept as history), officers, aid and its pendamping."""
    _may_list(request)
    kube = selectors.kube_get_for_user(user=request.auth, pk=kube_id)
    kube = (
        selectors.kube_list_rows(Kube.objects.filter(pk=kube.pk))
        .prefetch_related(
            Prefetch("memberships", queryset=_memberships(kube).order_by("-live", "id")),
            "officers__person",
            "aid",
        )
        .get()
    )
    assignment = Assignment.objects.filter(kube=kube, end__isnull=True).select_related("facilitator").first()
    aid = list(kube.aid.all())
    return {
        **_row(kube),
        "musyawarah_on": kube.musyawarah_on,
        "bank_name": kube.bank_name,
        "lat": kube.lat,
        "lon": kube.lon,
        "members": [_member(membership) for membership in kube.memberships.all()],
        "officers": [
            {
                "role": officer.role,
                "role_label": officer.get_role_display(),
                "person_id": officer.person_id,
                "name": officer.person.name,
                "since": officer.since,
            }
            for officer in kube.officers.all()
        ],
        "aid": [{"amount": a.amount, "paid_on": a.paid_on, "reference": a.reference} for a in aid],
        "aid_total": sum(a.amount for a in aid),
        "facilitator": ({"id": assignment.facilitator.pk, "name": assignment.facilitator.name} if assignment else None),
    }


@router.post("/kubes/{kube_id}/members", response={201: MemberOut, 403: Error, 404: Error, 422: Error})
def member_add(request: HttpRequest, kube_id: PathId, payload: MemberAddIn):
    """Add an eligible family of the KUBE's village that is in no live KUBE (within the rule set's size)."""
    kube = _managed(request, kube_id)
    family = selectors.member_candidates(kube).filter(pk=payload.family_id).first()
    if family is None:
        # The web form's words: the same whether the family does not exist, lives elsewhere or is taken.
        raise HttpError(
            422,
            _(
                "Keluarga ini tidak bisa ditambahkan: harus tinggal di desa/kelurahan KUBE ini, berstatus layak, "
                "dan belum menjadi anggota KUBE aktif."
            ),
        )
    membership = services.member_add(actor=request.auth, kube=kube, family=family, joined_on=payload.joined_on)
    return Status(201, _member(_memberships(kube).get(pk=membership.pk)))


@router.post(
    "/kubes/{kube_id}/members/{family_id}/leave", response={200: MemberOut, 403: Error, 404: Error, 422: Error}
)
def member_leave(request: HttpRequest, kube_id: PathId, family_id: PathId, payload: MemberLeaveIn):
    """A member family leaves: the membership is kept with the date and reason; its officer role ends."""
    kube = _managed(request, kube_id)
    membership = _memberships(kube).filter(family_id=family_id, live=True).first()
    if membership is None:
        raise Http404
    services.member_remove(
        actor=request.auth, kube=kube, family=membership.family, left_on=payload.left_on, reason=payload.reason
    )
    return _member(_memberships(kube).get(pk=membership.pk))
