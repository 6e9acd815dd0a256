"""ACLED CSV exports (Armed Conflict Location & Event Data), current and pre-2023 columns.

The facts followed are in the research notes on formats (ACLED's codebook): `event_date` as
`2023-01-31`, `16 May 2025` or, after a spreadsheet, `7-Feb-25`; `time_precision` 1 the day,
2 only the week (the stored date is its middle), 3 only the month (the stored date is its
middle, or its first or last day); `geo_precision` 1 the town, 2 near it or part of a region,
3 a large region. ACLED has no title, so one is built from its own words: "Battles: Armed
clash, Kharkiv". Every column the model has no place for (fatalities, tags, the actors' roles,
inter codes, source scale...) stays with the event as an `extra.*` column, as written (`source`
and `tags` keep ACLED's "; " lists). Times are the place's local days: no zone is invented here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells
from timeline.ingest.readers._countries import alpha2, alpha2_from_numeric
from timeline.ingest.readers._datecells import calendar_end, floor_day, month_start, parse_with
from timeline.ingest.readers._rowreport import (
    RowReport,
    coordinates,
    header_columns,
    join_cells,
    records_in,
    with_extras,
)
from timeline.model import problems as P
from timeline.model.schema import INTAKE_LINKS
from timeline.model.tables import Intake, empty

NAME = "acled"
#: A file with these columns is ACLED's (the sniff).
SIGNATURE = ("event_id_cnty", "event_date")
DATE_PATTERNS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%b-%y", "%d-%b-%Y", "%d-%B-%Y")
DATE_HELP = "a date like 2023-01-31, 16 May 2025 or 7-Feb-25"

#: ACLED time_precision code -> our time precision.
TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}
#: ACLED geo_precision code -> our place precision.
GEO_PRECISION: dict[str, str] = {"1": "town", "2": "near", "3": "region"}
#: How a week is laid around ACLED's stored middle date: 3 days before, 3 after, 7 in all.
WEEK_BEFORE = pd.Timedelta(days=3)
#: Columns copied whole into a model column: everything else goes to `extra`.
MODELLED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "location",
    "latitude",
    "longitude",
    "admin1",
    "geo_precision",
    "notes",
)
_ACTORS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
#: The fields an ACLED reader filters on besides the event type (the category), the actors,
#: the sources, the country and the first-level region (admin1, the place's region).
FACETS = [
    {"field": "extra.sub_event_type", "label": "Sub-event type"},
    {"field": "extra.disorder_type", "label": "Disorder type"},
    {"field": "extra.interaction", "label": "Interaction"},
    {"field": "extra.fatalities", "label": "Fatalities (ACLED: the lowest figure reported)",
     "kind": "range"},
]  # fmt: skip


def sniff(data: bytes, name: str) -> str | None:
    columns = header_columns(data)
    missing = [c for c in SIGNATURE if c not in columns]
    return f"has no column {', '.join(missing)}" if missing else None


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    text, found = decode(data, file)
    if text is None:
        return Intake.failed(file, NAME, P.combine(found))
    raw, more = read_cells(text, file)
    del text  # read: its half gigabyte (a million rows) is freed for the steps to come
    found += more
    if raw is None:
        return Intake.failed(file, NAME, P.combine(found))
    rows_in = records_in(raw, found)
    missing = [c for c in SIGNATURE if c not in raw.columns]
    if missing:
        found.append(
            P.file_problem(file, f"has no column {', '.join(missing)}; nothing was loaded", row=1)
        )
        return Intake.failed(file, NAME, P.combine(found), rows_in=rows_in)
    # Columns an older or trimmed export lacks are read as empty.
    cells = raw.reindex(columns=list(dict.fromkeys([*raw.columns, *MODELLED, *_ACTORS])))
    cells = cells.fillna("")
    report = RowReport(file, cells, found)
    events = _events(cells, report)
    places = _places(cells, events["id"], report)
    return report.intake(
        events, places, empty(INTAKE_LINKS), fmt=NAME, rows_in=rows_in, story={"facets": FACETS}
    )


def _events(cells: pd.DataFrame, report) -> pd.DataFrame:
    written = cells["event_date"]
    date = floor_day(parse_with(written, DATE_PATTERNS)["when"])
    report(written == "", "event_date", written, "is empty: every event needs a date", kept=False)
    report((written != "") & date.isna(), "event_date", written, f"is not {DATE_HELP}", kept=False)

    code = cells["time_precision"]
    precision = code.map(TIME_PRECISION)
    report(
        precision.isna() & date.notna(),
        "time_precision",
        code,
        "is not 1 (day), 2 (week) or 3 (month); read as the day of event_date",
        kept=True,
    )
    precision = precision.fillna("day")
    # ACLED stores the middle of the week or month; our bounds start at its beginning.
    start = date.copy()
    week = precision == "week"
    start[week] = (date[week] - WEEK_BEFORE).astype("datetime64[us]")
    month = precision == "month"
    start[month] = month_start(date[month])
    # A week is the 7 days from 3 before the stored middle; a month is its calendar month.
    nat = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    end = calendar_end(start, precision)
    year = pd.to_numeric(cells["year"], errors="coerce") if "year" in cells else None
    if year is not None:
        differs = year.notna() & date.notna() & (date.dt.year != year)
        report(
            differs,
            "event_date",
            written,
            "is not in the year the year column gives (" + cells["year"] + "); read as written",
            kept=True,
        )
    note = pd.Series("", index=cells.index, dtype="str")
    note[week] = "ACLED: only the week is known; " + written[week] + " is its middle"
    note[month] = "ACLED: only the month is known (" + written[month] + " as stored)"
    return pd.DataFrame(
        {
            "row": cells.index,
            "id": cells["event_id_cnty"].where(
                cells["event_id_cnty"] != "", "row-" + cells.index.astype("str")
            ),
            "title": _titles(cells),
            "summary": cells["notes"],
            "start_lo": start,
            "start_hi": end,
            "end_lo": nat,
            "end_hi": nat,
            "time_precision": precision,
            "time_precision_source": "ACLED time_precision " + code.where(code != "", "(empty)"),
            "time_note": note,
            "category": cells["event_type"],
            "actors": join_cells(cells, _ACTORS),
            "reported_by": cells["source"] if "source" in cells else "",
        },
        index=cells.index,
    ).pipe(with_extras, cells, [c for c in cells.columns if c not in MODELLED])


def _titles(cells: pd.DataFrame) -> pd.Series:
    """ "Battles: Armed clash, Kharkiv": ACLED's own words, as there is no title column."""
    kind = cells["event_type"].astype("str")
    sub = cells["sub_event_type"].astype("str").where(cells["sub_event_type"] != kind, "")
    head = join_cells(pd.DataFrame({"kind": kind, "sub": sub}), ("kind", "sub"), ": ")
    title = join_cells(
        pd.DataFrame({"head": head, "where": cells["location"]}), ("head", "where"), ", "
    )
    return title.where(title != "", "ACLED event")


