"""A checked event model stored once as Parquet, keyed by the content of what it was read from.

Reading and checking a table of a million rows takes seconds; opening the stored result takes
milliseconds, so a restart or a second session never re-parses. The folder of one store::

    <cache>/<key>/events.parquet    sorted by `earliest`, with `ordinal` 0..n-1 in that order
                                    and `start_s`, the start in seconds since 1970
                  places.parquet    in the same order, each with its event's window columns
                  links.parquet
                  problems.parquet
                  ids.parquet       id -> ordinal, sorted by id, for lookups by id
                  sources.json      the text of each source file the events cite, by name
                  manifest.json     counts, source file names, format, time range, ...

`store_key(paths, format=...)` hashes the bytes of every source file together with
`SCHEMA_VERSION` and the code that turns a file into the model, so an edited table or an
upgraded reader gets a new folder and an old one is never read by mistake.
`save_store(key, model, ...)` checks and writes it; `open_store(key)` returns the `Store` or None.

Writes are atomic: everything goes into a temporary folder beside the final one, which is then
renamed into place. Two processes building the same key both write; the first rename wins and
the other drops its copy and opens the winner's, which holds the same content.

The cache looks after itself: a store whose files cannot be read is `set_aside` (the engine then
stores its table again), each save first removes what interrupted saves left
(`sweep_leftovers`) and then the least recently opened stores past `CACHE_MAX_GB` (`evict`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import shutil
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.data.contract import COARSE_PLACE, COARSE_TIME
from timeline.errors import TimelineError
from timeline.model.extras import is_extra
from timeline.model.limits import MAX_TABLE_BYTES
from timeline.model.schema import EVENTS, LINKS, PLACES, PROBLEMS

#: Bump when the stored layout or the meaning of a column changes: old folders are then
#: ignored (a new key), never misread.
SCHEMA_VERSION = "3"

CACHE_ENV = "TIMELINE_MAP_CACHE_DIR"
CACHE_MAX_ENV = "TIMELINE_MAP_CACHE_MAX_GB"

#: Every edit of a table, every upload and every upgrade of the code makes a new store, and
#: none is ever needed again once its table changed: past this many gigabytes of stores
#: (`$TIMELINE_MAP_CACHE_MAX_GB`), the least recently opened are removed after each save. A
#: store takes 40-60 MB a million events (the synthetic benchmark's: 43 MB), so the largest
#: table a file may be (a gigabyte of CSV, about ten million events) stores in at most about
#: 600 MB: 2 GB keeps it three times over, or some thirty tables of a million events, and
#: stays small beside any disk. A store evicted is only a first start's reading away.
CACHE_MAX_GB = 2.0

#: A temporary folder of a save older than this is an interrupted save's, whoever made it:
#: a save of the largest table takes about a minute.
LEFTOVER_SECONDS = 3600

#: Rows per Parquet row group. Events are sorted by `earliest`, so each group covers a time
#: slice and its min/max statistics let an engine skip the groups outside a window; smaller
#: groups skip more but cost more per group (64K rows: 16 groups at a million events).
ROW_GROUP_SIZE = 65_536

TABLES = ("events", "places", "links", "problems", "ids")
_MANIFEST = "manifest.json"
_SOURCES = "sources.json"

_TS = "datetime64[us, UTC]"

#: The tables stored, as `timeline.model.schema` declares them: a model without a required
#: column is refused; the others are filled with an empty value, so a reader that knows less
#: (no place time zones, no quote checks) can still be stored.
_SCHEMAS = {table.name: table for table in (EVENTS, PLACES, LINKS, PROBLEMS)}


class StoreError(TimelineError, ValueError):
    """A model that cannot be stored as it is (a required column missing or of the wrong kind)."""


class Model(Protocol):
    """What `save_store` takes: `EventTable` fits, and so does any object with these frames."""

    events: pd.DataFrame
    places: pd.DataFrame
    links: pd.DataFrame
    problems: pd.DataFrame


@dataclass(frozen=True)
class Store:
    """One stored model: where its files are and what its manifest says.

    Opening reads only the manifest; the frames are read on demand (`frame("events")`) or, for
    a million events, queried where they lie through `timeline.data.queries.duckdb_tables(store)`.
    """

    key: str
    path: Path
    manifest: dict

    def file(self, table: str) -> Path:
        if table not in TABLES:
            raise KeyError(table)
        return self.path / f"{table}.parquet"

    def frame(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One table as pandas, strings as pandas' str dtype, times as UTC microseconds.

        The events' stored field columns come back under their model names (`extra.KEY`);
        the copies made for engines (numbers, list forms) are left out unless asked for."""
        frame = pq.read_table(self.file(table), columns=columns).to_pandas()
        if table != "events":
            return frame
        fields = self.manifest.get("fields", {})
        names = {spec["text"]: field for field, spec in fields.items() if field != spec["text"]}
        copies = {v for spec in fields.values() for k, v in spec.items() if k != "text"}
        if columns is None:
            frame = frame.drop(columns=[c for c in copies if c in frame.columns])
        return frame.rename(columns=names)

    def arrow(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """One table as Arrow, without the pandas metadata (an engine loading it needs none)."""
        return pq.read_table(self.file(table), columns=columns).replace_schema_metadata(None)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest["counts"])

    def sources(self) -> dict[str, str]:
        """The source texts the model's quotes were checked against (for the app's article
        view), by the name its events cite; empty for a model that had none."""
        try:
            return dict(json.loads((self.path / _SOURCES).read_text("utf-8")))
        except (OSError, ValueError):
            return {}


