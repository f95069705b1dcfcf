"""The one place that says what a user may see: by role and by region prefix.

Every page, export and API route fetches through these helpers, so scoping is decided once.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from berdaya.core.models import Role, User

# Roles that may read personal registry records (masked) in their region.
REGISTRY_READERS = {Role.ADMIN, Role.PROGRAM_OFFICER}
REGISTRY_WRITERS = {Role.ADMIN, Role.PROGRAM_OFFICER}


def region_q(user: User, field: str) -> Q:
    """A filter keeping rows whose region (`field`, a foreign key to Region) lies inside the user's region."""
    prefix = user.region_prefix
    if prefix is None:
        return Q()
    if not prefix:
        return Q(pk__in=[])  # a user with no region sees nothing rather than everything
    return Q(**{field: prefix}) | Q(**{f"{field}__code__startswith": prefix + "."})


def scope(queryset: QuerySet, user: User, field: str) -> QuerySet:
    return queryset.filter(region_q(user, field))


def scope_regions(queryset: QuerySet, user: User) -> QuerySet:
    """Rows of the Region table itself (keyed by code) inside the user's region: the pickers of region forms."""
    prefix = user.region_prefix
    if prefix is None:
        return queryset
    if not prefix:
        return queryset.none()
    return queryset.filter(Q(code=prefix) | Q(code__startswith=prefix + "."))


def can_read_registry(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in REGISTRY_READERS)


def can_write_registry(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in REGISTRY_WRITERS)


def code_in_scope(user: User, code: str | None) -> bool:
    prefix = user.region_prefix
    if prefix is None:
        return True
    if not prefix or not code:
        return False
    return code == prefix or code.startswith(prefix + ".")


def get_scoped_or_404(queryset: QuerySet, user: User, field: str, **lookup):
    """Fetch one object the user may see; anything else is a 404, never a hint that it exists."""
    try:
        return scope(queryset, user, field).get(**lookup)
    except queryset.model.DoesNotExist as error:
        raise Http404 from error
