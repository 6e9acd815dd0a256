"""The queries the views need, written once through Ibis so that any engine can run them.

DuckDB over the store's Parquet files is the default (embedded, no server); a warehouse
(PostgreSQL, BigQuery, Trino, Spark, ...) holding tables of the same columns runs the very same
functions: build its `Tables` with `backend_tables(con)`. Nothing here writes SQL for one engine.

Each query is a small function `query(tables, ...)` returning a small pandas frame, with times
as `datetime64[us, UTC]` and text as str, whichever engine ran it.

The tables are the store's (a warehouse loads the store's Parquet files as they are): events
numbered by `ordinal` in the order of `earliest`, which is the order of every list here. The
events' `start_s` and the places' copies of their event's columns (`MARKER_COLUMNS`,
`event_ordinal`) are used when present, and made in the query (a conversion, a join) when not.

A window is half-open, `[lo, hi)`, and holds every event whose interval of possible times
`[earliest, latest]` meets it: `earliest < hi and latest >= lo`. So an event exactly at `hi`
is out, one exactly at `lo` is in, and a span that straddles either edge is in.

    t = duckdb_tables(open_store(key))
    count_in_window(t, lo, hi, claim_statuses={"confirmed"})
    counts_per_bin(t, lo, hi)         # at most 200 bins, round widths
    counts_per_cell(t, lo, hi, cell_deg=cell_size(zoom))
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

import ibis
import ibis.expr.types as ir
import pandas as pd

from timeline.data.store import COARSE_PLACE, COARSE_TIME, MARKER_COLUMNS, Store
from timeline.model.schema import PLACES

#: Columns a list or a figure of events needs; `columns=None` returns every column.
LIST_COLUMNS = (
    "ordinal",
    "id",
    "title",
    "start",
    "end",
    "earliest",
    "latest",
    "time_precision",
    "category",
    "claim_status",
)

#: Bin widths to choose from, shortest first: the first that splits the window into at most
#: `max_bins` bins is used, so bins stay on round times (a minute, an hour, a day, ...).
BIN_WIDTHS = tuple(
    pd.Timedelta(w)
    for w in (
        "1min",
        "5min",
        "15min",
        "30min",
        "1h",
        "3h",
        "6h",
        "12h",
        "1D",
        "2D",
        "7D",
        "14D",
        "30D",
        "91D",
        "182D",
        "365D",
    )
)

_TS = "datetime64[us, UTC]"


@dataclass(frozen=True)
class Tables:
    """The three tables of one model on one engine.

    `max_span` (the longest `latest - earliest` of any event) is optional: when known, a window
    query also asks for `earliest >= lo - max_span`, which changes no answer but lets an engine
    skip the row groups (or partitions) that end long before the window.
    """

    events: ir.Table
    places: ir.Table
    links: ir.Table
    max_span: pd.Timedelta | None = None
    #: Optional (id, ordinal) sorted by id: a lookup by id reads one row group through it.
    ids: ir.Table | None = None


class Detail(NamedTuple):
    """One event (a row of the events table), its places in order, and its links both ways."""

    event: pd.Series
    places: pd.DataFrame
    links: pd.DataFrame


def duckdb_tables(store: Store, *, threads: int | None = None) -> Tables:
    """The store's Parquet files as tables of a new embedded DuckDB connection.

    Opening reads only the files' footers. One connection per thread: a DuckDB connection is
    not meant to run two queries at once.
    """
    con = ibis.duckdb.connect(**({"threads": threads} if threads else {}))
    tables = {
        name: con.read_parquet(store.file(name), table_name=name)
        for name in ("events", "places", "links", "ids")
    }
    span = store.manifest.get("max_span_seconds")
    return Tables(**tables, max_span=None if span is None else pd.Timedelta(seconds=span))


def backend_tables(
    con: ibis.BaseBackend,
    *,
    events: str = "events",
    places: str = "places",
    links: str = "links",
    ids: str | None = None,
    max_span: pd.Timedelta | None = None,
) -> Tables:
    """Tables already on an engine (a warehouse), by name; `ids` is optional."""
    return Tables(
        con.table(events),
        con.table(places),
        con.table(links),
        max_span,
        None if ids is None else con.table(ids),
    )


def load_into(con: ibis.BaseBackend, store: Store, *, prefix: str = "") -> Tables:
    """Copy the store's tables into another engine (a warehouse) and return them there.

    The tables keep every column of the store, so the queries read them as they read the
    Parquet files. For a table larger than memory, load the Parquet files with the engine's
    own bulk loader instead; this sends each table through Arrow in one piece.
    """
    for name in ("events", "places", "links", "ids"):
        con.create_table(prefix + name, store.arrow(name))
    span = store.manifest.get("max_span_seconds")
    return backend_tables(
        con,
        events=prefix + "events",
        places=prefix + "places",
        links=prefix + "links",
        ids=prefix + "ids",
        max_span=None if span is None else pd.Timedelta(seconds=span),
    )


# --- windows ---------------------------------------------------------------------------------


def events_in_window(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    columns: Collection[str] | None = LIST_COLUMNS,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Events meeting `[lo, hi)` that pass the filters, ordered by `earliest`.

    A filter of None lets everything through; an empty collection lets nothing through.
    Page with `limit` and `offset`: at a million events, ask for a page or a count.
    """
    e = _window(t, lo, hi, claim_statuses, categories)
    return _page(e, columns, limit, offset)


