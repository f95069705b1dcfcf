"""From a response's answers (item code -> value, as `submissions.read_submissions` or the web form gives
them) to what the scoring functions take: a welfare `HouseholdAnswers`, a member's empowerment items per
indicator, the mean of an instrument indicator's Likert items.

The item codes are those of the bundled instruments (welfare-v1, empowerment-v1, group_assessment-v1).
A later version that renames an item must extend these maps; the tests load every bundled version and
check that each code used here exists in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berdaya.engine.evaluation.instruments import Instrument, items_by_indicator
from berdaya.engine.evaluation.welfare import HouseholdAnswers

__all__ = [
    "POOR_FLOORS",
    "POOR_ROOFS",
    "POOR_WALLS",
    "WELFARE_ITEMS",
    "empowerment_items",
    "household_from_answers",
    "indicator_mean",
]

# Materials BPS counts as a poor house (floor, wall, roof), by the choice values of welfare-v1.
POOR_FLOORS = frozenset({"tanah", "bambu", "kayu_murah"})
POOR_WALLS = frozenset({"bambu_rumbia", "kayu_murah", "tembok_kasar"})
POOR_ROOFS = frozenset({"daun"})

WELFARE_ITEMS = (
    "income_month",
    "household_size",
    "meals_per_day",
    "food_shortage_month",
    "new_clothes_year",
    "floor_material",
    "wall_material",
    "roof_material",
    "floor_area",
    "sick_untreated",
    "children_7_15",
    "children_not_school",
    "worship_able",
    "community_activity_3m",
)


def _yes(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    return str(value) == "1"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _member_of(value: Any, poor: frozenset[str]) -> bool | None:
    if value is None or value == "":
        return None
    return str(value) in poor


def household_from_answers(values: Mapping[str, Any], *, ref: str = "") -> HouseholdAnswers:
    """A welfare response as the deprivation rules read it. Unanswered questions stay None.

    A household without children aged 7–15 has no child out of school (False, not None): the question
    about school is only asked when there are such children.
    """
    children = _number(values.get("children_7_15"))
    out_of_school = _number(values.get("children_not_school"))
    if children is not None and children <= 0:
        child_out: bool | None = False
    else:
        child_out = None if out_of_school is None else out_of_school > 0
    worship = _yes(values.get("worship_able"))
    size = _number(values.get("household_size"))
    return HouseholdAnswers(
        income_per_month=_number(values.get("income_month")),
        household_size=None if size is None else int(size),
        meals_per_day=_number(values.get("meals_per_day")),
        food_insecure=_yes(values.get("food_shortage_month")),
        new_clothes_yearly=_yes(values.get("new_clothes_year")),
        floor_poor=_member_of(values.get("floor_material"), POOR_FLOORS),
        wall_poor=_member_of(values.get("wall_material"), POOR_WALLS),
        roof_poor=_member_of(values.get("roof_material"), POOR_ROOFS),
        floor_area_m2=_number(values.get("floor_area")),
        sick_untreated=_yes(values.get("sick_untreated")),
        child_out_of_school=child_out,
        religious_unable=None if worship is None else not worship,
        community_participation=_yes(values.get("community_activity_3m")),
        ref=ref,
    )


def empowerment_items(values: Mapping[str, Any], instrument: Instrument) -> dict[str, list[float | None]]:
    """One member's empowerment answers per indicator code (the input of `empowerment.indicator_means`)."""
    return {
        indicator: [None if values.get(item.code) in (None, "") else float(values[item.code]) for item in items]
        for indicator, items in items_by_indicator(instrument).items()
    }


def indicator_mean(values: Mapping[str, Any], instrument: Instrument, indicator: str) -> float | None:
    """The mean of the answered Likert items of one indicator (group assessment: G1's cooperation items)."""
    answers = [
        float(values[item.code])
        for item in items_by_indicator(instrument).get(indicator, ())
        if item.likert and values.get(item.code) not in (None, "")
    ]
    return sum(answers) / len(answers) if answers else None
