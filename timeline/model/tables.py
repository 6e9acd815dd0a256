"""The canonical model of a story's events, independent of any file's cell syntax.

Two stages, each a small set of pandas frames:

- `Intake` is what a reader returns: one row per record with its times as local wall-clock
  *bounds* (the file rarely names a zone), its places by name or by coordinates, its links,
  and the problems met while reading. Nothing is geocoded or converted to UTC yet.
- `EventTable` is what `timeline.ingest.enrich.finish` makes of it and what the app, the CLI and the
  exports read: times in UTC as bounds, places with coordinates and time zones, checked links.

Time is kept as bounds, as the Linked Places format has it: the start is known to lie in
[earliest, start_latest] and the end in [end_earliest, latest]. A point event (it happened at
one moment, perhaps not known exactly) has no end bounds: `end_earliest` is NaT and `latest`
equals `start_latest`. The call of 18 March began at 14:00 UTC (earliest = start_latest =
14:00) and ended some time between 15:30 and 16:30 (end_earliest 15:30, latest 16:30).

Times are microsecond datetimes, so any year from 1 to 9999 fits; a time outside that is
reported on its row by whoever meets it, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from timeline.model import problems as P
from timeline.model.extras import extra_columns
from timeline.model.schema import (
    EVENTS,
    INTAKE_EVENTS,
    INTAKE_LINKS,
    INTAKE_PLACES,
    LINKS,
    PLACES,
    Table,
    empty,
)
from timeline.model.vocab import TIME_PRECISIONS


def conform(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame with exactly the table's columns in its order, then its `extra.*` columns
    (the source's own fields, text; one that no row gives is left out): missing text columns
    are empty strings, missing times NaT, missing numbers NaN; existing columns are cast."""
    index = frame.index
    out = {}
    for column, dtype in table.dtypes.items():
        if column in frame.columns:
            values = frame[column]
            if dtype == "str":
                values = values.fillna("").astype("str")
            elif dtype.startswith("datetime64") and str(values.dtype) != dtype:
                values = _as_time(values, dtype)
            elif dtype == "bool":
                values = values.fillna(False).astype("bool")
            else:
                values = values.astype(dtype)
        else:
            fill = {"str": "", "bool": False}.get(dtype, pd.NaT if "datetime" in dtype else None)
            values = pd.Series(fill, index=index, dtype=dtype)
        out[column] = values
    for column in extra_columns(frame):
        values = frame[column].fillna("").astype("str")
        if (values != "").any():  # a field no record gives says nothing
            out[column] = values
    return pd.DataFrame(out, index=index)


def _as_time(values: pd.Series, dtype: str) -> pd.Series:
    if "UTC" in dtype and getattr(values.dtype, "tz", None) is None:
        values = pd.to_datetime(values, errors="coerce")
        values = values.dt.tz_localize("UTC") if values.dt.tz is None else values
    return values.astype(dtype)


@dataclass(frozen=True)
class Intake:
    """What a reader makes of one file, before places are looked up and times put in UTC."""

    events: pd.DataFrame
    places: pd.DataFrame
    links: pd.DataFrame
    problems: pd.DataFrame
    #: The file as messages name it.
    file: str
    #: The reader's format name (see `timeline.ingest.readers.FORMATS`).
    format: str
    #: Records read from the file, good or bad: rows in = rows loaded + rows reported.
    rows_in: int = 0
    #: Text of each source file the records cite, by the name used in `source_file`.
    sources: dict[str, str] = field(default_factory=dict)
    #: What the file says about its story (title, categories, narratives, bands), in the
    #: shape of story.toml, for `timeline import` to write and for defaults.
    story: dict = field(default_factory=dict)

    @classmethod
    def failed(cls, file: str, format: str, problems: pd.DataFrame, rows_in: int = 0) -> Intake:
        """A file that could not be read at all: no events, and why."""
        return cls(
            empty(INTAKE_EVENTS),
            empty(INTAKE_PLACES),
            empty(INTAKE_LINKS),
            problems,
            file,
            format,
            rows_in,
        )


