"""The query contract (`timeline.data.contract`) kept in memory with NumPy: the app's engine for
its own tables, from the seed story's sixteen events to millions.

Everything a view asks is a mask over arrays in the store's order (by `earliest`): the window is
two binary searches and one comparison, a filter a lookup in the codes of its field, a count a
sum, bins and cells a `bincount`. At a million events a question costs milliseconds, where an
embedded SQL engine spent 15-50 ms per query on building and planning it.

What is held: every event's window columns and the columns of a list (`LIST_COLUMNS`), every
placed place's point and the columns the map draws; whole rows for tables up to
`WHOLE_ROWS_LIMIT` events. A larger table's whole event (a card) and the fields a filter or a
text search needs are read from the store when first asked, then kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.data.contract import (
    COARSE_PLACE,
    COARSE_TIME,
    LIST_COLUMNS,
    Ask,
    Detail,
    bin_count,
    bin_width,
    bins_frame,
    cells_frame,
    floor_epoch,
    utc,
)
from timeline.data.filters import (
    LIST_FIELDS,
    PLACE_FIELDS,
    TEXT_FIELDS,
    Filters,
)
from timeline.data.store import Store
from timeline.model.schema import PLACES

#: Tables up to this many events keep whole rows in memory (a card is then a lookup).
WHOLE_ROWS_LIMIT = 50_000
#: Masks and selections kept per filter and per question (a rerun asks several answers of one).
KEPT = 16
_US = np.int64(1_000_000)
#: Place columns a detailed map draws (every column for a table kept whole).
MAP_PLACE_COLUMNS = ("event_id", "order", "name", "country", "region", "lat", "lon",
                     "geo_precision", "source", "credit", "timezone")  # fmt: skip


class _Kept(OrderedDict):
    """A small least-recently-used dict, safe across the server's threads."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def get_or(self, key, make: Callable):
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()
        with self.lock:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)
        return value


