"""The query contract: every answer the views need, with one meaning whatever engine gives it.

Two implementations keep it, held to one test suite (`tests/test_contract.py`, run on each):
`timeline.data.memory` (NumPy over the store's columns held in memory: the app's own tables,
from the seed story to millions of events) and `timeline.data.queries` (Ibis: DuckDB over the
store's Parquet files, or a warehouse: PostgreSQL, Spark, ...).

**The window.** `Ask(lo, hi, filters)` asks about the events of the half-open window [lo, hi)
that pass the filters. An event may have happened at any time of [earliest, latest]; it is in
the window when that interval meets the window:

    earliest < hi  and  (latest > lo  or  earliest == lo)

So an event exactly at `lo` is in and one exactly at `hi` is out; a span across either edge is
in; an event that ends exactly at `lo` (a day that ends at midnight, a window starting at that
midnight) is out, so a day never shows in the next day's window; a zero-length event is in when
lo <= its time < hi.

**Filters** (`timeline.data.filters.Filters`) narrow every answer alike, Prev/Next and the
facet counts included. A filter never depends on the window; the window never on the filters.

**The map's view** (`Ask.bbox`, west, south, east, north), when asked, keeps the events with a
placed place inside it (the map of a dense window draws what the reader's view holds); their
places and markers are those inside it.

**Order.** Lists are in the store's order: by `earliest`, then the table's own order
(`ordinal`), unless a sort is asked. A place list follows its events, then each event's order.

**Places.** A place not found keeps its name and no coordinates: `event()` gives it (the card
names it); the map's answers (`count_placed`, `places`, `cells`) leave it out.

**Times** come back as `datetime64[us, UTC]`, text as str, whichever engine ran it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import pandas as pd

from timeline.data.filters import Filters

#: Columns a list or a figure of events needs (`rows(..., columns=None)` gives every column).
LIST_COLUMNS = (
    "ordinal",
    "id",
    "title",
    "start",
    "end",
    "earliest",
    "start_latest",
    "end_earliest",
    "latest",
    # The clock the source wrote its times in: a list shows each event's own local day.
    "start_offset_min",
    "timezone",
    "time_precision",
    "category",
    "claim_status",
    "source_file",
)

#: Bin widths to choose from, shortest first: the first that splits the window into at most
#: `max_bins` bins is used, so bins stay on round times (a minute, an hour, a day, ...).
BIN_WIDTHS = tuple(
    pd.Timedelta(w)
    for w in (
        "1min", "5min", "15min", "30min", "1h", "3h", "6h", "12h",
        "1D", "2D", "7D", "14D", "30D", "91D", "182D", "365D",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Ask:
    """One question's scope: the window [lo, hi) and the filters. Hashable: answers are kept
    per `Ask` for every session (`timeline.data.engine`)."""

    lo: pd.Timestamp
    hi: pd.Timestamp
    filters: Filters = field(default_factory=Filters)
    #: The map's view (west, south, east, north): only events placed inside it. None: anywhere.
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lo", utc(self.lo))
        object.__setattr__(self, "hi", utc(self.hi))
        if self.bbox is not None:
            object.__setattr__(self, "bbox", tuple(float(v) for v in self.bbox))

    def anywhere(self) -> Ask:
        """The same question over the whole map."""
        return Ask(self.lo, self.hi, self.filters)


class Detail(NamedTuple):
    """One event (every column), its places in order (found or not), its links both ways."""

    event: pd.Series
    places: pd.DataFrame
    links: pd.DataFrame


class Backend(Protocol):
    """What an engine answers. Each method's docstring here is its meaning."""

    total: int

    def count(self, ask: Ask) -> int:
        """Events of the window that pass the filters."""

    def count_placed(self, ask: Ask) -> int:
        """Those of them with at least one place that has a point (the map's honest count)."""

    def rows(
        self,
        ask: Ask,
        *,
        columns: tuple[str, ...] | None = LIST_COLUMNS,
        sort: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """The events, in the store's order or sorted by `sort` (a column or an `extra.KEY`
        field; ties in the store's order), a page of `limit` from `offset`."""

    def places(self, ask: Ask) -> pd.DataFrame:
        """The places with a point of those events, in the events' order, then their own."""

    def bins(self, ask: Ask, *, max_bins: int = 120) -> pd.DataFrame:
        """Counts per time bin and category: `bin`, `bin_start`, `bin_end`, `category`,
        `count`. Bins are `bin_width` wide from multiples of it since 1970 (UTC); an event
        counts in the bin of its `start`, clamped into the window's first and last bin, so the
        counts add up to `count`."""

    def cells(self, ask: Ask, *, cell_deg: float) -> pd.DataFrame:
        """Markers (an event at one of its placed places) per grid cell and category:
        `cell_y`, `cell_x` (floor(lat / cell_deg), floor(lon / cell_deg)), `lat`, `lon` (the
        cell's centre), `category`, `count`, and per cell `cell_count`, `place_coarse_share`,
        `time_coarse_share`."""

    def cell_rows(
        self, ask: Ask, *, cell_deg: float, cell: tuple[int, int], limit: int = 20, offset: int = 0
    ) -> pd.DataFrame:
        """A page of the events with a marker in the cell, each once, in the store's order."""

    def facet(self, ask: Ask, field: str, *, limit: int = 200) -> pd.DataFrame:
        """`value`, `count`: the events per value of a field (each item of a list field, each
        distinct value of a place field per event), the filter on that field itself left out,
        most frequent first, at most `limit`. Empty values are counted as ""."""

    def neighbour(
        self, when: pd.Timestamp, after_id: str, direction: int, filters: Filters
    ) -> pd.Series | None:
        """The next (1) or previous (-1) event passing the filters in (start, id) order from
        (when, after_id): from an event, its own `start` and `id`; from a time, `""`. The
        window does not limit it. None at either end."""

    def event(self, event_id: str) -> Detail | None:
        """The event with this id, or None."""

    def table(self, ask: Ask, *, limit: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(events, places, links) of at most `limit` events of the question, whole: every
        column of each event, its places found or not, the links written on it. What an export
        of the window writes."""

    def titles(self, ids: tuple[str, ...]) -> dict[str, str]:
        """Title by id of those of `ids` that are events."""

    def search(self, text: str, *, limit: int = 20) -> pd.DataFrame:
        """`id`, `title`, `start` of events whose title contains `text`, ignoring case (the
        text is literal: no wildcards), in the store's order, at most `limit`."""

    def extent(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of every placed place, or None."""

    def credits(self) -> list[str]:
        """Whom the places' points are credited to (at most 50), for the map's credit line."""


# --- shared arithmetic ---------------------------------------------------------------------------


def utc(when) -> pd.Timestamp:
    when = pd.Timestamp(when)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    return when.as_unit("us")


def bin_width(lo: pd.Timestamp, hi: pd.Timestamp, *, max_bins: int = 200) -> pd.Timedelta:
    """The shortest round width (from `BIN_WIDTHS`) that covers `[lo, hi)` in `max_bins` bins.

    Bins start on multiples of the width since 1970-01-01 UTC (days at midnight UTC), so the
    first bin may start before `lo`; that bin is counted too.
    """
    lo, hi = utc(lo), utc(hi)
    for width in BIN_WIDTHS:
        if bin_count(lo, hi, width) <= max_bins:
            return width
    years = -(-(hi - lo) // (BIN_WIDTHS[-1] * (max_bins - 1)))
    return BIN_WIDTHS[-1] * max(int(years), 1)


def bin_count(lo: pd.Timestamp, hi: pd.Timestamp, width: pd.Timedelta) -> int:
    seconds = int(width.total_seconds())
    origin = floor_epoch(lo, seconds)
    return max(1, -(-(int(utc(hi).timestamp()) - origin) // seconds))


def floor_epoch(when: pd.Timestamp, seconds: int) -> int:
    return (int(utc(when).timestamp()) // seconds) * seconds


def cell_size(zoom: float, *, cells_per_tile: int = 4) -> float:
    """Cell size in degrees for a web-map zoom: a 256-pixel tile split `cells_per_tile` ways.

    Zoom 0 (the world in one tile) gives 90 degrees; each zoom level halves it.
    """
    return 360.0 / (2.0**zoom) / cells_per_tile


#: A cell of a dense map is about this many pixels across at the zoom it is drawn for.
CELL_PX = 28


def cell_deg_at(zoom: float, *, px: float = CELL_PX) -> float:
    """Cell size in degrees about `px` pixels wide at a MapLibre zoom (the world 512 px wide at
    zoom 0), rounded to a power of two so that a cell's edges read as a grid."""
    degrees = 360.0 / (512 * 2.0**zoom) * px
    return float(2.0 ** round(math.log2(degrees)))


def bins_frame(raw: pd.DataFrame, ask: Ask, max_bins: int) -> pd.DataFrame:
    """Counts of (raw `bin` index from the width's origin, `category`) made into the contract's
    bins: clamped into the window's bins, summed, with their start and end."""
    width = bin_width(ask.lo, ask.hi, max_bins=max_bins)
    seconds = int(width.total_seconds())
    origin = floor_epoch(ask.lo, seconds)
    last = bin_count(ask.lo, ask.hi, width) - 1
    raw = raw.assign(bin=raw["bin"].clip(0, last).astype("int64"))
    counts = (
        raw.groupby(["bin", "category"], as_index=False, sort=True)["count"]
        .sum()
        .astype({"count": "int64"})
    )
    start = pd.Timestamp(origin, unit="s", tz="UTC")
    counts.insert(1, "bin_start", (start + counts["bin"] * width).astype("datetime64[us, UTC]"))
    counts.insert(2, "bin_end", (counts["bin_start"] + width).astype("datetime64[us, UTC]"))
    return counts


def cells_frame(raw: pd.DataFrame, cell_deg: float) -> pd.DataFrame:
    """Per (cell_y, cell_x, category) counts with summed coarse flags made into the contract's
    cells: centres, and per cell the total and the coarse shares."""
    counts = raw.sort_values(["cell_y", "cell_x", "category"], ignore_index=True)
    for column in ("cell_y", "cell_x", "count", "place_coarse", "time_coarse"):
        counts[column] = counts[column].fillna(0).astype("int64")
    counts.insert(2, "lat", (counts["cell_y"] + 0.5) * cell_deg)
    counts.insert(3, "lon", (counts["cell_x"] + 0.5) * cell_deg)
    cell = counts.groupby(["cell_y", "cell_x"])
    counts["cell_count"] = cell["count"].transform("sum")
    for column in ("place_coarse", "time_coarse"):
        counts[f"{column}_share"] = cell[column].transform("sum") / counts["cell_count"]
    return counts.drop(columns=["place_coarse", "time_coarse"])


#: Places known no better than these count as "placed only to a region or country".
COARSE_PLACE = ("region", "country")
#: Times known no better than these count as "known only to a day or coarser"; so does a
#: range (happened some time between two times) at least a day wide.
COARSE_TIME = ("day", "week", "month", "year")


def meets(events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
    """Over a frame of events (with `earliest`, `latest`): those the window [lo, hi) holds, by
    the contract's rule. For a figure that cuts rows it was given to a narrower range."""
    lo, hi = utc(lo), utc(hi)
    return (events["earliest"] < hi) & ((events["latest"] > lo) | (events["earliest"] == lo))
