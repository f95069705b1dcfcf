"""KUBE maturity stages (spec §8.4) from the group's age and its success verdicts: pure, no Django.

The stage names come from older Kemensos guidance and the thresholds are defaults:

- `MANDIRI` (self-reliant): every success indicator met in the two most recent rounds (consecutive).
- `PENGEMBANGAN` (development): active at least two years and at least half of the indicators met
  in the most recent round.
- `PENUMBUHAN` (growing): everything else — a new group (under two years), under half met, or no
  round evaluated yet.

The latest rounds decide, not the best ever: a group that was MANDIRI and then fails a round drops
back. MANDIRI does not ask for the two years, as the spec does not: two consecutive rounds with every
indicator met are themselves evidence of a group that runs on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from berdaya.engine.evaluation.success import INDICATOR_CODES, Verdict

__all__ = ["MaturityResult", "MaturityThresholds", "Stage", "active_years_reached", "maturity_stage"]


class Stage(StrEnum):
    PENUMBUHAN = "PENUMBUHAN"
    PENGEMBANGAN = "PENGEMBANGAN"
    MANDIRI = "MANDIRI"


@dataclass(frozen=True)
class MaturityThresholds:
    """Settings of spec §8.4.

    - `min_active_years` (2): PENGEMBANGAN needs the group active at least this many whole years
      (the anniversary day counts: active since 2024-03-01 reaches two years on 2026-03-01).
    - `min_met_share` (0.5): PENGEMBANGAN needs met ÷ indicators ≥ this in the latest round
      (9 indicators: 5 met is enough, 4 is under half).
    - `mandiri_rounds` (2): MANDIRI needs this many most recent consecutive rounds all successful.
    """

    min_active_years: int = 2
    min_met_share: float = 0.5
    mandiri_rounds: int = 2

    def __post_init__(self) -> None:
        if self.min_active_years < 0:
            raise ValueError("min_active_years must not be negative")
        if not 0 <= self.min_met_share <= 1:
            raise ValueError("min_met_share must be a share between 0 and 1")
        if self.mandiri_rounds < 1:
            raise ValueError("mandiri_rounds must be at least 1")


DEFAULT_MATURITY = MaturityThresholds()


@dataclass(frozen=True)
class MaturityResult:
    """The stage, a reason in Bahasa Indonesia, and the facts it rests on (latest round)."""

    stage: Stage
    reason: str
    active_enough: bool
    latest_met: int | None
    latest_total: int | None


def _anniversary(start: dt.date, years: int) -> dt.date:
    """`start` plus whole years; 29 February falls back to 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def active_years_reached(active_since: dt.date, as_of: dt.date, years: int) -> bool:
    """Whether the group has been active at least `years` whole years on `as_of` (the anniversary counts)."""
    return as_of >= _anniversary(active_since, years)


def _counts(verdict: Verdict) -> tuple[int, int]:
    """(met, total) of a verdict; one built without its `met` list is read against the nine indicator codes."""
    if verdict.met:
        return len(verdict.met), verdict.total
    total = max(len(INDICATOR_CODES), len(verdict.unmet) + len(verdict.missing))
    return total - len(verdict.unmet) - len(verdict.missing), total


def maturity_stage(
    active_since: dt.date,
    as_of: dt.date,
    verdicts: Sequence[Verdict],
    thresholds: MaturityThresholds = DEFAULT_MATURITY,
) -> MaturityResult:
    """The maturity stage of one KUBE on `as_of`.

    `active_since` is the day the group became active (its SK penetapan or first meeting, as the
    caller decides); `verdicts` are the per-round success verdicts in round order, oldest first.
    Missing indicators count as not met. Raises ValueError when `as_of` is before `active_since`.
    """
    if as_of < active_since:
        raise ValueError(f"as_of {as_of} is before active_since {active_since}")
    active = active_years_reached(active_since, as_of, thresholds.min_active_years)
    if not verdicts:
        return MaturityResult(Stage.PENUMBUHAN, "Belum ada putaran evaluasi.", active, None, None)
    latest = verdicts[-1]
    met, total = _counts(latest)
    recent = verdicts[-thresholds.mandiri_rounds :]
    if len(recent) == thresholds.mandiri_rounds and all(v.successful for v in recent):
        reason = (
            f"Semua indikator keberhasilan terpenuhi pada {thresholds.mandiri_rounds} putaran terakhir berturut-turut."
        )
        return MaturityResult(Stage.MANDIRI, reason, active, met, total)
    half = total > 0 and met >= thresholds.min_met_share * total - 1e-9
    if active and half:
        reason = (
            f"Aktif sedikitnya {thresholds.min_active_years} tahun dan {met} dari {total} indikator "
            f"terpenuhi pada putaran terakhir."
        )
        return MaturityResult(Stage.PENGEMBANGAN, reason, active, met, total)
    if not active:
        reason = f"Kelompok baru: aktif kurang dari {thresholds.min_active_years} tahun ({met} dari {total} terpenuhi)."
    else:
        reason = f"Baru {met} dari {total} indikator terpenuhi pada putaran terakhir (kurang dari separuh)."
    return MaturityResult(Stage.PENUMBUHAN, reason, active, met, total)
