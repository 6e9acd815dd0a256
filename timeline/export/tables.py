"""The event table as our curated CSV, our JSON or our GeoJSON: for other tools and for a
round trip (each reads back through `timeline.ingest.readers` with nothing lost that it can carry).

Times are written in the clock the source used (a date-only event stays on its own day, never
shifted to the day before by a UTC conversion), as the bounds the model holds. CSV cells that
a spreadsheet would run as a formula are neutralised. Writing streams: records are made a
chunk at a time, so a large table does not build one huge string per format.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.export.timelinejs import iter_timelinejs
from timeline.model import extras
from timeline.model.schema import (
    CURATED,
    CURATED_PLACE_CELLS,
    JSON_EVENT_FIELDS,
    JSON_PLACE_FIELDS,
)
from timeline.model.story import Story
from timeline.model.tables import EventTable
from timeline.model.vocab import LIST_SEPARATOR, TIME_PRECISIONS

#: Marks our own JSON and GeoJSON, so a reader knows every field means what it says here.
GENERATOR = "timeline-map"
VERSION = 1
#: Events per chunk a writer makes at once, and rows of it a CSV writer turns into text at once.
CHUNK = 100_000
CSV_ROWS = 5_000

# Characters that make Excel, LibreOffice or Sheets read a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_FIRST = pa.array([*FORMULA_START, "'"], pa.large_string())
#: A cell that starts like a formula, after any apostrophes: it gets one more, which every
#: reader of ours takes off again (so a cell written "'=x" by hand also comes back as it was).
_RISKY = r"'*[=+\-@\t\r\n]"
# A number, or a list of numbers such as the lon cell "-77.03637;37.61781", is data, not a formula.
_NUMBERS = r"-?\d+(?:\.\d+)?(?:;-?\d+(?:\.\d+)?)*"

#: Fields of an event record and of a place in our JSON and GeoJSON, in order.
EVENT_FIELDS = JSON_EVENT_FIELDS
PLACE_FIELDS = JSON_PLACE_FIELDS


def _iso(when: pd.Series, offset_min: pd.Series) -> pd.Series:
    """ISO 8601 in the offset the source used: 2024-05-01T00:00:00+03:00; "" where NaT.

    Written once per distinct (time, offset): a table repeats its times (a million ACLED rows
    hold a few thousand days), and formatting is the slow part."""
    micros = when.astype("datetime64[us, UTC]").array.asi8  # NaT is the smallest int64
    minutes = offset_min.fillna(0).astype("int64").to_numpy()
    time_codes, times = pd.factorize(micros)
    offset_codes, offsets = pd.factorize(minutes)
    codes, _ = pd.factorize(time_codes.astype("int64") * (len(offsets) + 1) + offset_codes)
    first = pd.Series(codes).drop_duplicates()
    distinct_when = when.iloc[first.index].reset_index(drop=True)
    distinct_off = pd.Series(minutes[first.index])
    text = _iso_each(distinct_when, distinct_off).iloc[np.argsort(first.to_numpy())]
    return pd.Series(text.to_numpy()[codes], index=when.index, dtype="str")


def _iso_each(when: pd.Series, minutes: pd.Series) -> pd.Series:
    local = when.dt.tz_localize(None) + pd.to_timedelta(minutes, unit="min")
    sign = np.where(minutes < 0, "-", "+")
    hh = (minutes.abs() // 60).map("{:02d}".format)
    mm = (minutes.abs() % 60).map("{:02d}".format)
    text = local.dt.strftime("%Y-%m-%dT%H:%M:%S") + sign + hh + ":" + mm
    return text.where(when.notna(), "").reset_index(drop=True)


def written_times(events: pd.DataFrame) -> pd.DataFrame:
    """start, start_latest, end_earliest, end as our table writes them (read back: same bounds).

    The written start is the lower bound, except for an hour (the hour itself); the end is the
    upper bound where the precision reads one; the inner bounds are written only where the
    precision does not already imply them.
    """
    e = events
    off = e["start_offset_min"]
    precision = e["time_precision"]
    point = precision.isin(["minute", "hour"])
    implied_end = e["end_earliest"].isna() & ~point
    end = e["latest"].where(e["end_earliest"].notna() | implied_end, pd.NaT)
    lengthy = precision.map({k: v.length is not None for k, v in TIME_PRECISIONS.items()})
    # A day, week, month or year whose end is just its own length need not say it.
    own = lengthy.fillna(False).astype(bool) & implied_end
    nominal_end = pd.Series(pd.NaT, index=e.index, dtype=e["earliest"].dtype)
    for name, spec in TIME_PRECISIONS.items():
        rows = own & (precision == name)
        if rows.any() and spec.length and spec.length.endswith("D"):
            nominal_end[rows] = e.loc[rows, "earliest"] + pd.Timedelta(days=int(spec.length[:-1]))
    end = end.where(~(own & (end == nominal_end)), pd.NaT)
    start_latest = e["start_latest"].where(
        precision.isin(["minute", "span"]) & (e["start_latest"] != e["earliest"]), pd.NaT
    )
    end_earliest = e["end_earliest"].where(e["end_earliest"] != e["latest"], pd.NaT)
    return pd.DataFrame(
        {
            "start": _iso(e["start"], off),
            "start_latest": _iso(start_latest, off),
            "end_earliest": _iso(end_earliest, off),
            "end": _iso(end, off),
        },
        index=e.index,
    )


def _utc(when: pd.Series) -> pd.Series:
    return when.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(when.notna(), "")


def event_records(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event with plain-text fields, in the order of EVENT_FIELDS."""
    times = written_times(events)
    out = pd.DataFrame(index=events.index)
    for name in EVENT_FIELDS:
        if name in times.columns:
            out[name] = times[name]
        elif name == "earliest_utc":
            out[name] = _utc(events["earliest"])
        elif name == "latest_utc":
            out[name] = _utc(events["latest"])
        elif name == "extra":
            out[name] = extras.json_cells(events)
        else:
            out[name] = events[name]
    return out


