"""Reads of the registry that pages share; every one takes the user and scopes by region."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from berdaya.core.models import User
from berdaya.core.scoping import can_read_registry, get_scoped_or_404, region_q
from berdaya.registry.models import Decision, Family, ImportBatch, Person


def families_for_user(
    *, user: User, decision: str = "", region: str = "", business_type: str = ""
) -> QuerySet:
    families = (
        Family.objects.filter(region_q(user, "region"))
        .select_related("region", "latest_decision")
        # A correlated count, not Count("members"): the join-and-group counted the members of every family
        # in the region (100,000 in a city) before the page kept 50; this is evaluated for the page's rows.
        .annotate(
            member_count=Coalesce(
                Subquery(
                    Person.objects.filter(family=OuterRef("pk"))
                    .order_by()
                    .values("family")
                    .annotate(n=Count("*"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .order_by("region_id", "no_kk")
    )
    if decision == "NONE":
        families = families.filter(latest_decision__isnull=True)
    elif decision in Decision.values:
        families = families.filter(latest_decision__decision=decision)
    if region:
        families = families.filter(Q(region=region) | Q(region__code__startswith=region + "."))
    if business_type:
        families = families.filter(latest_decision__business_type=business_type)
    return families


def family_get_for_user(*, user: User, pk: int) -> Family:
    return get_scoped_or_404(
        Family.objects.select_related("region", "latest_decision__run"), user, "region", pk=pk
    )


def decision_counts(*, user: User) -> dict[str, int]:
    counts = dict(
        Family.objects.filter(region_q(user, "region"))
        .values_list("latest_decision__decision")
        .annotate(n=Count("id"))
        .values_list("latest_decision__decision", "n")
    )
    result = {d: counts.get(d, 0) for d in Decision.values}
    result["NONE"] = counts.get(None, 0)
    result["total"] = sum(counts.values())
    return result


def recent_imports(*, user: User) -> QuerySet:
    if not can_read_registry(user):
        return ImportBatch.objects.none()
    batches = ImportBatch.objects.select_related("created_by")
    if user.region_prefix is not None:
        batches = batches.filter(Q(created_by=user) | region_q(user, "region"))
    return batches.order_by("-created_at", "-id")


def import_get_for_user(*, user: User, pk: int) -> ImportBatch:
    from django.http import Http404

    try:
        return recent_imports(user=user).get(pk=pk)
    except ImportBatch.DoesNotExist as error:
        raise Http404 from error
