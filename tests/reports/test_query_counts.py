"""The dashboard, region and plan pages run the same number of queries for 2 KUBEs as for 6."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from berdaya.core.models import Region
from berdaya.evaluation.services import round_create
from berdaya.kube.models import KubeState
from tests.factories import assign, make_facilitator, make_kube, make_meeting, make_visit
from tests.reports.conftest import action, score

pytestmark = pytest.mark.django_db
VILLAGES = ["61.71.04.1001", "61.71.04.1002", "61.71.04.1003", "61.71.05.1001"]
PAGES = [
    ("reports:dashboard", []),
    ("reports:region", ["61.71.04"]),
    ("reports:region", ["61.71.04.1001"]),
    ("reports:plan", ["61.71"]),
    ("reports:plan", ["61.71.04.1001"]),
]


def add_kubes(count: int, start: int, facilitator, rounds) -> None:
    """`count` active KUBEs spread over the villages, each with a pendamping, a meeting, a visit, scores
    in both rounds and an open plan action."""
    baseline, endline = rounds
    for i in range(start, start + count):
        kube = make_kube(size=5, state=KubeState.ACTIVE, region=VILLAGES[i % len(VILLAGES)])
        assign(kube, facilitator)
        make_meeting(kube, dt.date(2025, 6, 5), statuses=["present", "absent", "present", "present", "excused"])
        make_visit(kube, dt.date(2025, 6, 1), facilitator=facilitator)
        baseline.kubes.add(kube)
        endline.kubes.add(kube)
        score(baseline, kube, m0=0.5)
        score(endline, kube, m0=0.3, empowerment=0.5, indicators={"S1_BASIC_NEEDS": {"met": True}})
        action(endline, kube, f"rule_{i}")


def counts(client) -> dict[str, int]:
    found = {}
    for name, args in PAGES:
        url = reverse(name, args=args)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        found[url] = len(queries)
    return found


def test_page_queries_do_not_grow_with_the_number_of_kubes(client, officer):
    city = Region.objects.get(code="61.71")
    common = {"actor": officer, "region": city, "kubes": []}
    baseline = round_create(
        name="Awal", kind="baseline", start_on=dt.date(2025, 3, 1), end_on=dt.date(2025, 3, 31), **common
    )
    endline = round_create(
        name="Akhir", kind="endline", baseline=baseline, start_on=dt.date(2025, 6, 1), end_on=dt.date(2025, 6, 10),
        **common,
    )  # fmt: skip
    facilitator = make_facilitator(cap=3)
    add_kubes(2, 0, facilitator, (baseline, endline))
    client.force_login(officer)
    counts(client)  # warm caches (session, content types) before measuring
    small = counts(client)
    add_kubes(4, 2, make_facilitator(home="61.71.05"), (baseline, endline))
    large = counts(client)
    assert small == large
    assert max(large.values()) <= 25