def _related(table: EventTable) -> pd.Series:
    links = table.links
    cells = (
        (links["relation"] + ":" + links["target_id"])
        .groupby(links["source_id"])
        .agg(LIST_SEPARATOR.join)
    )
    return table.events["id"].map(cells).astype(object).fillna("")  # float when no links


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), CHUNK):
        yield frame.iloc[start : start + CHUNK]


# --- CSV -------------------------------------------------------------------------------------


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with an apostrophe, so they stay text.

    Our reader takes the apostrophe off again before such a character, so a round trip
    through a spreadsheet-safe file loses nothing. A cell that already starts with apostrophes
    before such a character gets one more, so it too comes back as written. By pyarrow's
    regular expressions on the columns' own Arrow strings: a million rows' cells in a second.
    """
    out = frame.copy(deep=False)  # copy-on-write: a column replaced here is not the caller's
    for column in out.columns:
        if out[column].dtype == "str" or out[column].dtype == object:
            cells = pa.array(out[column].astype("str"), type=pa.large_string())
            # The first character looked up in a set: three times a regular expression's speed.
            maybe = pc.is_in(pc.utf8_slice_codeunits(cells, 0, 1), value_set=_FORMULA_FIRST)
            if not pc.any(maybe).as_py():
                continue
            risky = pc.and_(
                pc.match_substring_regex(cells, f"^{_RISKY}"),
                pc.invert(pc.match_substring_regex(cells, f"^{_NUMBERS}$")),
            )
            if pc.any(risky).as_py():
                apostrophe, nothing = pa.scalar("'", cells.type), pa.scalar("", cells.type)
                quoted = pc.binary_join_element_wise(apostrophe, cells, nothing)
                kept = pc.if_else(risky, quoted, cells)
                out[column] = kept.to_pandas().set_axis(out.index).astype("str")
    return out


class CsvWriter:
    """`csv.writer` with "\n" line ends that also quotes a cell holding a carriage return.

    The csv module quotes a cell holding a character of the line terminator: with "\n" a lone
    "\r" was written bare, and every reader (ours, a spreadsheet) split the row there. A row
    with a "\r" anywhere is written with every cell quoted; the others as before.
    """

    def __init__(self, fp) -> None:
        self._plain = csv.writer(fp, lineterminator="\n")
        self._quoted = csv.writer(fp, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row) -> None:
        row = list(row)
        has_cr = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (self._quoted if has_cr else self._plain).writerow(row)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)

    def write_frame(self, frame: pd.DataFrame) -> None:
        """The frame's rows (not its header), quickly when no cell holds a "\r": column by
        column to Python objects (a row tuple at a time from Arrow columns is ten times
        slower)."""
        text = [frame[c] for c in frame.columns if frame[c].dtype in ("str", object)]
        has_cr = any(column.astype("str").str.contains("\r", regex=False).any() for column in text)
        rows = zip(*(frame[c].to_numpy(dtype=object) for c in frame.columns), strict=True)
        (self.writerows if has_cr else self._plain.writerows)(rows)


def _place_cells(table: EventTable) -> pd.DataFrame:
    """Each event's places as our table's list cells (`places`, `lat`, ...), by event id: the
    places in their order, joined with ";" (by pyarrow: a million events in a second, where
    a Python join per group took minutes)."""
    p = table.places.sort_values(["event_id", "order"], kind="stable")
    cells = {cell: p[column] for cell, column in CURATED_PLACE_CELLS.items()}
    cells["lat"], cells["lon"] = _degrees(p["lat"]), _degrees(p["lon"])
    ids = p["event_id"].astype("str")
    if ids.is_unique:  # one place per event (ACLED, UCDP): each list is its one item
        flat = pd.DataFrame(
            {c: v.astype("str").array for c, v in cells.items()},
            index=pd.Index(ids.array, name="event_id"),
        )
    else:
        flat = _joined(ids, cells)
    # A list of empty entries says nothing: leave the cell empty.
    for column in flat.columns:
        flat[column] = flat[column].where(flat[column].str.strip(LIST_SEPARATOR) != "", "")
    return flat


def _joined(ids: pd.Series, cells: dict[str, pd.Series]) -> pd.DataFrame:
    """Each event's items of each cell joined with ";" (the rows come in order)."""
    frame = pa.table(
        {"event_id": pa.array(ids, pa.large_string())}
        | {c: pa.array(v.astype("str"), pa.large_string()) for c, v in cells.items()}
    )
    grouped = frame.group_by("event_id", use_threads=False).aggregate([(c, "list") for c in cells])
    return (
        pd.DataFrame(
            {
                c: pc.binary_join(
                    grouped[f"{c}_list"], pa.scalar(LIST_SEPARATOR, pa.large_string())
                ).to_pandas()
                for c in cells
            },
        )
        .set_axis(pd.Index(grouped["event_id"].to_pandas(), name="event_id"))
        .astype("str")
    )


