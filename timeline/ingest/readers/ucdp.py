"""UCDP GED CSV (Uppsala Conflict Data Program, Georeferenced Event Dataset), 49 columns.

The facts followed are in the research notes on formats (the GED codebook): `date_start` and
`date_end` are both inclusive days, so an event lies in [date_start, date_end + 1 day);
`date_prec` says how well that is known, `where_prec` how well the point stands for the place;
deaths come as a best estimate with a low and a high bound. Files in the wild mix date styles in
one column (`1/22/2014 12:00:00 AM`, `05/02/2014 00:00`, both month first, and ISO); all are
read, and the time of day that spreadsheets add is dropped: GED dates are days.

`country_id` is a Gleditsch-Ward code, not ISO, so it is never read as one: the place's country
comes from the `country` name. Every column without a model column stays in `extra`.
"""

from __future__ import annotations

import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells
from timeline.ingest.readers._countries import alpha2
from timeline.ingest.readers._datecells import calendar_end, floor_day, parse_with
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

NAME = "ucdp"
#: The fields a UCDP reader filters on besides the type of violence (the category), the sides
#: (the actors), the country and the region: the conflict and the deaths, best, low and high.
FACETS = [
    {"field": "extra.conflict_name", "label": "Conflict"},
    {"field": "extra.dyad_name", "label": "Dyad"},
    {"field": "extra.best", "label": "Deaths, best estimate", "kind": "range"},
    {"field": "extra.low", "label": "Deaths, low estimate", "kind": "range"},
    {"field": "extra.high", "label": "Deaths, high estimate", "kind": "range"},
]
SIGNATURE = ("id", "date_start", "date_prec", "where_prec", "type_of_violence")
REQUIRED = ("id", "date_start")
#: Month first, as GED's own exports and the spreadsheets that touched them write it.
DATE_PATTERNS = (
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
)
DATE_HELP = "a date like 2014-01-22, 1/22/2014 12:00:00 AM or 01/22/2014 00:00 (month first)"

#: UCDP date_prec -> our time precision. 1 with date_end after date_start is a "span": the
#: exact days are known and the event lasted them (GED sums an event's deaths over its days).
TIME_PRECISION: dict[str, str] = {
    "1": "day",
    "2": "range",  # some day in a span of 2 to 6 days
    "3": "week",
    "4": "month",
    "5": "year",
}
#: UCDP where_prec -> (our place precision, what the code says).
WHERE_PRECISION: dict[str, tuple[str, str]] = {
    "1": ("town", "exact place"),
    "2": ("near", "within about 25 km of the place"),
    "3": ("region", "centroid of a second-order region"),
    "4": ("region", "centroid of a first-order region"),
    "5": ("country", "vaguer than a first-order region, within the country"),
    "6": ("country", "the country's centroid"),
    # No honest point exists for an event at sea or in the air: the given one is drawn as
    # a region-sized circle, and the source text says why.
    "7": ("region", "at sea or in the air; drawn as a region"),
}
#: UCDP type_of_violence -> category text.
VIOLENCE: dict[str, str] = {
    "1": "State-based conflict",
    "2": "Non-state conflict",
    "3": "One-sided violence",
}
#: Columns copied whole into a model column (or read as its date): the rest go to `extra`.
MODELLED = (
    "id",
    "date_start",
    "date_end",
    "date_prec",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "latitude",
    "longitude",
    "source_office",
    "source_article",
    "source_headline",
)
_USED = (
    *MODELLED,
    "type_of_violence",
    "conflict_name",
    "dyad_name",
    "side_a",
    "side_b",
    "where_description",
    "country",
    "year",
    "best",
    "low",
    "high",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
)
_DEATHS = (
    ("deaths_a", "side A"),
    ("deaths_b", "side B"),
    ("deaths_civilians", "civilians"),
    ("deaths_unknown", "unknown"),
)


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
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        found.append(
            P.file_problem(file, f"has no column {', '.join(missing)}; nothing was loaded", row=1)
        )
        return Intake.failed(file, NAME, P.combine(found), rows_in=rows_in)
    cells = raw.reindex(columns=list(dict.fromkeys([*raw.columns, *_USED]))).fillna("")
    report = RowReport(file, cells, found)
    events = _events(cells, report)
    places = _places(cells, events["id"], report)
    return report.intake(
        events, places, empty(INTAKE_LINKS), fmt=NAME, rows_in=rows_in, story={"facets": FACETS}
    )


def _day(cells: pd.DataFrame, column: str, report) -> pd.Series:
    written = cells[column]
    day = floor_day(parse_with(written, DATE_PATTERNS)["when"])
    report((written != "") & day.isna(), column, written, f"is not {DATE_HELP}", kept=False)
    return day


