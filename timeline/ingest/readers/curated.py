"""Our curated CSV: one row per event, edited in any spreadsheet; list cells split on `;`.

The columns are `timeline.model.schema.CURATED` (the README's table of them is made from
it). Times are ISO 8601: with an offset (`2024-05-01T14:00+00:00`) they mean that instant; bare
(`2022-01-01`, `2022-01-01T10:00`) they are local to the event's place (or to `--tz`). A date
stays that local day. Without a `time_precision`, the written form says it: a date is a day,
a year-month a month, a year a year, a time a minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells, row_problems
from timeline.ingest.readers._rowreport import records_in
from timeline.model import extras
from timeline.model import problems as P
from timeline.model.schema import CURATED, INTAKE_EVENTS, INTAKE_LINKS, INTAKE_PLACES
from timeline.model.tables import Intake, bounds_from_precision, conform
from timeline.model.times import TIME_HELP, parse_iso
from timeline.model.vocab import LIST_SEPARATOR, PLACE_PRECISIONS, TIME_PRECISIONS

#: Every column of the curated table, in the order a curator sees them (`timeline.model.schema`).
COLUMNS: tuple[str, ...] = CURATED.names
REQUIRED_COLUMNS: tuple[str, ...] = CURATED.required
#: A file with all of these is ours (the sniff).
_SIGNATURE = ("title", "start")


def _sniff(data: bytes, name: str) -> str | None:
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head.strip() else ""
    columns = {c.strip().strip('"') for c in first.split(",")}
    missing = [c for c in _SIGNATURE if c not in columns]
    return None if not missing else f"has no column {', '.join(missing)}"


def _read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    text, found = decode(data, file)
    if text is None:
        return Intake.failed(file, "curated", P.combine(found))
    raw, more = read_cells(text, file)
    del text  # read: its half gigabyte (a million rows) is freed for the steps to come
    found += more
    if raw is None:
        return Intake.failed(file, "curated", P.combine(found))
    return intake_from_cells(raw, file, found, fmt="curated")


def intake_from_cells(raw: pd.DataFrame, file: str, found: list, *, fmt: str) -> Intake:
    """Our table's cells (text, indexed by their spreadsheet rows) as an intake: shared by our
    CSV and its Parquet form."""
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    rows_in = records_in(raw, found)
    if missing:
        found.append(
            P.file_problem(file, f"has no column {', '.join(missing)}; nothing was loaded", row=1)
        )
        return Intake.failed(file, fmt, P.combine(found), rows_in=rows_in)
    unknown = [c for c in raw.columns if c not in COLUMNS]
    strange = [c for c in unknown if not extras.is_extra(c)]
    if strange:
        p = P.file_problem(
            file,
            (
                f"unknown columns {_listed(strange)} are kept with each event (extra)"
                if len(strange) > 1
                else f"unknown column {strange[0]} is kept with each event (extra)"
            ),
            row=1,
        )
        p["kept"] = True
        found.append(p)
    if raw.empty:
        found.append(P.file_problem(file, "has a header but no events"))
    raw = _unneutralise(raw)
    extra = _extra(raw, unknown, file, found)
    raw = raw.reindex(columns=list(COLUMNS), fill_value="")

    events, dropped = events_from_cells(raw, file, found)
    events = events.join(extra)
    places = _places(raw, events["id"], file, found)
    links = links_from_cells(raw, events["id"])
    keep = ~raw.index.isin(dropped)
    return Intake(
        events=conform(events[keep].reset_index(drop=True), INTAKE_EVENTS),
        places=conform(places[~places["row"].isin(dropped)], INTAKE_PLACES),
        links=conform(links[~links["row"].isin(dropped)], INTAKE_LINKS),
        problems=P.combine(found),
        file=file,
        format=fmt,
        rows_in=rows_in,
    )


def _listed(names: list[str], shown: int = 10) -> str:
    """Names for one line: the first ten, then how many more."""
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _unneutralise(raw: pd.DataFrame) -> pd.DataFrame:
    """Take off the apostrophe our export puts before a cell a spreadsheet would run as a
    formula ('=1+1, and ''=1 for a cell that was '=1), so a round trip gives back the text as
    it was (`timeline.export.tables.neutralise_formulas`)."""
    for column in raw.columns:
        cells = raw[column]
        if not cells.str.startswith("'").any():  # the common case, at a tenth of the cost
            continue
        marked = cells.str.match(r"^''*[=+\-@\t\r\n]")
        if marked.any():
            raw[column] = cells.where(~marked, cells.str.slice(1))
    return raw


def _extra(raw: pd.DataFrame, unknown: list[str], file: str, found: list) -> pd.DataFrame:
    """The `extra.*` columns: the `extra` JSON cell's fields, then the columns this format does
    not know (a column of a name already in the cell wins: it is what the curator sees)."""
    given = raw["extra"] if "extra" in raw.columns else pd.Series("", index=raw.index)
    fields, bad, left_out = extras.from_json_cells(given)
    found += extras.left_out_problem(file, left_out)
    if len(bad):
        found.append(
            row_problems(file, bad, "extra", given, "is not a JSON object; kept as text", kept=True)
        )
    return extras.merged([fields, extras.from_columns(raw, unknown)], raw.index)


def events_from_cells(raw: pd.DataFrame, file: str, found: list) -> tuple[pd.DataFrame, pd.Index]:
    dropped = []

    def refuse(mask: pd.Series, column: str, problem: str) -> None:
        rows = raw.index[mask.to_numpy()]
        if len(rows):
            found.append(row_problems(file, rows, column, raw[column], problem, kept=False))
            dropped.extend(rows)

    times = {c: parse_iso(raw[c]) for c in ("start", "start_latest", "end_earliest", "end")}
    start = times["start"]
    refuse(start["kind"] == "", "start", "is empty: every event needs a start")
    refuse(start["kind"] == "bad", "start", f"is not {TIME_HELP}")
    for column in ("start_latest", "end_earliest", "end"):
        refuse(times[column]["kind"] == "bad", column, f"is not {TIME_HELP}")
    for column, parsed in times.items():
        cut = raw.index[(parsed["cut"] & ~parsed["kind"].isin(["", "bad"])).to_numpy()]
        if len(cut):
            found.append(row_problems(file, cut, column, raw[column],
                                      "gives fractions of a second past the microsecond; "
                                      "kept to the microsecond", kept=True))  # fmt: skip

    written = raw["time_precision"]
    implied = start["kind"].map({"year": "year", "month": "month", "day": "day"}).fillna("minute")
    precision = written.where(written != "", implied)
    refuse(
        ~precision.isin(list(TIME_PRECISIONS)),
        "time_precision",
        f"is not one of: {', '.join(TIME_PRECISIONS)}",
    )
    needs = precision.map({k: v.needs_end for k, v in TIME_PRECISIONS.items()}).fillna(False)
    refuse(
        needs.astype(bool) & (raw["end"] == ""),
        "end",
        "is required for this time_precision (part_of_day, range, span)",
    )
    refuse(raw["title"] == "", "title", "is empty")

    # Every time of a row in the clock of its start: the offset of the start, else bare.
    offset = start["offset"]
    local = {}
    for column, t in times.items():
        shift = (offset.fillna(0) - t["offset"].fillna(offset.fillna(0))).astype("int64")
        local[column] = t["when"] + pd.to_timedelta(shift, unit="min")
        mixed = offset.isna() & t["offset"].notna()
        refuse(
            mixed,
            column,
            "has a UTC offset but the start has none: give both or neither",
        )
    lo, hi, end_lo, end_hi = bounds_from_precision(local["start"], local["end"], precision)
    hi = local["start_latest"].where(local["start_latest"].notna(), hi)
    end_lo = local["end_earliest"].where(local["end_earliest"].notna(), end_lo)
    ids = raw["id"].where(raw["id"] != "", "row-" + raw.index.astype("str"))
    events = pd.DataFrame(
        {
            "row": raw.index,
            "id": ids,
            "title": raw["title"],
            "summary": raw["summary"],
            "start_lo": lo,
            "start_hi": hi,
            "end_lo": end_lo,
            "end_hi": end_hi,
            "offset_min": offset,
            "tz": raw["timezone"],
            "time_precision": precision,
            "time_precision_source": raw["time_precision_source"],
            "time_note": raw["time_note"],
            "category": raw["category"],
            "actors": raw["actors"],
            "reported_by": raw["reported_by"],
            "claim_status": raw["claim_status"],
            "quote": raw["quote"],
            "source_file": raw["source_file"],
            "further_sources": raw["further_sources"],
            "notes": raw["notes"],
        },
        index=raw.index,
    )
    return events, pd.Index(sorted(set(dropped)), dtype="int64")


def _split(cells: pd.Series) -> pd.Series:
    return cells.str.split(LIST_SEPARATOR).map(
        lambda parts: [p.strip() for p in parts] if isinstance(parts, list) else []
    )


def _places(raw: pd.DataFrame, ids: pd.Series, file: str, found: list) -> pd.DataFrame:
    """One row per (event, place) from the aligned list cells `places`, `lat`, `lon`, ...

    A list cell with one value applies to every place of the row (one country for all).
    """
    lists = ("places", "countries", "regions", "place_precision", "place_precision_source")
    has = (raw["places"] != "") | (raw["lat"] != "") | (raw["lon"] != "")
    if not has.any():
        return pd.DataFrame(columns=list(INTAKE_PLACES.names))
    sub = raw[has]
    # A source's own words (place_precision_source) may hold a ";": they are a list only
    # when the row names several places.
    simple = ~sub[[*lists[:-1], "lat", "lon"]].apply(
        lambda c: c.str.contains(LIST_SEPARATOR, regex=False)
    ).any(axis=1)
    frames = [_single_places(sub[simple], ids)]
    if (~simple).any():
        frames.append(_listed_places(sub[~simple], ids, file, found))
    long = pd.concat(frames, ignore_index=True)
    return _check_places(long, file, found)


def _single_places(sub: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The common case, one place per row: no lists to split, so a million rows stay cheap.

    The columns go in as pandas arrays, not NumPy ones: a NumPy object array of a million
    strings would be turned back into Arrow text one cell at a time.
    """
    return pd.DataFrame(
        {
            "row": sub.index.to_numpy(),
            "event_id": ids.loc[sub.index].array,
            "order": 0,
            "name": sub["places"].array,
            "country": sub["countries"].array,
            "region": sub["regions"].array,
            "lat_text": sub["lat"].array,
            "lon_text": sub["lon"].array,
            "precision": sub["place_precision"].array,
            "precision_source": sub["place_precision_source"].array,
        }
    )


