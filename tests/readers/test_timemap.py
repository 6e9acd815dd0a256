"""TimeMap readers: the datasheet-server workbook, its Events sheet as CSV, Bellingcat's CSV
and JSON downloads. Samples written from ../shared/research/formats.md (TimeMap's eventSchema,
datasheet-server's deeprows, ukraine-timemap's DownloadButton); the workbook is built here."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, detect, timemap, timemap_csv, timemap_json
from timeline.ingest.readers._sheets import read_sheets
from timeline.model import extras

DATA = Path(__file__).parent.parent / "data" / "formats"
OPTIONS = ReadOptions()


def t(text: str) -> np.datetime64:
    return np.datetime64(text, "us")


def dropped_rows(intake) -> int:
    return intake.problems.loc[~intake.problems["kept"], "row"].dropna().nunique()


def by_id(intake) -> dict[str, pd.Series]:
    return {r["id"]: r for _, r in intake.events.iterrows()}


def workbook() -> bytes:
    """A small datasheet-server workbook: Events (with a date cell, a blank row, an event
    with no location, a site name), Sources, Associations, Categories, Sites, an EXPORT_."""
    book = openpyxl.Workbook()
    ev = book.active
    ev.title = "Events"
    ev.append(["id", "description", "date", "time", "location", "latitude", "longitude",
               "category", "association1", "association2", "source1", "source2",
               "type"])  # fmt: skip
    ev.append(["e1", "Shelling of the market. Stalls burned.", "03/14/2022", "14:30", "Market",
               "49.9935", "36.2304", "Attack", "story-a", "civilian", "s1", "s2",
               "Shelling"])  # fmt: skip
    ev.append(["e2", "A protest on the square", dt.datetime(2022, 3, 15), None, "Freedom Square",
               None, None, "Protest", "story-a", None, "s2", None, None])  # fmt: skip
    ev.append([])
    ev.append(["e3", "A statement with no place.", "03/13/2022", "09:05", None, None, None,
               "Statement", "story-a", None, None, None, None])  # fmt: skip
    ev.append(["e4", "Bad date.", "03/45/2022", None, None, None, None, "Attack"])
    ev.append(["e5", "Year 602.", "06/01/0602", None, None, None, None, "History"])
    src = book.create_sheet("Sources")
    src.append(["id", "title", "path1", "path2", "type", "url"])
    src.append(["s1", "Resident's video", "media/s1.mp4", None, "Video", "https://example.org/s1"])
    src.append(["s2", None, "media/s2.jpg", "media/s2b.jpg", "Photo", None])
    assoc = book.create_sheet("Associations")
    assoc.append(["id", "title", "desc", "mode", "filter_path1", "filter_path2"])
    assoc.append(["story-a", "The market story", "", "NARRATIVE", None, None])
    assoc.append(["civilian", "Civilian harm", "", "FILTER", "Harm", "Civilian"])
    cats = book.create_sheet("Categories")
    cats.append(["category", "description", "group", "colour"])
    cats.append(["Attack", "Attacks", "g", "#D55E00"])
    cats.append(["Protest", "Protests", "g", "red"])
    sites = book.create_sheet("Sites")
    sites.append(["id", "description", "site", "latitude", "longitude", "enabled"])
    sites.append(["site-1", "The square", "Freedom Square", "50.0045", "36.2311", "TRUE"])
    export = book.create_sheet("EXPORT_EVENTS")
    export.append(["id", "description", "date"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def xlsx() -> bytes:
    return workbook()


def test_the_example_workbooks_sites_headed_location_lat_long_place_its_events():
    """datasheet-server's example workbook heads its Sites sheet `Location`, `Lat`, `Long`;
    events that name a site and carry no coordinates are placed from it."""
    book = openpyxl.Workbook()
    ev = book.active
    ev.title = "Events"
    ev.append(["id", "description", "date", "time", "location", "latitude", "longitude"])
    ev.append(["e1", "Tear gas at the gate", "08/30/2014", "13:00", "Main gate", None, None])
    ev.append(["e2", "A march", "08/31/2014", None, "Town Hall", "", ""])
    ev.append(["e3", "Nowhere known", "08/31/2014", None, "Unlisted", None, None])
    sites = book.create_sheet("Sites")
    sites.append(["id", "Location", "Lat", "Long", "Description"])
    sites.append(["1", "Main gate", "19.3258", "-99.1870", ""])
    sites.append(["2", "Town Hall", "19,3300", "-99,1900", "decimal commas"])
    sites.append(["3", "Broken", "north", "-99.1", ""])
    out = io.BytesIO()
    book.save(out)
    intake = timemap.read(out.getvalue(), file="example.xlsx", options=OPTIONS)
    places = intake.places.set_index("event_id")
    assert places.loc["e1", ["name", "lat", "lon"]].tolist() == ["Main gate", 19.3258, -99.187]
    assert places.loc["e2", ["lat", "lon"]].tolist() == [19.33, -99.19]
    assert "Sites sheet" in places.loc["e1", "precision_source"]
    bad = intake.problems[intake.problems["problem"].str.contains("Broken")]
    assert bad["column"].tolist() == ["lat"] and bad["row"].tolist() == [4]


# --- _sheets ---------------------------------------------------------------------------------


def test_sheets_give_text_cells_indexed_by_spreadsheet_row(xlsx):
    sheets, problems = read_sheets(xlsx, "w.xlsx")
    assert not problems
    assert list(sheets) == ["Events", "Sources", "Associations", "Categories", "Sites",
                            "EXPORT_EVENTS"]  # fmt: skip
    events = sheets["Events"]
    # The blank row 4 is dropped but numbered: e3 stays row 5.
    assert list(events.index) == [2, 3, 5, 6, 7]
    assert events.loc[3, "date"] == "2022-03-15"  # a date cell as ISO text, not a serial
    assert events.loc[3, "time"] == ""
    assert events.loc[2, "latitude"] == "49.9935"
    assert all(str(d) == "str" for d in events.dtypes)
    assert len(sheets["EXPORT_EVENTS"]) == 0


@pytest.mark.parametrize(
    ("data", "why"),
    [(b"id,date\n1,2\n", "not an .xlsx workbook"), (b"PK\x03\x04broken", "not a readable")],
)
def test_sheets_refuse_what_is_not_a_workbook(data, why):
    sheets, problems = read_sheets(data, "x.xlsx")
    assert sheets == {}
    assert why in problems[0]["problem"].iloc[0]


# --- the workbook ----------------------------------------------------------------------------


def test_workbook_events_row_by_row(xlsx):
    intake = timemap.read(xlsx, file="w.xlsx", options=OPTIONS)
    events = by_id(intake)
    assert intake.format == "timemap-xlsx"
    assert list(intake.events["id"]) == ["e1", "e2", "e3", "e5"]
    assert list(intake.events["row"]) == [2, 3, 5, 7]
    e1 = events["e1"]
    assert e1["title"] == "Shelling of the market."
    assert e1["summary"] == "Shelling of the market. Stalls burned."
    assert (e1["start_lo"], e1["start_hi"]) == (t("2022-03-14T14:30"), t("2022-03-14T14:30"))
    assert e1["time_precision"] == "minute"
    assert pd.isna(e1["end_lo"]) and pd.isna(e1["offset_min"]) and e1["tz"] == ""
    assert e1["category"] == "Attack"
    # Sources joined by id: title and url, or the first path when there is no url or title.
    assert e1["further_sources"] == "Resident's video (https://example.org/s1); media/s2.jpg"
    extra = extras.record(e1)
    assert extra == {"associations": '["story-a", "civilian"]', "type": "Shelling",
                     "sources": '["s1", "s2"]'}  # fmt: skip
    # A date cell with no time: the day, not midnight to the minute.
    e2 = events["e2"]
    assert (e2["start_lo"], e2["start_hi"]) == (t("2022-03-15"), t("2022-03-16"))
    assert e2["time_precision"] == "day"
    assert e2["time_precision_source"] == "TimeMap Events date only"
    e5 = events["e5"]
    assert (e5["start_lo"], e5["start_hi"]) == (t("0602-06-01"), t("0602-06-02"))


def test_workbook_places_use_coordinates_then_the_sites_gazetteer(xlsx):
    intake = timemap.read(xlsx, file="w.xlsx", options=OPTIONS)
    places = intake.places.set_index("event_id")
    assert list(places.index) == ["e1", "e2"]  # e3 has no location: timeline only
    assert places.loc["e1", ["name", "lat", "lon", "precision"]].tolist() == [
        "Market", 49.9935, 36.2304, "site"]  # fmt: skip
    assert places.loc["e2", ["lat", "lon", "precision"]].tolist() == [50.0045, 36.2311, "site"]
    assert "Sites sheet" in places.loc["e2", "precision_source"]
    assert "e3" in set(intake.events["id"])


def test_workbook_story_narratives_and_categories(xlsx):
    intake = timemap.read(xlsx, file="w.xlsx", options=OPTIONS)
    # Narrative steps in time order (e3 on the 13th comes first), filters are not narratives.
    assert intake.story["narratives"] == [
        {"id": "story-a", "title": "The market story", "events": ["e3", "e1", "e2"]}
    ]
    assert intake.story["categories"] == {
        "Attack": {"label": "Attack", "order": 1, "colour": "#D55E00"},
        "Protest": {"label": "Protest", "order": 2},  # "red" is no #rrggbb colour
    }


def test_workbook_bad_date_reported_on_its_row_and_the_rest_load(xlsx):
    intake = timemap.read(xlsx, file="w.xlsx", options=OPTIONS)
    bad = intake.problems[~intake.problems["kept"]]
    assert bad[["row", "column", "value"]].values.tolist() == [[6, "date", "03/45/2022"]]
    assert "(sheet Events)" in bad["problem"].iloc[0]
    assert intake.rows_in == 5 == len(intake.events) + dropped_rows(intake)


def test_workbook_without_events_sheet_says_so():
    book = openpyxl.Workbook()
    book.active.title = "Data"
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert "has no sheet Events" in timemap.sniff(data, "x.xlsx")
    intake = timemap.read(data, file="x.xlsx", options=OPTIONS)
    assert len(intake.events) == 0 and "has no sheet Events" in intake.problems["problem"][0]


# --- the Events sheet as CSV ------------------------------------------------------------------


def test_events_csv_row_by_row():
    data = (DATA / "timemap-events.csv").read_bytes()
    intake = timemap_csv.read(data, file="timemap-events.csv", options=OPTIONS)
    events = by_id(intake)
    assert list(intake.events["row"]) == [2, 3, 5, 7, 8, 9, 10, 12]
    statement = events["ev-statement"]  # M/D/YYYY too, and the unused time_precision kept
    assert statement["start_lo"] == t("2022-03-16T09:05")
    assert statement["time_precision"] == "minute"
    assert statement["time_precision_source"] == (
        "TimeMap CSV date and time; time_precision 'approximate'")  # fmt: skip
    assert statement["notes"] == "Filed from a video"
    assert extras.record(statement)["time_precision"] == "approximate"
    # Without a Sources sheet the source ids stay as written.
    assert events["ev-market"]["further_sources"] == "src-1; src-2"
    assert events["ev-3025"]["start_lo"] == t("3025-01-02")
    assert events["ev-602"]["start_hi"] == t("0602-06-02")
    # A bad time keeps the day, and says so.
    assert events["ev-badtime"]["time_precision"] == "day"
    places = intake.places.set_index("event_id")
    assert places.loc["ev-comma", ["lat", "lon"]].tolist() == [50.45, 30.52]
    assert places.loc["ev-square", "precision"] == "town"
    assert np.isnan(places.loc["ev-square", "lat"])
    assert np.isnan(places.loc["ev-lat", "lat"])  # one coordinate only: looked up by name


def test_events_csv_problems_and_counts():
    data = (DATA / "timemap-events.csv").read_bytes()
    intake = timemap_csv.read(data, file="timemap-events.csv", options=OPTIONS)
    got = intake.problems[["row", "column", "value", "kept"]].values.tolist()
    assert got == [
        [6, "date", "13/45/2022", False],
        [7, "time", "25:99", True],
        [11, "date", "01/01/-602", False],
        [12, "longitude", "", True],
        [13, "date", "", False],
    ]
    assert "year -602" in intake.problems["problem"][2]
    assert intake.rows_in == 11 == len(intake.events) + dropped_rows(intake)


# --- Bellingcat's downloads ---------------------------------------------------------------------


def test_bellingcat_csv():
    data = (DATA / "timemap-bellingcat.csv").read_bytes()
    intake = timemap_csv.read(data, file="b.csv", options=OPTIONS)
    events = by_id(intake)
    first = events["CIV0001"]
    assert (first["start_lo"], first["start_hi"]) == (t("2022-02-24"), t("2022-02-25"))
    assert first["time_precision_source"] == "Bellingcat TimeMap CSV date only"
    assert first["further_sources"] == "https://example.org/a.mp4; https://example.org/b.jpg"
    assert json.loads(extras.record(first)["associations"]) == [
        "Type of area affected=Residential", "Weapon system=Missile"]  # fmt: skip
    assert intake.places["event_id"].tolist() == ["CIV0001", "CIV0002"]
    assert intake.places["lat"].tolist() == [50.4501, 49.9935]
    assert intake.rows_in == 3 == len(intake.events)


def test_bellingcat_json():
    data = (DATA / "timemap-bellingcat.json").read_bytes()
    intake = timemap_json.read(data, file="b.json", options=OPTIONS)
    events = by_id(intake)
    first = events["CIV0001"]
    assert first["row"] == 1
    assert first["start_lo"] == t("2022-02-24") and first["time_precision"] == "day"
    assert first["further_sources"] == (
        "Video from a resident (https://example.org/a.mp4); https://example.org/b.jpg")  # fmt: skip
    extra = extras.record(first)
    assert json.loads(extra["filters"])[1] == {"key": "Weapon system", "value": "Missile"}
    assert json.loads(extra["sources"])[0]["id"] == "SRC1"
    assert intake.places.set_index("event_id").loc["CIV0002", "lon"] == 36.2304
    got = intake.problems[["row", "kept"]].values.tolist()
    assert got == [[4, False], [5, False]]
    assert intake.problems["problem"].str.startswith("record ").all()
    assert intake.rows_in == 5 == len(intake.events) + dropped_rows(intake)


def test_bad_json_is_one_problem():
    intake = timemap_json.read(b'[{"id": 1,', file="b.json", options=OPTIONS)
    assert len(intake.events) == 0 and "not valid JSON" in intake.problems["problem"][0]


# --- sniffing ---------------------------------------------------------------------------------


def test_sniff_says_yes_to_its_own_samples(xlsx):
    assert timemap.sniff(xlsx, "w.xlsx") is None
    for name in ("timemap-events.csv", "timemap-bellingcat.csv"):
        assert timemap_csv.sniff((DATA / name).read_bytes(), name) is None
    assert timemap_json.sniff((DATA / "timemap-bellingcat.json").read_bytes(), "b.json") is None
    assert detect(xlsx, "w.xlsx")[0] == "timemap-xlsx"
    assert detect((DATA / "timemap-bellingcat.json").read_bytes(), "b.json")[0] == "timemap-json"


def other_samples() -> list[Path]:
    return [p for p in sorted(DATA.iterdir()) if not p.name.startswith("timemap")
            and p.suffix in (".csv", ".json", ".geojson")]  # fmt: skip


@pytest.mark.parametrize("path", other_samples(), ids=lambda p: p.name)
def test_sniff_says_no_to_other_formats(path):
    data = path.read_bytes()
    for module in (timemap, timemap_csv, timemap_json):
        reason = module.sniff(data, path.name)
        assert reason, f"{module.NAME} claims {path.name}"


def test_sniff_reasons_name_what_is_missing(xlsx):
    assert timemap_csv.sniff(b"id,title,start\n", "x.csv") == "has no column description"
    assert timemap_csv.sniff(xlsx, "w.xlsx") == "is not UTF-8 text"
    assert timemap_json.sniff(b'{"events": []}', "x.json") == "is not a JSON list"
    assert timemap.sniff(b"id,date\n", "x.csv") == "is not an .xlsx workbook"


# --- end to end: read, place, zone, UTC ---------------------------------------------------------


def test_end_to_end_workbook(tmp_path, xlsx):
    from timeline.ingest.files import open_table

    path = tmp_path / "timemap.xlsx"
    path.write_bytes(xlsx)
    table = open_table(path)
    assert table.format == "timemap-xlsx"
    assert table.rows_in == 5 == len(table.events) + table.rows_not_loaded
    e1 = table.events.set_index("id").loc["e1"]
    # 14:30 local in Kharkiv (from the coordinates, offline) is 12:30 UTC in March 2022.
    assert e1["timezone"] == "Europe/Kyiv"
    assert e1["earliest"] == pd.Timestamp("2022-03-14T12:30", tz="UTC")
    e2 = table.events.set_index("id").loc["e2"]  # the Sites point gives the zone of the day
    assert e2["earliest"] == pd.Timestamp("2022-03-14T22:00", tz="UTC")
    assert e2["latest"] == pd.Timestamp("2022-03-15T22:00", tz="UTC")


def test_end_to_end_bellingcat_json():
    from timeline.ingest.files import open_table

    table = open_table(DATA / "timemap-bellingcat.json")
    assert table.format == "timemap-json"
    assert table.rows_in == 5 == len(table.events) + table.rows_not_loaded
    first = table.events.set_index("id").loc["CIV0001"]
    assert first["earliest"] == pd.Timestamp("2022-02-23T22:00", tz="UTC")
