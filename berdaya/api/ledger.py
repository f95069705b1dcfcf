"""A KUBE's books over the API (spec §7): accounts with balances, the journal, and the three ways in —
plain-word operations, general entries and reversals — each through the ledger's services.

Access (spec §2): the KUBE is fetched with `book_kube_for_user`, so one outside the user's scope is a 404
that says nothing of whether it exists; a write also needs `can_post` (403). Amounts are whole rupiah as
JSON integers: `1.5`, `"1500"`, `"1.500,50"` and `true` are refused (422 naming the field) before any
service runs, because a ledger must never guess what a client meant.

Idempotency: a write may carry `idempotency_key` (≤ 64 characters, per KUBE). The first request with a key
posts and answers 201; a repeat answers 200 with the entry the key already posted, whatever its body.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictInt

from berdaya.api.errors import Error
from berdaya.api.schemas import IsoDate, PageQuery, PathId, RefId, StrictIn, Text
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube
from berdaya.ledger.models import Account, JournalEntry, JournalLine
from berdaya.ledger.selectors import book_kube_for_user, can_post
from berdaya.ledger.services import entry_post, entry_reverse, operation_post

router = Router(tags=["buku"])

OperationKind = StrEnum("OperationKind", {kind: kind for kind in bk.OPERATIONS})
OperationKind.__doc__ = "A plain-word operation (engine.bookkeeping.OPERATIONS)."

# A quadrillion rupiah: no KUBE's entry comes near it, and every sum of such amounts still fits a 64-bit column.
MAX_RUPIAH = 10**15
Rupiah = Annotated[StrictInt, Field(gt=0, le=MAX_RUPIAH, description="Whole rupiah, a JSON integer.")]
RupiahOrZero = Annotated[StrictInt, Field(ge=0, le=MAX_RUPIAH, description="Whole rupiah, a JSON integer; 0 for none.")]


class OperationIn(StrictIn):
    kind: OperationKind
    date: IsoDate
    amount: Rupiah
    cash: Text | None = Field(None, description='"1100" Kas (default for most) or "1200" Bank.')
    fee: RupiahOrZero = Field(0, description="Jasa paid on top of a repayment.")
    account: Text | None = Field(None, description="Account code replacing the operation's default one.")
    member_id: RefId | None = Field(None, description="Membership id: loans and savings.")
    term_months: StrictInt | None = Field(None, description="Loan term, 1–60 months.")
    description: Text = Field("", max_length=200)
    idempotency_key: Text = Field("", max_length=64)


class LineIn(StrictIn):
    account: Text = Field(description="Account code in this KUBE's books, e.g. 1100.")
    debit: RupiahOrZero = 0
    credit: RupiahOrZero = 0


class EntryIn(StrictIn):
    date: IsoDate
    description: Text = Field(max_length=200)
    lines: list[LineIn]
    idempotency_key: Text = Field("", max_length=64)


class ReversalIn(StrictIn):
    reason: Text
    date: IsoDate | None = Field(None, description="Default: the original's date while its month is open, else today.")
    idempotency_key: Text = Field("", max_length=64)


class AccountOut(Schema):
    code: str
    name: str
    type: str
    active: bool
    balance: int = Field(description="On the account's normal side: a positive Penjualan is income earned.")


class LineOut(Schema):
    account: str
    account_name: str
    debit: int
    credit: int


class EntryOut(Schema):
    id: int
    number: int
    date: dt.date
    operation: str
    operation_label: str
    description: str
    total: int
    member_id: int | None
    loan_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    idempotency_key: str
    posted_by: str | None
    posted_at: dt.datetime
    lines: list[LineOut]


class EntryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EntryOut]


# ---- helpers ------------------------------------------------------------------------------------


def _kube(request: HttpRequest, kube_id: int) -> Kube:
    return book_kube_for_user(user=request.auth, pk=kube_id)


def _kube_to_post(request: HttpRequest, kube_id: int) -> Kube:
    kube = _kube(request, kube_id)
    if not can_post(request.auth, kube):
        raise HttpError(403, _("Anda tidak berhak mencatat di buku KUBE ini."))
    return kube


def _entries(kube: Kube):
    lines = JournalLine.objects.select_related("account").order_by("id")
    return (
        JournalEntry.objects.filter(kube=kube)
        .select_related("posted_by", "reversed_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
    )


def _entry_out(entry: JournalEntry) -> dict[str, Any]:
    reversed_by = getattr(entry, "reversed_by", None)
    return {
        "id": entry.pk,
        "number": entry.number,
        "date": entry.date,
        "operation": entry.operation,
        "operation_label": entry.get_operation_display(),
        "description": entry.description,
        "total": entry.total,
        "member_id": entry.member_id,
        "loan_id": entry.loan_id,
        "reverses_id": entry.reverses_id,
        "reversed_by_id": reversed_by.pk if reversed_by is not None else None,
        "idempotency_key": entry.idempotency_key,
        "posted_by": entry.posted_by.username if entry.posted_by else None,
        "posted_at": entry.posted_at,
        "lines": [
            {
                "account": line.account.code,
                "account_name": line.account.name,
                "debit": line.debit,
                "credit": line.credit,
            }
            for line in entry.lines.all()
        ],
    }


def _posted(entry: JournalEntry, started: dt.datetime) -> Status:
    """201 for an entry this request posted, 200 for one an idempotency key had already posted."""
    status = 201 if entry.posted_at >= started else 200
    return Status(status, _entry_out(_entries(entry.kube).get(pk=entry.pk)))


WRITE_RESPONSES = {200: EntryOut, 201: EntryOut, 403: Error, 404: Error, 422: Error}


# ---- routes -------------------------------------------------------------------------------------


@router.get("/kubes/{kube_id}/accounts", response={200: list[AccountOut], 404: Error})
def accounts_list(request: HttpRequest, kube_id: PathId):
    """The chart of accounts with each balance on its normal side (empty before the books are opened)."""
    kube = _kube(request, kube_id)
    return [
        {
            "code": account.code,
            "name": account.name,
            "type": account.type,
            "active": account.active,
            "balance": bk.normal_balance(account.balance, account.type),
        }
        for account in Account.objects.filter(kube=kube).order_by("code")
    ]


@router.get("/kubes/{kube_id}/entries", response={200: EntryPage, 404: Error})
def entries_list(request: HttpRequest, kube_id: PathId, page: Query[PageQuery]):
    """The journal, newest first (by date, then entry number), each entry with its lines."""
    kube = _kube(request, kube_id)
    entries = _entries(kube).order_by("-date", "-number")
    window = entries[page.offset : page.offset + page.limit]
    return {
        "count": entries.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [_entry_out(entry) for entry in window],
    }


@router.post("/kubes/{kube_id}/operations", response=WRITE_RESPONSES)
def operation_create(request: HttpRequest, kube_id: PathId, payload: OperationIn):
    """Post one plain-word operation (sale, purchase, loan_out, repayment, …). 201 posted; 200 key replay."""
    kube = _kube_to_post(request, kube_id)
    started = timezone.now()
    entry = operation_post(
        actor=request.auth,
        kube=kube,
        kind=payload.kind.value,
        date=payload.date,
        amount=payload.amount,
        cash=payload.cash,
        fee=payload.fee,
        account=payload.account,
        member=payload.member_id,
        term_months=payload.term_months,
        description=payload.description,
        idempotency_key=payload.idempotency_key,
    )
    return _posted(entry, started)


@router.post("/kubes/{kube_id}/entries", response=WRITE_RESPONSES)
def entry_create(request: HttpRequest, kube_id: PathId, payload: EntryIn):
    """Post a general entry (jurnal umum): two or more lines, debits equal to credits. 201 posted; 200 replay."""
    kube = _kube_to_post(request, kube_id)
    started = timezone.now()
    entry = entry_post(
        actor=request.auth,
        kube=kube,
        date=payload.date,
        description=payload.description,
        lines=[line.model_dump() for line in payload.lines],
        idempotency_key=payload.idempotency_key,
    )
    return _posted(entry, started)


@router.post("/kubes/{kube_id}/entries/{entry_id}/reversal", response=WRITE_RESPONSES)
def entry_reversal_create(request: HttpRequest, kube_id: PathId, entry_id: PathId, payload: ReversalIn):
    """Undo an entry with a reversing entry; the original stays. 201 posted; 200 key replay."""
    kube = _kube_to_post(request, kube_id)
    entry = JournalEntry.objects.filter(kube=kube, pk=entry_id).first()
    if entry is None:
        raise Http404
    started = timezone.now()
    reversal = entry_reverse(
        actor=request.auth,
        entry=entry,
        reason=payload.reason,
        date=payload.date,
        idempotency_key=payload.idempotency_key,
    )
    return _posted(reversal, started)
