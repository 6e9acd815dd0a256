"""Load the curated event table: parse, check, geocode, and report every bad row.

`parse_events(data, file=...)` does the work on bytes or text in memory; `read_events(path)`
opens the file and calls it. Nothing here raises for bad data: problems come back as a table
(see `timeline.problems`), good rows load, and a row is left out only when it cannot be put
on the timeline at all.

The work is columnar (vectorised pandas over whole columns) so that a table of about a million
rows loads in seconds; Python loops run only over distinct values (places to geocode, source
files to read), never over rows.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pandera.pandas as pa

from geodata import AmbiguousPlace, GeodataError, Place, make_geocoder
from timeline import problems as P
from timeline.vocab import (
    CATEGORIES,
    CLAIM_STATUSES,
    COLUMNS,
    LIST_SEPARATOR,
    PLACE_PRECISIONS,
    RELATIONS,
    REQUIRED_COLUMNS,
    TIME_PRECISIONS,
)

BOM = b"\xef\xbb\xbf"
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")

# A time with an explicit offset: the table must say which day it means, or a date-only
# event shifts a day when converted (TimeMap's export bug).
_ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$"


class Geocoder(Protocol):
    def geocode(self, name: str, country: str | None = None) -> Place | None: ...


@dataclass(frozen=True)
class EventTable:
    """What the app and the CLI need: events, their places, their links, and the problems.

    `events` has one row per event, sorted by `earliest`; `places` one row per placed
    (event, place); `links` one row per relation between events. Treat them as read-only:
    the app shares one copy across reruns.
    """

    events: pd.DataFrame
    places: pd.DataFrame
    links: pd.DataFrame
    problems: pd.DataFrame
    #: Text of each source file the table cites, by the name used in `source_file`.
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def unplaced(self) -> pd.DataFrame:
        """Events with no place on the map: they live on the timeline only."""
        return self.events[~self.events["id"].isin(self.places["event_id"])]


def read_events(path: str | Path, *, geocoder: Geocoder | None = None) -> EventTable:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _empty_table(P.file_problem(str(path), f"cannot be read: {exc.strerror or exc}"))
    return parse_events(data, file=str(path), base_dir=path.parent, geocoder=geocoder)


def parse_events(
    data: bytes | str,
    *,
    file: str = "events.csv",
    base_dir: str | Path | None = None,
    geocoder: Geocoder | None = None,
) -> EventTable:
    """Parse, check and geocode an event table given as CSV bytes or text.

    >>> t = parse_events("id,title,start,time_precision,category\\n"
    ...                  "a,A,2025-03-18T14:00+00:00,minute,diplomacy\\n")
    >>> t.events["start"].iloc[0]
    Timestamp('2025-03-18 14:00:00+0000', tz='UTC')
    """
    text, found = _decode(data, file)
    if text is None:
        return _empty_table(P.combine(found))
    raw, header_problems = _read_cells(text, file)
    found += header_problems
    if raw is None:
        return _empty_table(P.combine(found))

    typed = _typed(raw)
    row_failures = _schema_failures(typed, raw, file)
    found.append(row_failures)
    dropped = row_failures["row"].dropna().astype(int).to_numpy() - P.FIRST_DATA_ROW
    keep = ~raw.index.isin(dropped)
    typed = typed[keep]

    places, place_problems = _geocode(raw[keep], typed, file, geocoder or make_geocoder())
    found.append(place_problems)
    sources, quote_ok, quote_problems = _check_quotes(raw[keep], file, base_dir)
    found.append(quote_problems)
    typed = typed.assign(quote_verified=quote_ok)
    links, link_problems = _links(raw[keep], typed["id"], file)
    found.append(link_problems)

    events = typed.sort_values("earliest", kind="stable").reset_index(drop=True)
    return EventTable(events, places, links, P.combine(found), sources)


# --- reading -------------------------------------------------------------------------------


def _decode(data: bytes | str, file: str) -> tuple[str | None, list[pd.DataFrame]]:
    if isinstance(data, str):
        return (data if data.strip() else None), (
            [] if data.strip() else [P.file_problem(file, "the file is empty")]
        )
    if not data.strip():
        return None, [P.file_problem(file, "the file is empty")]
    found = []
    if data.startswith(BOM):
        # Excel writes one; it would glue itself to the first column's name.
        found.append(
            P.file_problem(
                file,
                "starts with a byte-order mark; it was ignored, but save the file as UTF-8 "
                "without BOM",
                row=1,
            )
        )
        data = data[len(BOM) :]
        found[-1]["kept"] = True
    try:
        return data.decode("utf-8"), found
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        found.append(
            P.file_problem(
                file,
                f"is not UTF-8 (byte 0x{data[exc.start]:02x} at row {row}); nothing was loaded. "
                "Save it as CSV UTF-8",
                row=row,
            )
        )
        return None, found


def _read_cells(text: str, file: str) -> tuple[pd.DataFrame | None, list[pd.DataFrame]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            raw = pd.read_csv(
                io.StringIO(text),
                dtype="str",
                keep_default_na=False,
                na_filter=False,
                on_bad_lines="warn",
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            return None, [P.file_problem(file, f"is not a readable CSV table: {exc}")]
    # A row with too many cells (an unquoted comma) is skipped and reported; the index keeps
    # every other row's own place in the file, so row numbers stay those of the spreadsheet.
    skipped = {int(m[1]): m[2] for w in caught for m in _SKIPPED_LINE.finditer(str(w.message))}
    rows = [
        r
        for r in range(P.FIRST_DATA_ROW, P.FIRST_DATA_ROW + len(raw) + len(skipped))
        if r not in skipped
    ]
    raw.index = pd.Index(rows, dtype="int64") - P.FIRST_DATA_ROW
    found = [
        P.file_problem(file, f"has more cells than the header ({reason})", row=row)
        for row, reason in sorted(skipped.items())
    ]
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        found.append(
            P.file_problem(file, f"has no column {', '.join(missing)}; nothing was loaded", row=1)
        )
        return None, found
    unknown = [c for c in raw.columns if c not in COLUMNS]
    if unknown:
        p = P.file_problem(file, f"unknown column {', '.join(unknown)} is ignored", row=1)
        p["kept"] = True
        found.append(p)
    if raw.empty:
        found.append(P.file_problem(file, "has a header but no events", row=2))
    raw = raw.reindex(columns=list(COLUMNS), fill_value="")
    for c in COLUMNS:
        raw[c] = raw[c].astype("str").str.strip()
    return raw, found


# --- types and checks --------------------------------------------------------------------------


def _parse_time(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UTC times and the offset (minutes) each was written with; NaT where it does not parse.

    Only pyarrow-backed string operations here (match, replace, slice): a Python regex per
    row would dominate the load of a large table.
    """
    well_formed = raw.str.match(_ISO_WITH_OFFSET)
    text = raw.where(well_formed, "")
    when = pd.to_datetime(text.where(well_formed), format="ISO8601", utc=True, errors="coerce")
    tail = (
        text.str.replace(r"Z$", "+00:00", regex=True)
        .str.replace(r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
        .str.slice(-6)
        .where(well_formed, "+00:00")
    )
    # Digits by construction (the match above), so a plain cast is safe and fast.
    hours = tail.str.slice(1, 3).astype("int16")
    minutes = hours * 60 + tail.str.slice(4, 6).astype("int16")
    minutes = minutes.where(~tail.str.startswith("-"), -minutes)
    return when.astype("datetime64[us, UTC]"), minutes.astype("int16")


def _typed(raw: pd.DataFrame) -> pd.DataFrame:
    start, offset = _parse_time(raw["start"])
    end, _ = _parse_time(raw["end"])
    precision = raw["time_precision"]
    half = precision.map({k: v.half_width for k, v in TIME_PRECISIONS.items()})
    half = pd.to_timedelta(half).fillna(pd.Timedelta(0))
    latest_default = start.where(precision != "day", start + pd.Timedelta(days=1))
    return pd.DataFrame(
        {
            "id": raw["id"],
            "title": raw["title"],
            "summary": raw["summary"],
            "start": start,
            "end": end,
            "start_offset_min": offset,
            "time_precision": _categorical(precision, TIME_PRECISIONS),
            "time_note": raw["time_note"],
            # The interval the event certainly falls in (or lasts through): what the window
            # filter and the drawn uncertainty use.
            "earliest": (start - half).astype("datetime64[us, UTC]"),
            "latest": (end.fillna(latest_default) + half).astype("datetime64[us, UTC]"),
            "category": _categorical(raw["category"], CATEGORIES),
            "actors": raw["actors"],
            "reported_by": raw["reported_by"],
            "claim_status": _categorical(raw["claim_status"], CLAIM_STATUSES),
            "quote": raw["quote"],
            "source_file": raw["source_file"],
            "further_sources": raw["further_sources"],
            "related": raw["related"],
            "notes": raw["notes"],
            "row": (raw.index + P.FIRST_DATA_ROW).astype("int64"),
        },
        index=raw.index,
    )


def _categorical(values: pd.Series, vocabulary: dict) -> pd.Categorical:
    """Known words as categories; anything else becomes missing (and is reported)."""
    return pd.Categorical(values.where(values.isin(list(vocabulary))), categories=list(vocabulary))


def _needs_end(d: pd.DataFrame) -> pd.Series:
    needs = d["time_precision"].map({k: v.needs_end for k, v in TIME_PRECISIONS.items()})
    return ~(needs.astype("bool") & d["end"].isna())


def _end_after_start(d: pd.DataFrame) -> pd.Series:
    return d["end"].isna() | d["start"].isna() | (d["end"] >= d["start"])


_END_BEFORE_START = "is before the start"
_END_REQUIRED = "is required for this time_precision (part_of_day, range, span)"

_ROW_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(
            "str",
            [
                pa.Check.str_length(min_value=1, error="is empty: every event needs an id"),
                pa.Check(
                    lambda s: ~s.duplicated(keep="first") | (s == ""),
                    error="duplicates the id of an earlier row",
                ),
            ],
        ),
        "title": pa.Column("str", pa.Check.str_length(min_value=1, error="is empty")),
        "start": pa.Column("datetime64[us, UTC]", nullable=False),
        "end": pa.Column("datetime64[us, UTC]", nullable=True),
        "time_precision": pa.Column(nullable=False),
        "category": pa.Column(nullable=False),
        "claim_status": pa.Column(nullable=True),
    },
    checks=[
        pa.Check(_end_after_start, name="end_after_start", error=_END_BEFORE_START),
        pa.Check(_needs_end, name="needs_end", error=_END_REQUIRED),
    ],
)

