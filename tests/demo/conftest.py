"""The demo world built once per module, twice over: the second build with the same seed must give the
same digest as the first (determinism), and the tests then read the second. Both are rolled back."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db import transaction

from berdaya.demo.build import demo_build


def demo_built_twice(django_db_blocker, regions_csv, digest: Callable[[], str]) -> Iterator[str]:
    """Yield the first build's digest while the second build is in the database (use with `yield from`)."""
    from berdaya.core.services import regions_load

    with django_db_blocker.unblock(), transaction.atomic():
        regions_load(path=regions_csv)
        with transaction.atomic():
            demo_build(log=lambda message: None)
            first = digest()
            transaction.set_rollback(True)
        demo_build(log=lambda message: None)
        yield first
        transaction.set_rollback(True)