def curated_cells(table: EventTable, *, extra_as_columns: bool = False) -> Iterator[pd.DataFrame]:
    """Our table's cells, a chunk of events at a time: every column of `CURATED`, places with
    their coordinates (a place not found with its name only). The source's own fields are the
    `extra` JSON cell, or with `extra_as_columns` their own `extra.KEY` columns (Parquet)."""
    events = table.events
    flat = _place_cells(table)
    related = _related(table)
    names = [c for c in CURATED.names if not (extra_as_columns and c == "extra")]
    for chunk in _chunks(events):
        times = written_times(chunk)
        # One lookup of the chunk's ids for every place cell (an event with no place: "").
        placed = flat.reindex(chunk["id"].to_numpy()).fillna("")
        cells = {}  # each column's own array (Arrow strings stay Arrow strings)
        for column in names:
            if column in times.columns:
                cells[column] = times[column].array
            elif column == "related":
                cells[column] = related[chunk.index].array
            elif column in flat.columns:
                cells[column] = placed[column].array
            elif column == "extra":
                cells[column] = extras.json_cells(chunk).array
            else:
                cells[column] = chunk[column].array
        frame = pd.DataFrame(cells, index=chunk.index)
        if extra_as_columns:
            frame = frame.join(chunk[extras.extra_columns(chunk)])
        yield neutralise_formulas(frame)


