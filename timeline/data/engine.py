"""The app's data: a table opened through its store, and the questions its views ask.

    engine = open_engine("seeds", online=False)
    engine.count(lo, hi)                  # events in the window [lo, hi)
    engine.window(lo, hi)                 # their rows, when few enough to draw one by one
    engine.bins(lo, hi); engine.cells(lo, hi)   # what the views draw when they are not

`open_engine` keys the table by its files (`table_files`): a stored model of that key opens in
about a second even at a million events; otherwise the table is read with `open_table` (its
progress reported) and stored, so the next start, and every other session, opens it instead.

Small tables (up to `MEMORY_LIMIT` events) keep their frames in memory and answer the detail
queries with the same pandas code as before the store, so the seed story looks and costs what
it did. Larger ones answer every query through `timeline.data.queries` on DuckDB over the Parquet
files: the server then holds only what a view asks for. The aggregates (counts per bin, per
map cell, a cell's page) always go through `timeline.data.queries`.

A DuckDB connection must not run two queries at once, and Streamlit runs each session's script
in its own thread: connections come from a pool, one per query in flight, reused afterwards.

`TIMELINE_MAP_IBIS_URL` (an Ibis connection URL, such as `postgres://user@host/db` or
`bigquery://project/dataset`) with `TIMELINE_MAP_IBIS_TABLES` (the prefix of its `events`,
`places`, `links` tables) points the engine at a warehouse instead: see `warehouse_engine`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import threading
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd

from timeline.data import queries as Q
from timeline.data.store import (
    SCHEMA_VERSION,
    Store,
    default_code_version,
    open_store,
    save_store,
    store_key,
)
from timeline.data.window import events_in_window, neighbour_event
from timeline.ingest.enrich import read_source
from timeline.ingest.files import STORY_FILE, open_table, resolve_table
from timeline.model.schema import PLACES
from timeline.model.tables import EventTable

#: Past this many events in the window, the views aggregate: cells on the map, a histogram on
#: the timeline. Below it each event is drawn as before (markers, whiskers, arcs, circles).
#: Measured at a million events: the detailed figures cost about 1 ms and 1.4 KB per event
#: (a place's circle, a whisker, a hover), so 500 keeps a rerun near the 1 MB budget.
DETAIL_LIMIT = 500
#: Tables up to this many events keep their frames in memory (the pandas detail path).
MEMORY_LIMIT = 50_000
#: Past this many events, pickers search titles instead of listing every event.
PICK_LIMIT = 1_000
#: Answers of window queries kept for every session (see `Engine._shared`); the largest, a
#: detailed window's rows, holds at most DETAIL_LIMIT events.
SHARED_ANSWERS = 256
#: Files beside the table larger than this are not part of its key (another big table is not
#: one of its source texts, and hashing it would cost every start).
SIDE_FILE_LIMIT = 10_000_000
#: A cell of the aggregated map is about this many pixels across at the table's fitted zoom.
CELL_PX = 28

#: Events looked up by id that the engine remembers (the oldest is forgotten first).
DETAILS_KEPT = 512

URL_ENV = "TIMELINE_MAP_IBIS_URL"
TABLES_ENV = "TIMELINE_MAP_IBIS_TABLES"

Progress = Callable[[str, int, int], None]


def table_files(path: str | Path) -> list[Path]:
    """The files a table's model is read from: the table, and the small files beside it (its
    gazetteer `places.csv`, the source texts its quotes cite), but not `story.toml`, which is
    read afresh on every start and is no part of the stored model."""
    table, why_not = resolve_table(path)
    if why_not or not table.is_file():
        return [table] if table.is_file() else []
    side = [
        p
        for p in table.parent.iterdir()
        if p.is_file()
        and p != table
        and p.name != STORY_FILE
        and not p.name.startswith(".")
        and p.stat().st_size <= SIDE_FILE_LIMIT
    ]
    return [table, *sorted(side)]


def table_key(path: str | Path, *, online: bool) -> str | None:
    """The store key of the table a path means; None when it names no readable file."""
    files = table_files(path)
    if not files:
        return None
    # The table is named apart from the files beside it: two tables in one folder share
    # their side files, and store_key hashes its files as a set.
    return store_key(files, format="table", options={"online": online, "table": files[0].name})


def open_engine(
    path: str | Path,
    *,
    online: bool = False,
    progress: Progress | None = None,
    root: str | Path | None = None,
) -> Engine:
    """The engine of the table a path means: its stored model, stored first if need be.

    A path that names no readable table still opens: an engine of no events whose problems
    say why (as `open_table` reports it).
    """
    if on_warehouse():
        engine = warehouse_engine(os.environ[URL_ENV], os.environ.get(TABLES_ENV, ""))
        # A warehouse holds the events, places and links; the texts their quotes cite stay
        # files, read from the table's folder when the server has it.
        engine.sources = local_sources(path)
        return engine
    key = table_key(path, online=online)
    if key is None:
        table = open_table(path, online=online)
        why = table.problems.to_csv(index=False).encode()
        return Engine.from_table(table, key=upload_key(str(path), why), root=root)
    store = open_store(key, root=root)
    if store is None:
        table = open_table(path, online=online, progress=progress)
        if progress is not None:
            progress("storing the checked table", 0, 1)
        store = save_store(key, table, sources=table_files(path), format=table.format, root=root)
        if progress is not None:
            progress("stored", 1, 1)
    return Engine(store)


def on_warehouse() -> bool:
    """Whether the app reads a warehouse's tables (`TIMELINE_MAP_IBIS_URL`), not a file."""
    return bool(os.environ.get(URL_ENV))


