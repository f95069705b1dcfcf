"""Splitting families into strata (one village, one business type) and sizing each (spec §5)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MIXED = "campuran"


def group_count(n: int, *, target: int, size_min: int, size_max: int) -> int:
    """k = clamp(round(n / target), ceil(n / max), floor(n / min)); 0 when n < min (no group fits)."""
    if n < size_min:
        return 0
    low, high = math.ceil(n / size_max), n // size_min
    if low > high:  # cannot happen for max >= 2*min - 1; kept so a strange rule set fails clearly
        return 0
    # Half rounds up (25 families at target 10 make 3 groups); Python round() would make 2.
    return min(max(math.floor(n / target + 0.5), low), high)


@dataclass
class Stratum:
    village: str
    business_type: str
    mixed: bool
    indices: list[int] = field(default_factory=list)  # positions in the caller's family arrays
    k: int = 0


def plan_village(
    village: str, types: list[str | None], indices: list[int], *, target: int, size_min: int, size_max: int
) -> tuple[list[Stratum], list[int]]:
    """Strata of one village and the families left over for attaching to a group later.

    A business type with at least `size_min` families is its own stratum. The rarer ones (and
    families without a type) are pooled into one mixed stratum if together they reach the minimum;
    otherwise they are returned as leftovers.
    """
    by_type: dict[str, list[int]] = {}
    rare: list[int] = []
    for index, business_type in zip(indices, types, strict=True):
        by_type.setdefault(business_type or "", []).append(index)
    strata = []
    for business_type in sorted(by_type):
        members = by_type[business_type]
        if business_type and len(members) >= size_min:
            k = group_count(len(members), target=target, size_min=size_min, size_max=size_max)
            strata.append(Stratum(village, business_type, False, members, k))
        else:
            rare.extend(members)
    if len(rare) >= size_min:
        rare.sort()
        k = group_count(len(rare), target=target, size_min=size_min, size_max=size_max)
        strata.append(Stratum(village, MIXED, True, rare, k))
        rare = []
    return strata, sorted(rare)
