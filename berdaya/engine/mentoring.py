"""Mentoring rules (spec §6) as pure functions over dates and counts: no Django, no database.

The web layer fetches dates and counts with a few grouped queries and asks these functions the
questions; the rules themselves (which months count, how a rate is rounded, when a visit is late)
live only here so that a page, a report and the command line cannot disagree.

Calendar months are exact: a month is identified by its first day, and a meeting on 31 October and
one on 1 November fall in two different months whatever the time zone of the server, because the
functions take `datetime.date` values (the date the meeting was held, as recorded).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AttendanceCounts",
    "LoanReadiness",
    "add_months",
    "attendance_is_low",
    "attendance_rate",
    "attendance_window",
    "capital_loan_ready",
    "days_without_visit",
    "kecamatan_code",
    "meetings_per_month",
    "month_end",
    "month_start",
    "months_back",
    "over_cap",
    "visit_overdue",
]


def month_start(day: dt.date) -> dt.date:
    """The first day of the calendar month holding `day` (the key of that month)."""
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after (negative: before) the month holding `month`."""
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the calendar month holding `day` (29 February in a leap year)."""
    return add_months(day, 1) - dt.timedelta(days=1)


def months_back(as_of: dt.date, count: int) -> list[dt.date]:
    """The first days of `count` calendar months ending with the month of `as_of`, oldest first.

    `months_back(date(2026, 1, 15), 3)` is `[2025-11-01, 2025-12-01, 2026-01-01]`. The month of
    `as_of` is included although it is not over yet: an alert should see this month's meetings.
    Raises ValueError when `count` is below 1.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    current = month_start(as_of)
    return [add_months(current, -offset) for offset in range(count - 1, -1, -1)]


def attendance_window(as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The inclusive date range of the last `months` calendar months: first day of the oldest to `as_of`.

    Days after `as_of` are outside, so a later look at an earlier `as_of` gives the same answer.
    """
    return months_back(as_of, months)[0], as_of


def meetings_per_month(dates: Iterable[dt.date]) -> dict[dt.date, int]:
    """Meetings held per calendar month, keyed by the month's first day, months in order.

    A meeting is a *day*: two records on the same date count once, so a meeting entered twice (on two
    phones) cannot push a group over the capital-loan line.
    """
    per_month = Counter(month_start(day) for day in set(dates))
    return dict(sorted(per_month.items()))


@dataclass(frozen=True)
class LoanReadiness:
    """The answer of `capital_loan_ready`: the month with most meetings among those counted."""

    ready: bool
    month: dt.date
    meetings: int
    threshold: int


def capital_loan_ready(
    meeting_dates: Iterable[dt.date], as_of: dt.date, threshold: int = 4, months: int = 2
) -> LoanReadiness:
    """Whether a not-yet-funded group met MORE than `threshold` times in one calendar month (spec §6).

    The months counted are the month of `as_of` (so far) and the `months - 1` full months before it
    (default: this month and last month), so a group that qualified in October is still shown
    through November and a group qualifies the day its fifth meeting of the month is recorded.
    Meetings after `as_of` are ignored. The result names the counted month with most meetings (the
    latest on a tie); `ready` is `meetings > threshold`. Raises ValueError when `months` is below 1.
    """
    counted = months_back(as_of, months)
    per_month = meetings_per_month(day for day in meeting_dates if counted[0] <= day <= as_of)
    best_month, best = counted[-1], per_month.get(counted[-1], 0)
    for month in reversed(counted):
        if per_month.get(month, 0) > best:
            best_month, best = month, per_month[month]
    return LoanReadiness(ready=best > threshold, month=best_month, meetings=best, threshold=threshold)


@dataclass(frozen=True)
class AttendanceCounts:
    """Attendance records by status over some meetings. Excused (izin) counts as not present."""

    present: int = 0
    excused: int = 0
    absent: int = 0

    @property
    def total(self) -> int:
        return self.present + self.excused + self.absent

    def __add__(self, other: AttendanceCounts) -> AttendanceCounts:
        return AttendanceCounts(self.present + other.present, self.excused + other.excused, self.absent + other.absent)


def attendance_rate(counts: AttendanceCounts) -> float | None:
    """Present records as a percentage of all records, cut (not rounded) to one decimal; None without records.

    Cutting keeps the shown number on the same side of a threshold as the exact rate: 59.99 % shows
    as 59.9, never as a 60.0 that would contradict a "below 60 %" alert.
    """
    if counts.total == 0:
        return None
    return (counts.present * 1000 // counts.total) / 10


def attendance_is_low(counts: AttendanceCounts, min_percent: int) -> bool:
    """Whether attendance is below `min_percent` (exact, in integers); never low without records."""
    if counts.total == 0:
        return False
    return counts.present * 100 < min_percent * counts.total


def days_without_visit(last_visit: dt.date | None, as_of: dt.date, since: dt.date | None = None) -> int | None:
    """Days from the last visit (or, never visited, from `since`, e.g. the group's formation) to `as_of`.

    None when there was no visit and no `since` to count from.
    """
    start = last_visit if last_visit is not None else since
    if start is None:
        return None
    return (as_of - start).days


def visit_overdue(last_visit: dt.date | None, as_of: dt.date, days: int, since: dt.date | None = None) -> bool:
    """Whether a group has gone MORE than `days` days without a visit.

    A visit exactly `days` days before `as_of` still counts as "in the last `days` days". A group never
    visited is overdue once `days` have passed since `since` (a new group gets that much time), and at
    once when there is no `since`.
    """
    waited = days_without_visit(last_visit, as_of, since)
    return waited is None or waited > days


def over_cap(current_assignments: int, cap: int) -> bool:
    """Whether a pendamping holds more KUBEs than their caseload cap (at the cap is not over)."""
    return current_assignments > cap


def kecamatan_code(region_code: str) -> str:
    """The kecamatan of a region code: its first three dotted parts (`61.71.04.1001` → `61.71.04`)."""
    return ".".join(region_code.split(".")[:3])
