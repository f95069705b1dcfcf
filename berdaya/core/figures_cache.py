"""Aggregate figures kept between requests until the data change (dashboards, decision counts).

A city dashboard reads hundreds of thousands of rows; twenty officers opening it in the same minute should
not each pay for that. The key holds the newest audit row's id: every write in Berdaya leaves an audit row
in the same transaction (tests/core/test_audit_writes.py keeps that true), so any change anywhere gives
a new key and the next request recomputes — figures are never older than the last committed write. The
key also holds the user (figures are scoped to them) and the arguments (region, date).

The cache is Django's default cache (settings.CACHES: a file cache shared by the web server's worker
processes). `BERDAYA_FIGURES_CACHE_SECONDS=0` turns it off; the test suite runs with it off, except the
tests of this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from berdaya.core.models import AuditEvent, User

T = TypeVar("T")


def data_version() -> int:
    """The newest audit row's id: it changes with every committed write."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def figures_cached(kind: str, user: User, parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned for the same user, arguments and data version before.

    Errors (a region outside the user's scope raises Http404) are not cached: they are raised again.
    """
    seconds = int(settings.BERDAYA["FIGURES_CACHE_SECONDS"])
    if seconds <= 0:
        return compute()
    # The database in the key too: two installations (or the SQLite and PostgreSQL copies of one world)
    # may share a cache directory and have the same user ids and audit ids.
    database = settings.DATABASES["default"]
    argument = hashlib.sha256(repr((database["NAME"], database.get("HOST"), parts)).encode()).hexdigest()[:16]
    key = f"berdaya:figures:{kind}:{user.pk}:{data_version()}:{argument}"
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, seconds)
    return value
