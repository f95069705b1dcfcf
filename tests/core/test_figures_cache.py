"""The figures cache: a second request is served from the cache, and any write makes the next one fresh."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from berdaya.core.figures_cache import data_version, figures_cached
from berdaya.core.services import audit_record
from tests.factories import make_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures_cache_on(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures-test"}
    }
    settings.BERDAYA = {**settings.BERDAYA, "FIGURES_CACHE_SECONDS": 600}
    cache.clear()
    yield
    cache.clear()


def test_a_figure_is_computed_once_until_the_data_change(figures_cache_on, officer, stranger):
    user = officer
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert figures_cached("t", user, ("61.71",), compute) == {"n": 1}
    assert figures_cached("t", user, ("61.71",), compute) == {"n": 1}
    assert len(calls) == 1
    # Other arguments or another user: their own entry.
    assert figures_cached("t", user, ("61.72",), compute) == {"n": 2}
    assert figures_cached("t", stranger, ("61.71",), compute) == {"n": 3}
    # A write anywhere (every write leaves an audit row) makes the next read compute again.
    before = data_version()
    audit_record(actor=user, action="test.write")
    assert data_version() > before
    assert figures_cached("t", user, ("61.71",), compute) == {"n": 4}


def test_off_means_computed_every_time(settings, officer):
    settings.BERDAYA = {**settings.BERDAYA, "FIGURES_CACHE_SECONDS": 0}
    user = officer
    calls = []
    figures_cached("t", user, (), lambda: calls.append(1))
    figures_cached("t", user, (), lambda: calls.append(1))
    assert len(calls) == 2


def test_the_home_page_counts_follow_a_write_with_the_cache_on(client, figures_cache_on, officer):
    """The page shows the new family's count at once: the import's audit row changed the key."""
    client.force_login(officer)
    make_family(region="61.71.04.1001")
    audit_record(actor=officer, action="test.family")
    first = client.get(reverse("home")).context["counts"]["total"]
    make_family(region="61.71.04.1001")
    # Without an audit row (no service wrote it) the cached count stands: proof the cache is in use.
    assert client.get(reverse("home")).context["counts"]["total"] == first
    audit_record(actor=officer, action="test.family")
    assert client.get(reverse("home")).context["counts"]["total"] == first + 1