@dataclass(frozen=True)
class EventTable:
    """What the app and the CLI need: events, their places, their links, and the problems.

    `events` has one row per event, sorted by `earliest`; `places` one row per placed
    (event, place); `links` one row per relation between events. Treat them as read-only:
    the app shares one copy across reruns.
    """

    events: pd.DataFrame
    places: pd.DataFrame
    links: pd.DataFrame
    problems: pd.DataFrame
    #: Text of each source file the table cites, by the name used in `source_file`.
    sources: dict[str, str] = field(default_factory=dict)
    format: str = "curated"
    #: Records read, good or bad (rows in = len(events) + rows reported as not loaded).
    rows_in: int = 0
    story: dict = field(default_factory=dict)

    @property
    def located(self) -> pd.DataFrame:
        """The places with a point: what the map draws. (A place not found keeps its name and
        no coordinates: the card names it and our exports write it.)"""
        return located(self.places)

    @property
    def unplaced(self) -> pd.DataFrame:
        """Events with no place on the map: they live on the timeline only."""
        return self.events[~self.events["id"].isin(self.located["event_id"])]

    @property
    def rows_not_loaded(self) -> int:
        """Distinct rows reported as not loaded."""
        dropped = self.problems.loc[~self.problems["kept"].astype(bool), "row"].dropna()
        return int(dropped.nunique())

    @classmethod
    def empty(cls, problems: pd.DataFrame | None = None, **kwargs) -> EventTable:
        return cls(
            empty(EVENTS),
            empty(PLACES),
            empty(LINKS),
            P.empty_problems() if problems is None else problems,
            **kwargs,
        )


def located(places: pd.DataFrame) -> pd.DataFrame:
    """The places that have a point (lat and lon)."""
    return places[places["lat"].notna() & places["lon"].notna()]


def member(values: pd.Series, among: pd.Series) -> pd.Series:
    """`values.isin(among)` for large text columns, by pyarrow.

    pandas' isin on Arrow strings turns `among` into Python objects one by one, which cost a
    second per 100,000 ids on every check of a large table.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(among) < 1000:
        return values.isin(among)
    found = pc.is_in(
        pa.array(values.astype("str"), type=pa.large_string()),
        # Repeats in the set are fine (pyarrow hashes it): no pass to make it unique first.
        value_set=pa.array(among.astype("str"), type=pa.large_string()),
    )
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


# --- bounds from a precision -------------------------------------------------------------------


def bounds_from_precision(
    start: pd.Series, end: pd.Series, precision: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """(start_lo, start_hi, end_lo, end_hi) of local times written as start, end, precision.

    The meaning of each precision is in `timeline.model.vocab.TIME_PRECISIONS`: an hour is +-30 min;
    a day, week, month or year is the interval it names (from `start`, up to `end` if given);
    a part of a day and a range are the interval [start, end] the event happened in; a span
    lasted from start to end; a minute with an end lasted until then.
    """
    nat = pd.Series(pd.NaT, index=start.index, dtype=start.dtype)
    start_lo, start_hi = start.copy(), start.copy()
    end_lo, end_hi = nat.copy(), nat.copy()
    for name, spec in TIME_PRECISIONS.items():
        rows = precision == name
        if not rows.any():
            continue
        s, e = start[rows], end[rows]
        if spec.half_width:
            start_lo[rows] = s - spec.half_width
            start_hi[rows] = s + spec.half_width
        elif spec.is_duration:
            end_lo[rows] = e
            end_hi[rows] = e
        elif spec.length is not None or spec.needs_end:
            implied = _add_length(s, spec.length) if spec.length is not None else e
            start_hi[rows] = e.where(e.notna(), implied)
        else:  # minute: with an end, it lasted until then
            end_lo[rows] = e
            end_hi[rows] = e
    return start_lo, start_hi, end_lo, end_hi


def _add_length(start: pd.Series, length: str) -> pd.Series:
    """Start plus a calendar length ("1D", "7D", "1M", "1Y"), NaT where it would pass 9999.

    Numpy's calendar units, not pandas offsets: those stop at 2262 even in microseconds.
    """
    values = start.to_numpy(dtype="datetime64[us]")
    nat = np.isnat(values)
    if length.endswith("D"):
        out = values + np.timedelta64(int(length[:-1]), "D")
    else:
        unit = "M" if length == "1M" else "Y"
        whole = values.astype(f"datetime64[{unit}]")
        out = (whole + np.timedelta64(1, unit)).astype("datetime64[us]") + (
            values - whole.astype("datetime64[us]")
        )
    beyond = out > np.datetime64("10000-01-01T00:00:00", "us")
    out = np.where(nat | beyond, np.datetime64("NaT", "us"), out)
    return pd.Series(out, index=start.index, dtype=start.dtype)


__all__ = [
    "EventTable",
    "Intake",
    "bounds_from_precision",
    "conform",
    "located",
    "member",
]