def count_in_window(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> int:
    """How many events `events_in_window` would return without a limit."""
    return _scalar(_window(t, lo, hi, claim_statuses, categories).count())


def _window(t, lo, hi, claim_statuses, categories) -> ir.Table:
    return _in_window(t.events, t.max_span, lo, hi, claim_statuses, categories)


def _in_window(table, max_span, lo, hi, claim_statuses, categories) -> ir.Table:
    """`table` (events, or markers: both have the window columns) cut to the window."""
    lo, hi = _utc(lo), _utc(hi)
    keep = [table.earliest < hi, table.latest >= lo]
    if max_span is not None:
        keep.append(table.earliest >= lo - max_span)
    if claim_statuses is not None:
        keep.append(_isin(table.claim_status, claim_statuses))
    if categories is not None:
        keep.append(_isin(table.category, categories))
    return table.filter(*keep)


# --- time bins -------------------------------------------------------------------------------


def bin_width(lo: pd.Timestamp, hi: pd.Timestamp, *, max_bins: int = 200) -> pd.Timedelta:
    """The shortest round width (from `BIN_WIDTHS`) that covers `[lo, hi)` in `max_bins` bins.

    Bins start on multiples of the width since 1970-01-01 UTC (days at midnight UTC), so the
    first bin may start before `lo`; that bin is counted too.
    """
    lo, hi = _utc(lo), _utc(hi)
    for width in BIN_WIDTHS:
        if _bin_count(lo, hi, width) <= max_bins:
            return width
    years = math.ceil((hi - lo) / BIN_WIDTHS[-1] / (max_bins - 1))
    return BIN_WIDTHS[-1] * years


def counts_per_bin(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    max_bins: int = 200,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> pd.DataFrame:
    """Events of the window counted per time bin and category (empty bins left out).

    An event counts in the bin of its nominal `start`; one that starts before the window (it
    straddles `lo`) counts in the first bin, one whose start is at or after `hi` (its earliest
    possible time is inside) in the last. So the counts add up to `count_in_window`.

    Columns: `bin` (0-based), `bin_start`, `bin_end`, `category`, `count`.
    """
    lo, hi = _utc(lo), _utc(hi)
    width = bin_width(lo, hi, max_bins=max_bins)
    seconds = int(width.total_seconds())
    origin = _floor_epoch(lo, seconds)
    last = _bin_count(lo, hi, width) - 1
    e = _window(t, lo, hi, claim_statuses, categories)
    # Clamped here, on the few distinct bins, rather than in the query: an engine-side clip
    # (Ibis writes nested CASEs) cost more than the whole count.
    epoch = e.start_s if "start_s" in e.columns else e.start.epoch_seconds().cast("int64")
    # Integer division: an engine that truncates rather than floors differs only below zero,
    # which the clamp below folds into the first bin anyway.
    index = (epoch - origin) // seconds
    raw = _run(e.group_by(bin=index, category=e.category).aggregate(count=ibis._.count()))
    raw["bin"] = raw["bin"].clip(0, last).astype("int64")
    counts = (
        raw.groupby(["bin", "category"], as_index=False, sort=True)["count"]
        .sum()
        .astype({"count": "int64"})
    )
    start = pd.Timestamp(origin, unit="s", tz="UTC")
    counts.insert(1, "bin_start", (start + counts["bin"] * width).astype(_TS))
    counts.insert(2, "bin_end", (counts["bin_start"] + width).astype(_TS))
    return counts


def _bin_count(lo: pd.Timestamp, hi: pd.Timestamp, width: pd.Timedelta) -> int:
    seconds = int(width.total_seconds())
    origin = _floor_epoch(lo, seconds)
    return max(1, math.ceil((hi.timestamp() - origin) / seconds))


def _floor_epoch(when: pd.Timestamp, seconds: int) -> int:
    return math.floor(when.timestamp() / seconds) * seconds


# --- map cells -------------------------------------------------------------------------------


def cell_size(zoom: float, *, cells_per_tile: int = 4) -> float:
    """Cell size in degrees for a web-map zoom: a 256-pixel tile split `cells_per_tile` ways.

    Zoom 0 (the world in one tile) gives 90 degrees; each zoom level halves it.
    """
    return 360.0 / (2.0**zoom) / cells_per_tile


def counts_per_cell(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    cell_deg: float,
    bbox: tuple[float, float, float, float] | None = None,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> pd.DataFrame:
    """Placed events of the window counted per lat/lon grid cell and category.

    A cell is `[cell_y * cell_deg, (cell_y + 1) * cell_deg)` in latitude and likewise `cell_x`
    in longitude. What is counted is a marker (an event at one of its places), as the map draws
    them. `bbox` = (west, south, east, north) keeps the cells of the map's view.

    Columns: `cell_y`, `cell_x`, `lat`, `lon` (the cell's centre), `category`, `count`, and,
    the same on every row of a cell, `cell_count` and the uncertainty in aggregate:
    `place_coarse_share` (markers placed only to a region or country) and `time_coarse_share`
    (events known only to a day or coarser).
    """
    m = _placed(t, lo, hi, cell_deg, bbox, claim_statuses, categories)
    counts = _run(
        m.group_by("cell_y", "cell_x", "category").aggregate(
            count=ibis._.count(),
            place_coarse=m.place_coarse.sum(),
            time_coarse=m.time_coarse.sum(),
        )
    ).sort_values(["cell_y", "cell_x", "category"], ignore_index=True)
    for column in ("cell_y", "cell_x", "count", "place_coarse", "time_coarse"):
        counts[column] = counts[column].fillna(0).astype("int64")
    counts.insert(2, "lat", (counts["cell_y"] + 0.5) * cell_deg)
    counts.insert(3, "lon", (counts["cell_x"] + 0.5) * cell_deg)
    cell = counts.groupby(["cell_y", "cell_x"])
    counts["cell_count"] = cell["count"].transform("sum")
    for column in ("place_coarse", "time_coarse"):
        counts[f"{column}_share"] = cell[column].transform("sum") / counts["cell_count"]
    return counts.drop(columns=["place_coarse", "time_coarse"])


def events_in_cell(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    cell_deg: float,
    cell: tuple[int, int],
    limit: int = 50,
    offset: int = 0,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    columns: Collection[str] | None = LIST_COLUMNS,
) -> pd.DataFrame:
    """One page of the events of the window with a place in `cell` = (cell_y, cell_x).

    Ordered by `earliest`; an event with two places in the cell is listed once.
    """
    cell_y, cell_x = cell
    m = _in_window(_markers(t), t.max_span, lo, hi, claim_statuses, categories)
    m = m.filter(_cell_index(m.lat, cell_deg) == cell_y, _cell_index(m.lon, cell_deg) == cell_x)
    # The page is cut from the markers (one table, no join); an event with two places in the
    # cell is one row of the page.
    page = (
        m.select("event_ordinal").distinct().order_by("event_ordinal").limit(limit, offset=offset)
    )
    e = t.events
    return _page(e.filter(e.ordinal.isin(page.event_ordinal)), columns, None, 0)


def _placed(t, lo, hi, cell_deg, bbox, claim_statuses, categories) -> ir.Table:
    m = _in_window(_markers(t), t.max_span, lo, hi, claim_statuses, categories)
    m = m.filter(m.lat.notnull(), m.lon.notnull())
    if bbox is not None:
        west, south, east, north = bbox
        m = m.filter(m.lat >= south, m.lat <= north, m.lon >= west, m.lon <= east)
    if {"place_coarse", "time_coarse"} <= set(m.columns):
        # Flags the store worked out once: testing them here cost as much as the counting.
        place_coarse, time_coarse = m.place_coarse.cast("int64"), m.time_coarse.cast("int64")
    else:
        coarse_time = m.time_precision.isin(COARSE_TIME) | (
            (m.time_precision == "range") & (m.latest >= m.earliest + ibis.interval(days=1))
        )
        place_coarse = m.geo_precision.isin(COARSE_PLACE).ifelse(1, 0)
        time_coarse = coarse_time.ifelse(1, 0)
    return m.select(
        cell_y=_cell_index(m.lat, cell_deg),
        cell_x=_cell_index(m.lon, cell_deg),
        category=m.category,
        place_coarse=place_coarse,
        time_coarse=time_coarse,
    )


def _markers(t: Tables) -> ir.Table:
    """Places with their event's window columns: the store's places table as it is, or, on
    tables loaded without those columns, the join that makes them."""
    p = t.places
    if {"event_ordinal", *MARKER_COLUMNS} <= set(p.columns):
        return p
    e = t.events
    joined = p.join(e.select("id", "ordinal", *MARKER_COLUMNS), p.event_id == e.id)
    return joined.rename(event_ordinal="ordinal")


def _cell_index(degrees: ir.FloatingValue, cell_deg: float) -> ir.IntegerValue:
    return (degrees / cell_deg).floor().cast("int64")


def places_in_window(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    columns: Collection[str] | None = None,
) -> pd.DataFrame:
    """The places of the events `events_in_window` returns, in the events' order, then each
    event's own order. `columns` defaults to the place's own (the model's), not its copies of
    the event's columns, so a caller can merge them with the events without clashes."""
    m = _in_window(_markers(t), t.max_span, lo, hi, claim_statuses, categories)
    if columns is None:
        columns = [c for c in PLACES.names if c in m.columns]
    return _run(m.order_by("event_ordinal", "order").select(*columns))


def count_placed_in_window(
    t: Tables,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    claim_statuses: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> int:
    """How many events of the window have at least one place (the map's honest count)."""
    m = _in_window(_markers(t), t.max_span, lo, hi, claim_statuses, categories)
    return _scalar(m.event_ordinal.nunique())


def place_extent(t: Tables) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of every place of the table, or None with no place."""
    p = t.places
    row = _run(p.aggregate(west=p.lon.min(), south=p.lat.min(), east=p.lon.max(),
                           north=p.lat.max()))  # fmt: skip
    if row.empty or row.isna().any(axis=None):
        return None
    return tuple(float(row[c].iloc[0]) for c in ("west", "south", "east", "north"))


def neighbour_event(
    t: Tables,
    when: pd.Timestamp,
    direction: int,
    after_id: str = "",
    *,
    claim_statuses: Collection[str] | None = None,
    columns: Collection[str] | None = LIST_COLUMNS,
) -> pd.Series | None:
    """The next (direction=1) or previous (-1) event in (start, id) order from (when,
    after_id), as `timeline.data.window.neighbour_event` steps through a frame; None at an end."""
    e = t.events
    when = _utc(when)
    start = e.start.fill_null(e.earliest)
    if direction > 0:
        keep = (start > when) | ((start == when) & (e.id > after_id))
        order = [start, e.id]
    else:
        keep = (start < when) | ((start == when) & (e.id < after_id))
        order = [start.desc(), e.id.desc()]
    keep = [keep]
    if claim_statuses is not None:
        keep.append(_isin(e.claim_status, claim_statuses))
    found = e.filter(*keep).order_by(order).limit(1)
    if columns is not None:
        found = found.select(*columns)
    found = _run(found)
    return None if found.empty else found.iloc[0]


def titles_of(t: Tables, ids: Collection[str]) -> dict[str, str]:
    """Title by id for a few ids (a card's linked events); unknown ids are left out."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    e = t.events
    found = _run(e.filter(e.id.isin(ids)).select("id", "title"))
    return dict(zip(found["id"], found["title"], strict=True))


# --- single events and search ----------------------------------------------------------------


def event_by_id(t: Tables, event_id: str) -> Detail | None:
    """The event with this id, with its places and links; None if there is none."""
    e = t.events
    if t.ids is None:
        found = _run(e.filter(e.id == event_id).limit(1))
    else:
        ordinal = _run(t.ids.filter(t.ids.id == event_id).select("ordinal").limit(1))
        if ordinal.empty:
            return None
        # Events are stored in ordinal order: the engine reads the one row group holding it.
        found = _run(e.filter(e.ordinal == int(ordinal["ordinal"].iloc[0])).limit(1))
    if found.empty:
        return None
    p = t.places
    mine = [p.event_id == event_id]
    if "earliest" in p.columns:
        # Changes no answer; lets the engine skip the row groups of other times.
        mine.append(p.earliest == found["earliest"].iloc[0])
    places = _run(p.filter(*mine).order_by("order"))
    links = t.links
    links = _run(
        links.filter((links.source_id == event_id) | (links.target_id == event_id)).order_by(
            "source_id", "relation", "target_id"
        )
    )
    return Detail(found.iloc[0], places, links)


def search_titles(
    t: Tables,
    text: str,
    *,
    limit: int = 20,
    columns: Collection[str] = ("ordinal", "id", "title", "start", "category", "claim_status"),
) -> pd.DataFrame:
    """Events whose title contains `text`, ignoring case, earliest first, at most `limit`.

    `text` is matched literally: `%` and `_` are characters, not wildcards.
    """
    e = t.events
    hit = e.title.lower().contains(ibis.literal(text, type="string").lower())
    return _page(e.filter(hit), columns, limit, 0)


# --- helpers ---------------------------------------------------------------------------------


def _page(e: ir.Table, columns, limit: int | None, offset: int) -> pd.DataFrame:
    # The store numbers events in the order of `earliest`: one integer key sorts as both.
    e = e.order_by("ordinal")
    if columns is not None:
        e = e.select(*columns)
    return _run(e.limit(limit, offset=offset))


def _isin(column: ir.Column, values: Collection[str]) -> ir.BooleanValue:
    values = sorted(set(values))
    return column.isin(values) if values else ibis.literal(False)


def _utc(when) -> pd.Timestamp:
    when = pd.Timestamp(when)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def _scalar(expr: ir.Scalar) -> int:
    return int(expr.to_pyarrow().as_py())


def _run(expr: ir.Table) -> pd.DataFrame:
    """Run on the tables' engine; the same dtypes whichever engine ran it.

    Through Arrow rather than Ibis' own pandas conversion: fewer copies, and strings come back
    as pandas' str dtype directly.
    """
    frame = expr.to_pyarrow().to_pandas()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
            frame[column] = pd.to_datetime(values, utc=True).astype(_TS)
    return frame