def local_sources(path: str | Path) -> dict[str, str]:
    """The source texts beside a table, by file name, as a store keeps them (for a model that
    has no store: a warehouse's)."""
    files = table_files(path)[1:]
    texts = {f.name: read_source(f.parent.resolve(), f.name)[0] for f in files}
    return {name: text for name, text in texts.items() if text is not None}


def is_stored(path: str | Path, *, online: bool, root: str | Path | None = None) -> bool:
    """Whether `open_engine` would open a stored model rather than read the table."""
    if on_warehouse():
        return True
    key = table_key(path, online=online)
    return key is None or open_store(key, root=root) is not None


def upload_key(name: str, data: bytes) -> str:
    """A store key for a file that has no folder (an upload): its name, bytes and our code."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps([SCHEMA_VERSION, default_code_version(), "upload", name]).encode())
    h.update(data)
    return h.hexdigest()


class Engine:
    """One table, stored; the view queries as methods. Shared by every session: read-only.

    `claims` filters by claim status (None: every event); times are UTC `Timestamp`s.
    """

    def __init__(self, store: Store | None, *, tables: Q.Tables | None = None) -> None:
        self.store = store
        self._pool: queue.SimpleQueue[Q.Tables] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._details: dict[str, Q.Detail | None] = {}
        self._answers: dict[tuple, Future] = {}
        if tables is not None:  # a warehouse: one connection given, no store
            self._pool.put(tables)
        manifest = store.manifest if store is not None else {}
        self.total = int(manifest.get("counts", {}).get("events", 0))
        if store is None:
            self.total = int(self._scalar(lambda t: t.events.count()))
        self.problems = store.frame("problems") if store is not None else _no_problems()
        self.sources = store.sources() if store is not None else {}
        self.rows_in = int(manifest.get("rows_in", self.total))
        self.format = manifest.get("format", "")
        self.frames: EventTable | None = None
        if store is not None and self.total <= MEMORY_LIMIT:
            self.frames = _frames(store, self.sources)
            self._by_id = self.frames.events.set_index("id", drop=False)
        self.links = self._links()
        self.extent = self._query(Q.place_extent)
        #: Who the places come from, for the map's credit line when it shows cells.
        self.credits = tuple(self._query(_credits))
        self.cell_deg = cell_deg_for(self.extent)

    @classmethod
    def from_table(cls, table: EventTable, *, key: str, root=None) -> Engine:
        """An engine of a table read already (an upload: key it with `upload_key`)."""
        return cls(save_store(key, table, format=table.format, root=root))

    # --- the table as a whole ------------------------------------------------------------------

    @property
    def in_memory(self) -> bool:
        return self.frames is not None

    @property
    def rows_not_loaded(self) -> int:
        if self.problems.empty:
            return 0
        dropped = self.problems.loc[~self.problems["kept"].astype(bool), "row"].dropna()
        return int(dropped.nunique())

    def story_events(self) -> pd.DataFrame:
        """What a story is checked against and made from: every event's id, title, times and
        category (not the whole rows: at a million events those are most of the memory)."""
        if self.frames is not None:
            return self.frames.events
        columns = ["id", "title", "start", "earliest", "latest", "category"]
        if self.store is not None:
            return self.store.frame("events", columns=columns)
        return self._query(lambda t: Q._run(t.events.select(*columns)))

    # --- windows ---------------------------------------------------------------------------------

    def count(self, lo, hi, *, claims: Collection[str] | None = None) -> int:
        if self.frames is not None:
            return len(self._window_frame(lo, hi, claims))
        return self._shared("count", Q.count_in_window, lo, hi, claims)

    def window(self, lo, hi, *, claims: Collection[str] | None = None) -> pd.DataFrame:
        """Every event of the window, whole rows, by `earliest`: ask `count` first."""
        if self.frames is not None:
            return self._window_frame(lo, hi, claims)
        # What the figures and lists read; a card asks for its one event whole (`event`).
        columns = [*Q.LIST_COLUMNS, "source_file"]
        found = self._shared("window", Q.events_in_window, lo, hi, claims, columns=columns)
        found.attrs["window"] = (lo, hi, claims)
        return found

    def places_of(self, events: pd.DataFrame) -> pd.DataFrame:
        """The places of the events `window` returned (it notes its window in `attrs`)."""
        if self.frames is not None:
            places = self.frames.places
            return places[places["event_id"].isin(events["id"])]
        if events.empty:
            return pd.DataFrame({c: pd.Series(dtype="str") for c in ("event_id", "name")})
        # The window's places by the window (their copies of the event's times let the engine
        # skip row groups), not by a list of ids, which scanned every place.
        lo, hi, claims = events.attrs["window"]
        return self._shared("places", Q.places_in_window, lo, hi, claims)

    def count_placed(self, lo, hi, *, claims: Collection[str] | None = None) -> int:
        """Events of the window with a place: the map's count."""
        return self._shared("placed", Q.count_placed_in_window, lo, hi, claims)

    def neighbour(
        self, when, direction: int, after_id: str = "", *, claims=None
    ) -> pd.Series | None:
        """The next or previous event from (when, after_id), in (start, id) order."""
        if self.frames is not None:
            events = self.frames.events
            if claims is not None:
                events = events[events["claim_status"].isin(list(claims))]
            return neighbour_event(events, when, direction, after_id)
        return self._query(Q.neighbour_event, when, direction, after_id, claim_statuses=claims)

    # --- single events ---------------------------------------------------------------------------

    def event(self, event_id: str | None) -> pd.Series | None:
        if event_id is None:
            return None
        if self.frames is not None:
            return self._by_id.loc[event_id] if event_id in self._by_id.index else None
        detail = self._detail(event_id)
        return None if detail is None else detail.event

    def has(self, event_id: str | None) -> bool:
        return self.event(event_id) is not None

    def event_places(self, event_id: str) -> pd.DataFrame:
        if self.frames is not None:
            return self.frames.places[self.frames.places["event_id"] == event_id]
        detail = self._detail(event_id)
        places = detail.places if detail is not None else pd.DataFrame(columns=["event_id"])
        return places[[c for c in PLACES.names if c in places.columns]]

    def event_links(self, event_id: str) -> pd.DataFrame:
        links = self.links
        return links[(links["source_id"] == event_id) | (links["target_id"] == event_id)]

    def titles(self, ids: Collection[str]) -> dict[str, str]:
        """Title by id for a few ids."""
        if self.frames is not None:
            known = [i for i in dict.fromkeys(ids) if i in self._by_id.index]
            return dict(zip(known, self._by_id.loc[known, "title"], strict=True))
        return self._query(Q.titles_of, ids)

    def known(self, ids: Collection[str]) -> tuple[str, ...]:
        """Those of `ids` that are events of the table, in the order given."""
        found = set(self._by_id.index) if self.frames is not None else set(self.titles(ids))
        return tuple(i for i in ids if i in found)

    def all_titles(self) -> dict[str, str]:
        """Title by id of every event: for a picker, only up to `PICK_LIMIT` events."""
        if self.total > PICK_LIMIT:
            raise ValueError(f"{self.total} events are too many to list; search them")
        events = self.story_events()
        return dict(zip(events["id"], events["title"], strict=True))

    def search(self, text: str, *, limit: int = 20) -> pd.DataFrame:
        return self._query(Q.search_titles, text, limit=limit)

    def _detail(self, event_id: str) -> Q.Detail | None:
        """An event with its places and links, remembered: a selected event is asked for on
        every rerun of every session that shows it, and the table never changes."""
        with self._lock:
            if event_id in self._details:
                return self._details[event_id]
        detail = self._query(Q.event_by_id, event_id)
        with self._lock:
            self._details[event_id] = detail
            while len(self._details) > DETAILS_KEPT:
                self._details.pop(next(iter(self._details)))
        return detail

    # --- aggregates ------------------------------------------------------------------------------

    def bins(self, lo, hi, *, claims=None, max_bins: int = 120) -> pd.DataFrame:
        return self._shared("bins", Q.counts_per_bin, lo, hi, claims, max_bins=max_bins)

    def cells(self, lo, hi, *, claims=None) -> pd.DataFrame:
        return self._shared("cells", Q.counts_per_cell, lo, hi, claims, cell_deg=self.cell_deg)

    def cell_events(self, lo, hi, cell: tuple[int, int], *, claims=None, limit=20, offset=0):
        return self._query(
            Q.events_in_cell, lo, hi, cell_deg=self.cell_deg, cell=cell, claim_statuses=claims,
            limit=limit, offset=offset,
        )  # fmt: skip

    # --- plumbing ------------------------------------------------------------------------------

    def _window_frame(self, lo, hi, claims) -> pd.DataFrame:
        events = self.frames.events
        if claims is not None:
            events = events[events["claim_status"].isin(list(claims))]
        return events_in_window(events, lo, hi)

    def _links(self) -> pd.DataFrame:
        if self.frames is not None:
            return self.frames.links
        if self.store is not None:
            return self.store.frame("links", columns=["source_id", "relation", "target_id"])
        return self._query(lambda t: Q._run(t.links.select("source_id", "relation", "target_id")))

    @contextlib.contextmanager
    def tables(self) -> Iterator[Q.Tables]:
        """A connection of the pool, for one query at a time on this thread."""
        try:
            tables = self._pool.get_nowait()
        except queue.Empty:
            if self.store is None:  # a warehouse's one connection: wait for it
                tables = self._pool.get()
            else:
                tables = Q.duckdb_tables(self.store, threads=2)
        try:
            yield tables
        finally:
            self._pool.put(tables)

    def _query(self, query, *args, **kwargs):
        with self.tables() as t:
            return query(t, *args, **kwargs)

    def _shared(self, name: str, query, lo, hi, claims, **kwargs):
        """`query` of a window, answered once for every session of the process.

        Readers ask the same windows again and again: every session opens on the whole table,
        presets and steps land on the same windows, a click reruns the window it is in. The
        table never changes under an engine. Sessions that ask while the first is still being
        answered wait for its answer (twenty readers opening one link ask once, not twenty
        times). Each asker gets a shallow copy of a frame: pandas copies on write, so a change
        a reader makes never reaches the answer kept.
        """
        given = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
        key = (name, lo, hi, None if claims is None else tuple(sorted(claims)), given)
        with self._lock:
            pending = self._answers.pop(key, None)
            asking = pending is None
            if asking:  # the first to ask; who asks meanwhile waits for this answer
                pending = Future()
            self._answers[key] = pending  # the most recent, last
            while len(self._answers) > SHARED_ANSWERS:
                self._answers.pop(next(iter(self._answers)))
        if asking:
            try:
                pending.set_result(self._query(query, lo, hi, claim_statuses=claims, **kwargs))
            except BaseException as exc:
                with self._lock:
                    if self._answers.get(key) is pending:
                        del self._answers[key]  # not kept: the next asker tries again
                pending.set_exception(exc)
        answer = pending.result()
        return answer.copy(deep=False) if isinstance(answer, pd.DataFrame) else answer

    def _scalar(self, expr):
        with self.tables() as t:
            return Q._scalar(expr(t))


