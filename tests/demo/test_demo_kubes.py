"""The demo world's KUBEs and mentoring (spec §10), built once at full size."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.demo.build import DEMO_AS_OF, demo_build
from berdaya.kube.models import LIVE_STATES, Kube, Membership
from berdaya.mentoring.models import Assignment, Attendance, Facilitator, Meeting, Training, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    demo_build(log=lambda message: None)


def test_the_demo_has_about_forty_kubes_with_the_two_the_spec_names(world):
    assert 35 <= Kube.objects.count() <= 45
    corn = Kube.objects.get(name="KUBE Jagung Manis 8")
    assert (corn.region_id, corn.business_type, corn.state) == ("61.71.04.1001", "pertanian", "active")
    assert corn.officers.get(role="bendahara").user.username == "bendahara"
    assert Kube.objects.filter(name="KUBE Anggrek 6").exists()
    states = Counter(Kube.objects.values_list("state", flat=True))
    assert states["active"] >= 15 and states["proposed"] >= 1 and states["dissolved"] == 1


def test_every_demo_group_was_formed_within_one_village_and_its_size_bounds(world):
    for kube in Kube.objects.filter(state__in=LIVE_STATES):
        members = Membership.objects.filter(kube=kube, live=True).select_related("family")
        assert 5 <= members.count() <= 20
        assert {m.family.region_id for m in members} == {kube.region_id}


def test_pendamping_serve_pontianak_utara_and_nobody_serves_pontianak_kota(world):
    assert set(Facilitator.objects.values_list("home_region_id", flat=True)) == {"61.71.04"}
    current = Assignment.objects.filter(end__isnull=True).select_related("kube")
    assert current.exists() and all(a.kube.region_id.startswith("61.71.04.") for a in current)
    assert Kube.objects.filter(region__code__startswith="61.71.05.", state__in=LIVE_STATES).exists()


def test_eighteen_months_of_meetings_visits_and_trainings_up_to_the_demo_date(world):
    dates = list(Meeting.objects.values_list("date", flat=True))
    assert min(dates).year == 2025 and (DEMO_AS_OF - min(dates)).days >= 17 * 30
    assert max(dates) < DEMO_AS_OF
    assert Attendance.objects.count() >= 5 * Meeting.objects.count()
    assert Visit.objects.exists() and Training.objects.count() >= 3
    # Anggrek 6 meets more than four times in the month before the demo date, before its capital.
    anggrek = Kube.objects.get(name="KUBE Anggrek 6")
    october = anggrek.meetings.filter(date__year=2026, date__month=10).count()
    assert october > 4 and not anggrek.aid.exists()


def test_stats_json_counts_kubes_and_mentoring(world):
    stats = json.loads(CliRunner().invoke(app, ["stats", "--json"]).stdout)
    assert stats["kubes"] == Kube.objects.count()
    assert stats["meetings"] == Meeting.objects.count() > 0
    assert stats["visits"] == Visit.objects.count() > 0
    assert stats["facilitators"] == 3