# The column a dataframe-wide check is about, and what to say for checks pandera names.
_CHECK_COLUMN = {_END_BEFORE_START: "end", _END_REQUIRED: "end"}
_NOT_NULL = {
    "start": "is not an ISO 8601 time with a UTC offset, e.g. 2025-03-18T14:00+00:00",
    "end": "is not an ISO 8601 time with a UTC offset, e.g. 2025-03-18T16:30+00:00",
    "time_precision": f"is not one of: {', '.join(TIME_PRECISIONS)}",
    "category": f"is not one of: {', '.join(CATEGORIES)}",
}
_NULLABLE_RAW = {"claim_status": f"is not one of: {', '.join(CLAIM_STATUSES)}"}


def _schema_failures(typed: pd.DataFrame, raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """Every row the pandera schema rejects, as problems: each of these rows is left out."""
    found = []
    try:
        _ROW_SCHEMA.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        # A dataframe-wide check reports every column of the row: it is about one of them.
        cases = cases.assign(column=cases["check"].map(_CHECK_COLUMN).fillna(cases["column"]))
        cases = cases.drop_duplicates(["index", "column", "check"])
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            reason = _NOT_NULL.get(column, check) if check == "not_nullable" else check
            positions = pd.Index(group["index"].astype(int).unique())
            found.append(P.rows_problems(file, positions, column, raw[column], reason, kept=False))
    # An end that does not parse is NaT, which the schema allows (end is optional): say so.
    bad_end = (raw["end"] != "") & typed["end"].isna()
    found.append(
        P.rows_problems(file, raw.index[bad_end], "end", raw["end"], _NOT_NULL["end"], kept=False)
    )
    # A categorical column turns an unknown word into NaN; claim_status may be empty.
    for column, reason in _NULLABLE_RAW.items():
        bad = (raw[column] != "") & typed[column].isna()
        found.append(P.rows_problems(file, raw.index[bad], column, raw[column], reason, kept=False))
    out = P.combine(found)
    return out.drop_duplicates(["row", "column"])


# --- places ------------------------------------------------------------------------------------


def _split_lists(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per (event, place), with its country and precision, from the list cells."""
    if not raw["places"].str.contains(LIST_SEPARATOR, regex=False).any():
        return _single_places(raw)
    names = raw["places"].str.split(LIST_SEPARATOR)
    long = pd.DataFrame({"names": names, "position": raw.index}).explode("names")
    long = long[long["names"].str.strip() != ""]
    long["order"] = long.groupby("position").cumcount()
    long["name"] = long["names"].str.strip()
    count = long.groupby("position")["name"].transform("size")
    for column in ("countries", "place_precision"):
        cells = raw[column].str.split(LIST_SEPARATOR).loc[long["position"]]
        cells.index = long.index
        lengths = cells.str.len()
        # One value stands for every place; otherwise one value per place, in order.
        one_for_all = (lengths == 1) & (count > 1)
        picked = cells.str.get(0).where(one_for_all, pd.NA)
        per_place = [
            c[o] if isinstance(c, list) and o < len(c) else ""
            for c, o in zip(cells.where(~one_for_all), long["order"], strict=True)
        ]
        long[column] = picked.fillna(pd.Series(per_place, index=long.index)).str.strip()
        long[column + "_mismatch"] = (raw[column].loc[long["position"]].to_numpy() != "") & ~(
            one_for_all | (lengths == count)
        )
    return long.drop(columns="names")


def _single_places(raw: pd.DataFrame) -> pd.DataFrame:
    """The common case of other people's data, one place a row: no list to split."""
    rows = raw[raw["places"] != ""]
    long = pd.DataFrame(
        {
            "position": rows.index,
            "order": 0,
            "name": rows["places"].to_numpy(),
            "countries": rows["countries"].to_numpy(),
            "place_precision": rows["place_precision"].to_numpy(),
        }
    )
    for column in ("countries", "place_precision"):
        long[column + "_mismatch"] = long[column].str.contains(LIST_SEPARATOR, regex=False)
    return long


def _geocode(
    raw: pd.DataFrame, typed: pd.DataFrame, file: str, geocoder: Geocoder
) -> tuple[pd.DataFrame, pd.DataFrame]:
    found = []
    long = _split_lists(raw)
    for column in ("countries", "place_precision"):
        bad = long[long[column + "_mismatch"]].drop_duplicates("position")
        found.append(
            P.rows_problems(
                file,
                pd.Index(bad["position"]),
                column,
                raw[column],
                "has neither one value nor one value per place",
                kept=True,
            )
        )
    bad_country = (long["countries"] != "") & ~long["countries"].str.fullmatch("[A-Za-z]{2}")
    bad_precision = (long["place_precision"] != "") & ~long["place_precision"].isin(
        PLACE_PRECISIONS
    )
    found.append(
        _frame_problems(
            file,
            long[bad_country],
            "countries",
            "countries",
            "is not a two-letter ISO 3166-1 code like UA; the place is not on the map",
        )
    )
    found.append(
        _frame_problems(
            file,
            long[bad_precision],
            "place_precision",
            "place_precision",
            "is not one of: " + ", ".join(PLACE_PRECISIONS) + "; the place is not on the map",
        )
    )
    long = long[~bad_country & ~bad_precision]
    long["countries"] = long["countries"].str.upper()

    given, coord_problems = _given_coordinates(raw, long, file, geocoder)
    found.append(coord_problems)
    # A row that gives coordinates meant them: it is not geocoded by name, even if they are bad.
    gives_coordinates = (raw["lat"] != "") | (raw["lon"] != "")
    by_name = long[~long["position"].isin(raw.index[gives_coordinates])]
    looked_up, lookup_problems = _look_up(by_name, raw, file, geocoder)
    found.append(lookup_problems)
    placed = pd.concat([given, looked_up], ignore_index=True)
    placed["geo_precision"] = placed["place_precision"].where(
        placed["place_precision"] != "", placed["gazetteer_precision"]
    )
    placed["event_id"] = typed["id"].loc[placed["position"]].to_numpy()
    places = (
        placed[
            [
                "event_id",
                "order",
                "name",
                "country",
                "lat",
                "lon",
                "geo_precision",
                "source",
                "credit",
                "timezone",
            ]
        ]
        .sort_values(["event_id", "order"], kind="stable")
        .reset_index(drop=True)
    )
    places["geo_precision"] = pd.Categorical(places["geo_precision"], categories=PLACE_PRECISIONS)
    places["lat"] = places["lat"].astype("float64")
    places["lon"] = places["lon"].astype("float64")
    return places, P.combine(found)


def _frame_problems(
    file: str, rows: pd.DataFrame, column: str, value_column: str, problem: str | list[str]
) -> pd.DataFrame:
    """Problems for rows of a long frame that carries each record's `position`."""
    if not len(rows):
        return P.empty_problems()
    positions = pd.Index(rows["position"])
    values = pd.Series(rows[value_column].to_numpy(), index=range(len(rows)))
    reasons = problem if isinstance(problem, str) else pd.Series(problem, index=values.index)
    out = P.rows_problems(file, pd.RangeIndex(len(rows)), column, values, reasons, kept=True)
    out["row"] = pd.array(positions.to_numpy() + P.FIRST_DATA_ROW, dtype="Int64")
    return out


def _look_up(
    long: pd.DataFrame, raw: pd.DataFrame, file: str, geocoder: Geocoder
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Geocode each distinct (name, country) once, then join the answers back."""
    keys = long[["name", "countries"]].drop_duplicates()
    answers, reasons = [], {}
    for name, country in keys.itertuples(index=False):
        try:
            place = geocoder.geocode(name, country or None)
        except AmbiguousPlace as exc:
            reasons[(name, country)] = f"{exc}; add the country code in 'countries'"
            continue
        except GeodataError as exc:
            reasons[(name, country)] = f"could not be looked up ({exc})"
            continue
        if place is None:
            reasons[(name, country)] = (
                "is not in the gazetteer"
                + (f" for {country}" if country else "")
                + " (and online lookup is off)"
            )
            continue
        answers.append(
            {
                "name": name,
                "countries": country,
                "lat": place.lat,
                "lon": place.lon,
                "country": place.country or country,
                "gazetteer_precision": place.precision,
                "source": place.source,
                "credit": place.credit,
                "timezone": place.timezone or "",
            }
        )
    table = pd.DataFrame(
        answers,
        columns=[
            "name",
            "countries",
            "lat",
            "lon",
            "country",
            "gazetteer_precision",
            "source",
            "credit",
            "timezone",
        ],
    )
    merged = long.merge(table, on=["name", "countries"], how="left")
    missing = merged[merged["lat"].isna()]
    problems = _frame_problems(
        file,
        missing,
        "places",
        "name",
        [
            reasons.get((n, c), "was not found") + "; the event stays on the timeline only"
            for n, c in zip(missing["name"], missing["countries"], strict=True)
        ],
    )
    return merged[merged["lat"].notna()], problems


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype="float64")) for a in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _given_coordinates(
    raw: pd.DataFrame, long: pd.DataFrame, file: str, geocoder: Geocoder
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that give lat/lon themselves: their only place gets those coordinates.

    Checked for range, and for being swapped: a latitude beyond 90 whose longitude would fit,
    or a point far from the named place whose swap lands on it.
    """
    columns = [
        "position",
        "order",
        "name",
        "countries",
        "place_precision",
        "lat",
        "lon",
        "country",
        "gazetteer_precision",
        "source",
        "credit",
        "timezone",
    ]
    has = (raw["lat"] != "") | (raw["lon"] != "")
    if not has.any():
        return pd.DataFrame(columns=columns), P.empty_problems()
    sub = raw[has]
    lat = pd.to_numeric(sub["lat"], errors="coerce")
    lon = pd.to_numeric(sub["lon"], errors="coerce")
    found = []
    unreadable = lat.isna() | lon.isna()
    in_range = lat.between(-90, 90) & lon.between(-180, 180)
    first = long.drop_duplicates("position").set_index("position").reindex(sub.index)
    names = first["name"].fillna("")
    countries = first["countries"].fillna("")
    many = long.groupby("position").size().reindex(sub.index).fillna(0) > 1
    # Compare with the gazetteer where the row also names a known place.
    ref = _reference_points(names, countries, geocoder)
    near_swap = _haversine_km(ref["lat"], ref["lon"], lon, lat) < 100
    far_given = _haversine_km(ref["lat"], ref["lon"], lat, lon) > 500
    known = ref["lat"].notna().to_numpy()
    fits_swapped = (lat.abs() > 90) & (lon.abs() <= 90) & (lat.abs() <= 180)
    swapped = ~unreadable & np.where(known, near_swap & far_given, fits_swapped)
    where = sub["lat"] + ", " + sub["lon"]
    for mask, problem in (
        (unreadable, "lat and lon must both be decimal degrees"),
        (~unreadable & ~in_range & ~swapped, "lat must be in -90..90 and lon in -180..180"),
        (swapped, "lat and lon look swapped"),
        (
            ~unreadable & in_range & ~swapped & many,
            "lat/lon give one point but the row names several places",
        ),
    ):
        found.append(
            P.rows_problems(
                file,
                sub.index[mask],
                "lat",
                where,
                problem + "; the event stays on the timeline only",
                kept=True,
            )
        )
    good = ~unreadable & in_range & ~swapped & ~many
    given = pd.DataFrame(
        {
            "position": sub.index[good],
            "order": 0,
            "name": names[good].where(names[good] != "", where[good]).to_numpy(),
            "countries": countries[good].to_numpy(),
            "place_precision": first["place_precision"].fillna("")[good].to_numpy(),
            "lat": lat[good].to_numpy(),
            "lon": lon[good].to_numpy(),
            "country": countries[good].to_numpy(),
            "gazetteer_precision": "site",
            "source": "coordinates given in the table",
            "credit": "",
            "timezone": ref["timezone"][good].to_numpy(),
        }
    )
    return given, P.combine(found)


def _reference_points(names: pd.Series, countries: pd.Series, geocoder: Geocoder) -> pd.DataFrame:
    keys = pd.DataFrame({"name": names, "country": countries}).drop_duplicates()
    rows = []
    for name, country in keys.itertuples(index=False):
        place = None
        if name:
            try:
                place = geocoder.geocode(name, country or None)
            except GeodataError:
                place = None
        rows.append(
            (
                name,
                country,
                place.lat if place else np.nan,
                place.lon if place else np.nan,
                place.timezone or "" if place else "",
            )
        )
    ref = pd.DataFrame(rows, columns=["name", "country", "lat", "lon", "timezone"])
    joined = pd.DataFrame({"name": names, "country": countries}).merge(
        ref, on=["name", "country"], how="left"
    )
    joined.index = names.index
    return joined


# --- sources and quotes --------------------------------------------------------------------


def _check_quotes(
    raw: pd.DataFrame, file: str, base_dir: str | Path | None
) -> tuple[dict[str, str], pd.Series, pd.DataFrame]:
    """Each quote must stand verbatim in its source file, which must sit beside the table."""
    found = []
    verified = pd.Series(False, index=raw.index)
    sources: dict[str, str] = {}
    base = Path(base_dir).resolve() if base_dir is not None else None
    for name in raw.loc[raw["source_file"] != "", "source_file"].unique():
        rows = raw.index[raw["source_file"] == name]
        text, reason = _read_source(base, name)
        if text is None:
            found.append(
                P.rows_problems(file, rows, "source_file", raw["source_file"], reason, kept=True)
            )
            continue
        sources[name] = text
        quotes = raw.loc[rows, "quote"]
        hit = quotes.map(text.__contains__) & (quotes != "")
        verified.loc[rows] = hit
        missing = rows[~hit & (quotes != "")]
        loose = _normalised(text)
        near = quotes.loc[missing].map(lambda q, loose=loose: _normalised(q) in loose)
        found.append(
            P.rows_problems(
                file,
                missing,
                "quote",
                raw["quote"],
                near.map(
                    {
                        True: f"is not verbatim in {name}: it matches only once quotes, dashes "
                        "and spaces are normalised; copy it exactly",
                        False: f"is not found verbatim in {name}",
                    }
                ),
                kept=True,
            )
        )
    no_quote = (raw["source_file"] != "") & (raw["quote"] == "")
    found.append(
        P.rows_problems(
            file,
            raw.index[no_quote],
            "quote",
            raw["quote"],
            "is empty: give the sentence of the source that supports the event",
            kept=True,
        )
    )
    no_file = (raw["source_file"] == "") & (raw["quote"] != "")
    found.append(
        P.rows_problems(
            file,
            raw.index[no_file],
            "source_file",
            raw["source_file"],
            "is empty: say which file the quote comes from",
            kept=True,
        )
    )
    return sources, verified, P.combine(found)


def _read_source(base: Path | None, name: str) -> tuple[str | None, str]:
    if base is None:
        return None, "cannot be checked: the table was not read from a folder"
    path = (base / name).resolve()
    # A table must not make the app show an arbitrary file of the machine.
    if not path.is_relative_to(base):
        return None, "must be a file in the table's own folder"
    try:
        return path.read_text("utf-8"), ""
    except FileNotFoundError:
        return None, f"is missing: no file {name} beside the table; quotes are not verified"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read as UTF-8 text ({exc.__class__.__name__})"


_LOOSE = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-"})


def _normalised(text: str) -> str:
    return " ".join(text.translate(_LOOSE).split())


# --- links -------------------------------------------------------------------------------------


def _links(raw: pd.DataFrame, ids: pd.Series, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`related` cells like `responds_to:trump-putin-call;follows_from:jeddah-talks`."""
    cells = raw["related"]
    pairs = cells[cells != ""].str.split(LIST_SEPARATOR).explode().str.strip()
    pairs = pairs[pairs.notna() & (pairs != "")].astype("str")
    if pairs.empty:
        return _no_links(), P.empty_problems()
    parts = pairs.str.split(":", n=1, expand=True).reindex(columns=[0, 1])
    links = pd.DataFrame(
        {
            "source_id": ids.loc[pairs.index].to_numpy(),
            "relation": parts[0].fillna("").str.strip().to_numpy(),
            "target_id": parts[1].fillna("").str.strip().to_numpy(),
            "position": pairs.index,
            "value": pairs.to_numpy(),
        }
    )
    bad_relation = ~links["relation"].isin(list(RELATIONS))
    bad_target = ~bad_relation & ~links["target_id"].isin(ids)
    found = [
        _frame_problems(
            file,
            links[bad_relation],
            "related",
            "value",
            "is not RELATION:EVENT_ID with RELATION one of: " + ", ".join(RELATIONS),
        ),
        _frame_problems(
            file,
            links[bad_target],
            "related",
            "value",
            "names an event id that is not in the table",
        ),
    ]
    good = links[~bad_relation & ~bad_target].drop(columns=["position", "value"])
    return good.reset_index(drop=True), P.combine(found)


def _empty_table(problems: pd.DataFrame) -> EventTable:
    header = ",".join(REQUIRED_COLUMNS) + "\n"
    raw = pd.read_csv(io.StringIO(header), dtype="str")
    raw = raw.reindex(columns=list(COLUMNS), fill_value="")
    events = _typed(raw).assign(quote_verified=pd.Series(dtype="bool"))
    places = pd.DataFrame(
        {
            c: pd.Series(dtype="str")
            for c in ("event_id", "name", "country", "source", "credit", "timezone")
        }
    ).assign(
        order=pd.Series(dtype="int64"),
        lat=pd.Series(dtype="float64"),
        lon=pd.Series(dtype="float64"),
        geo_precision=pd.Categorical([], categories=PLACE_PRECISIONS),
    )
    return EventTable(events, places, _no_links(), problems, {})


def _no_links() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in ("source_id", "relation", "target_id")})