def _places(cells: pd.DataFrame, ids: pd.Series, report) -> pd.DataFrame:
    lat, lon, bad = coordinates(cells["latitude"], cells["longitude"])
    report(
        bad,
        "latitude",
        cells["latitude"] + ", " + cells["longitude"],
        "latitude and longitude must be decimal degrees; the place is looked up by its name",
        kept=True,
    )
    code = cells["geo_precision"]
    precision = code.map(GEO_PRECISION)
    unknown = precision.isna()
    has = (cells["location"] != "") | lat.notna()
    report(
        unknown & has,
        "geo_precision",
        code,
        "is not 1 (town), 2 (near) or 3 (region); the place is read as a region",
        kept=True,
    )
    source = "ACLED geo_precision " + code.where(code != "", "(empty)")
    source = source.where(~unknown, source + " (not a known code; read as region)")
    iso = cells["iso"] if "iso" in cells else pd.Series("", index=cells.index)
    names = cells["country"] if "country" in cells else pd.Series("", index=cells.index)
    # Once per distinct (iso, country): a million rows name a few dozen countries.
    codes, pairs = pd.factorize(iso.astype("str") + "|" + names.astype("str"))
    split = (p.partition("|") for p in pairs)
    distinct = [alpha2_from_numeric(i) or alpha2(n) for i, _, n in split]
    country = np.asarray(distinct + [""], dtype=object)[codes]
    frame = pd.DataFrame(
        {
            "row": cells.index,
            "event_id": ids.to_numpy(),
            "order": 0,
            "name": cells["location"],
            "country": country,
            "region": cells["admin1"],
            "lat": lat,
            "lon": lon,
            "precision": precision.fillna("region"),
            "precision_source": source,
        },
        index=cells.index,
    )
    return frame[has]


FORMAT = Format(NAME, "ACLED CSV export", (".csv",), sniff, read)
