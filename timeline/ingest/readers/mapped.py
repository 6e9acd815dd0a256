"""Any CSV, TSV or .xlsx table, read through a mapping file that names its columns.

The mapping (see `timeline.ingest.readers.mapping`) says which column holds the date and in what
format, the title, the place or its coordinates, and so on; every column it does not name stays
with each event in `extra`, so nothing is lost. A bare date stays a local day and a bare time a
local time: the zone comes from the mapping (`timezone`, `timezone_column`), else from the
place, later. This format is never guessed from the content: it needs a mapping.
"""

from __future__ import annotations

import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells
from timeline.ingest.readers._countries import alpha2
from timeline.ingest.readers._datecells import calendar_end, has_time, parse_with
from timeline.ingest.readers._rowreport import RowReport, coordinates, records_in, with_extras
from timeline.ingest.readers._sheets import is_workbook, read_sheets
from timeline.ingest.readers.mapping import check_columns, check_mapping, column_keys, is_zone
from timeline.model import problems as P
from timeline.model.schema import INTAKE_LINKS
from timeline.model.tables import Intake, bounds_from_precision, empty
from timeline.model.times import parse_iso
from timeline.model.vocab import CLAIM_STATUSES, PLACE_PRECISIONS, TIME_PRECISIONS

NAME = "mapped"
TIME_PATTERNS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p")
#: What a date cell's written form says when the mapping gives no precision.
_IMPLIED = {"year": "year", "month": "month", "day": "day", "minute": "minute"}


def sniff(data: bytes, name: str) -> str | None:
    # Never guessed (needs_mapping): this only says whether the bytes could be a table at all.
    if is_workbook(data) or b"\x00" not in data[:4096]:
        return None
    return "is neither a text table nor an .xlsx workbook"


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    mapping_file = options.mapping_file or "the mapping"
    mapping, mapping_problems = check_mapping(options.mapping, mapping_file)
    found = [mapping_problems]
    if "date" not in mapping:
        return Intake.failed(file, NAME, P.combine(found))
    cells, rows_in = _cells(data, file, mapping, found)
    if cells is None:
        return Intake.failed(file, NAME, P.combine(found), rows_in=rows_in)
    mapping, missing = check_columns(mapping, cells.columns, mapping_file, file)
    found.append(missing)
    if "date" not in mapping:
        return Intake.failed(file, NAME, P.combine(found), rows_in=rows_in)
    report = RowReport(file, cells, found)
    events = _events(cells, mapping, report, from_workbook=is_workbook(data))
    places = _places(cells, mapping, events["id"], report)
    return report.intake(events, places, empty(INTAKE_LINKS), fmt=NAME, rows_in=rows_in)


def _cells(data: bytes, file: str, mapping: dict, found: list) -> tuple[pd.DataFrame | None, int]:
    if is_workbook(data):
        wanted = mapping.get("sheet")
        sheets, more = read_sheets(data, file, only=(wanted,) if wanted else None)
        found += more
        if wanted and wanted not in sheets:
            found.append(P.file_problem(file, f"has no sheet {wanted!r} (the mapping's sheet)"))
            return None, 0
        if not sheets:
            return None, 0
        cells = sheets[wanted] if wanted else next(iter(sheets.values()))
        return cells, records_in(cells, more)
    text, more = decode(data, file)
    found += more
    if text is None:
        return None, 0
    delimiter = mapping.get("delimiter") or ("\t" if file.lower().endswith(".tsv") else ",")
    cells, more = read_cells(text, file, delimiter=delimiter)
    found += more
    if cells is None:
        return None, 0
    return cells, records_in(cells, more)


def _column(cells: pd.DataFrame, mapping: dict, key: str) -> pd.Series:
    """The cells of the column `key` names, or empty text when the mapping names none."""
    column = mapping.get(key)
    if column is None:
        return pd.Series("", index=cells.index, dtype="str")
    return cells[column]


def _dates(cells: pd.Series, pattern: str, *, from_workbook: bool) -> pd.DataFrame:
    """`when`, `kind` ("", "bad", "year", "month", "day", "minute") and `offset` of cells."""
    if pattern == "iso":
        return parse_iso(cells)
    parsed = parse_with(cells, (pattern,))
    kind = _written_precision(pattern)
    out = pd.DataFrame(
        {
            "when": parsed["when"],
            "kind": pd.Series(kind, index=cells.index, dtype="str"),
            "offset": parsed["offset"],
        }
    )
    out.loc[cells == "", "kind"] = ""
    out.loc[parsed["bad"], "kind"] = "bad"
    if from_workbook and parsed["bad"].any():
        # A workbook's real date cells arrive as ISO text, whatever the pattern of its
        # text cells.
        iso = parse_iso(cells[parsed["bad"]])
        ok = iso["kind"] != "bad"
        out.loc[iso.index[ok], ["when", "kind", "offset"]] = iso.loc[ok, ["when", "kind", "offset"]]
    return out


