"""Date cells written in a source's own styles, to local wall-clock days and times.

Python's `strptime` holds any year from 1 to 9999 and `datetime64[us]` keeps it, so nothing
here goes through pandas' nanosecond timestamps (which end in 2262). Each distinct text is
parsed once: a data set repeats the same few thousand dates over many rows.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

#: strptime directives that carry a time of day: a pattern with none of them is a bare date.
_TIME_DIRECTIVES = re.compile(r"%[HIMSXcTRp]")


def has_time(pattern: str) -> bool:
    return bool(_TIME_DIRECTIVES.search(pattern))


def _parse_one(text: str, patterns: tuple[str, ...]) -> dt.datetime | None:
    for pattern in patterns:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def parse_with(cells: pd.Series, patterns: tuple[str, ...]) -> pd.DataFrame:
    """`when` (naive local datetime64[us], NaT where empty or unreadable), `offset` (minutes
    east of UTC where the text gave one, via %z), `bad` (a non-empty cell that fits no
    pattern) for each cell, trying the patterns in order."""
    # Parsed once per distinct text (a million rows hold a few thousand dates), then spread
    # back by each cell's code.
    codes, texts = pd.factorize(cells.astype("str"))
    whens = np.full(len(texts) + 1, np.datetime64("NaT"), dtype="datetime64[us]")
    offsets = pd.array([None] * (len(texts) + 1), dtype="Int16")
    for n, text in enumerate(texts):
        found = _parse_one(text, patterns) if text else None
        if found is None:
            continue
        if found.tzinfo is not None:
            offsets[n] = int(found.utcoffset().total_seconds() // 60)
            found = found.replace(tzinfo=None)
        whens[n] = np.datetime64(found, "us")
    when = pd.Series(whens[codes], index=cells.index)  # code -1 (none): the last, NaT
    offset = pd.Series(offsets[codes], index=cells.index)
    return pd.DataFrame({"when": when, "offset": offset, "bad": (cells != "") & when.isna()})


def floor_day(when: pd.Series) -> pd.Series:
    """Local midnight of each time (a date with a spreadsheet's "12:00:00 AM" tail)."""
    days = when.to_numpy(dtype="datetime64[us]").astype("datetime64[D]")
    return pd.Series(days.astype("datetime64[us]"), index=when.index)


#: numpy calendar unit and count of each precision that names a calendar interval.
_CALENDAR = {"day": ("D", 1), "week": ("D", 7), "month": ("M", 1), "year": ("Y", 1)}


def calendar_end(start: pd.Series, precision: pd.Series) -> pd.Series:
    """The exclusive end of the day, week, month or year that starts at `start` (NaT for
    other precisions).

    numpy's calendar units, not pandas offsets: `pd.Timestamp.max` is the nanosecond limit
    (2262), and an interval of the year 3025 must still be drawn.
    """
    out = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[us]")
    values = start.to_numpy(dtype="datetime64[us]")
    for name, (unit, count) in _CALENDAR.items():
        rows = (precision == name).to_numpy()
        if rows.any():
            first = values[rows].astype(f"datetime64[{unit}]")
            out[rows] = (first + np.timedelta64(count, unit)).astype("datetime64[us]")
    return pd.Series(out, index=start.index)


def month_start(when: pd.Series) -> pd.Series:
    values = when.to_numpy(dtype="datetime64[us]").astype("datetime64[M]")
    return pd.Series(values.astype("datetime64[us]"), index=when.index)


__all__ = ["calendar_end", "floor_day", "has_time", "month_start", "parse_with"]