# --- keys ------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """`$TIMELINE_MAP_CACHE_DIR`, else `~/.cache/timeline-map/store`."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "timeline-map" / "store"


def store_key(
    paths: Iterable[str | Path],
    *,
    format: str,
    options: Mapping | None = None,
    code_version: str | None = None,
) -> str:
    """A key naming the model read from these files, by these options, with this code.

    Pass every file the model was read from (the table, and the source texts its quotes are
    checked against). A file counts by its name (not its folder) and its bytes, so a table
    moved elsewhere keeps its store, and one edited byte makes a new key.

    `code_version` defaults to a hash of this project's own source (`code_version()`).
    """
    h = hashlib.blake2b(digest_size=16)
    header = {
        "schema": SCHEMA_VERSION,
        "code": code_version if code_version is not None else default_code_version(),
        "format": format,
        "options": options or {},
    }
    h.update(json.dumps(header, sort_keys=True, default=str).encode())
    for path in sorted(Path(p) for p in paths):
        name = path.name.encode()
        h.update(len(name).to_bytes(8, "little") + name)
        h.update(path.stat().st_size.to_bytes(8, "little"))
        with path.open("rb") as fp:
            # No file is read past the table bound, whatever its size said (/proc's say 0).
            left = MAX_TABLE_BYTES + 1
            while left > 0 and (chunk := fp.read(min(1 << 20, left))):
                h.update(chunk)
                left -= len(chunk)
    return h.hexdigest()