def _written_precision(pattern: str) -> str:
    """What a strptime pattern can say: "%d/%m/%Y" a day, "%m/%Y" a month, "%Y" a year."""
    if has_time(pattern):
        return "minute"
    if "%d" in pattern or "%j" in pattern:
        return "day"
    if any(d in pattern for d in ("%m", "%b", "%B")):
        return "month"
    return "year"


def _events(cells: pd.DataFrame, mapping: dict, report, *, from_workbook: bool) -> pd.DataFrame:
    pattern = mapping.get("date_format", "iso")
    date_column = mapping["date"]
    help_text = (
        "a date like 2022-01-01 or 2022-01-01T10:30"
        if pattern == "iso"
        else f"a date in the mapping's date_format {pattern!r}"
    )
    start = _dates(cells[date_column], pattern, from_workbook=from_workbook)
    report(start["kind"] == "", date_column, "", "is empty: every event needs a date", kept=False)
    report(
        start["kind"] == "bad",
        date_column,
        cells[date_column],
        f"is not {help_text} (years 1 to 9999)",
        kept=False,
    )
    when, kind = start["when"].copy(), start["kind"].copy()

    if "time" in mapping:
        times = cells[mapping["time"]]
        patterns = (mapping["time_format"],) if "time_format" in mapping else TIME_PATTERNS
        clock = parse_with(times, patterns)
        report(
            clock["bad"],
            mapping["time"],
            times,
            "is not a time of day like 14:30; the event keeps its day",
            kept=True,
        )
        timed = clock["when"].notna() & (kind == "day")
        since = clock["when"] - clock["when"].to_numpy().astype("datetime64[D]")
        when[timed] = (when[timed] + since[timed]).astype("datetime64[us]")
        kind[timed] = "minute"

    end = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    if "end_date" in mapping:
        written = cells[mapping["end_date"]]
        parsed = _dates(written, pattern, from_workbook=from_workbook)
        report(
            parsed["kind"] == "bad",
            mapping["end_date"],
            written,
            f"is not {help_text}; the event is read without an end",
            kept=True,
        )
        end = parsed["when"].where(parsed["kind"] != "bad")
        # A bare end date is inclusive: the event runs to the end of that day.
        whole = parsed["kind"].isin(["day", "month", "year"])
        end[whole] = calendar_end(end[whole], parsed["kind"][whole])

    precision, source = _precisions(cells, mapping, kind, end, report)
    needs = precision.map({k: v.needs_end for k, v in TIME_PRECISIONS.items()}).fillna(False)
    report(
        needs.astype(bool) & end.isna() & when.notna(),
        mapping.get("end_date", date_column),
        "",
        f"an end is needed for this precision ({', '.join(sorted(set(precision[needs])))})",
        kept=False,
    )
    lo, hi, end_lo, end_hi = bounds_from_precision(when, end, precision)
    # A calendar interval without an end: its length from numpy's calendar, which holds any
    # year (pandas' offsets stop at 2262).
    calendar = precision.isin(["day", "week", "month", "year"]) & end.isna()
    hi[calendar] = calendar_end(when[calendar], precision[calendar])
    tz, offset = _zones(cells, mapping, start["offset"], report)
    ids = _column(cells, mapping, "id")
    summary = _column(cells, mapping, "summary")
    title = _column(cells, mapping, "title")
    fallback = summary.str.slice(0, 80).where(summary != "", "row " + cells.index.astype("str"))
    claim = _column(cells, mapping, "claim_status").str.lower()
    report(
        (claim != "") & ~claim.isin(list(CLAIM_STATUSES)),
        mapping.get("claim_status", ""),
        claim,
        f"is not one of: {', '.join(CLAIM_STATUSES)}; left empty",
        kept=True,
    )
    named = set(column_keys(mapping).values())
    unnamed = [c for c in cells.columns if c not in named]
    return pd.DataFrame(
        {
            "row": cells.index,
            "id": ids.where(ids != "", "row-" + cells.index.astype("str")),
            "title": title.where(title != "", fallback),
            "summary": summary,
            "start_lo": lo,
            "start_hi": hi,
            "end_lo": end_lo,
            "end_hi": end_hi,
            "offset_min": offset,
            "tz": tz,
            "time_precision": precision,
            "time_precision_source": source,
            "category": _column(cells, mapping, "category"),
            "actors": _column(cells, mapping, "actors"),
            "reported_by": _column(cells, mapping, "reported_by"),
            "claim_status": claim.where(claim.isin(list(CLAIM_STATUSES)), ""),
            "quote": _column(cells, mapping, "quote"),
            "source_file": _column(cells, mapping, "source_file"),
            "further_sources": _column(cells, mapping, "further_sources"),
            "notes": _column(cells, mapping, "notes"),
        },
        index=cells.index,
    ).pipe(with_extras, cells, unnamed)


