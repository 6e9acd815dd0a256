"""The app's data: a table opened through its store, and the answers its views ask for.

    engine = open_engine("seeds", online=False)
    ask = Ask(lo, hi, Filters.of({"category": ["Battles"]}))
    engine.count(ask); engine.rows(ask, limit=50); engine.cells(ask, cell_deg=1.0)

`open_engine` keys the table by its files (`table_files`): a stored model of that key opens in
about a second even at a million events; otherwise the table is read with `open_table` (its
progress reported) and stored, so the next start, and every other session, opens it instead.

Every answer keeps one contract (`timeline.data.contract`), whoever gives it: the store's
columns held in memory (`timeline.data.memory`, every table up to `MEMORY_LIMIT` events), DuckDB
over its Parquet files beyond, or a warehouse through Ibis (`timeline.data.queries`):
`TIMELINE_MAP_IBIS_URL` (an Ibis connection URL, such as `postgres://user@host/db`) with
`TIMELINE_MAP_IBIS_TABLES` (the prefix of its `events`, `places`, `links` tables).
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
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd
import pyarrow as pa

from timeline.data.contract import Ask, Backend, Detail
from timeline.data.filters import Filters
from timeline.data.memory import MemoryBackend
from timeline.data.store import (
    SCHEMA_VERSION,
    Store,
    damage,
    default_code_version,
    open_store,
    save_store,
    set_aside,
    store_key,
)
from timeline.errors import WarehouseUnavailable
from timeline.ingest.files import PLACES_FILE, STORY_FILE, resolve_table
from timeline.model import limits
from timeline.model.boundary import inside, regular_file
from timeline.model.problems import combine, file_problem
from timeline.model.schema import PLACES
from timeline.model.tables import EventTable

#: Tables up to this many events are answered in memory (`timeline.data.memory`); larger ones
#: by DuckDB over the Parquet files. Measured (benchmarks/bench_store.py): a million events take
#: about 300 MB held and answer every view's question in milliseconds, so only tables past ten
#: million go to DuckDB.
MEMORY_LIMIT = 10_000_000
#: Past this many events, pickers search titles instead of listing every event.
PICK_LIMIT = 1_000
#: Answers kept for every session (see `Engine._shared`); the largest, a detailed window's
#: rows or a page of the table, holds at most a few thousand events.
SHARED_ANSWERS = 256
#: Files beside the table larger than this are not part of its key (another big table is not
#: one of its source texts, and hashing it would cost every start): `timeline.model.limits`.
SIDE_FILE_LIMIT = limits.SIDE_FILE_LIMIT

#: Events looked up by id that the engine remembers (the oldest is forgotten first).
DETAILS_KEPT = 512

URL_ENV = "TIMELINE_MAP_IBIS_URL"
TABLES_ENV = "TIMELINE_MAP_IBIS_TABLES"

Progress = Callable[[str, int, int], None]


def table_files(path: str | Path) -> list[Path]:
    """The files a table's model is read from: the table, and the small files beside it (its
    gazetteer `places.csv`, the source texts its quotes cite), but not `story.toml`, which is
    read afresh on every start and is no part of the stored model.

    None (an empty list) for a path that names no table that would be read: a folder whose
    table is refused, a pipe or a device, a file past `MAX_TABLE_BYTES` (refused by its size,
    before a byte of it is hashed). Beside the table, only regular, non-empty files inside
    its folder count: a link to /proc/self/mem or out of the folder is never read."""
    table, why_not = resolve_table(path)
    info = None if why_not else regular_file(table)[0]
    if info is None or info.st_size > limits.MAX_TABLE_BYTES:
        return []
    folder = table.parent
    side = []
    for p in folder.iterdir():
        if p.name in (table.name, STORY_FILE) or p.name.startswith("."):
            continue
        if inside(folder, p.name)[0] is None:
            continue
        found = regular_file(p)[0]
        most = limits.MAX_GAZETTEER_BYTES if p.name == PLACES_FILE else SIDE_FILE_LIMIT
        # Empty files say nothing, and /proc's say they are (then give endless bytes).
        if found is not None and 0 < found.st_size <= most:
            side.append(p)
    return [table, *sorted(side)]


def table_key(path: str | Path, *, online: bool) -> str | None:
    """The store key of the table a path means; None when it names no readable file."""
    files = table_files(path)
    if not files:
        return None
    # The table is named apart from the files beside it: two tables in one folder share
    # their side files, and store_key hashes its files as a set.
    try:
        return store_key(files, format="table", options={"online": online, "table": files[0].name})
    except OSError:  # unreadable after all (a device behind a file's name): open_table says so
        return None


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
        try:
            engine = warehouse_engine(os.environ[URL_ENV], os.environ.get(TABLES_ENV, ""))
        except WarehouseUnavailable as exc:
            why = file_problem(URL_ENV, str(exc))
            engine = Engine.from_table(
                EventTable.empty(why), key=upload_key(URL_ENV, str(exc).encode()), root=root
            )
            engine.worth_retrying = True
            return engine
        # A warehouse holds the events, places and links; the texts their quotes cite stay
        # files, read from the table's folder when the server has it.
        engine.sources = local_sources(path)
        return engine
    from timeline.ingest.files import open_table  # only to read a table not stored yet

    key = table_key(path, online=online)
    if key is None:
        table = open_table(path, online=online)
        why = table.problems.to_csv(index=False).encode()
        return Engine.from_table(table, key=upload_key(str(path), why), root=root)

    def build() -> Store:
        table = open_table(path, online=online, progress=progress)
        if progress is not None:
            progress("storing the checked table", 0, 1)
        store = save_store(key, table, sources=table_files(path), format=table.format, root=root)
        if progress is not None:
            progress("stored", 1, 1)
        return store

    return _stored_engine(key, root, build)


def _stored_engine(key: str, root: str | Path | None, build: Callable[[], Store]) -> Engine:
    """The engine of a key's store, `build` making the store if there is none.

    A store is trusted because its files exist; one whose files cannot be read (a Parquet file
    cut short by a full disk) would otherwise fail every start. It is set aside and built
    again, and the engine's problems say so (kept: no row of the table was lost)."""
    store = open_store(key, root=root)
    if store is None:
        return Engine.from_store(build())
    try:
        damaged = damage(store)
        if damaged is None:
            return Engine.from_store(store)
    except (OSError, pa.ArrowException) as exc:  # damage inside a file, found by reading it
        damaged = (store.path, str(exc))
    set_aside(store)
    engine = Engine.from_store(build())
    file, why = damaged
    notice = file_problem(
        str(file),
        f"the stored copy of the table could not be read ({_first_line(why)}); "
        "it was set aside and stored again from the table",
    ).assign(kept=True)
    engine.problems = combine([notice, engine.problems])
    return engine


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no reason given"


