"""The query contract (`timeline.data.contract`) written once through Ibis, so that any engine
can keep it: DuckDB over the store's Parquet files, or a warehouse holding tables of the same
columns (PostgreSQL, Spark, ...). Nothing here writes SQL for one engine.

The tables are the store's (a warehouse loads the store's Parquet files as they are): events
numbered by `ordinal` in the order of `earliest`, which is the order of every list; each
`extra.KEY` field in its own plain column (the manifest's `fields`); the places with copies of
their event's window columns. Those copies and the events' `start_s` are used when present and
made in the query (a join, a conversion) when not, so tables loaded without them still answer.

    backend = IbisBackend(duckdb_tables(store), fields=store.manifest["fields"])
    backend.count(Ask(lo, hi, Filters.of({"category": ["Battles"]})))
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from timeline.data.contract import (
    COARSE_PLACE,
    COARSE_TIME,
    LIST_COLUMNS,
    Ask,
    Detail,
    bin_width,
    bins_frame,
    cells_frame,
    floor_epoch,
    utc,
)
from timeline.data.filters import EXTRA_PREFIX, LIST_FIELDS, PLACE_FIELDS, TEXT_FIELDS, Filters
from timeline.data.store import MARKER_COLUMNS, Store
from timeline.model.schema import PLACES

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
        _create_table(con, prefix + name, store.arrow(name))
    span = store.manifest.get("max_span_seconds")
    return backend_tables(
        con,
        events=prefix + "events",
        places=prefix + "places",
        links=prefix + "links",
        ids=prefix + "ids",
        max_span=None if span is None else pd.Timedelta(seconds=span),
    )


def _create_table(con: ibis.BaseBackend, name: str, data) -> None:
    """A table of `data` (Arrow) on `con`.

    Ibis 12 loads in-memory data into DuckDB through a temporary view that it then drops with
    a statement the installed sqlglot (30) writes without the view's name ("DROP VIEW IF
    EXISTS"), so `create_table` fails on DuckDB. DuckDB reads Arrow itself (through the
    relation API, not the connection's `fetch_arrow_table`, which DuckDB 2 dropped):
    `from_arrow(...).create(name)` is its own load of the table."""
    if con.name == "duckdb":
        con.con.from_arrow(data).create(name)
        return
    con.create_table(name, data)


class IbisBackend:
    """The contract on one engine's tables. `fields` is the store's manifest `fields` (which
    columns hold each filterable field); without it, `extra.*` fields cannot be filtered."""

    def __init__(self, tables: Tables, *, fields: Mapping[str, dict] | None = None) -> None:
        self.t = tables
        self.fields = dict(fields) if fields is not None else _fields_of(tables.events)
        self.total = _scalar(tables.events.count())

    # --- building blocks ------------------------------------------------------------------------

    def _in_window(self, table: ir.Table, ask: Ask) -> ir.Table:
        """`table` (events, or markers: both have the window columns) cut to the window."""
        lo, hi = ask.lo, ask.hi
        keep = [table.earliest < hi, (table.latest > lo) | (table.earliest == lo)]
        if self.t.max_span is not None:
            keep.append(table.earliest >= lo - self.t.max_span)
        return table.filter(*keep)

    def _passing(self, e: ir.Table, filters: Filters) -> ir.Table:
        """The events of `e` that pass the filters."""
        keep = []
        for name, values in filters.facets:
            keep.append(self._facet(e, name, values))
        for name, low, high in filters.ranges:
            column = e[self._column(name, "number")]
            keep.append(column.notnull())
            if low is not None:
                keep.append(column >= low)
            if high is not None:
                keep.append(column <= high)
        for word in filters.text.lower().split():
            literal = ibis.literal(word, type="string")
            hits = [e[name].lower().contains(literal) for name in TEXT_FIELDS]
            keep.append(hits[0] | hits[1] | hits[2])
        return e.filter(*keep) if keep else e

    def _facet(self, e: ir.Table, name: str, values: frozenset[str]) -> ir.BooleanValue:
        values = sorted(values)
        if not values:
            return ibis.literal(False)
        if name in PLACE_FIELDS:
            p = self.t.places
            owners = p.filter(p[name].isin(values)).select(o=_owner(p))
            test = e.ordinal.isin(owners.o) if "event_ordinal" in p.columns else e.id.isin(owners.o)
            if "" in values:  # no place at all counts as no value
                placed = p.select(o=_owner(p))
                own = e.ordinal if "event_ordinal" in p.columns else e.id
                test = test | ~own.isin(placed.o)
            return test
        if name in LIST_FIELDS:
            column = e[self._column(name, "list")]
            test = ibis.literal(False)
            for value in values:
                test = test | ((column == "") if value == "" else column.contains(f";{value};"))
            return test
        return e[self._column(name, "text")].isin(values)

    def _column(self, name: str, kind: str) -> str:
        spec = self.fields.get(name, {})
        if kind in spec:
            return spec[kind]
        if kind == "list" and name in LIST_FIELDS:
            return "l_" + name
        return name

    def _events(self, ask: Ask) -> ir.Table:
        e = self._passing(self._in_window(self.t.events, ask), ask.filters)
        if ask.bbox is not None:
            e = e.filter(e.ordinal.isin(self._markers(ask).event_ordinal))
        return e

    def _markers(self, ask: Ask) -> ir.Table:
        """Placed places of the question's events (inside its box), each with its event's
        window columns."""
        m = self._in_window(_marker_table(self.t), ask)
        m = m.filter(m.lat.notnull(), m.lon.notnull())
        if not ask.filters.empty:
            m = m.filter(m.event_ordinal.isin(self._passing(self.t.events, ask.filters).ordinal))
        if ask.bbox is not None:
            west, south, east, north = ask.bbox
            m = m.filter(m.lat >= south, m.lat <= north, m.lon >= west, m.lon <= east)
        return m

    # --- the contract ---------------------------------------------------------------------------

    def count(self, ask: Ask) -> int:
        return _scalar(self._events(ask).count())

    def count_placed(self, ask: Ask) -> int:
        return _scalar(self._markers(ask).event_ordinal.nunique())

    def rows(self, ask, *, columns=LIST_COLUMNS, sort=None, descending=False, limit=None,
             offset=0) -> pd.DataFrame:  # fmt: skip
        e = self._events(ask)
        order = [ibis.desc("ordinal") if descending else ibis.asc("ordinal")]
        if sort is not None and sort not in ("ordinal", "earliest"):
            kind = "number" if self.fields.get(sort, {}).get("number") else "text"
            key = e[self._column(sort, kind)]
            empty = key.isnull()
            if kind == "text" and sort not in _TIMES:
                empty = empty | (key == "")
            # Named columns, so that the page's cut can order the rows by them again.
            e = e.mutate(sort_empty_=empty.ifelse(1, 0), sort_key_=key)
            by = ibis.desc("sort_key_") if descending else ibis.asc("sort_key_")
            order = [ibis.asc("sort_empty_"), by, ibis.asc("ordinal")]
        return self._page(e, columns, limit, offset, order)

    def _page(self, e: ir.Table, columns, limit, offset, order=None) -> pd.DataFrame:
        order = order or [ibis.asc("ordinal")]
        e = _skip(e, order, offset, limit).order_by(order)
        if columns is not None:
            e = e.select(*[self._column(c, "text") if c.startswith(EXTRA_PREFIX) else c
                           for c in columns])  # fmt: skip
        frame = _run(e.limit(limit) if limit is not None else e)
        frame = frame.drop(columns=[c for c in ("sort_empty_", "sort_key_") if c in frame])
        names = {self._column(c, "text"): c for c in (columns or ()) if c.startswith(EXTRA_PREFIX)}
        return frame.rename(columns=names) if columns is not None else self._model(frame)

    def _model(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Whole event rows under their model names (engine copies left out)."""
        names = {s["text"]: f for f, s in self.fields.items() if f != s["text"]}
        copies = {v for s in self.fields.values() for k, v in s.items() if k != "text"}
        frame = frame.drop(columns=[c for c in copies if c in frame.columns])
        return frame.rename(columns=names)

    def places(self, ask: Ask) -> pd.DataFrame:
        m = self._markers(ask)
        columns = [c for c in PLACES.names if c in m.columns]
        return _run(m.order_by("event_ordinal", "order").select(*columns))

    def bins(self, ask: Ask, *, max_bins: int = 120) -> pd.DataFrame:
        width = bin_width(ask.lo, ask.hi, max_bins=max_bins)
        seconds = int(width.total_seconds())
        origin = floor_epoch(ask.lo, seconds)
        e = self._events(ask)
        # Clamped on the few distinct bins afterwards, not in the query: an engine-side clip
        # (nested CASEs) cost more than the whole count.
        epoch = e.start_s if "start_s" in e.columns else e.start.epoch_seconds().cast("int64")
        index = (epoch - origin) // seconds
        raw = _run(e.group_by(bin=index, category=e.category).aggregate(count=ibis._.count()))
        return bins_frame(raw, ask, max_bins)

    def cells(self, ask: Ask, *, cell_deg: float) -> pd.DataFrame:
        m = self._markers(ask)
        if {"place_coarse", "time_coarse"} <= set(m.columns):
            # Flags the store worked out once: testing them here cost as much as the counting.
            place_coarse, time_coarse = m.place_coarse.cast("int64"), m.time_coarse.cast("int64")
        else:
            coarse = m.time_precision.isin(COARSE_TIME) | (
                (m.time_precision == "range") & (m.latest >= m.earliest + ibis.interval(days=1))
            )
            place_coarse = m.geo_precision.isin(COARSE_PLACE).ifelse(1, 0)
            time_coarse = coarse.ifelse(1, 0)
        cells = m.select(
            cell_y=_cell(m.lat, cell_deg), cell_x=_cell(m.lon, cell_deg), category=m.category,
            place_coarse=place_coarse, time_coarse=time_coarse,
        )  # fmt: skip
        raw = _run(
            cells.group_by("cell_y", "cell_x", "category").aggregate(
                count=ibis._.count(),
                place_coarse=cells.place_coarse.sum(),
                time_coarse=cells.time_coarse.sum(),
            )
        )
        return cells_frame(raw, cell_deg)

    def cell_rows(self, ask: Ask, *, cell_deg, cell, limit=20, offset=0) -> pd.DataFrame:
        y, x = cell
        m = self._markers(ask)
        m = m.filter(_cell(m.lat, cell_deg) == y, _cell(m.lon, cell_deg) == x)
        page = _skip(m.select("event_ordinal").distinct(), [ibis.asc("event_ordinal")], offset,
                     limit)  # fmt: skip
        page = page.order_by("event_ordinal").limit(limit)
        e = self.t.events
        chosen = e.filter(e.ordinal.isin(page.event_ordinal))
        return self._page(chosen, LIST_COLUMNS, None, 0)

    def facet(self, ask: Ask, field: str, *, limit: int = 200) -> pd.DataFrame:
        e = self._events(Ask(ask.lo, ask.hi, ask.filters.without(field)))
        if field in LIST_FIELDS:
            column = e[self._column(field, "list")]
            items = e.select(o=e.ordinal, value=column.split(";").unnest())
            items = items.filter(items.value != "")
            none = e.filter(column == "").select(o=e.ordinal, value=ibis.literal(""))
            pairs = items.union(none).distinct()
        elif field in PLACE_FIELDS:
            p = _marker_table(self.t)
            placed = p.filter(p.event_ordinal.isin(e.ordinal))
            pairs = placed.select(o=placed.event_ordinal, value=placed[field]).distinct()
            none = e.filter(~e.ordinal.isin(p.event_ordinal)).select(
                o=e.ordinal, value=ibis.literal("")
            )
            pairs = pairs.union(none)
        else:
            pairs = e.select(o=e.ordinal, value=e[self._column(field, "text")])
        counts = pairs.group_by("value").aggregate(count=ibis._.count())
        counts = counts.order_by([ibis.desc("count"), "value"]).limit(limit)
        frame = _run(counts)
        return frame.astype({"value": "str", "count": "int64"}).reset_index(drop=True)

    def neighbour(self, when, after_id: str, direction: int, filters: Filters):
        e = self._passing(self.t.events, filters)
        when = utc(when)
        start = e.start.fill_null(e.earliest)
        if direction > 0:
            keep = (start > when) | ((start == when) & (e.id > after_id))
            order = [start, e.id]
        else:
            keep = (start < when) | ((start == when) & (e.id < after_id))
            order = [start.desc(), e.id.desc()]
        found = _run(e.filter(keep).order_by(order).limit(1).select(*LIST_COLUMNS))
        return None if found.empty else found.iloc[0]

    def event(self, event_id: str) -> Detail | None:
        e = self.t.events
        if self.t.ids is None:
            found = _run(e.filter(e.id == event_id).limit(1))
        else:
            ordinal = _run(self.t.ids.filter(self.t.ids.id == event_id).select("ordinal").limit(1))
            if ordinal.empty:
                return None
            # Events are stored in ordinal order: the engine reads the one row group holding it.
            found = _run(e.filter(e.ordinal == int(ordinal["ordinal"].iloc[0])).limit(1))
        if found.empty:
            return None
        p = self.t.places
        mine = [p.event_id == event_id]
        if "earliest" in p.columns:
            # Changes no answer; lets the engine skip the row groups of other times.
            mine.append(p.earliest == found["earliest"].iloc[0])
        places = _run(p.filter(*mine).order_by("order"))
        places = places[[c for c in PLACES.names if c in places.columns]]
        links = self.t.links
        links = _run(
            links.filter((links.source_id == event_id) | (links.target_id == event_id)).order_by(
                "source_id", "relation", "target_id"
            )
        )
        return Detail(self._model(found).iloc[0], places, links)

    def table(self, ask: Ask, *, limit: int):
        e = self._events(ask).order_by("ordinal").limit(limit)
        events = self._model(_run(e))
        p, links = self.t.places, self.t.links
        places = _run(p.filter(p.event_id.isin(e.select("id").id)).order_by("event_id", "order"))
        places = places[[c for c in PLACES.names if c in places.columns]]
        links = _run(links.filter(links.source_id.isin(e.select("id").id)))
        return events, places, links

    def titles(self, ids: Collection[str]) -> dict[str, str]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        e = self.t.events
        found = _run(e.filter(e.id.isin(ids)).select("id", "title"))
        return dict(zip(found["id"], found["title"], strict=True))

    def search(self, text: str, *, limit: int = 20) -> pd.DataFrame:
        e = self.t.events
        hit = e.title.lower().contains(ibis.literal(text, type="string").lower())
        columns = ("ordinal", "id", "title", "start", "category", "claim_status")
        return _run(e.filter(hit).order_by("ordinal").select(*columns).limit(limit))

    def extent(self) -> tuple[float, float, float, float] | None:
        p = self.t.places
        row = _run(p.aggregate(west=p.lon.min(), south=p.lat.min(), east=p.lon.max(),
                               north=p.lat.max()))  # fmt: skip
        if row.empty or row.isna().any(axis=None):
            return None
        return tuple(float(row[c].iloc[0]) for c in ("west", "south", "east", "north"))

    @property
    def links(self) -> pd.DataFrame:
        return _run(self.t.links.select("source_id", "relation", "target_id"))

    def credits(self) -> list[str]:
        p = self.t.places
        found = _run(p.filter(p.credit != "").select("credit").distinct().limit(50))
        return sorted(found["credit"])


