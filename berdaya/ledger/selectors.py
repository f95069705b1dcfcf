"""Who may read and write a KUBE's books (spec §2). Pages, exports and the API ask here, nowhere else.

Reading follows the KUBE's own scope (`kube.selectors.kubes_for_user`): an admin all, a program officer
their kab/kota, a pendamping the KUBEs assigned to them, a KUBE officer their own. Regional viewers and
evaluators see aggregated metrics only (reports.region_metrics), never a KUBE's journal.
"""

from __future__ import annotations

from django.db.models import QuerySet

from berdaya.core.models import Role, User
from berdaya.kube.models import Kube
from berdaya.kube.selectors import can_manage_kubes, can_record_activity, kube_get_for_user, kubes_for_user


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
