"""The city-scale demo world (issue 7), built small: 3,000 families and 60 KUBEs over all of Kota Pontianak.

Built twice in one module fixture (the first rolled back) to show that the same seed gives the same world.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.models import AuditEvent
from berdaya.demo.build import DEMO_AS_OF
from berdaya.demo.scale import STATE_MIX, city_kelurahan, demo_city_build
from berdaya.kube.models import Kube, KubeState, Membership
from berdaya.ledger.models import JournalLine
from berdaya.mentoring.models import Assignment, Attendance, Facilitator, Meeting, Visit
from berdaya.registry.models import Family

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FAMILIES, KUBES, MONTHS = 3000, 60, 6
BOOK_STATES = (KubeState.FUNDED, KubeState.ACTIVE, KubeState.GRADUATED, KubeState.DISSOLVED)


def world_digest() -> str:
    """Groups, members, books and meetings, without database ids or timestamps."""
    kubes = list(
        Kube.objects.order_by("region_id", "name").values_list(
            "region_id", "name", "state", "formed_on", "business_type"
        )
    )
    members = list(
        Membership.objects.order_by("kube__name", "family__no_kk").values_list("kube__name", "family__no_kk", "live")
    )
    lines = list(
        JournalLine.objects.order_by("kube__name", "entry__number", "id").values_list(
            "kube__name", "entry__number", "entry__date", "entry__operation", "account__code", "debit", "credit"
        )
    )
    meetings = list(
        Attendance.objects.order_by("meeting__kube__name", "meeting__date", "family__no_kk").values_list(
            "meeting__kube__name", "meeting__date", "meeting__agenda", "family__no_kk", "status"
        )
    )
    visits = list(Visit.objects.order_by("kube__name", "date").values_list("kube__name", "date", "purpose"))
    return hashlib.sha256(repr((kubes, members, lines, meetings, visits)).encode()).hexdigest()


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, kalbar_regions_csv):
    from berdaya.core.services import regions_load

    def build() -> dict:
        return demo_city_build(families=FAMILIES, kubes=KUBES, meeting_months=MONTHS, log=lambda message: None)

    with django_db_blocker.unblock(), transaction.atomic():
        regions_load(path=kalbar_regions_csv)
        with transaction.atomic():
            build()
            digest = world_digest()
            transaction.set_rollback(True)
        summary = build()
        yield {"digest": digest, "summary": summary}
        transaction.set_rollback(True)


def test_families_live_in_every_kecamatan_and_nearly_every_kelurahan_of_the_city(built):
    assert Family.objects.count() == FAMILIES
    by_region = Counter(Family.objects.values_list("region_id", flat=True))
    assert {code[:8] for code in by_region} == {f"61.71.0{n}" for n in range(1, 7)}
    assert len(by_region) >= 27  # of 29; the smallest kelurahan may draw none at this size
    assert set(by_region) <= {k.code for k in city_kelurahan()}


def test_the_kubes_follow_the_lifecycle_mix_with_most_of_them_working(built):
    states = Counter(Kube.objects.values_list("state", flat=True))
    assert sum(states.values()) == KUBES
    assert set(states) == {state for state, _share in STATE_MIX}
    for state, share in STATE_MIX:
        assert abs(states[state] - share * KUBES) <= 1.5, (state, states)
    corn = Kube.objects.get(name="KUBE Jagung Manis 8")
    assert (corn.region_id, corn.state) == ("61.71.04.1001", KubeState.ACTIVE)
    assert corn.officers.get(role="bendahara").user.username == "bendahara"


def test_every_kube_that_received_aid_has_books_of_a_few_hundred_lines_and_no_other_does(built):
    lines = dict(JournalLine.objects.values("kube_id").annotate(n=Count("id")).values_list("kube_id", "n"))
    for kube in Kube.objects.all():
        if kube.state in BOOK_STATES:
            assert 40 <= lines.get(kube.pk, 0) <= 2000, (kube.name, kube.state, lines.get(kube.pk))
        else:
            assert kube.pk not in lines
    assert built["summary"]["counts"]["journal_lines"] == sum(lines.values())
    assert sum(lines.values()) / len(lines) >= 300


def test_pontianak_kota_has_no_pendamping_and_every_other_kecamatan_has(built):
    assert not Facilitator.objects.filter(home_region_id="61.71.05").exists()
    assert not Assignment.objects.filter(kube__region__code__startswith="61.71.05.").exists()
    staffed = set(Facilitator.objects.values_list("home_region_id", flat=True))
    with_groups = {
        code[:8] for code in Kube.objects.exclude(musyawarah_on=None).values_list("region_id", flat=True)
    } - {"61.71.05"}
    assert with_groups <= staffed
    assert Facilitator.objects.get(user__username="pendamping1").home_region_id == "61.71.04"
    live_elsewhere = Kube.objects.exclude(musyawarah_on=None).exclude(region__code__startswith="61.71.05.")
    assert set(Assignment.objects.values_list("kube_id", flat=True)) == set(live_elsewhere.values_list("pk", flat=True))


def test_months_of_meetings_with_full_attendance_and_visits_only_where_a_pendamping_serves(built):
    counts = built["summary"]["counts"]
    assert Meeting.objects.count() == counts["meetings"] > KUBES * MONTHS
    assert Attendance.objects.count() == counts["attendance"]
    first, last = DEMO_AS_OF - dt.timedelta(days=31 * MONTHS + 1), DEMO_AS_OF - dt.timedelta(days=1)
    dates = Meeting.objects.values_list("date", flat=True)
    assert first <= min(dates) and max(dates) <= last
    assert Visit.objects.count() == counts["visits"] > 0
    assert not Visit.objects.filter(kube__region__code__startswith="61.71.05.").exists()
    assert not Meeting.objects.filter(kube__state=KubeState.PROPOSED).exists()


def test_the_build_is_recorded_so_a_later_demo_may_replace_it(built):
    event = AuditEvent.objects.filter(action="demo.build").latest("id")
    assert event.changes["scale"] == "city"
    assert event.changes["kubes"] == KUBES


def test_the_same_seed_gives_the_same_world(built):
    assert world_digest() == built["digest"]


def test_the_cli_refuses_an_unknown_scale():
    result = CliRunner().invoke(app, ["demo", "--scale", "huge", "--no-serve"])
    assert result.exit_code == 2
    assert "--scale" in result.output