def _listed_places(sub: pd.DataFrame, ids: pd.Series, file: str, found: list) -> pd.DataFrame:
    records = []
    columns = {
        "name": "places",
        "country": "countries",
        "region": "regions",
        "precision": "place_precision",
        "precision_source": "place_precision_source",
        "lat_text": "lat",
        "lon_text": "lon",
    }
    for row, cells in sub.iterrows():
        split = {k: [p.strip() for p in cells[c].split(LIST_SEPARATOR)] for k, c in columns.items()}
        counted = [v for k, v in split.items() if v != [""] and k != "precision_source"]
        n = max(map(len, counted)) if counted else 0
        if n == 1:
            split["precision_source"] = [cells["place_precision_source"]]
        for key, values in split.items():
            if values == [""]:
                split[key] = [""] * n
            elif len(values) == 1 and key in ("lat_text", "lon_text") and n > 1:
                found.append(
                    P.cell_problems(
                        file,
                        [row],
                        "lat",
                        cells["lat"] + ", " + cells["lon"],
                        "lat/lon give one point but the row names several places; give one "
                        "per place (separated by ;) or none",
                        kept=True,
                    )
                )
                split["lat_text"] = split["lon_text"] = [""] * n
                break
            elif len(values) == 1:
                split[key] = values * n
            elif len(values) != n:
                found.append(
                    P.cell_problems(
                        file,
                        [row],
                        columns[key],
                        cells[columns[key]],
                        f"has {len(values)} entries for {n} places; "
                        "the places of this row are not on the map",
                        kept=True,
                    )
                )
                n = 0
                break
        for i in range(n):
            records.append(
                {"row": row, "event_id": ids[row], "order": i} | {k: v[i] for k, v in split.items()}
            )
    return pd.DataFrame(records, columns=["row", "event_id", "order", *columns])