def _events(cells: pd.DataFrame, report) -> pd.DataFrame:
    report(
        cells["date_start"] == "",
        "date_start",
        "",
        "is empty: every event needs a date",
        kept=False,
    )
    first = _day(cells, "date_start", report)
    last = _day(cells, "date_end", report)
    report(
        last.notna() & first.notna() & (last < first),
        "date_end",
        cells["date_end"],
        "is before date_start (" + cells["date_start"] + ")",
        kept=False,
    )
    code = cells["date_prec"]
    precision = code.map(TIME_PRECISION)
    several_days = last.notna() & (last > first)
    report(
        precision.isna() & first.notna(),
        "date_prec",
        code,
        "is not 1 to 5 (day, range of days, week, month, year); read from date_start and "
        "date_end as the day or the range they give",
        kept=True,
    )
    precision = precision.fillna(several_days.map({True: "range", False: "day"}))
    precision[(code == "1") & several_days] = "span"
    # date_end is inclusive: the event's interval ends at the midnight after it. Without a
    # date_end the precision's own calendar length from date_start is used.
    after = (last + pd.Timedelta(days=1)).astype("datetime64[us]")
    after = after.where(last.notna(), calendar_end(first, precision.replace({"range": "day"})))
    nat = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    span = precision == "span"
    deaths = _deaths(cells)
    return pd.DataFrame(
        {
            "row": cells.index,
            "id": cells["id"].where(cells["id"] != "", "row-" + cells.index.astype("str")),
            "title": _titles(cells),
            "summary": cells["source_headline"].where(
                cells["source_headline"] != "", cells["where_description"]
            ),
            "start_lo": first,
            "start_hi": first.where(span, after),
            "end_lo": after.where(span, nat),
            "end_hi": after.where(span, nat),
            "time_precision": precision,
            "time_precision_source": "UCDP date_prec " + code.where(code != "", "(empty)"),
            "category": _categories(cells, report),
            "actors": join_cells(cells, ("side_a", "side_b")),
            "reported_by": cells["source_office"],
            "further_sources": cells["source_article"],
            "notes": deaths,
        },
        index=cells.index,
    ).pipe(with_extras, cells, [c for c in cells.columns if c not in MODELLED])


def _titles(cells: pd.DataFrame) -> list[str]:
    out = []
    for dyad, conflict, row_id in cells[["dyad_name", "conflict_name", "id"]].to_numpy():
        if dyad and conflict and dyad != conflict:
            out.append(f"{dyad} ({conflict})")
        else:
            out.append(dyad or conflict or f"UCDP event {row_id}")
    return out


def _categories(cells: pd.DataFrame, report) -> pd.Series:
    code = cells["type_of_violence"]
    category = code.map(VIOLENCE)
    unknown = category.isna() & (code != "")
    report(
        unknown,
        "type_of_violence",
        code,
        "is not 1, 2 or 3 (state-based, non-state, one-sided); kept as its code",
        kept=True,
    )
    return category.fillna("UCDP type_of_violence " + code).where(code != "", "")


def _deaths(cells: pd.DataFrame) -> list[str]:
    """ "deaths: best 3 (low 2, high 5); side A 2, side B 1, civilians 0, unknown 0"."""
    out = []
    for row in cells[["best", "low", "high", *(c for c, _ in _DEATHS)]].to_numpy():
        best, low, high, *split = row
        text = f"deaths: best {best}" if best else ""
        bounds = ", ".join(f"{k} {v}" for k, v in (("low", low), ("high", high)) if v)
        if bounds:
            text = f"{text} ({bounds})" if text else f"deaths: {bounds}"
        parts = ", ".join(f"{label} {v}" for (_, label), v in zip(_DEATHS, split, strict=True) if v)
        if parts:
            text = f"{text}; {parts}" if text else f"deaths: {parts}"
        out.append(text)
    return out


def _places(cells: pd.DataFrame, ids: pd.Series, report) -> pd.DataFrame:
    lat, lon, bad = coordinates(cells["latitude"], cells["longitude"])
    report(
        bad,
        "latitude",
        cells["latitude"] + ", " + cells["longitude"],
        "latitude and longitude must be decimal degrees; the place is looked up by its name",
        kept=True,
    )
    has = (cells["where_coordinates"] != "") | lat.notna()
    code = cells["where_prec"]
    known = code.isin(list(WHERE_PRECISION))
    report(
        has & ~known,
        "where_prec",
        code,
        "is not 1 to 7; the place is read as the country",
        kept=True,
    )
    precision = code.map({k: v[0] for k, v in WHERE_PRECISION.items()}).fillna("country")
    meaning = code.map({k: v[1] for k, v in WHERE_PRECISION.items()})
    meaning = meaning.fillna("not a known code; read as the country")
    frame = pd.DataFrame(
        {
            "row": cells.index,
            "event_id": ids.to_numpy(),
            "order": 0,
            "name": cells["where_coordinates"],
            # `country_id` is Gleditsch-Ward, not ISO: only the name is mapped.
            "country": [alpha2(name) for name in cells["country"]],
            "region": cells["adm_1"],
            "lat": lat,
            "lon": lon,
            "precision": precision,
            "precision_source": "UCDP where_prec "
            + code.where(code != "", "(empty)")
            + " ("
            + meaning
            + ")",
        },
        index=cells.index,
    )
    return frame[has]


FORMAT = Format(NAME, "UCDP GED CSV", (".csv",), sniff, read)
