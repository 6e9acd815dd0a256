"""Any table with a mapping file: the mapping's checks, and a civilian-harm-like table read
row by row (CSV, TSV and a real .xlsx workbook made with openpyxl)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, detect, mapped
from timeline.ingest.readers import read as read_any
from timeline.ingest.readers.mapping import KEYS, check_columns, read_mapping
from timeline.model import extras

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data" / "formats"
T = pd.Timestamp


def options(text: str, name: str = "map.toml") -> ReadOptions:
    mapping, problems = read_mapping(text, name)
    return ReadOptions(mapping=mapping, mapping_file=name)


def read(data: bytes | str, mapping: str, file: str = "t.csv"):
    data = data.encode() if isinstance(data, str) else data
    return mapped.read(data, file=file, options=options(mapping))


# --- the mapping file -----------------------------------------------------------------------


def test_example_mapping_is_clean():
    mapping, problems = read_mapping((DATA / "harm_monitor.toml").read_text(), "harm.toml")
    assert problems.empty
    assert mapping["place_precision_codes"] == {"1": "site", "2": "town", "3": "region"}


@pytest.mark.parametrize(
    "text, key, words",
    [
        ('date = "d"\ncolour = "red"', "colour", "not a mapping key"),
        ('date = "d"\nprecision = "fortnight"', "precision", "not one of"),
        ('date = "d"\nplace_precision = "street"', "place_precision", "not one of"),
        ('date = "d"\ntimezone = "Mars/Olympus"', "timezone", "not an IANA time zone"),
        ('date = "d"\ndate_format = "dd/mm/yyyy"', "date_format", "strptime pattern"),
        ('date = "d"\ntitle = 3', "title", "must be text"),
        ('date = "d"\ndelimiter = ";;"', "delimiter", "one character"),
        ('date = "d"\n[precision_codes]\n"1" = "soon"', "precision_codes", "must be one of"),
        ('date = "d"\nprecision = "day"\nprecision_column = "p"', "precision", "both given"),
        ('title = "t"', "date", "is required"),
        ("date = ", "", "is not valid TOML"),
    ],
)
def test_mapping_problems_name_the_file_and_the_key(text, key, words):
    mapping, problems = read_mapping(text, "harm.toml")
    assert len(problems) == 1
    problem = problems.iloc[0]
    assert problem["file"] == "harm.toml"
    assert problem["column"] == key
    assert words in problem["problem"]
    if key:
        assert key in problem["problem"]
    assert key not in mapping or key == "precision_column"


def test_a_column_the_data_lacks_is_reported():
    mapping, _ = read_mapping('date = "date"\ntitle = "Title"', "harm.toml")
    kept, problems = check_columns(mapping, ["date", "title"], "harm.toml", "harm.csv")
    assert "title" not in kept and kept["date"] == "date"
    problem = problems.iloc[0]
    assert (problem["file"], problem["column"]) == ("harm.toml", "title")
    assert "'Title'" in problem["problem"] and "harm.csv lacks" in problem["problem"]


def test_missing_date_column_loads_nothing_and_says_why():
    intake = read("when,title\n2022-01-01,a\n", 'date = "date"\ntitle = "title"')
    assert intake.events.empty and intake.rows_in == 1
    assert "'date'" in intake.problems["problem"].iloc[0]


def test_every_key_is_in_the_readme_section():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Mapping file\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README has no '## Mapping file' section"
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section[1], re.M))
    assert documented == set(KEYS)


# --- a civilian-harm-like table -----------------------------------------------------------


@pytest.fixture(scope="module")
def harm():
    return mapped.read(
        (DATA / "harm_monitor.csv").read_bytes(),
        file="harm_monitor.csv",
        options=options((DATA / "harm_monitor.toml").read_text(), "harm_monitor.toml"),
    )


def test_rows_in_equals_loaded_plus_reported(harm):
    dropped = harm.problems.loc[~harm.problems["kept"], "row"].nunique()
    assert harm.rows_in == 7
    assert harm.rows_in == len(harm.events) + dropped
    # The blank line is row 4: the rows after it keep their spreadsheet numbers.
    assert list(harm.events["row"]) == [2, 3, 5, 7, 9]


@pytest.mark.parametrize(
    "event_id, lo, hi, precision",
    [
        ("CIV0001", "2022-01-01", "2022-01-02", "day"),  # a bare date stays the local day
        ("CIV0002", "2022-03-05 14:30", "2022-03-05 14:30", "minute"),
        ("CIV0003", "2022-02-24", "2022-02-25", "day"),
        ("CIV0005", "3025-01-02", "3025-01-03", "day"),  # a typo year still loads
        ("CIV0007", "2022-04-08 09:05", "2022-04-08 09:05", "minute"),
    ],
)
def test_dates(harm, event_id, lo, hi, precision):
    event = harm.events.set_index("id").loc[event_id]
    assert (event["start_lo"], event["start_hi"]) == (T(lo), T(hi))
    assert pd.isna(event["end_lo"])
    assert event["time_precision"] == precision
    assert event["tz"] == "" and pd.isna(event["offset_min"])


def test_fields_and_extra(harm):
    event = harm.events.set_index("id").loc["CIV0001"]
    assert event["title"] == "Shelling hits apartment block"
    assert event["summary"] == "An apartment block was hit by shelling."
    assert event["category"] == "Residential"
    assert event["further_sources"] == "https://example.org/a; https://example.org/b"
    assert event["claim_status"] == "confirmed"
    assert extras.record(event) == {"weapon": "Artillery", "verified": "Yes"}
    assert harm.events.set_index("id").loc["CIV0002", "claim_status"] == "claimed"
    assert harm.events.set_index("id").loc["CIV0005", "claim_status"] == ""


@pytest.mark.parametrize(
    "event_id, name, country, lat, precision",
    [
        ("CIV0001", "Kharkiv", "UA", 49.9935, "town"),
        ("CIV0002", "Mykolaiv", "UA", 46.975, "site"),
        ("CIV0003", "Chuhuiv", "UA", None, "region"),  # by name, to be looked up
        ("CIV0007", "Kramatorsk", "", None, ""),  # bad lat, unknown country and code
    ],
)
def test_places(harm, event_id, name, country, lat, precision):
    place = harm.places.set_index("event_id").loc[event_id]
    assert (place["name"], place["country"], place["precision"]) == (name, country, precision)
    assert (pd.isna(place["lat"]) and lat is None) or place["lat"] == pytest.approx(lat)
    if precision:
        assert place["precision_source"].startswith("location_precision ")


def test_problems_on_their_rows(harm):
    problems = harm.problems.set_index(["row", "column"])
    assert not problems.loc[(6, "date"), "kept"]  # 2022-13-01
    assert not problems.loc[(8, "date"), "kept"]  # -13800000000
    for column in ("lat", "country", "location_precision"):
        assert problems.loc[(9, column), "kept"]
    assert problems.loc[(7, "status"), "kept"]  # "rumour"


def test_never_sniffed_but_read_with_a_mapping():
    data = (DATA / "harm_monitor.csv").read_bytes()
    fmt, why_not = detect(data, "harm.csv")
    assert fmt != "mapped" and all(not w.startswith("mapped") for w in why_not)
    intake = read_any(
        data, file="harm.csv", options=options((DATA / "harm_monitor.toml").read_text())
    )
    assert intake.format == "mapped" and len(intake.events) == 5


# --- formats, zones, precisions, ends ------------------------------------------------------


def test_iso_with_offset_and_a_fixed_zone():
    intake = read(
        "when,what\n2022-03-01T10:30+02:00,a\n2022-03,b\n0602-05-01,c\n",
        'date = "when"\ntitle = "what"\ntimezone = "Europe/Kyiv"',
    )
    events = intake.events.set_index("title")
    assert events.loc["a", "offset_min"] == 120 and events.loc["a", "start_lo"] == T(
        "2022-03-01 10:30"
    )
    assert events.loc["b", "time_precision"] == "month"
    assert events.loc["b", "start_hi"] == T("2022-04-01")
    assert events.loc["c", "start_lo"] == T("0602-05-01")
    assert (intake.events["tz"] == "Europe/Kyiv").all()


def test_precision_codes_end_dates_and_zone_column():
    text = (
        "start;end;prec;zone;t\n"
        "01/03/2022;03/03/2022;R;Europe/Kyiv;a\n"
        "01/03/2022;;W;Nowhere/Else;b\n"
        "01/03/2022;;Z;;c\n"
    )
    mapping = (
        'delimiter = ";"\ndate = "start"\ndate_format = "%d/%m/%Y"\nend_date = "end"\n'
        'title = "t"\nprecision_column = "prec"\ntimezone_column = "zone"\n'
        '[precision_codes]\nR = "range"\nW = "week"\n'
    )
    intake = read(text, mapping)
    events = intake.events.set_index("title")
    # An inclusive end day: some time from 1 March to the end of 3 March.
    assert events.loc["a", "time_precision"] == "range"
    assert events.loc["a", "start_hi"] == T("2022-03-04")
    assert events.loc["a", "time_precision_source"] == "prec R"
    assert events.loc["b", "start_hi"] == T("2022-03-08")
    assert events.loc["b", "tz"] == ""
    assert events.loc["c", "time_precision"] == "day"  # unknown code: read from the date
    problems = intake.problems.set_index(["row", "column"])
    assert problems.loc[(3, "zone"), "kept"] and problems.loc[(4, "prec"), "kept"]


def test_a_range_without_end_is_refused_on_its_row():
    intake = read("d,t\n2022-01-01,a\n", 'date = "d"\ntitle = "t"\nprecision = "range"')
    assert intake.events.empty and intake.rows_in == 1
    assert intake.problems["row"].iloc[0] == 2


def test_tsv_by_extension_and_title_fallback():
    intake = read("d\ts\n2022-01-01\tA long summary\n", 'date = "d"\nsummary = "s"', "t.tsv")
    assert intake.events.iloc[0]["title"] == "A long summary"
    assert intake.events.iloc[0]["id"] == "row-2"


def test_xlsx_first_sheet_or_the_named_one():
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Incidents")
    sheet.append(["entry", "date", "title", "lat", "lon", "country", "weapon"])
    sheet.append(["A1", "05/03/2022", "Text date", 50.45, 30.52, "UA", "Drone"])
    sheet.append(["A2", datetime(2022, 3, 6), "Real date cell", 49.99, 36.23, "Ukraine", None])
    sheet.append([None] * 7)
    sheet.append(["A3", datetime(2022, 3, 7, 21, 15), "Date and time cell", None, None, "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = (
        'sheet = "Incidents"\nid = "entry"\ndate = "date"\ndate_format = "%d/%m/%Y"\n'
        'title = "title"\nlat = "lat"\nlon = "lon"\ncountry = "country"\n'
    )
    intake = read(buffer.getvalue(), mapping, "incidents.xlsx")
    assert intake.problems.empty
    events = intake.events.set_index("id")
    assert list(events["row"]) == [2, 3, 5]
    assert events.loc["A1", "start_lo"] == T("2022-03-05")
    assert events.loc["A2", "start_lo"] == T("2022-03-06")
    assert events.loc["A2", "time_precision"] == "day"
    assert events.loc["A3", "start_lo"] == T("2022-03-07 21:15")
    assert extras.record(events.loc["A1"]) == {"weapon": "Drone"}
    assert list(intake.places["country"]) == ["UA", "UA"]
    # Without `sheet`, the first sheet is read: it has no date column.
    first = read(buffer.getvalue(), 'date = "date"', "incidents.xlsx")
    assert first.events.empty
    assert "lacks" in first.problems["problem"].iloc[0]


def test_end_to_end_utc_and_zone_from_coordinates():
    from timeline.ingest.files import open_table

    table = open_table(
        DATA / "harm_monitor.csv",
        options=options((DATA / "harm_monitor.toml").read_text(), "harm_monitor.toml"),
    )
    assert table.format == "mapped"
    assert table.rows_in == len(table.events) + table.rows_not_loaded == 7
    events = table.events.set_index("id")
    # A bare date is the local day in Kyiv (UTC+2 in winter), not a UTC midnight.
    assert events.loc["CIV0001", "earliest"] == pd.Timestamp("2021-12-31 22:00", tz="UTC")
    assert events.loc["CIV0002", "earliest"] == pd.Timestamp("2022-03-05 12:30", tz="UTC")
    assert (events["timezone"] == "Europe/Kyiv").all()