def _check_places(long: pd.DataFrame, file: str, found: list) -> pd.DataFrame:
    rows = pd.Index(long["row"])

    def report(mask, column, values, problem):
        if mask.any():
            found.append(
                P.cell_problems(
                    file, rows[mask.to_numpy()], column, values[mask].to_numpy(), problem, kept=True
                )
            )

    country = long["country"].str.upper()
    bad_country = (country != "") & ~country.str.fullmatch(r"[A-Z]{2}")
    report(
        bad_country,
        "countries",
        long["country"],
        "is not a two-letter ISO 3166-1 code like UA; the place is not on the map",
    )
    bad_precision = (long["precision"] != "") & ~long["precision"].isin(list(PLACE_PRECISIONS))
    report(
        bad_precision,
        "place_precision",
        long["precision"],
        "is not one of: " + ", ".join(PLACE_PRECISIONS) + "; the place is not on the map",
    )
    lat = pd.to_numeric(long["lat_text"], errors="coerce")
    lon = pd.to_numeric(long["lon_text"], errors="coerce")
    given = (long["lat_text"] != "") | (long["lon_text"] != "")
    unreadable = given & (lat.isna() | lon.isna())
    where = long["lat_text"] + ", " + long["lon_text"]
    report(
        unreadable,
        "lat",
        where,
        "lat and lon must both be decimal degrees; the place is looked up by its name",
    )
    good = ~bad_country & ~bad_precision
    given = given & ~unreadable
    out = long[good].assign(
        country=country[good],
        lat=lat[good].where(given[good]),
        lon=lon[good].where(given[good]),
    )
    out["name"] = out["name"].where(out["name"] != "", where[good])
    return out.drop(columns=["lat_text", "lon_text"])


def links_from_cells(raw: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """`related` cells like `responds_to:some-id;after:other-id`, one row per link."""
    cells = raw["related"]
    pairs = cells[cells != ""].str.split(LIST_SEPARATOR).explode().str.strip()
    pairs = pairs[pairs.notna() & (pairs != "")].astype("str")
    if pairs.empty:
        return pd.DataFrame(columns=list(INTAKE_LINKS.names))
    parts = pairs.str.split(":", n=1, expand=True).reindex(columns=[0, 1]).astype("str")
    return pd.DataFrame(
        {
            "row": pairs.index.to_numpy(np.int64),
            "column": "related",
            "source_id": ids.loc[pairs.index].to_numpy(),
            "relation": parts[0].fillna("").str.strip().to_numpy(),
            "target_id": parts[1].fillna("").str.strip().to_numpy(),
            "value": pairs.to_numpy(),
        }
    )


FORMAT = Format(
    name="curated",
    label="our curated CSV",
    extensions=(".csv",),
    sniff=_sniff,
    read=_read,
)
