"""The mentoring rules of spec §6 on hand-made dates: month boundaries, thresholds, rounding."""

from __future__ import annotations

import datetime as dt

import pytest

from berdaya.engine.mentoring import (
    AttendanceCounts,
    add_months,
    attendance_is_low,
    attendance_rate,
    attendance_window,
    capital_loan_ready,
    days_without_visit,
    kecamatan_code,
    meetings_per_month,
    month_end,
    month_start,
    months_back,
    over_cap,
    visit_overdue,
)

D = dt.date


def test_month_start_and_end_bound_the_calendar_month():
    assert month_start(D(2026, 1, 31)) == D(2026, 1, 1)
    assert month_end(D(2026, 1, 1)) == D(2026, 1, 31)
    assert month_end(D(2026, 4, 10)) == D(2026, 4, 30)
    assert month_end(D(2026, 12, 5)) == D(2026, 12, 31)


def test_february_ends_on_the_leap_day_only_in_a_leap_year():
    assert month_end(D(2028, 2, 1)) == D(2028, 2, 29)
    assert month_end(D(2026, 2, 1)) == D(2026, 2, 28)
    assert month_start(D(2028, 2, 29)) == D(2028, 2, 1)


def test_add_months_crosses_years_both_ways():
    assert add_months(D(2025, 12, 17), 1) == D(2026, 1, 1)
    assert add_months(D(2026, 1, 31), -1) == D(2025, 12, 1)
    assert add_months(D(2026, 3, 1), -14) == D(2025, 1, 1)


def test_months_back_counts_the_current_month_and_the_ones_before_it_oldest_first():
    assert months_back(D(2026, 1, 15), 3) == [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)]
    assert months_back(D(2026, 3, 1), 1) == [D(2026, 3, 1)]


def test_months_back_refuses_zero_months():
    with pytest.raises(ValueError):
        months_back(D(2026, 1, 1), 0)


def test_attendance_window_runs_from_the_first_of_the_oldest_month_to_as_of():
    assert attendance_window(D(2026, 11, 20), 3) == (D(2026, 9, 1), D(2026, 11, 20))
    assert attendance_window(D(2026, 2, 1), 3) == (D(2025, 12, 1), D(2026, 2, 1))


def test_meetings_on_31_january_and_1_february_fall_in_two_months():
    per_month = meetings_per_month([D(2026, 1, 31), D(2026, 2, 1)])
    assert per_month == {D(2026, 1, 1): 1, D(2026, 2, 1): 1}


def test_two_meetings_on_one_day_count_once():
    assert meetings_per_month([D(2026, 5, 4), D(2026, 5, 4), D(2026, 5, 11)]) == {D(2026, 5, 1): 2}


def test_exactly_the_threshold_is_not_ready_but_one_more_is():
    four = [D(2026, 10, d) for d in (1, 8, 15, 22)]
    assert capital_loan_ready(four, D(2026, 10, 31), threshold=4).ready is False
    five = [*four, D(2026, 10, 29)]
    result = capital_loan_ready(five, D(2026, 10, 31), threshold=4)
    assert result.ready is True
    assert (result.month, result.meetings) == (D(2026, 10, 1), 5)


def test_meetings_split_across_a_month_boundary_do_not_add_up():
    # Three in late October and three in early November: six in 30 days but never five in a month.
    dates = [D(2026, 10, 24), D(2026, 10, 28), D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 4), D(2026, 11, 7)]
    result = capital_loan_ready(dates, D(2026, 11, 10), threshold=4)
    assert result.ready is False
    assert result.meetings == 3


def test_last_months_meetings_still_count_this_month_but_not_the_month_before():
    december = [D(2025, 12, d) for d in (2, 9, 16, 23, 30)]
    assert capital_loan_ready(december, D(2026, 1, 5)).ready is True
    assert capital_loan_ready(december, D(2026, 1, 5)).month == D(2025, 12, 1)
    assert capital_loan_ready(december, D(2026, 2, 1)).ready is False


