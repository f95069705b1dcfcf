"""Input types every route module shares: bounded ids, dates, text and pages.

Every number and text a client sends has a bound the database can hold, so a request the schema allows
never reaches the database as a value it refuses (SQLite stops at 2^63, PostgreSQL refuses a NUL byte in
text): a value out of bounds is a 422 naming the field, never a server error. Schemathesis
(tests/api/test_schemathesis.py) sends the extremes the OpenAPI document allows and checks exactly this.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Path, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

# Ids fit a PostgreSQL integer: far above any real row count, and no client can push an overflow through.
MAX_ID = 2**31 - 1
# Dates of the programme's records: wide enough for any birth date or books, narrow enough that a service
# adding months or years to one never leaves Python's calendar.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: Any) -> Any:
    # pydantic would also read a number as a Unix time; a date is written YYYY-MM-DD, or refused.
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError("iso_date", "date must be YYYY-MM-DD")


def _date_in_range(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_range", "date outside {first}..{last}", {"first": FIRST_DAY.year, "last": LAST_DAY.year}
        )
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "text must not contain NUL")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_date_in_range)]
Text = Annotated[StrictStr, AfterValidator(_no_nul)]
RefId = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description="The id of a record (an integer).")]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt optional field is an error, not silently ignored


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_ID)


def page_of(queryset, page: PageQuery) -> dict[str, Any]:
    """One page of a list as every list route answers it: {count, limit, offset, items (the rows)}."""
    return {
        "count": queryset.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(queryset[page.offset : page.offset + page.limit]),
    }