_TIMES = frozenset({"start", "end", "earliest", "latest", "start_latest", "end_earliest"})


def _fields_of(events: ir.Table) -> dict[str, dict]:
    """The filterable fields of tables loaded without their store's manifest, from their
    column names (`x_KEY`, `n_KEY`): the keys as the store wrote them."""
    fields: dict[str, dict] = {}
    for name in events.columns:
        if name.startswith("x_"):
            fields[EXTRA_PREFIX + name[2:]] = {"text": name}
            if "n_" + name[2:] in events.columns:
                fields[EXTRA_PREFIX + name[2:]]["number"] = "n_" + name[2:]
    return fields


def _skip(table: ir.Table, order, offset: int, limit: int | None) -> ir.Table:
    """`table` less its first `offset` rows in `order` (which ends with a unique key); the
    caller orders it so and keeps the first `limit` rows: the page.

    A filter on a row number in that order rather than SQL's OFFSET, which Ibis writes for
    Spark as a row number over no order (`ORDER BY NULL`): the rows skipped were those that
    arrived first, and the number's column stayed in the result. The first `offset + limit`
    rows are cut before they are numbered, so an engine still keeps only those (a top-N).
    """
    if not offset:
        return table
    if limit is not None:
        table = table.order_by(order).limit(offset + limit)
    return table.filter(ibis.row_number().over(order_by=order) >= offset)


def _marker_table(t: Tables) -> ir.Table:
    """Places with their event's window columns: the store's places table as it is, or, on
    tables loaded without those columns, the join that makes them."""
    p = t.places
    if {"event_ordinal", *MARKER_COLUMNS} <= set(p.columns):
        return p
    e = t.events
    joined = p.join(e.select("id", "ordinal", *MARKER_COLUMNS), p.event_id == e.id)
    return joined.rename(event_ordinal="ordinal")


def _owner(p: ir.Table) -> ir.Value:
    return p.event_ordinal if "event_ordinal" in p.columns else p.event_id


def _cell(degrees: ir.FloatingValue, cell_deg: float) -> ir.IntegerValue:
    return (degrees / cell_deg).floor().cast("int64")


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
