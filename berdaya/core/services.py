"""Writes of the core app: audit rows, regions, users."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from berdaya.core.audit_context import current_actor, current_client_address
from berdaya.core.models import AuditEvent, Region, Role, User
from berdaya.engine.regions import RegionIndex, code_level, load_region_index, parent_code


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    changes: dict | None = None,
    client_address: str | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit row. Call inside the same transaction as the change it records.

    While a request is being served (AuditContextMiddleware), a missing actor is the signed-in user (or
    the API token's user) and a missing client address is the request's.
    """
    if actor is None or not actor.pk:
        actor = current_actor()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=changes or {},
        client_address=client_address or current_client_address(),
        note=note,
    )


def regions_load(*, path: Path | str | None = None, actor: User | None = None) -> dict[str, int]:
    """Load or refresh the region tree from a `code,name` CSV (default: the bundled Kemendagri list).

    Existing regions are renamed in place, new ones added; none are deleted (families point at them).
    Returns counts {created, updated, total}. Raises RegionCodeError for a bad file, writing nothing.
    """
    index = load_region_index(path)
    return _regions_apply(index=index, actor=actor, source=str(path or "bundled"))


@transaction.atomic
def _regions_apply(*, index: RegionIndex, actor: User | None, source: str) -> dict[str, int]:
    existing = dict(Region.objects.values_list("code", "name"))
    ordered = sorted(index.regions.values(), key=lambda r: (r.code.count("."), r.code))
    new, changed = [], []
    for region in ordered:
        parent = parent_code(region.code)
        if parent is not None and parent not in index.regions and parent not in existing:
            parent = None  # an orphan in the source list; kept, not invented
        if region.code not in existing:
            new.append(
                Region(code=region.code, name=region.name, level=code_level(region.code), parent_id=parent)
            )
        elif existing[region.code] != region.name:
            changed.append(Region(code=region.code, name=region.name))
    Region.objects.bulk_create(new, batch_size=2000)
    Region.objects.bulk_update(changed, ["name"], batch_size=2000)
    counts = {"created": len(new), "updated": len(changed), "total": Region.objects.count()}
    audit_record(actor=actor, action="regions.load", object_type="region", changes=counts, note=source)
    return counts


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    region_code: str | None = None,
    full_name: str = "",
    actor: User | None = None,
) -> User:
    """Create a user with a role and region scope. Admins have no region; others need one."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    if role != Role.ADMIN and not region_code:
        raise ValueError("every role but admin needs a region")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            region_id=region_code or None,
            first_name=full_name,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        audit_record(
            actor=actor,
            action="user.create",
            object_type="user",
            object_id=str(user.pk),
            changes={"username": username, "role": role, "region": region_code},
        )
    return user


def region_ancestors(code: str) -> Iterable[str]:
    """The code and every code above it, nearest first."""
    current: str | None = code
    while current:
        yield current
        current = parent_code(current)