class MemoryBackend:
    """The contract over one store, in memory. Read-only once made; shared by every session."""

    def __init__(self, store: Store, *, whole_rows_limit: int = WHOLE_ROWS_LIMIT) -> None:
        self.store = store
        manifest = store.manifest
        self.total = int(manifest.get("counts", {}).get("events", 0))
        self.whole = self.total <= whole_rows_limit
        self.fields: dict[str, dict] = manifest.get("fields", {})
        events = store.frame("events") if self.whole else store.frame("events", list(_HELD))
        self.events = events  # whole rows (small tables) or the held columns
        self.list = events[[c for c in LIST_COLUMNS if c in events.columns]]
        self.earliest = _micros(events["earliest"])
        self.latest = _micros(events["latest"])
        self.start = _micros(events["start"].fillna(events["earliest"]))
        self.start_s = events["start_s"].to_numpy(dtype="int64")
        span = manifest.get("max_span_seconds")
        self.max_span = None if span is None else np.int64(round(span * 1e6))
        self.ids = pd.Index(events["id"])
        self.category_codes, self.category_values = pd.factorize(events["category"], sort=True)
        places = store.frame("places")
        self.all_places = places
        located = places["lat"].notna() & places["lon"].notna()
        columns = [c for c in (PLACES.names if self.whole else MAP_PLACE_COLUMNS)]
        self.places_frame = places.loc[located, [*columns, "event_ordinal"]].reset_index(drop=True)
        self.p_event = self.places_frame["event_ordinal"].to_numpy(dtype="int64")
        self.p_lat = self.places_frame["lat"].to_numpy(dtype="float64")
        self.p_lon = self.places_frame["lon"].to_numpy(dtype="float64")
        self.p_place_coarse = (
            self.places_frame["geo_precision"].isin(COARSE_PLACE).to_numpy(dtype="int64")
        )
        precision = events["time_precision"]
        time_coarse = precision.isin(COARSE_TIME) | (
            (precision == "range") & (events["latest"] - events["earliest"] >= pd.Timedelta("1D"))
        )
        self.time_coarse = time_coarse.to_numpy(dtype="int64")
        self.has_place = np.zeros(self.total, dtype=bool)
        self.has_place[self.p_event] = True
        self._filters = _Kept(KEPT)
        self._selections = _Kept(KEPT)
        self._columns = _Kept(64)
        self._details = _Kept(512)
        self._links = store.frame("links")
        self._stored_names = set(pq.read_schema(store.file("events")).names)

    # --- the building blocks ------------------------------------------------------------------

    def selected(self, ask: Ask) -> np.ndarray:
        """Ordinals of the events of the window that pass the filters, in order."""
        return self._selections.get_or(ask, lambda: self._select(ask))

    def _select(self, ask: Ask) -> np.ndarray:
        ordinals = self._window(ask.lo, ask.hi)
        if not ask.filters.empty:
            ordinals = ordinals[self.mask(ask.filters)[ordinals]]
        if ask.bbox is not None:
            inside = np.zeros(self.total, dtype=bool)
            inside[self.p_event[self._in_box(ask.bbox)]] = True
            ordinals = ordinals[inside[ordinals]]
        return ordinals

    def _in_box(self, bbox) -> np.ndarray:
        """Over the placed places: inside the box (west, south, east, north)."""
        west, south, east, north = bbox
        keep = (self.p_lat >= south) & (self.p_lat <= north)
        return keep & (self.p_lon >= west) & (self.p_lon <= east)

    def _window(self, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
        lo_us, hi_us = _us(lo), _us(hi)
        stop = int(np.searchsorted(self.earliest, hi_us, side="left"))  # earliest < hi
        first = 0
        if self.max_span is not None:
            first = int(np.searchsorted(self.earliest, lo_us - self.max_span, side="left"))
        earliest, latest = self.earliest[first:stop], self.latest[first:stop]
        meets = (latest > lo_us) | (earliest == lo_us)
        return first + np.flatnonzero(meets)

    def mask(self, filters: Filters) -> np.ndarray:
        """Over every event: passes the filters (the window aside)."""
        return self._filters.get_or(filters, lambda: self._mask(filters))

    def _mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(self.total, dtype=bool)
        for name, values in filters.facets:
            keep &= self._facet_mask(name, values)
        for name, low, high in filters.ranges:
            numbers = self._numbers(name)
            inside = ~np.isnan(numbers)
            if low is not None:
                inside &= numbers >= low
            if high is not None:
                inside &= numbers <= high
            keep &= inside
        if filters.text:
            keep &= self._text_mask(filters.text)
        return keep

    def _facet_mask(self, name: str, values: frozenset[str]) -> np.ndarray:
        if name in LIST_FIELDS or name in PLACE_FIELDS:
            owners, codes, distinct = self._pairs(name)
            wanted = np.flatnonzero(distinct.isin(list(values)))
            keep = np.zeros(self.total, dtype=bool)
            keep[owners[np.isin(codes, wanted)]] = True
            return keep
        codes, distinct = self._codes(name)
        wanted = np.flatnonzero(distinct.isin(list(values)))
        return np.isin(codes, wanted)

    def _codes(self, name: str) -> tuple[np.ndarray, pd.Index]:
        """Each event's value of a single-valued field, as codes into its distinct values."""

        def make():
            if name == "category":
                return self.category_codes, self.category_values
            codes, distinct = pd.factorize(self._text(name), sort=True)
            return codes, distinct

        return self._columns.get_or(("codes", name), make)

    def _pairs(self, name: str) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """(event ordinal, value code) of every item of a list field or place of a place
        field; an event without any has one empty value."""

        def make():
            if name in PLACE_FIELDS:
                places = self.all_places
                owners = places["event_ordinal"].to_numpy(dtype="int64")
                values = places[name].astype("str")
                missing = np.setdiff1d(np.arange(self.total), owners, assume_unique=False)
                owners = np.concatenate([owners, missing])
                values = pd.concat([values, pd.Series([""] * len(missing), dtype="str")])
            else:
                cells = pa.array(self._text(name).to_numpy(dtype=object), type=pa.large_string())
                items = pc.split_pattern(cells, ";")
                flat = pc.utf8_trim_whitespace(pc.list_flatten(items))
                owners = pc.list_parent_indices(items).to_numpy().astype("int64")
                values = pd.Series(flat.to_numpy(zero_copy_only=False), dtype="str")
                keep = (values != "").to_numpy()
                owners, values = owners[keep], values[keep]
                missing = np.setdiff1d(np.arange(self.total), owners)
                owners = np.concatenate([owners, missing])
                values = pd.concat([values, pd.Series([""] * len(missing), dtype="str")])
            codes, distinct = pd.factorize(values.reset_index(drop=True), sort=True)
            return owners, codes, distinct

        return self._columns.get_or(("pairs", name), make)

    def _text(self, name: str) -> pd.Series:
        """One event column as text, in the store's order (read from the store once)."""

        def make():
            if name in self.events.columns:
                return self.events[name].astype("str")
            stored = self.fields.get(name, {}).get("text", name)
            if stored not in self._stored_names:
                return pd.Series([""] * self.total, dtype="str")
            return self._stored(stored).astype("str")

        return self._columns.get_or(("text", name), make)

    def _numbers(self, name: str) -> np.ndarray:
        def make():
            stored = self.fields.get(name, {}).get("number")
            if stored is None:
                return pd.to_numeric(self._text(name), errors="coerce").to_numpy("float64")
            return self._stored(stored).to_numpy(dtype="float64", na_value=np.nan)

        return self._columns.get_or(("number", name), make)

    def _stored(self, column: str) -> pd.Series:
        frame = pq.read_table(self.store.file("events"), columns=[column]).to_pandas()
        return frame[column]

    def _text_mask(self, text: str) -> np.ndarray:
        haystack = self._columns.get_or(("search",), self._haystack)
        keep = np.ones(self.total, dtype=bool)
        for word in text.lower().split():
            found = pc.match_substring(haystack, word)
            keep &= found.to_numpy(zero_copy_only=False)
        return keep

    def _haystack(self) -> pa.Array:
        """Title, summary and notes of every event, lower case, one text each."""
        parts = [
            pa.array(self._text(name).to_numpy(dtype=object), type=pa.large_string())
            for name in TEXT_FIELDS
        ]
        joined = pc.binary_join_element_wise(*parts, pa.scalar("\n", pa.large_string()))
        return pc.utf8_lower(joined)

    # --- the contract ---------------------------------------------------------------------------

    def count(self, ask: Ask) -> int:
        return len(self.selected(ask))

    def count_placed(self, ask: Ask) -> int:
        return int(self.has_place[self.selected(ask)].sum())

    def rows(self, ask, *, columns=LIST_COLUMNS, sort=None, descending=False, limit=None,
             offset=0) -> pd.DataFrame:  # fmt: skip
        ordinals = self.selected(ask)
        if sort is not None:
            ordinals = self._sorted(ordinals, sort, descending)
        elif descending:
            ordinals = ordinals[::-1]
        if limit is not None:
            ordinals = ordinals[offset : offset + limit]
        elif offset:
            ordinals = ordinals[offset:]
        return self._rows(ordinals, columns)

    def _sorted(self, ordinals: np.ndarray, sort: str, descending: bool) -> np.ndarray:
        """The ordinals by a field's value (ties in the store's order); no value sorts last."""
        if sort in ("ordinal", "earliest"):
            key = ordinals.astype("float64")
        elif sort in ("start", "end", "latest", "start_latest", "end_earliest"):
            times = self._text_or_time(sort)
            key = _micros(times.fillna(self.events["earliest"]))[ordinals].astype("float64")
        elif self.fields.get(sort, {}).get("number"):
            key = self._numbers(sort)[ordinals]
        else:
            codes, _ = self._codes(sort)  # factorized sorted: codes sort as the values do
            key = codes[ordinals].astype("float64")
        key = np.where(np.isnan(key), -np.inf if descending else np.inf, key)
        return ordinals[np.lexsort((ordinals, -key if descending else key))]

    def _text_or_time(self, name: str) -> pd.Series:
        if name in self.events.columns:
            return self.events[name]
        return self._columns.get_or(("column", name), lambda: self._stored(name))

    def _rows(self, ordinals: np.ndarray, columns) -> pd.DataFrame:
        if columns is None:
            if self.whole:
                return self.events.iloc[ordinals].reset_index(drop=True)
            return self._whole_rows(ordinals)
        held = [c for c in columns if c in self.events.columns]
        frame = self.events.iloc[ordinals][held].reset_index(drop=True)
        for column in columns:
            if column not in frame.columns:
                values = self._text(column) if column in self.fields else None
                frame[column] = values.iloc[ordinals].to_numpy() if values is not None else ""
        return frame[list(columns)]

    def places(self, ask: Ask) -> pd.DataFrame:
        frame = self.places_frame.iloc[self._markers(ask)]
        return frame.drop(columns="event_ordinal").reset_index(drop=True)

    def bins(self, ask: Ask, *, max_bins: int = 120) -> pd.DataFrame:
        ordinals = self.selected(ask)
        width = bin_width(ask.lo, ask.hi, max_bins=max_bins)
        seconds = int(width.total_seconds())
        origin = floor_epoch(ask.lo, seconds)
        n_bins = bin_count(ask.lo, ask.hi, width)
        index = np.clip((self.start_s[ordinals] - origin) // seconds, 0, n_bins - 1)
        n_cat = max(len(self.category_values), 1)
        # Counted by bincount over (bin, category): linear, where a sort took 60 ms a million.
        counts = np.bincount(index * n_cat + self.category_codes[ordinals],
                             minlength=n_bins * n_cat)  # fmt: skip
        found = np.flatnonzero(counts)
        categories = self.category_values.take(found % n_cat) if len(found) else []
        raw = pd.DataFrame(
            {
                "bin": found // n_cat,
                "category": pd.Series(categories, dtype="str"),
                "count": counts[found].astype("int64"),
            }
        )
        return bins_frame(raw, ask, max_bins)

    def _markers(self, ask: Ask) -> np.ndarray:
        """Positions (in the placed places) of the markers of the question (inside its box)."""
        chosen = np.zeros(self.total, dtype=bool)
        chosen[self.selected(ask)] = True
        keep = chosen[self.p_event]
        if ask.bbox is not None:
            keep &= self._in_box(ask.bbox)
        return np.flatnonzero(keep)

    def cells(self, ask: Ask, *, cell_deg: float) -> pd.DataFrame:
        at = self._markers(ask)
        cy = np.floor(self.p_lat[at] / cell_deg).astype("int64")
        cx = np.floor(self.p_lon[at] / cell_deg).astype("int64")
        events = self.p_event[at]
        n_cat = max(len(self.category_values), 1)
        # One integer per (cell, category), factorised by hash and counted by bincount: a
        # groupby on three columns took 100 ms a million.
        if len(at):
            y0, x0 = cy.min(), cx.min()
            span = int(cx.max() - x0 + 1)
            key = ((cy - y0) * span + (cx - x0)) * n_cat + self.category_codes[events]
            codes, keys = pd.factorize(key)
        else:
            y0 = x0 = span = 0
            codes, keys = np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
        count = np.bincount(codes, minlength=len(keys))
        place = np.bincount(codes, weights=self.p_place_coarse[at], minlength=len(keys))
        time_ = np.bincount(codes, weights=self.time_coarse[events], minlength=len(keys))
        cell, category = np.divmod(keys, n_cat)
        y, x = np.divmod(cell, max(span, 1))
        raw = pd.DataFrame(
            {
                "cell_y": y + y0,
                "cell_x": x + x0,
                "category": pd.Series(
                    self.category_values.take(category) if len(keys) else [], dtype="str"
                ),
                "count": count.astype("int64"),
                "place_coarse": place.astype("int64"),
                "time_coarse": time_.astype("int64"),
            }
        )
        return cells_frame(raw, cell_deg)

    def cell_rows(self, ask: Ask, *, cell_deg, cell, limit=20, offset=0) -> pd.DataFrame:
        at = self._markers(ask)
        y, x = cell
        inside = (np.floor(self.p_lat[at] / cell_deg) == y) & (
            np.floor(self.p_lon[at] / cell_deg) == x
        )
        ordinals = np.unique(self.p_event[at[inside]])[offset : offset + limit]
        return self._rows(ordinals, LIST_COLUMNS)

    def facet(self, ask: Ask, field: str, *, limit: int = 200) -> pd.DataFrame:
        ordinals = self.selected(Ask(ask.lo, ask.hi, ask.filters.without(field)))
        if field in LIST_FIELDS or field in PLACE_FIELDS:
            owners, codes, distinct = self._pairs(field)
            chosen = np.zeros(self.total, dtype=bool)
            chosen[ordinals] = True
            keep = chosen[owners]
            pairs = np.unique(owners[keep] * len(distinct) + codes[keep])  # once per event
            counts = np.bincount(pairs % max(len(distinct), 1), minlength=len(distinct))
        else:
            codes, distinct = self._codes(field)
            counts = np.bincount(codes[ordinals], minlength=len(distinct))
        frame = pd.DataFrame({"value": pd.Series(distinct, dtype="str"), "count": counts})
        frame = frame[frame["count"] > 0]
        frame = frame.sort_values(["count", "value"], ascending=[False, True], kind="stable")
        return frame.head(limit).reset_index(drop=True).astype({"count": "int64"})

    def neighbour(self, when, after_id: str, direction: int, filters: Filters) -> pd.Series | None:
        when_us = _us(when)
        passes = self.mask(filters) if not filters.empty else np.ones(self.total, dtype=bool)
        ids = self.ids
        if direction > 0:
            beyond = self.start > when_us
        else:
            beyond = self.start < when_us
        tied = np.flatnonzero((self.start == when_us) & passes)
        candidates = np.flatnonzero(beyond & passes)
        if len(tied):
            tied_ids = ids[tied]
            keep = tied_ids > after_id if direction > 0 else tied_ids < after_id
            candidates = np.concatenate([candidates, tied[np.asarray(keep)]])
        if not len(candidates):
            return None
        starts = self.start[candidates]
        best = starts.min() if direction > 0 else starts.max()
        pool = candidates[starts == best]
        pool_ids = ids[pool]
        pick = pool[int(pool_ids.argmin() if direction > 0 else pool_ids.argmax())]
        return self._rows(np.array([pick]), LIST_COLUMNS).iloc[0]

    def event(self, event_id: str) -> Detail | None:
        return self._details.get_or(event_id, lambda: self._event(event_id))

    def _event(self, event_id: str) -> Detail | None:
        ordinal = self.ordinal(event_id)
        if ordinal is None:
            return None
        row = self.events.iloc[ordinal] if self.whole else self._whole_row(ordinal)
        places = self.all_places[self.all_places["event_ordinal"] == ordinal]
        places = places[list(PLACES.names)].sort_values("order").reset_index(drop=True)
        links = self._links
        links = links[(links["source_id"] == event_id) | (links["target_id"] == event_id)]
        links = links.sort_values(["source_id", "relation", "target_id"]).reset_index(drop=True)
        return Detail(row, places, links)

    def ordinal(self, event_id: str | None) -> int | None:
        if event_id is None:
            return None
        try:
            found = self.ids.get_loc(event_id)
        except (KeyError, TypeError):
            return None
        return found if isinstance(found, int) else None

    def _whole_rows(self, ordinals: np.ndarray) -> pd.DataFrame:
        """Events by ordinal, every column, read from the store in their given order."""
        if not len(ordinals):
            return self._model_names(self.store.frame("events").iloc[:0])
        wanted = pa.array(np.unique(ordinals), type=pa.int64())
        table = pq.read_table(self.store.file("events"), filters=pc.field("ordinal").isin(wanted))
        frame = self._model_names(table.to_pandas()).set_index("ordinal", drop=False)
        return frame.loc[ordinals].reset_index(drop=True)

    def _model_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        names = {s["text"]: f for f, s in self.fields.items() if f != s["text"]}
        copies = {v for s in self.fields.values() for k, v in s.items() if k != "text"}
        return frame.drop(columns=[c for c in copies if c in frame.columns]).rename(columns=names)

    def table(self, ask: Ask, *, limit: int):
        ordinals = self.selected(ask)[:limit]
        events = self._rows(ordinals, None)
        places = self.all_places[np.isin(self.all_places["event_ordinal"], ordinals)]
        places = places[list(PLACES.names)].reset_index(drop=True)
        links = self._links[self._links["source_id"].isin(events["id"])].reset_index(drop=True)
        return events, places, links

    def _whole_row(self, ordinal: int) -> pd.Series:
        """One event, every column, read from the store (a large table's card)."""
        size = int(self.store.manifest.get("row_group_size") or 65_536)
        group, at = divmod(ordinal, size)
        table = pq.ParquetFile(self.store.file("events")).read_row_group(group)
        return self._model_names(table.slice(at, 1).to_pandas()).iloc[0]

    def titles(self, ids) -> dict[str, str]:
        found = {}
        for event_id in dict.fromkeys(ids):
            ordinal = self.ordinal(event_id)
            if ordinal is not None:
                found[event_id] = self.list["title"].iloc[ordinal]
        return found

    def search(self, text: str, *, limit: int = 20) -> pd.DataFrame:
        titles = self._columns.get_or(
            ("titles",),
            lambda: pc.utf8_lower(
                pa.array(self.list["title"].to_numpy(dtype=object), type=pa.large_string())
            ),
        )
        hits = np.flatnonzero(pc.match_substring(titles, text.lower()).to_numpy(False))[:limit]
        return self._rows(hits, ("ordinal", "id", "title", "start", "category", "claim_status"))

    def extent(self) -> tuple[float, float, float, float] | None:
        if not len(self.p_lat):
            return None
        return (
            float(self.p_lon.min()),
            float(self.p_lat.min()),
            float(self.p_lon.max()),
            float(self.p_lat.max()),
        )

    @property
    def links(self) -> pd.DataFrame:
        return self._links[["source_id", "relation", "target_id"]]

    def credits(self) -> list[str]:
        credits = self.places_frame["credit"]
        return sorted(credits[credits != ""].unique().tolist())[:50]


#: Event columns a large table holds in memory: a list's, the window's and the bins'.
_HELD = tuple(dict.fromkeys([*LIST_COLUMNS, "start_s", "actors", "reported_by"]))


def _micros(times: pd.Series) -> np.ndarray:
    return times.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]").view("int64")


def _us(when) -> np.int64:
    """Microseconds since 1970 (a Timestamp's `value` is nanoseconds: it overflows past 2262)."""
    return np.int64(utc(when).asm8.astype("datetime64[us]").view("int64"))