@functools.cache
def default_code_version() -> str:
    """A hash of the source of the `timeline` and `geodata` packages (and the gazetteer).

    Conservative on purpose: any change to the code that reads, checks or places a table makes
    new keys, at the price of one rebuild after an upgrade.
    """
    h = hashlib.blake2b(digest_size=16)
    for path in code_files():
        h.update(path.relative_to(_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


#: The folder that holds the `timeline` and `geodata` packages (this file is
#: timeline/data/store.py).
_ROOT = Path(__file__).resolve().parents[2]


def code_files() -> list[Path]:
    """The files `default_code_version` hashes: the source of `timeline` and `geodata` and
    their data tables. (Before, this looked one folder too low after the layers moved, found
    nothing, and every version of the code shared its keys: stores were never rebuilt.)"""
    return sorted(
        path
        for package in ("timeline", "geodata")
        for path in (_ROOT / package).rglob("*")
        if path.suffix in (".py", ".csv", ".toml") and "__pycache__" not in path.parts
    )


# --- checking --------------------------------------------------------------------------------


def check_model(model: Model) -> dict[str, pd.DataFrame]:
    """The four frames in the stored shape, or `StoreError` naming every bad column at once.

    Text columns become str with "" for missing (so a filter on "" means "none given", as in
    the table); categoricals become their text; missing optional columns are added empty.
    Events come back sorted by `earliest` (ties keep the model's order) with `ordinal` 0..n-1
    for cheap paging; places in the events' order, each with its event's `MARKER_COLUMNS`.
    """
    failures: list[str] = []
    out: dict[str, pd.DataFrame] = {}
    for name, schema in _SCHEMAS.items():
        frame = getattr(model, name)
        columns = {}
        for column, dtype, required in ((c.name, c.dtype, c.required) for c in schema.columns):
            if column not in frame.columns:
                if required:
                    failures.append(f"{name}.{column} is missing")
                    continue
                columns[column] = _empty(dtype, frame.index)
                continue
            try:
                columns[column] = _coerce(frame[column], dtype)
            except (TypeError, ValueError) as exc:
                failures.append(f"{name}.{column} cannot be read as {dtype}: {exc}")
        if name == "events":  # the source's own fields come along, as text
            columns |= {c: _coerce(frame[c], "str") for c in frame.columns if is_extra(c)}
        out[name] = pd.DataFrame(columns, index=frame.index)
    if failures:
        raise StoreError("the model cannot be stored: " + "; ".join(failures))

    events = out["events"]
    if events["earliest"].isna().any():
        raise StoreError("the model cannot be stored: events.earliest is missing on some rows")
    repeated = events["id"][events["id"].duplicated()]
    if len(repeated):
        shown = ", ".join(repeated.unique()[:5])
        raise StoreError(f"the model cannot be stored: events.id repeats ({shown})")
    # A missing `latest` would drop the event from every window: read it as a point in time.
    events["latest"] = events["latest"].fillna(events["earliest"])
    # A reader hands its events sorted already; re-sorting a million rows of text costs seconds.
    if not events["earliest"].is_monotonic_increasing:
        events = events.sort_values("earliest", kind="stable")
    events = events.reset_index(drop=True)
    events.insert(0, "ordinal", np.arange(len(events), dtype="int64"))
    # Whole seconds since 1970 of `start` (or `earliest` where no start): time bins divide
    # integers, where an engine's own time-to-epoch conversion cost four times the count.
    when = events["start"].fillna(events["earliest"]).astype(_TS)
    events["start_s"] = when.astype("int64") // 1_000_000  # microseconds, floored to seconds
    out["events"] = events = _stored_fields(events)
    out["places"] = _markers(events, out["places"])
    out["links"] = out["links"].reset_index(drop=True)
    out["problems"] = out["problems"].reset_index(drop=True)
    # Ids in their own order beside their ordinals: a lookup by id then reads one row group
    # (by its min/max statistics) instead of every id of the table.
    out["ids"] = events[["id", "ordinal"]].sort_values("id", ignore_index=True)
    return out


#: List cells ("a;b") stored again as ";a;b;" (trimmed), so that any engine can ask "is b one of
#: them" with a plain `contains(";b;")`.
LIST_COLUMNS = ("actors", "reported_by")


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")[:40] or "field"


def stored_name(field: str, taken: set[str]) -> str:
    """A plain SQL name for a field's stored column (`extra.Sub-event type` -> x_sub_event_type)."""
    base = ("x_" + _slug(field[len("extra.") :])) if field.startswith("extra.") else _slug(field)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _stored_fields(events: pd.DataFrame) -> pd.DataFrame:
    """The events with what the filters read in columns every engine can query: each `extra.*`
    field as text (x_...) and as a number too (n_...) where every value given is one; the list
    cells again in their ";a;b;" form (l_...). `attrs["fields"]` maps each field to its
    columns, for the manifest."""
    fields: dict[str, dict] = {}
    taken = set(events.columns)
    for column in [c for c in events.columns if is_extra(c)]:
        text = events.pop(column)
        name = stored_name(column, taken)
        events[name] = text
        fields[column] = {"text": name}
        numbers = _numbers(text)
        if numbers is not None:
            events["n_" + name[2:]] = numbers
            fields[column]["number"] = "n_" + name[2:]
    for column in LIST_COLUMNS:
        # pyarrow's own kernel: pandas sends this pattern through Python's re, cell by cell.
        cells = pa.array(events[column].astype("str"), pa.large_string())
        items = pc.utf8_trim_whitespace(pc.replace_substring_regex(cells, r"\s*;\s*", ";"))
        items = items.to_pandas().set_axis(events.index).astype("str")
        events["l_" + column] = (";" + items + ";").where(items != "", "")
        fields[column] = {"text": column, "list": "l_" + column}
    events.attrs["fields"] = fields
    return events


_NUMBER = r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*"


def _numbers(text: pd.Series) -> pd.Series | None:
    """The values as numbers where every non-empty one is a number (else None)."""
    given = text[text != ""]
    if (
        given.empty
        or not given.head(200).str.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*").all()
    ):
        return None
    try:
        values = pc.cast(pa.array(text.where(text != "").astype(object)), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


#: Columns of its event that each stored place carries, so that the map's queries (counts per
#: cell, the events of a cell) read one table instead of joining a million places to a million
#: events. The place's `event_ordinal` is its event's `ordinal`.
MARKER_COLUMNS = ("earliest", "latest", "start", "category", "claim_status", "time_precision")


def _markers(events: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Places with their event's window columns, in the events' order (by `earliest`).

    A place whose event is not in the model (a row left out) is dropped: nothing could show it.
    Positional (events are numbered 0..n-1): a pandas merge of a million rows took seconds.
    """
    position = pd.Index(events["id"]).get_indexer(places["event_id"])
    known = position >= 0
    if not known.all():
        places, position = places[known], position[known]
    order = np.lexsort((places["order"].to_numpy(), position))
    if not (order == np.arange(len(order))).all():
        places, position = places.iloc[order], position[order]
    own = events[list(MARKER_COLUMNS)].take(position).reset_index(drop=True)
    places = places.reset_index(drop=True)
    # Uncertainty in aggregate, as 0/1 per marker: the map's cells sum them.
    time_coarse = own["time_precision"].isin(COARSE_TIME) | (
        (own["time_precision"] == "range")
        & (own["latest"] >= own["earliest"] + pd.Timedelta(days=1))
    )
    return pd.concat([places, own], axis=1).assign(
        event_ordinal=position.astype("int64"),
        place_coarse=places["geo_precision"].isin(COARSE_PLACE).astype("int8"),
        time_coarse=time_coarse.astype("int8"),
    )


def _coerce(values: pd.Series, dtype: str) -> pd.Series:
    if dtype == "str":
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("object")
        return values.astype("str").fillna("").astype("str")
    if dtype == _TS:
        if values.dtype == _TS:
            return values
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
            return pd.to_datetime(values, utc=True).astype(_TS)
        raise TypeError(f"holds {values.dtype}, not UTC times")
    if dtype == "bool":
        return values.fillna(False).astype("bool")
    if dtype in ("int16", "int64"):
        return values.fillna(0).astype(dtype)
    return values.astype(dtype)


def _empty(dtype: str, index: pd.Index) -> pd.Series:
    if dtype == "str":
        return pd.Series("", index=index, dtype="str")
    if dtype == _TS:
        return pd.Series(pd.NaT, index=index, dtype=_TS)
    if dtype == "bool":
        return pd.Series(False, index=index, dtype="bool")
    if dtype in ("int16", "int64"):
        return pd.Series(0, index=index, dtype=dtype)
    return pd.Series(pd.NA, index=index, dtype=dtype)


# --- writing and opening ---------------------------------------------------------------------


def save_store(
    key: str,
    model: Model,
    *,
    sources: Iterable[str | Path] = (),
    format: str = "",
    root: str | Path | None = None,
) -> Store:
    """Check `model` and write it under `root/key` atomically; return the opened store.

    If the key is already stored (by an earlier run, or by another process that finished
    first), that store is returned and nothing is overwritten.
    """
    _check_key(key)
    root = Path(root) if root is not None else cache_dir()
    final = root / key
    if (existing := open_store(key, root=root)) is not None:
        return existing
    frames = check_model(model)
    root.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(root)
    temp = root / f"{_TEMP}{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        for name, frame in frames.items():
            _write(frame, temp / f"{name}.parquet")
        # A model's source texts (an `EventTable` has them): the card's article view reads them.
        texts = getattr(model, "sources", None) or {}
        (temp / _SOURCES).write_text(json.dumps(dict(texts), ensure_ascii=False), "utf-8")
        manifest = _manifest(key, frames, sources, format)
        manifest["rows_in"] = int(getattr(model, "rows_in", 0) or 0)
        # What the file's reader says of its story (the fields worth filtering on, ...).
        manifest["story"] = _plain(getattr(model, "story", None) or {})
        (temp / _MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        # On disk before the rename makes the folder visible: a crash must not leave a
        # complete-looking store of empty files.
        for path in temp.iterdir():
            _fsync(path)
        try:
            os.rename(temp, final)
        except OSError:
            # Another process renamed its copy into place first: same key, same content.
            if open_store(key, root=root) is None:
                # What is there is a broken leftover (a file deleted by hand): set it aside.
                _remove(final, "trash")
                os.rename(temp, final)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    store = open_store(key, root=root)
    assert store is not None, final
    evict(root, keep=key)
    return store


def open_store(key: str, *, root: str | Path | None = None) -> Store | None:
    """The store of this key, or None if there is none (or only a partial or older one)."""
    _check_key(key)
    path = (Path(root) if root is not None else cache_dir()) / key
    try:
        manifest = json.loads((path / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("schema_version") != SCHEMA_VERSION or manifest.get("key") != key:
        return None
    if not all((path / f"{name}.parquet").is_file() for name in TABLES):
        return None
    # Its last use, for `evict` (in a cache we may not write, its use goes unrecorded).
    with contextlib.suppress(OSError):
        os.utime(path / _MANIFEST)
    return Store(key=key, path=path, manifest=manifest)


# --- damage, leftovers and the size bound ----------------------------------------------------


def damage(store: Store) -> tuple[Path, str] | None:
    """The first of a store's files that cannot be read, and why; None when all can.

    Reads each Parquet file's footer, a few milliseconds in all: a file cut short (a full disk,
    a copy interrupted) has none. Damage inside a file shows when the engine reads it."""
    for name in TABLES:
        try:
            pq.read_metadata(store.file(name))
        except (OSError, pa.ArrowException) as exc:
            return store.file(name), str(exc)
    return None


def set_aside(store: Store) -> None:
    """Take a store that cannot be read out of its key's place, so that its key is stored
    afresh; another process that found the same damage may have taken it first."""
    _remove(store.path, "damaged")


#: What `save_store` writes into before its rename; `_remove` renames into `.<why>-...`.
_TEMP = ".tmp-"
_REMOVED = (".trash-", ".damaged-", ".evicted-")


def sweep_leftovers(root: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove what interrupted saves and removals left in the cache; return what went.

    A save writes into `.tmp-<key>-<pid>-<random>` and renames it into place: a process
    killed meanwhile leaves that folder behind for good. One is removed once its process is
    gone, or once it is older than `LEFTOVER_SECONDS` (its pid reused since). The pid is asked
    of this machine: a cache folder shared by several machines is not supported. A folder
    renamed to be removed (`.damaged-`, `.evicted-`, `.trash-`) is removed whatever its age:
    nothing reads it."""
    root = Path(root)
    now = time.time() if now is None else now
    removed = []
    try:
        children = list(root.iterdir())
    except OSError:
        return removed
    for child in children:
        if child.name.startswith(_TEMP):
            try:
                age = now - child.stat().st_mtime
            except OSError:
                continue
            pid = child.name.rsplit("-", 2)[-2] if child.name.count("-") >= 3 else ""
            gone = pid.isdigit() and not _alive(int(pid))  # no pid to ask: wait for its age
            if not gone and age <= LEFTOVER_SECONDS:
                continue
        elif not child.name.startswith(_REMOVED):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def cache_bound() -> float:
    """The bytes of stores kept (`$TIMELINE_MAP_CACHE_MAX_GB`, else `CACHE_MAX_GB`).

    A value that is not a number of gigabytes (0 or more) is set aside with a warning: this is
    housekeeping, and must never stop a table from opening."""
    given = os.environ.get(CACHE_MAX_ENV, "").strip()
    if not given:
        return CACHE_MAX_GB * 1e9
    try:
        gigabytes = float(given)
    except ValueError:
        gigabytes = math.nan
    if not gigabytes >= 0:  # NaN too
        warnings.warn(
            f"{CACHE_MAX_ENV}={given!r} is not a number of gigabytes; "
            f"keeping {CACHE_MAX_GB:g} GB of stores",
            stacklevel=2,
        )
        return CACHE_MAX_GB * 1e9
    return gigabytes * 1e9


def evict(root: str | Path, *, keep: str, bound: float | None = None) -> list[str]:
    """Remove the least recently opened stores until the cache holds at most `bound` bytes
    (`cache_bound()`); never `keep`, the store just saved. Returns the keys removed.

    Only folders that are stores (a manifest naming their own key) count: the cache folder
    may hold other things, such as the geocoder's cache. A store's last use is its manifest's
    time, which `open_store` renews. A process still reading a store it opened long ago keeps
    what it read into memory (every table up to `engine.MEMORY_LIMIT` events); one querying a
    larger store's files where they lie could lose them, so the bound is best kept above
    the stores in use at once."""
    root = Path(root)
    bound = cache_bound() if bound is None else bound
    stores = []
    try:
        children = list(root.iterdir())
    except OSError:
        return []
    for child in children:
        used = _last_use(child)
        if used is not None:
            stores.append((used, child.name, _size(child)))
    total = sum(size for _, _, size in stores)
    removed = []
    for _, key, size in sorted(stores):
        if total <= bound:
            break
        if key == keep:
            continue
        _remove(root / key, "evicted")
        total -= size
        removed.append(key)
    return removed


def _last_use(folder: Path) -> float | None:
    """When a store was last opened; None for what is not a store."""
    if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
        return None
    manifest = folder / _MANIFEST
    try:
        if json.loads(manifest.read_text()).get("key") != folder.name:
            return None
        return manifest.stat().st_mtime
    except (OSError, ValueError, AttributeError):
        return None


def _size(folder: Path) -> int:
    try:
        with os.scandir(folder) as entries:
            return sum(e.stat(follow_symlinks=False).st_size for e in entries)
    except OSError:
        return 0


def _remove(folder: Path, why: str) -> None:
    """Rename a folder out of the way (atomic: no reader finds it half removed), then delete
    it; a folder another process removed first is already gone."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = folder.with_name(f".{why}-{folder.name}-{stamp}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(folder, aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _check_key(key: str) -> None:
    # A key names one folder under the cache: no separators, no hidden or parent names.
    if not key or key.startswith(".") or any(c not in _KEY_CHARS for c in key):
        raise StoreError(f"a store key is letters, digits, '-', '_' and '.' only: {key!r}")


_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Plain `string` rather than pandas' `large_string`: every engine reads it, and no cell is
    # anywhere near 2 GB.
    table = table.cast(
        pa.schema(
            [
                f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f
                for f in table.schema
            ],
            metadata=table.schema.metadata,
        )
    )
    pq.write_table(
        table, path, row_group_size=ROW_GROUP_SIZE, compression="zstd", write_statistics=True
    )


def _plain(value):
    """A reader's story defaults as JSON can hold them (times as ISO text)."""
    return json.loads(json.dumps(value, default=str))


def _manifest(
    key: str, frames: dict[str, pd.DataFrame], sources: Iterable[str | Path], format: str
) -> dict:
    events = frames["events"]
    span = (events["latest"] - events["earliest"]).max() if len(events) else pd.NaT
    return {
        "key": key,
        "schema_version": SCHEMA_VERSION,
        "format": format,
        "sources": [Path(s).name for s in sources],
        "counts": {name: len(frame) for name, frame in frames.items()},
        "earliest": None if events.empty else events["earliest"].min().isoformat(),
        "latest": None if events.empty else events["latest"].max().isoformat(),
        # The longest event: a window query may then skip every event that starts more than
        # this long before the window, which lets the engine skip whole row groups.
        "max_span_seconds": None if pd.isna(span) else span.total_seconds(),
        "row_group_size": ROW_GROUP_SIZE,
        "categories": sorted(events["category"].unique().tolist()),
        "claim_statuses": sorted(events["claim_status"].unique().tolist()),
        # Each filterable field and the stored columns that hold it (`_stored_fields`).
        "fields": events.attrs.get("fields", {}),
    }
