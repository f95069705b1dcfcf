"""Mentoring alerts (spec §6) from the database: each rule on hand-made KUBEs, and who sees what (spec §2)."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.kube.models import KubeState, Officer
from berdaya.mentoring import alerts as A
from berdaya.mentoring.alerts import alerts_for, kube_attendance
from tests.factories import assign, make_facilitator, make_kube, make_meeting, make_visit

D = dt.date
AS_OF = D(2026, 11, 10)


def codes_for(found, kube) -> set[str]:
    return {a.code for a in found if a.kube_id == kube.pk}


@pytest.fixture
def active(regions):
    """An active KUBE of five families in Siantan Hulu with a pendamping, visited recently, meeting well."""
    kube = make_kube(state=KubeState.ACTIVE, size=5, name="KUBE Jagung Manis 8")
    assign(kube, make_facilitator())
    make_visit(kube, AS_OF - dt.timedelta(days=3))
    make_meeting(kube, D(2026, 11, 2))
    return kube


# CAPITAL_LOAN_READY


def test_an_unfunded_group_with_five_meetings_in_a_month_is_ready_for_a_capital_loan(regions, admin_user):
    kube = make_kube(state=KubeState.ESTABLISHED, size=5)
    for day in (1, 8, 15, 22, 29):
        make_meeting(kube, D(2026, 10, day))
    found = [a for a in alerts_for(user=admin_user, as_of=AS_OF) if a.code == A.CAPITAL_LOAN_READY]
    assert [a.kube_id for a in found] == [kube.pk]
    assert found[0].numbers == {"meetings": 5, "month": D(2026, 10, 1)}
    assert "Oktober 2026" in found[0].message


def test_exactly_four_meetings_is_not_enough_and_a_fifth_is(regions, admin_user):
    kube = make_kube(state=KubeState.PROPOSED, size=5)
    for day in (1, 8, 15, 22):
        make_meeting(kube, D(2026, 10, day))
    assert A.CAPITAL_LOAN_READY not in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)
    make_meeting(kube, D(2026, 10, 29))
    assert A.CAPITAL_LOAN_READY in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)


def test_meetings_on_31_october_and_1_november_are_in_different_months(regions, admin_user):
    kube = make_kube(state=KubeState.VERIFIED, size=5)
    for day in (D(2026, 10, 24), D(2026, 10, 27), D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 3), D(2026, 11, 6)):
        make_meeting(kube, day)
    assert A.CAPITAL_LOAN_READY not in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)
    make_meeting(kube, D(2026, 10, 30))
    make_meeting(kube, D(2026, 10, 29))
    assert A.CAPITAL_LOAN_READY in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)


def test_a_funded_group_is_never_flagged_for_a_capital_loan(regions, admin_user):
    kube = make_kube(state=KubeState.FUNDED, size=5)
    for day in (1, 8, 15, 22, 29):
        make_meeting(kube, D(2026, 10, day))
    assert A.CAPITAL_LOAN_READY not in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)


def test_decembers_meetings_count_in_january_but_not_in_february(regions, admin_user):
    kube = make_kube(state=KubeState.PROPOSED, size=5)
    for day in (2, 9, 16, 23, 31):
        make_meeting(kube, D(2025, 12, day))
    assert A.CAPITAL_LOAN_READY in codes_for(alerts_for(user=admin_user, as_of=D(2026, 1, 4)), kube)
    assert A.CAPITAL_LOAN_READY not in codes_for(alerts_for(user=admin_user, as_of=D(2026, 2, 1)), kube)


# NO_VISIT


def test_a_visit_thirty_days_ago_is_in_time_and_thirty_one_is_not(regions, admin_user):
    in_time = make_kube(state=KubeState.ACTIVE, size=5)
    late = make_kube(state=KubeState.ACTIVE, size=5)
    make_visit(in_time, AS_OF - dt.timedelta(days=30))
    make_visit(late, AS_OF - dt.timedelta(days=31))
    found = alerts_for(user=admin_user, as_of=AS_OF)
    assert A.NO_VISIT not in codes_for(found, in_time)
    [alert] = [a for a in found if a.code == A.NO_VISIT and a.kube_id == late.pk]
    assert alert.numbers["days"] == 31
    assert "31 hari" in alert.message


def test_a_group_never_visited_is_flagged_once_its_grace_period_is_over(regions, admin_user):
    old = make_kube(state=KubeState.ACTIVE, size=5, formed_on=D(2025, 1, 6))
    new = make_kube(state=KubeState.VERIFIED, size=5, formed_on=AS_OF - dt.timedelta(days=10))
    found = alerts_for(user=admin_user, as_of=AS_OF)
    [alert] = [a for a in found if a.code == A.NO_VISIT and a.kube_id == old.pk]
    assert "Belum pernah" in alert.message
    assert A.NO_VISIT not in codes_for(found, new)


def test_proposed_and_dissolved_groups_are_not_expected_to_be_visited(regions, admin_user):
    proposed = make_kube(state=KubeState.PROPOSED, size=5)
    dissolved = make_kube(state=KubeState.DISSOLVED, size=5)
    found = alerts_for(user=admin_user, as_of=AS_OF)
    assert A.NO_VISIT not in codes_for(found, proposed)
    assert codes_for(found, dissolved) == set()


def test_a_visit_after_the_reference_date_does_not_count(regions, admin_user):
    kube = make_kube(state=KubeState.ACTIVE, size=5)
    make_visit(kube, AS_OF + dt.timedelta(days=1))
    assert A.NO_VISIT in codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)


# LOW_ATTENDANCE and NO_MEETINGS


def test_attendance_below_sixty_percent_over_three_months_is_low(active, admin_user):
    # With the fixture's full meeting (5 present): 5 + 1 present of 15 records = 40 %.
    make_meeting(active, D(2026, 9, 1), statuses=["present", "excused", "excused", "absent", "absent"])
    make_meeting(active, D(2026, 10, 31), statuses=["absent"] * 5)
    [alert] = [a for a in alerts_for(user=admin_user, as_of=AS_OF) if a.code == A.LOW_ATTENDANCE]
    assert alert.kube_id == active.pk
    assert alert.numbers == {"rate": 40.0, "present": 6, "excused": 2, "absent": 7}
    assert "40,0%" in alert.message


def test_excused_counts_as_not_present_and_exactly_sixty_percent_is_not_low(active, admin_user):
    # 5 present (fixture) + 1 present of 10 = 60 %: not low. Five excused more make 6 of 15 = 40 %, which would
    # still be 13 of 15 if excused counted as present.
    make_meeting(active, D(2026, 10, 5), statuses=["present", "excused", "excused", "absent", "absent"])
    assert A.LOW_ATTENDANCE not in codes_for(alerts_for(user=admin_user, as_of=AS_OF), active)
    make_meeting(active, D(2026, 10, 12), statuses=["excused"] * 5)
    assert A.LOW_ATTENDANCE in codes_for(alerts_for(user=admin_user, as_of=AS_OF), active)


def test_meetings_before_the_three_calendar_months_are_left_out(active, admin_user):
    # As of 10 November the window starts on 1 September: 31 August is outside.
    make_meeting(active, D(2026, 8, 31), statuses=["absent"] * 5)
    make_meeting(active, D(2026, 8, 30), statuses=["absent"] * 5)
    assert A.LOW_ATTENDANCE not in codes_for(alerts_for(user=admin_user, as_of=AS_OF), active)
    assert A.LOW_ATTENDANCE in codes_for(alerts_for(user=admin_user, as_of=D(2026, 10, 31)), active)


def test_a_group_without_meetings_gets_information_but_no_attendance_alert(regions, admin_user):
    kube = make_kube(state=KubeState.ACTIVE, size=5)
    make_meeting(kube, D(2026, 8, 31), statuses=["absent"] * 5)
    found = codes_for(alerts_for(user=admin_user, as_of=AS_OF), kube)
    assert A.NO_MEETINGS in found
    assert A.LOW_ATTENDANCE not in found


# FACILITATOR_OVER_CAP and KUBE_WITHOUT_FACILITATOR


def test_a_pendamping_above_their_cap_is_flagged_and_at_the_cap_is_not(regions, admin_user):
    busy = make_facilitator(name="Bu Sri", cap=2)
    full = make_facilitator(name="Pak Ali", cap=2)
    for _ in range(3):
        assign(make_kube(state=KubeState.PROPOSED, size=5), busy)
    for _ in range(2):
        assign(make_kube(state=KubeState.PROPOSED, size=5), full)
    found = [a for a in alerts_for(user=admin_user, as_of=AS_OF) if a.code == A.FACILITATOR_OVER_CAP]
    assert [(a.facilitator_name, a.numbers) for a in found] == [("Bu Sri", {"load": 3, "cap": 2})]


def test_ended_assignments_and_dissolved_groups_do_not_count_towards_the_cap(regions, admin_user):
    facilitator = make_facilitator(cap=1)
    assign(make_kube(state=KubeState.PROPOSED, size=5), facilitator)
    ended = assign(make_kube(state=KubeState.PROPOSED, size=5), facilitator, start=D(2025, 1, 1))
    ended.end = D(2025, 6, 1)
    ended.save()
    assign(make_kube(state=KubeState.DISSOLVED, size=5), facilitator)
    assert not [a for a in alerts_for(user=admin_user, as_of=AS_OF) if a.code == A.FACILITATOR_OVER_CAP]


def test_a_live_group_without_a_current_active_pendamping_is_flagged(regions, admin_user):
    covered = make_kube(state=KubeState.PROPOSED, size=5)
    assign(covered, make_facilitator())
    bare = make_kube(state=KubeState.PROPOSED, size=5)
    with_inactive = make_kube(state=KubeState.ACTIVE, size=5)
    inactive = make_facilitator(name="Pensiun")
    inactive.active = False
    inactive.save()
    assign(with_inactive, inactive)
    graduated = make_kube(state=KubeState.GRADUATED, size=5)
    found = alerts_for(user=admin_user, as_of=AS_OF)
    assert A.KUBE_WITHOUT_FACILITATOR not in codes_for(found, covered)
    assert A.KUBE_WITHOUT_FACILITATOR in codes_for(found, bare)
    assert A.KUBE_WITHOUT_FACILITATOR in codes_for(found, with_inactive)
    assert codes_for(found, graduated) == set()


# KECAMATAN_WITHOUT_FACILITATOR


def test_a_kecamatan_with_live_groups_and_no_active_pendamping_at_home_is_flagged(regions, officer):
    make_kube(state=KubeState.PROPOSED, size=5, region="61.71.04.1001")
    make_kube(state=KubeState.PROPOSED, size=5, region="61.71.05.1001")
    make_kube(state=KubeState.PROPOSED, size=5, region="61.71.05.1002")
    make_kube(state=KubeState.DISSOLVED, size=5, region="61.71.01.1002")
    make_facilitator(home="61.71.04")
    gone = make_facilitator(home="61.71.05")
    gone.active = False
    gone.save()
    found = [a for a in alerts_for(user=officer, as_of=AS_OF) if a.code == A.KECAMATAN_WITHOUT_FACILITATOR]
    assert [(a.region_code, a.region_name, a.numbers["kubes"]) for a in found] == [("61.71.05", "Pontianak Kota", 2)]
    assert found[0].url == "/kube/?wilayah=61.71.05"


# Scope (spec §2)


def test_a_stranger_sees_nothing_of_another_city(active, stranger):
    make_kube(state=KubeState.PROPOSED, size=5, region="61.71.05.1001")
    assert alerts_for(user=stranger, as_of=AS_OF) == []


def test_a_program_officer_sees_the_groups_of_their_city_with_links(active, officer):
    other = make_kube(state=KubeState.PROPOSED, size=5)
    found = alerts_for(user=officer, as_of=AS_OF)
    [alert] = [a for a in found if a.code == A.KUBE_WITHOUT_FACILITATOR]
    assert alert.kube_id == other.pk
    assert alert.url == f"/kube/{other.pk}/"


def test_a_pendamping_sees_only_their_own_groups_and_caseload(regions, make_user):
    user = make_user("pendamping", "facilitator", "61.71")
    mine = make_facilitator(user=user, cap=1)
    colleague = make_facilitator(cap=1)
    own = [make_kube(state=KubeState.ACTIVE, size=5) for _ in range(2)]
    for kube in own:
        assign(kube, mine)
    theirs = [make_kube(state=KubeState.ACTIVE, size=5) for _ in range(2)]
    for kube in theirs:
        assign(kube, colleague)
    make_kube(state=KubeState.PROPOSED, size=5)  # unassigned: not the pendamping's business
    found = alerts_for(user=user, as_of=AS_OF)
    assert {a.kube_id for a in found if a.kube_id} == {k.pk for k in own}
    assert [a.facilitator_id for a in found if a.code == A.FACILITATOR_OVER_CAP] == [mine.pk]
    assert not [a for a in found if a.code in (A.KECAMATAN_WITHOUT_FACILITATOR, A.KUBE_WITHOUT_FACILITATOR)]


def test_a_kube_officer_sees_only_their_own_group(regions, make_user):
    user = make_user("ketua", "kube_officer", "61.71.04.1001")
    own = make_kube(state=KubeState.VERIFIED, size=5)
    make_kube(state=KubeState.VERIFIED, size=5)
    Officer.objects.filter(kube=own, role="ketua").update(user=user)
    found = alerts_for(user=user, as_of=AS_OF)
    assert found
    assert {a.kube_id for a in found} == {own.pk}


def test_a_viewer_gets_counts_per_kecamatan_without_names(regions, make_user):
    viewer = make_user("provinsi", "viewer", "61")
    for _ in range(2):
        make_kube(state=KubeState.PROPOSED, size=5, name=None)
    make_kube(state=KubeState.PROPOSED, size=5, region="61.72.01.1001")
    found = alerts_for(user=viewer, as_of=AS_OF)
    bare = {a.region_code: a.count for a in found if a.code == A.KUBE_WITHOUT_FACILITATOR}
    assert bare == {"61.71.04": 2, "61.72.01": 1}
    assert all(a.kube_id is None and a.kube_name == "" and a.url == "" for a in found)
    assert all(a.facilitator_name == "" for a in found)
    assert {a.region_code for a in found if a.code == A.KECAMATAN_WITHOUT_FACILITATOR} == {"61.71.04", "61.72.01"}


def test_an_evaluator_gets_the_same_aggregates_within_their_region(regions, make_user):
    evaluator = make_user("peneliti", "evaluator", "61.72")
    make_kube(state=KubeState.PROPOSED, size=5)
    make_kube(state=KubeState.PROPOSED, size=5, region="61.72.01.1001")
    found = alerts_for(user=evaluator, as_of=AS_OF)
    assert {a.region_code for a in found} == {"61.72.01"}
    assert all(a.kube_id is None for a in found)


def test_an_anonymous_user_gets_nothing(active):
    from django.contrib.auth.models import AnonymousUser

    assert alerts_for(user=AnonymousUser(), as_of=AS_OF) == []


# Attendance for the KUBE page


def test_kube_attendance_counts_statuses_and_rates_each_member(regions):
    kube = make_kube(state=KubeState.ACTIVE, size=5)
    make_meeting(kube, D(2026, 10, 1), statuses=["present", "present", "excused", "absent", "present"])
    make_meeting(kube, D(2026, 10, 31), statuses=["present", "absent", "absent", "absent", "present"])
    make_meeting(kube, D(2026, 11, 1), statuses=["absent"] * 5)  # outside the period
    result = kube_attendance(kube, D(2026, 10, 1), D(2026, 10, 31))
    assert result.meetings == 2
    assert (result.counts.present, result.counts.excused, result.counts.absent) == (5, 1, 4)
    assert result.rate == 50.0
    assert result.low is True
    rates = sorted((m.rate, m.low) for m in result.members)
    assert rates == [(0.0, True), (0.0, True), (50.0, True), (100.0, False), (100.0, False)]
    assert all(m.name.startswith("WARGA") for m in result.members)


def test_kube_attendance_without_meetings_has_no_rate(regions):
    kube = make_kube(state=KubeState.ACTIVE, size=5)
    result = kube_attendance(kube, D(2026, 10, 1), D(2026, 10, 31))
    assert (result.meetings, result.rate, result.low) == (0, None, False)
    assert len(result.members) == 5
    assert all(m.rate is None for m in result.members)