def on_warehouse() -> bool:
    """Whether the app reads a warehouse's tables (`TIMELINE_MAP_IBIS_URL`), not a file."""
    return bool(os.environ.get(URL_ENV))


def local_sources(path: str | Path) -> dict[str, str]:
    """The source texts beside a table, by file name, as a store keeps them (for a model that
    has no store: a warehouse's)."""
    files = table_files(path)[1:]
    from timeline.ingest.enrich import read_source

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
    """One table, stored; the contract's answers (`timeline.data.contract`), kept for every
    session. Shared by every session: read-only.

    Questions are `Ask(lo, hi, filters)`; times are UTC Timestamps. Answers of the views'
    questions are kept (`SHARED_ANSWERS`): readers ask the same windows again and again.
    """

    def __init__(self, store: Store | None, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self._lock = threading.Lock()
        self._answers: dict[tuple, Future] = {}
        manifest = store.manifest if store is not None else {}
        self.total = int(backend.total)
        self.problems = store.frame("problems") if store is not None else _no_problems()
        self.sources = store.sources() if store is not None else {}
        self.rows_in = int(manifest.get("rows_in", self.total))
        self.format = manifest.get("format", "")
        #: What the file says of its story (the reader's defaults: facets, categories...).
        self.story = manifest.get("story", {})
        #: The fields a filter can name, and whether each holds numbers.
        self.fields = manifest.get("fields", {})
        self.links = backend.links
        self.extent = backend.extent()
        #: Who the places come from, for the map's credit line when it shows cells.
        self.credits = tuple(_credits(backend))
        #: Whether opening again may give more (a warehouse that could not be reached may be
        #: up a minute later), so that whoever keeps engines does not keep this one.
        self.worth_retrying = False

    @classmethod
    def from_store(cls, store: Store) -> Engine:
        """The engine of a stored table: in memory up to `MEMORY_LIMIT` events (every size we
        measured: see the README), else through DuckDB over the Parquet files."""
        if int(store.manifest.get("counts", {}).get("events", 0)) <= MEMORY_LIMIT:
            return cls(store, MemoryBackend(store))
        return cls(store, _PooledIbis(store))

    @classmethod
    def from_table(cls, table: EventTable, *, key: str, root=None) -> Engine:
        """An engine of a table read already (an upload: key it with `upload_key`)."""
        return _stored_engine(
            key, root, lambda: save_store(key, table, format=table.format, root=root)
        )

    # --- the table as a whole ------------------------------------------------------------------

    @property
    def rows_not_loaded(self) -> int:
        if self.problems.empty:
            return 0
        dropped = self.problems.loc[~self.problems["kept"].astype(bool), "row"].dropna()
        return int(dropped.nunique())

    def story_events(self) -> pd.DataFrame:
        """What a story is checked against and made from: every event's id, title, times and
        category (not whole rows: at a million events those are most of the memory)."""
        columns = ["id", "title", "start", "earliest", "latest", "category"]
        if self.store is not None:
            return self.store.frame("events", columns=columns)
        whole = Ask(pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC"))
        return self.backend.rows(whole, columns=tuple(columns))

    # --- the window ----------------------------------------------------------------------------

    def count(self, ask: Ask) -> int:
        return self._shared("count", ask)

    def count_placed(self, ask: Ask) -> int:
        return self._shared("count_placed", ask)

    def rows(self, ask: Ask, **page) -> pd.DataFrame:
        """Events of the window (`LIST_COLUMNS` unless `columns=`), sorted and paged as asked."""
        return self._shared("rows", ask, **page)

    def places(self, ask: Ask) -> pd.DataFrame:
        return self._shared("places", ask)

    def bins(self, ask: Ask, *, max_bins: int = 120) -> pd.DataFrame:
        return self._shared("bins", ask, max_bins=max_bins)

    def cells(self, ask: Ask, *, cell_deg: float) -> pd.DataFrame:
        return self._shared("cells", ask, cell_deg=cell_deg)

    def cell_rows(self, ask: Ask, cell: tuple[int, int], *, cell_deg: float, limit=20, offset=0):
        return self._shared(
            "cell_rows", ask, cell_deg=cell_deg, cell=cell, limit=limit, offset=offset
        )

    def facet(self, ask: Ask, field: str, *, limit: int = 200) -> pd.DataFrame:
        return self._shared("facet", ask, field, limit=limit)

    def neighbour(self, when, after_id: str, direction: int, filters: Filters):
        return self.backend.neighbour(when, after_id, direction, filters)

    # --- single events -------------------------------------------------------------------------

    def detail(self, event_id: str | None) -> Detail | None:
        if not event_id:
            return None
        return self.backend.event(event_id)

    def event(self, event_id: str | None) -> pd.Series | None:
        detail = self.detail(event_id)
        return None if detail is None else detail.event

    def has(self, event_id: str | None) -> bool:
        return self.detail(event_id) is not None

    def event_places(self, event_id: str) -> pd.DataFrame:
        detail = self.detail(event_id)
        return detail.places if detail is not None else pd.DataFrame(columns=list(PLACES.names))

    def event_links(self, event_id: str) -> pd.DataFrame:
        links = self.links
        return links[(links["source_id"] == event_id) | (links["target_id"] == event_id)]

    def titles(self, ids: Collection[str]) -> dict[str, str]:
        return self.backend.titles(tuple(ids))

    def subtable(self, ask: Ask, *, limit: int) -> EventTable:
        """At most `limit` events of the question as a table of their own (whole rows, their
        places and links): what an export of the window writes."""
        events, places, links = self.backend.table(ask, limit=limit)
        events = events.drop(columns=["ordinal", "start_s"], errors="ignore")
        cited = set(events["source_file"]) if "source_file" in events else set()
        sources = {name: text for name, text in self.sources.items() if name in cited}
        return EventTable(
            events, places, links, self.problems.iloc[:0], sources=sources, format=self.format
        )

    def known(self, ids: Collection[str]) -> tuple[str, ...]:
        """Those of `ids` that are events of the table, in the order given."""
        found = self.titles(ids)
        return tuple(i for i in ids if i in found)

    def all_titles(self) -> dict[str, str]:
        """Title by id of every event: for a picker, only up to `PICK_LIMIT` events."""
        if self.total > PICK_LIMIT:
            raise ValueError(f"{self.total} events are too many to list; search them")
        events = self.story_events()
        return dict(zip(events["id"], events["title"], strict=True))

    def search(self, text: str, *, limit: int = 20) -> pd.DataFrame:
        return self.backend.search(text, limit=limit)

    # --- plumbing ------------------------------------------------------------------------------

    def _shared(self, name: str, ask: Ask, *args, **kwargs):
        """The backend's answer to a question, given once for every session of the process.

        Readers ask the same windows again and again: every session opens on the whole table,
        presets and steps land on the same windows, a click reruns the window it is in. The
        table never changes under an engine. Sessions that ask while the first is still being
        answered wait for its answer (twenty readers opening one link ask once, not twenty
        times). Each asker gets a shallow copy of a frame: pandas copies on write, so a change
        a reader makes never reaches the answer kept.
        """
        given = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
        key = (name, ask, args, given)
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
                pending.set_result(getattr(self.backend, name)(ask, *args, **kwargs))
            except BaseException as exc:
                with self._lock:
                    if self._answers.get(key) is pending:
                        del self._answers[key]  # not kept: the next asker tries again
                pending.set_exception(exc)
        answer = pending.result()
        return answer.copy(deep=False) if isinstance(answer, pd.DataFrame) else answer


class _PooledIbis:
    """The Ibis backend over a large store's Parquet files on DuckDB, one connection per query
    in flight (a DuckDB connection must not run two queries at once, and Streamlit runs each
    session in its own thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        first = self._make()
        self.total = first.total
        self._pool.put(first)

    def _make(self):
        from timeline.data import queries as Q  # Ibis: only for a table past the memory limit

        fields = self.store.manifest.get("fields")
        return Q.IbisBackend(Q.duckdb_tables(self.store, threads=2), fields=fields)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        from timeline.data.queries import IbisBackend

        attribute = getattr(IbisBackend, name)
        if isinstance(attribute, property):
            with self._borrowed() as backend:
                return getattr(backend, name)

        def call(*args, **kwargs):
            with self._borrowed() as backend:
                return getattr(backend, name)(*args, **kwargs)

        return call

    @contextlib.contextmanager
    def _borrowed(self) -> Iterator:
        try:
            backend = self._pool.get_nowait()
        except queue.Empty:
            backend = self._make()
        try:
            yield backend
        finally:
            self._pool.put(backend)


def warehouse_engine(url: str, prefix: str = "") -> Engine:
    """An engine over tables already on a warehouse reachable through Ibis: `events`,
    `places`, `links` (names after `prefix`) with the store's columns, as `queries.load_into`
    or the engine's own bulk loader of the Parquet files leaves them. One connection, its
    questions asked one at a time."""
    import ibis

    from timeline.data import queries as Q

    # Whatever the driver raises (psycopg, Spark Connect, Ibis's own "table not found"), the
    # reader sees one line naming the warehouse, never a traceback or its password.
    try:
        con = ibis.connect(url)
        tables = Q.backend_tables(
            con, events=prefix + "events", places=prefix + "places", links=prefix + "links"
        )
        backend = Q.IbisBackend(tables)
    except Exception as exc:  # noqa: BLE001 (every driver has its own errors)
        shown = without_password(url)
        reason = _first_line(str(exc)) or type(exc).__name__
        for secret in _secrets(url):
            reason = reason.replace(secret, "***")
        raise WarehouseUnavailable(
            f"the warehouse {shown} (tables {prefix}events, {prefix}places, {prefix}links) "
            f"could not be reached or read: {reason}"
        ) from None
    return Engine(None, _Locked(backend))


#: Query parameters of a connection URL that hold a secret, by a word in their name.
_SECRET_WORDS = ("pass", "secret", "token", "key", "auth")


def without_password(url: str) -> str:
    """A connection URL as it may be shown: no password, no secret query parameter.

    >>> without_password("postgres://me:hunter2@db.example:5432/events?sslmode=require")
    'postgres://me@db.example:5432/events?sslmode=require'
    """
    head, mark, query = url.partition("?")
    netloc = urlsplit(head).netloc
    if "@" in netloc and ":" in netloc.rpartition("@")[0]:
        user, _, host = netloc.rpartition("@")
        head = head.replace(netloc, user.split(":", 1)[0] + "@" + host, 1)
    pairs = [
        pair.partition("=")[0] + "=***" if _secret(pair.partition("=")[0]) else pair
        for pair in query.split("&")
    ]
    return head + mark + "&".join(pairs)


def _secret(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_WORDS)


def _secrets(url: str) -> list[str]:
    """The secret parts of a URL, to be struck from a driver's message that echoes them."""
    parts = urlsplit(url)
    found = [parts.password or "", unquote(parts.password or "")]
    found += [value for name, value in parse_qsl(parts.query) if _secret(name)]
    return [s for s in found if s]


class _Locked:
    """A backend whose questions are asked one at a time (a warehouse's one connection)."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self.total = backend.total

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            attribute = getattr(self._backend, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            with self._lock:
                return attribute(*args, **kwargs)

        return call


def _credits(backend) -> list[str]:
    return backend.credits() if hasattr(backend, "credits") else []


def _no_problems() -> pd.DataFrame:
    from timeline.model import problems as P

    return P.empty_problems()