def _precisions(cells, mapping, kind, end, report) -> tuple[pd.Series, pd.Series]:
    """Each row's time precision and the source's own code for it."""
    implied = kind.map(_IMPLIED).fillna("day")
    # A bare date with an end: some time in those days (a claim of duration needs "span").
    implied[(implied == "day") & end.notna()] = "range"
    source = pd.Series("", index=cells.index, dtype="str")
    if "precision" in mapping:
        return pd.Series(mapping["precision"], index=cells.index, dtype="str"), source
    if "precision_column" not in mapping:
        return implied, source
    column = mapping["precision_column"]
    codes = cells[column]
    table = mapping.get("precision_codes", {})
    mapped = codes.map(lambda c: table.get(c, c if c in TIME_PRECISIONS else None))
    report(
        mapped.isna() & (codes != ""),
        column,
        codes,
        "is not a time precision nor a code of the mapping's precision_codes; read from the "
        "date as written",
        kept=True,
    )
    source = (column + " " + codes).where(codes != "", "")
    return mapped.fillna(implied).astype("str"), source


def _zones(cells, mapping, offset, report) -> tuple[pd.Series, pd.Series]:
    if "timezone_column" in mapping:
        column = mapping["timezone_column"]
        zones = cells[column]
        known = {z: is_zone(z) for z in zones.unique() if z}
        bad = zones.map(lambda z: bool(z) and not known[z])
        report(
            bad,
            column,
            zones,
            "is not an IANA time zone such as Europe/Kyiv; the place's zone is used",
            kept=True,
        )
        tz = zones.where(~bad, "")
    else:
        tz = pd.Series(mapping.get("timezone", ""), index=cells.index, dtype="str")
    return tz, offset


def _places(cells: pd.DataFrame, mapping: dict, ids: pd.Series, report) -> pd.DataFrame:
    name = _column(cells, mapping, "place")
    lat_text, lon_text = _column(cells, mapping, "lat"), _column(cells, mapping, "lon")
    lat, lon, bad = coordinates(lat_text, lon_text)
    report(
        bad,
        mapping.get("lat", ""),
        lat_text + ", " + lon_text,
        "lat and lon must both be decimal degrees; the place is looked up by its name",
        kept=True,
    )
    written = _column(cells, mapping, "country")
    country = written.map(alpha2)
    report(
        (written != "") & (country == ""),
        mapping.get("country", ""),
        written,
        "is not an ISO 3166 country code or a country name this tool knows; the place is "
        "looked up without a country",
        kept=True,
    )
    precision = pd.Series(mapping.get("place_precision", ""), index=cells.index, dtype="str")
    source = pd.Series("", index=cells.index, dtype="str")
    if "place_precision_column" in mapping:
        column = mapping["place_precision_column"]
        codes = cells[column]
        table = mapping.get("place_precision_codes", {})
        mapped = codes.map(lambda c: table.get(c, c if c in PLACE_PRECISIONS else None))
        report(
            mapped.isna() & (codes != ""),
            column,
            codes,
            "is not a place precision nor a code of the mapping's place_precision_codes; left "
            "to the gazetteer",
            kept=True,
        )
        precision = mapped.fillna("").astype("str")
        source = (column + " " + codes).where(codes != "", "")
    has = (name != "") | lat.notna()
    frame = pd.DataFrame(
        {
            "row": cells.index,
            "event_id": ids.to_numpy(),
            "order": 0,
            "name": name,
            "country": country,
            "region": _column(cells, mapping, "region"),
            "lat": lat,
            "lon": lon,
            "precision": precision,
            "precision_source": source,
        },
        index=cells.index,
    )
    return frame[has]


FORMAT = Format(
    NAME,
    "any table with a mapping file",
    (".csv", ".tsv", ".xlsx"),
    sniff,
    read,
    needs_mapping=True,
)
