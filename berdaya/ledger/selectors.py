"""Who may read and write a KUBE's books (spec §2). Pages, exports and the API ask here, nowhere else.

Reading follows the KUBE's own scope (`kube.selectors.kubes_for_user`): an admin all, a program officer
their kab/kota, a pendamping the KUBEs assigned to them, a KUBE officer their own. Regional viewers and
evaluators see aggregated metrics only (reports.region_metrics), never a KUBE's journal.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from berdaya.core.models import Role, User
from berdaya.kube.models import Kube, Membership
from berdaya.kube.selectors import can_manage_kubes, can_record_activity, family_head, kube_get_for_user, kubes_for_user
from berdaya.ledger.models import AccountType, JournalEntry, JournalLine, Operation


def books_for_user(user: User) -> QuerySet[Kube]:
    """The KUBEs whose books the user may open."""
    return kubes_for_user(user)


def book_kube_for_user(*, user: User, pk: int) -> Kube:
    """One KUBE whose books the user may open, or 404."""
    return kube_get_for_user(user=user, pk=pk)


def can_post(user: User, kube: Kube) -> bool:
    """Record operations and reversals: the managers in scope, the current pendamping (helping the
    treasurer), the KUBE's own officers."""
    return can_record_activity(user, kube)


def can_close_month(user: User, kube: Kube) -> bool:
    """Close a month (spec §7: the treasurer or an officer): the KUBE's officers and the managers in scope."""
    if can_manage_kubes(user):
        return kubes_for_user(user).filter(pk=kube.pk).exists()
    if user.is_authenticated and user.role == Role.KUBE_OFFICER:
        return kube.officers.filter(user=user).exists()
    return False


def can_edit_accounts(user: User, kube: Kube) -> bool:
    """Add, rename or retire accounts: as for closing a month."""
    return can_close_month(user, kube)


# ---- what the operation forms suggest and list -------------------------------------------------


def member_names(kube: Kube, *, live_only: bool) -> dict[int, str]:
    """Membership id -> the family head's name, for the member pickers."""
    memberships = Membership.objects.filter(kube=kube).select_related("family").prefetch_related("family__members")
    if live_only:
        memberships = memberships.filter(live=True)
    names = {}
    for membership in memberships.order_by("id"):
        head = family_head(membership.family)
        name = head.name if head else membership.family.no_kk[-4:]
        names[membership.pk] = name if membership.live else _("%(name)s (keluar)") % {"name": name}
    return names


def member_balances(kube: Kube, code: str) -> dict[int, int]:
    """Membership id -> debit-minus-credit of the member's lines on one account (loans, savings)."""
    rows = (
        JournalLine.objects.filter(kube=kube, account__code=code, entry__member__isnull=False)
        .values("entry__member_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    return {row["entry__member_id"]: (row["d"] or 0) - (row["c"] or 0) for row in rows}


def loan_fee_suggestion(outstanding: int) -> int:
    """The jasa the repayment form suggests: LOAN_FEE_PERCENT % of the principal still owed, to the rupiah."""
    percent = int(settings.BERDAYA.get("LOAN_FEE_PERCENT", 1))
    return (outstanding * percent + 50) // 100


def iks_suggestion(kube: Kube) -> dict:
    """IKS_PERCENT % of the net surplus (income − expenses) dated after the last IKS allocation still standing.

    Year-end closing entries are left out: they move the surplus to SHU ditahan, they do not undo it.
    """
    last = (
        JournalEntry.objects.filter(kube=kube, operation=Operation.IKS_ALLOCATION, reversed_by__isnull=True)
        .order_by("-date", "-number")
        .first()
    )
    lines = JournalLine.objects.filter(kube=kube, account__type__in=[AccountType.INCOME, AccountType.EXPENSE])
    lines = lines.exclude(entry__operation=Operation.YEAR_CLOSE)
    if last is not None:
        lines = lines.filter(date__gt=last.date)
    sums = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    surplus = (sums["c"] or 0) - (sums["d"] or 0)
    percent = int(settings.BERDAYA.get("IKS_PERCENT", 10))
    return {"surplus": surplus, "percent": percent, "amount": max(0, surplus * percent // 100), "since": last}