def test_meetings_after_as_of_are_ignored():
    dates = [D(2026, 3, d) for d in (2, 9, 16, 23, 30)]
    assert capital_loan_ready(dates, D(2026, 3, 29)).meetings == 4
    assert capital_loan_ready(dates, D(2026, 3, 29)).ready is False


def test_the_leap_day_counts_in_february():
    dates = [D(2028, 2, d) for d in (1, 8, 15, 22, 29)]
    assert capital_loan_ready(dates, D(2028, 3, 1)).ready is True
    assert meetings_per_month(dates) == {D(2028, 2, 1): 5}


def test_a_tie_names_the_latest_month():
    dates = [D(2026, 5, d) for d in (1, 2)] + [D(2026, 6, d) for d in (1, 2)]
    assert capital_loan_ready(dates, D(2026, 6, 30)).month == D(2026, 6, 1)


def test_no_meetings_is_zero_in_the_current_month():
    result = capital_loan_ready([], D(2026, 6, 30))
    assert (result.ready, result.month, result.meetings) == (False, D(2026, 6, 1), 0)


def test_attendance_rate_is_present_over_all_records_with_excused_not_present():
    assert attendance_rate(AttendanceCounts(present=6, excused=2, absent=2)) == 60.0
    assert attendance_rate(AttendanceCounts(present=1, excused=1, absent=0)) == 50.0


def test_attendance_rate_is_cut_not_rounded_so_it_never_crosses_the_threshold():
    # 2/3 = 66.666… shows as 66.6; 5999/10000 = 59.99 shows as 59.9, not 60.0.
    assert attendance_rate(AttendanceCounts(present=2, absent=1)) == 66.6
    assert attendance_rate(AttendanceCounts(present=5999, absent=4001)) == 59.9
    assert attendance_is_low(AttendanceCounts(present=5999, absent=4001), 60) is True


def test_attendance_rate_is_none_without_records():
    assert attendance_rate(AttendanceCounts()) is None


def test_exactly_the_minimum_is_not_low():
    assert attendance_is_low(AttendanceCounts(present=3, absent=2), 60) is False
    assert attendance_is_low(AttendanceCounts(present=3, excused=1, absent=1), 60) is False
    assert attendance_is_low(AttendanceCounts(present=2, excused=1, absent=0), 70) is True


def test_no_records_is_never_low_attendance():
    assert attendance_is_low(AttendanceCounts(), 60) is False


def test_attendance_counts_add_up():
    total = AttendanceCounts(1, 2, 3) + AttendanceCounts(4, 5, 6)
    assert (total.present, total.excused, total.absent, total.total) == (5, 7, 9, 21)


def test_a_visit_exactly_thirty_days_ago_is_still_in_time():
    assert visit_overdue(D(2026, 10, 1), D(2026, 10, 31), 30) is False
    assert visit_overdue(D(2026, 9, 30), D(2026, 10, 31), 30) is True


def test_a_visit_across_the_year_end_is_counted_in_days():
    assert days_without_visit(D(2025, 12, 31), D(2026, 1, 30)) == 30
    assert visit_overdue(D(2025, 12, 31), D(2026, 1, 31), 30) is True


def test_a_group_never_visited_gets_the_grace_period_from_its_start():
    assert visit_overdue(None, D(2026, 10, 31), 30, since=D(2026, 10, 15)) is False
    assert visit_overdue(None, D(2026, 10, 31), 30, since=D(2026, 9, 1)) is True
    assert visit_overdue(None, D(2026, 10, 31), 30) is True
    assert days_without_visit(None, D(2026, 10, 31)) is None


def test_at_the_cap_is_not_over_it():
    assert over_cap(10, 10) is False
    assert over_cap(11, 10) is True


def test_kecamatan_code_is_the_first_three_parts():
    assert kecamatan_code("61.71.04.1001") == "61.71.04"
    assert kecamatan_code("61.71.04") == "61.71.04"