def _degrees(values: pd.Series) -> pd.Series:
    """Decimal degrees to six places, trailing zeros off; "" for a place not found. Formatted
    once per distinct value (a table repeats its places' points)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(distinct).map("{:.6f}".format).astype("str").str.rstrip("0").str.rstrip(".")
    written = np.append(text.to_numpy(dtype=object), "")  # code -1 (not found): the last
    return pd.Series(written[codes], index=values.index, dtype="str")


def iter_csv(table: EventTable, *, story: Story | None = None) -> Iterator[str]:
    """Our curated CSV, a chunk at a time (see `curated_cells`). (`story`, taken by every
    writer of `FORMATS`, is not written: story.toml stays its own file.)"""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(CURATED.names)
    yield buffer.getvalue()
    for chunk in curated_cells(table):
        # A few thousand rows at a time (Python strings are heavy).
        for start in range(0, len(chunk), CSV_ROWS):
            buffer.seek(0)
            buffer.truncate()
            writer.write_frame(chunk.iloc[start : start + CSV_ROWS])
            yield buffer.getvalue()


# --- JSON and GeoJSON ------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(table: EventTable, chunk: pd.DataFrame) -> list[dict]:
    records = event_records(chunk.drop(columns=extras.extra_columns(chunk))).to_dict("records")
    fields = [extras.record(row) for row in chunk[extras.extra_columns(chunk)].to_dict("records")]
    places = table.places[table.places["event_id"].isin(chunk["id"])]
    by_event: dict[str, list[dict]] = {}
    for place in places[["event_id", *PLACE_FIELDS]].to_dict("records"):
        by_event.setdefault(place.pop("event_id"), []).append(
            {k: _json_value(v) for k, v in place.items()}
        )
    links = table.links[table.links["source_id"].isin(chunk["id"])]
    linked: dict[str, list[dict]] = {}
    for link in links.to_dict("records"):
        linked.setdefault(link["source_id"], []).append(
            {"relation": link["relation"], "target_id": link["target_id"]}
        )
    for r, extra in zip(records, fields, strict=True):
        r["extra"] = extra
        for key in ("start_latest", "end_earliest", "end"):
            r[key] = r[key] or None
        r["quote_verified"] = bool(r["quote_verified"])
        r["places"] = by_event.get(r["id"], [])
        r["links"] = linked.get(r["id"], [])
    return records


def _header(table: EventTable) -> str:
    head = {"generator": GENERATOR, "version": VERSION, "format": table.format}
    return json.dumps(head, ensure_ascii=False)[:-1]


def iter_json(table: EventTable, *, story: Story | None = None) -> Iterator[str]:
    """Our JSON: {"generator": "timeline-map", "version": 1, "events": [...]}."""
    yield _header(table) + ', "events": ['
    first = True
    for chunk in _chunks(table.events):
        for record in _records(table, chunk):
            yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
            first = False
    yield "\n]}\n"


def iter_geojson(table: EventTable, *, story: Story | None = None) -> Iterator[str]:
    """Our GeoJSON: one Feature per event, its places a MultiPoint in order (null geometry
    for an event with no place, as RFC 7946 allows), its properties our JSON record's."""
    yield _header(table) + ', "type": "FeatureCollection", "features": ['
    first = True
    for chunk in _chunks(table.events):
        for record in _records(table, chunk):
            points = [[p["lon"], p["lat"]] for p in record["places"]]
            geometry = {"type": "MultiPoint", "coordinates": points} if points else None
            feature = {"type": "Feature", "id": record["id"], "geometry": geometry}
            feature["properties"] = record
            yield ("\n" if first else ",\n") + json.dumps(feature, ensure_ascii=False)
            first = False
    yield "\n]}\n"


def to_csv(table: EventTable) -> str:
    return "".join(iter_csv(table))


def to_json(table: EventTable) -> str:
    return "".join(iter_json(table))


def to_geojson(table: EventTable) -> str:
    return "".join(iter_geojson(table))


#: Format name -> a generator of text pieces, `writer(table, story=...)`; `python -m timeline
#: export` writes them as made. Only TimelineJS uses the story (labels, eras, title).
FORMATS = {
    "csv": iter_csv,
    "json": iter_json,
    "geojson": iter_geojson,
    "timelinejs": iter_timelinejs,
}