def cell_deg_for(extent: tuple[float, float, float, float] | None) -> float:
    """Cell size in degrees: about `CELL_PX` pixels at the zoom that fits every place."""
    from timeline.views.figures import MAP_HEIGHT, MAP_WIDTH, fit_view

    if extent is None:
        return Q.cell_size(2)
    west, south, east, north = extent
    corners = pd.DataFrame({"lat": [south, north], "lon": [west, east]})
    _, zoom = fit_view(corners, width=MAP_WIDTH, height=MAP_HEIGHT)
    degrees = 360.0 / (512 * 2**zoom) * CELL_PX
    # A round size (a power of two of degrees) so a cell's edges read as a grid.
    return float(2.0 ** np.round(np.log2(degrees)))


def warehouse_engine(url: str, prefix: str = "") -> Engine:
    """An engine over tables already on a warehouse reachable through Ibis: `events`,
    `places`, `links` (names after `prefix`) with the store's columns, as `queries.load_into`
    or the engine's own bulk loader of the Parquet files leaves them."""
    import ibis

    con = ibis.connect(url)
    tables = Q.backend_tables(
        con, events=prefix + "events", places=prefix + "places", links=prefix + "links"
    )
    return Engine(None, tables=tables)


def _credits(t: Q.Tables) -> list[str]:
    p = t.places
    found = Q._run(p.filter(p.credit != "").select("credit").distinct().limit(50))
    return sorted(found["credit"])


def _frames(store: Store, sources: dict[str, str]) -> EventTable:
    events = store.frame("events").drop(columns=["ordinal", "start_s"], errors="ignore")
    places = store.frame("places")
    places = places[[c for c in PLACES.names if c in places.columns]]
    # The model's own order (as `timeline.ingest.enrich` leaves it): figures and lists follow it.
    places = places.sort_values(["event_id", "order"], kind="stable", ignore_index=True)
    manifest = store.manifest
    return EventTable(
        events,
        places,
        store.frame("links"),
        store.frame("problems"),
        sources=sources,
        format=manifest.get("format", ""),
        rows_in=int(manifest.get("rows_in", len(events))),
    )


def _no_problems() -> pd.DataFrame:
    from timeline.model import problems as P

    return P.empty_problems()
