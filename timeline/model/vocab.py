"""The controlled vocabularies of the event table, each defined once.

The validator, the figures, the legend and the tests all read these tables, so adding a
precision is a one-line change here. Categories are not here: each story declares its own
(`timeline.model.story`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geodata import PLACE_PRECISIONS

__all__ = [
    "CLAIM_STATUSES",
    "PARTS_OF_DAY",
    "PLACE_PRECISIONS",
    "PLACE_RADIUS_KM",
    "RELATIONS",
    "TIME_PRECISIONS",
    "Category",
    "ClaimStatus",
    "TimePrecision",
]


@dataclass(frozen=True)
class TimePrecision:
    label: str
    #: True when the row must give an end: the event happened somewhere in [start, end]
    #: (part of day, range) or lasted from start to end (span).
    needs_end: bool
    #: Half-width of the uncertainty drawn around a start given without an end.
    half_width: pd.Timedelta
    #: True when [start, end] is an interval the event lasted, not one it happened in.
    is_duration: bool = False
    #: The calendar length of the interval a start alone names ("1D" for a day), if any.
    length: str | None = None


TIME_PRECISIONS: dict[str, TimePrecision] = {
    "minute": TimePrecision("to the minute", False, pd.Timedelta(0)),
    "hour": TimePrecision("to about an hour", False, pd.Timedelta(minutes=30)),
    "part_of_day": TimePrecision("part of a day", True, pd.Timedelta(0)),
    "day": TimePrecision("the day only", False, pd.Timedelta(0), length="1D"),
    "week": TimePrecision("the week only", False, pd.Timedelta(0), length="7D"),
    "month": TimePrecision("the month only", False, pd.Timedelta(0), length="1M"),
    "year": TimePrecision("the year only", False, pd.Timedelta(0), length="1Y"),
    "range": TimePrecision("some time in a range", True, pd.Timedelta(0)),
    "span": TimePrecision("lasted the whole span", True, pd.Timedelta(0), is_duration=True),
}

#: Local hours (start inclusive) that name a part of the day, for "evening of 18 March".
PARTS_OF_DAY: dict[int, str] = {0: "night", 6: "morning", 12: "afternoon", 18: "evening"}


@dataclass(frozen=True)
class Category:
    label: str
    colour: str


@dataclass(frozen=True)
class ClaimStatus:
    label: str
    description: str
    #: Drawn as a hollow marker: the event rests on one side's word.
    hollow: bool


CLAIM_STATUSES: dict[str, ClaimStatus] = {
    "confirmed": ClaimStatus(
        "Confirmed", "reported by several independent sources, not disputed", False
    ),
    "claimed": ClaimStatus(
        "Claimed", "rests on one party's word, not independently confirmed", True
    ),
    "disputed": ClaimStatus("Disputed", "one party's account is contested by another", True),
}

#: Radius of the circle drawn around a point placed only this precisely (kilometres).
PLACE_RADIUS_KM: dict[str, float] = {
    "site": 0.0,
    "town": 5.0,
    "near": 10.0,
    "region": 100.0,
    "country": 300.0,
}
assert set(PLACE_RADIUS_KM) == set(PLACE_PRECISIONS)

RELATIONS: dict[str, str] = {
    "responds_to": "responds to",
    "follows_from": "follows from",
    "reported_with": "reported with",
    "after": "came after",
    "alleged_breach_of": "allegedly breaches",
}


#: Separator of list cells (places, countries, actors, ...).
LIST_SEPARATOR = ";"
