"""TimelineJS readers: JSON (TimelineJS 3, the wrapped and the TimelineJS 2 shapes) and the CSV
template. Real samples: Knight Lab's eras.json (an excerpt) and my-own-timeline.csv; edge cases
written from ../shared/research/formats.md."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, detect, timelinejs, timelinejs_csv
from timeline.model import extras

DATA = Path(__file__).parent.parent / "data" / "formats"
OPTIONS = ReadOptions()


def t(text: str) -> np.datetime64:
    return np.datetime64(text, "us")


def read(module, name: str):
    return module.read((DATA / name).read_bytes(), file=name, options=OPTIONS)


def dropped_rows(intake) -> int:
    return intake.problems.loc[~intake.problems["kept"], "row"].dropna().nunique()


def bounds(event: pd.Series) -> tuple:
    return tuple(event[c] for c in ("start_lo", "start_hi", "end_lo", "end_hi"))


@pytest.fixture(scope="module")
def edges():
    return read(timelinejs, "timelinejs-edges.json")


def test_precision_follows_the_fields_given(edges):
    events = edges.events.set_index("id")
    nat = pd.NaT
    assert bounds(events.loc["slide-2"])[:2] == (t("1969-01-01"), t("1970-01-01"))
    assert events.loc["slide-2", "time_precision"] == "year"
    assert bounds(events.loc["slide-3"])[:2] == (t("2025-03-01"), t("2025-04-01"))
    assert events.loc["slide-3", "time_precision"] == "month"
    assert bounds(events.loc["hour"])[:2] == (t("2025-03-19T06:00"), t("2025-03-19T07:00"))
    assert events.loc["hour", "time_precision"] == "hour"
    assert events.loc["typo", "time_precision"] == "day"
    assert events.loc["typo", "start_lo"] == t("3025-03-18")  # years to 9999 load
    second = events.loc["seconds"]
    assert second["start_lo"] == second["start_hi"] == t("2025-03-18T14:05:30.250")
    assert second["time_precision"] == "minute"
    assert pd.isna(second["end_lo"]) and second["end_hi"] is nat or pd.isna(second["end_hi"])


def test_a_slide_with_an_end_is_a_span_each_end_to_its_own_precision(edges):
    call = edges.events.set_index("id").loc["call"]
    assert bounds(call) == (
        t("2025-03-18T14:00"),
        t("2025-03-18T14:00"),
        t("2025-03-18T16:00"),
        t("2025-03-18T17:00"),
    )
    assert call["time_precision"] == "span"
    assert call["time_precision_source"] == (
        "TimelineJS start_date year+month+day+hour+minute, end_date year+month+day+hour"
    )
    assert pd.isna(call["offset_min"]) and call["tz"] == ""


def test_text_is_plain_and_the_html_is_kept(edges):
    call = edges.events.set_index("id").loc["call"]
    assert call["title"] == "Trump & Putin talk"
    assert call["summary"] == "The call began at 14:00.\nIt ended “after 15:30”."
    assert call["category"] == "Diplomacy"
    extra = extras.record(call)
    assert extra["text.text"].startswith("<p>The call began")
    assert extra["text.headline"] == "Trump &amp; Putin <b>talk</b>"
    assert json.loads(extra["media"])["credit"] == "Press office"
    assert json.loads(extra["background"]) == {"color": "#123456"}
    assert extra["group"] == "Diplomacy"
    # Plain text is not repeated in extra.
    assert extras.record(edges.events.set_index("id").loc["slide-2"]) == {}


def test_ids_titles_notes_and_places(edges):
    events = edges.events.set_index("row")
    # unique_id when given and not empty, else the record number.
    assert events["id"].to_dict() == {1: "call", 2: "slide-2", 3: "slide-3", 4: "hour",
                                      7: "typo", 10: "seconds"}  # fmt: skip
    assert events.loc[3, "time_note"] == "March 2025"
    places = edges.places.set_index("event_id")
    assert places.loc["call", ["name", "lat", "lon", "precision"]].tolist() == [
        "Moscow", 55.7558, 37.6173, "site"]  # fmt: skip
    assert places.loc["slide-3", "name"] == "Helsinki"
    assert np.isnan(places.loc["slide-3", "lat"]) and places.loc["slide-3", "precision"] == "town"


def test_years_the_model_cannot_hold_are_reported_and_the_rest_load(edges):
    bad = edges.problems[~edges.problems["kept"]].set_index("row")
    assert sorted(bad.index) == [5, 6, 8, 9]
    assert "year -13,800,000,000" in bad.loc[5, "problem"]
    assert bad.loc[5, "problem"].startswith("record 5: start_date")
    assert "year -602" in bad.loc[6, "problem"]
    assert "month must be in 1..12" in bad.loc[8, "problem"]
    assert edges.rows_in == 10 == len(edges.events) + dropped_rows(edges)


def test_title_and_eras_become_the_story(edges):
    assert edges.story["title"] == "The call & after"
    assert edges.story["bands"] == [
        {"label": "30-day pause", "start": "2025-03-18T00:00", "end": "2025-04-17T00:00"}
    ]
    era = edges.problems[edges.problems["column"] == "eras[2]"]
    assert era["kept"].tolist() == [True] and "year -500" in era["problem"].iloc[0]


def test_knight_lab_eras_example():
    intake = read(timelinejs, "timelinejs-eras.json")
    events = intake.events
    assert events["title"].tolist()[:2] == [
        "Last great Roman-Persian War.", "Muhammad Migrates from Mecca to Medina"]  # fmt: skip
    war = events.iloc[0]
    assert bounds(war) == (t("0602-01-01"), t("0603-01-01"), t("0629-01-01"), t("0630-01-01"))
    hijra = events.iloc[1]
    assert bounds(hijra) == (t("0622-08-09"), t("0622-08-10"), t("0622-08-23"), t("0622-08-24"))
    assert [b["label"] for b in intake.story["bands"]] == [
        "Era Test 650-700", "Era Test 600-650", "Era Test 700-720"]  # fmt: skip
    assert intake.story["bands"][1]["start"] == "0600-01-01T00:00"
    assert json.loads(extras.record(war)["background"])["opacity"] == "50"  # kept as JSON text
    assert intake.rows_in == 5 and intake.problems.empty


def test_old_wrapped_shape():
    intake = read(timelinejs, "timelinejs-old.json")
    first, second = intake.events.iloc[0], intake.events.iloc[1]
    assert bounds(first) == (t("2011-12-10"), t("2011-12-11"), t("2011-12-11"), t("2011-12-12"))
    assert first["category"] == "Protest"
    assert first["summary"] == "From the 10th to the 11th."
    assert second["start_lo"] == t("2012-01-05T14:30") and second["time_precision"] == "minute"
    assert intake.story == {
        "title": "An older TimelineJS file",
        "bands": [{"label": "Winter", "start": "2011-12-01T00:00", "end": "2012-01-31T00:00"}],
    }
    assert intake.problems["row"].tolist() == [3]
    assert intake.rows_in == 3 == len(intake.events) + dropped_rows(intake)


def test_wrapped_slides_shape():
    doc = {"timeline": {"slides": [{"start_date": {"year": 2020, "month": 5},
                                    "text": {"headline": "May"}}]}}  # fmt: skip
    intake = timelinejs.read(json.dumps(doc).encode(), file="w.json", options=OPTIONS)
    assert intake.events["title"].tolist() == ["May"]
    assert intake.events["time_precision"].tolist() == ["month"]
    assert timelinejs.sniff(json.dumps(doc).encode(), "w.json") is None


# --- the CSV template ----------------------------------------------------------------------------


def test_csv_template_row_by_row():
    intake = read(timelinejs_csv, "timelinejs-template.csv")
    events = intake.events.set_index("row")
    assert intake.story == {"title": "MY OWN CSV"}
    assert list(events.index) == list(range(3, 13))  # row 2 is the title slide
    ada = events.loc[3]
    assert ada["id"] == "row-3" and ada["title"] == "Ada Lovelace"
    assert bounds(ada) == (t("1815-12-10"), t("1815-12-11"), t("1852-11-27"), t("1852-11-28"))
    assert ada["time_precision"] == "span"
    assert ada["summary"].startswith("Women have been programming")
    assert "<a href" not in ada["summary"]
    extra = extras.record(ada)
    assert extra["Text"].startswith("<p>Women")
    assert extra["Media Credit"] == "Wikimedia Commons"
    eniac = events.loc[5]  # 1943-07 to 1946
    assert bounds(eniac) == (t("1943-07-01"), t("1943-08-01"), t("1946-01-01"), t("1947-01-01"))
    assert events.loc[7, "time_precision"] == "year"
    assert events.loc[7, "title"] == "Rózsa Péter writes recursion"
    assert intake.rows_in == 10 and intake.problems.empty


def test_csv_times_eras_and_bad_rows():
    header = ",".join(timelinejs_csv.COLUMNS)
    rows = [
        "2025,3,18,14:30,,,,,,Call,<p>x</p>,,,,,,Diplomacy,",
        "2025,3,18,2 PM,,,,,,Afternoon,,,,,,,,",
        "2025,3,11,,2025,4,10,,,The pause,,,,,,era,,",
        "-602,,,,,,,,,Too old,,,,,,,,",
        "2025,3,18,25:00,,,,,,Bad time,,,,,,,,",
    ]
    data = (header + "\n" + "\n".join(rows) + "\n").encode()
    intake = timelinejs_csv.read(data, file="t.csv", options=OPTIONS)
    events = intake.events.set_index("row")
    assert events.loc[2, "start_lo"] == t("2025-03-18T14:30")
    assert events.loc[2, "time_precision"] == "minute" and events.loc[2, "category"] == "Diplomacy"
    assert bounds(events.loc[3])[:2] == (t("2025-03-18T14:00"), t("2025-03-18T15:00"))
    assert events.loc[3, "time_precision"] == "hour"
    assert intake.story["bands"] == [
        {"label": "The pause", "start": "2025-03-11T00:00", "end": "2025-04-10T00:00"}]  # fmt: skip
    bad = intake.problems.set_index("row")
    assert bad.loc[5, "column"] == "Year" and "year -602" in bad.loc[5, "problem"]
    assert bad.loc[6, "column"] == "Time" and bad.loc[6, "value"] == "25:00"
    # Rows in are slides, not the era: 2 loaded + 2 reported.
    assert intake.rows_in == 4 == len(intake.events) + dropped_rows(intake)


# --- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["timelinejs-edges.json", "timelinejs-eras.json", "timelinejs-old.json"]
)
def test_sniff_json_own_samples(name):
    data = (DATA / name).read_bytes()
    assert timelinejs.sniff(data, name) is None
    assert detect(data, name)[0] == "timelinejs"


def test_sniff_csv_own_sample():
    data = (DATA / "timelinejs-template.csv").read_bytes()
    assert timelinejs_csv.sniff(data, "t.csv") is None
    assert detect(data, "t.csv")[0] == "timelinejs-csv"


def other_samples() -> list[Path]:
    return [p for p in sorted(DATA.iterdir()) if not p.name.startswith("timelinejs")
            and p.suffix in (".csv", ".json", ".geojson")]  # fmt: skip


@pytest.mark.parametrize("path", other_samples(), ids=lambda p: p.name)
def test_sniff_says_no_to_other_formats(path):
    data = path.read_bytes()
    assert timelinejs.sniff(data, path.name)
    assert timelinejs_csv.sniff(data, path.name)


def test_sniff_reasons():
    assert timelinejs.sniff(b"[1]", "x.json") == "is not a JSON object"
    assert timelinejs_csv.sniff(b"id,title\n", "x.csv") == (
        "has no column Year, Headline, Text, Display Date")  # fmt: skip


# --- end to end: read, place, zone, UTC ---------------------------------------------------------


def test_end_to_end_edges():
    from timeline.ingest.files import open_table

    table = open_table(DATA / "timelinejs-edges.json")
    assert table.format == "timelinejs"
    assert table.rows_in == 10 == len(table.events) + table.rows_not_loaded
    call = table.events.set_index("id").loc["call"]
    # Moscow's coordinates give its zone (UTC+3): 14:00 local is 11:00 UTC; the end hour 16:xx.
    assert call["timezone"] == "Europe/Moscow"
    assert call["earliest"] == pd.Timestamp("2025-03-18T11:00", tz="UTC")
    assert call["end_earliest"] == pd.Timestamp("2025-03-18T13:00", tz="UTC")
    assert call["latest"] == pd.Timestamp("2025-03-18T14:00", tz="UTC")


def test_end_to_end_template_with_a_zone_for_the_file():
    from timeline.ingest.files import open_table
    from timeline.ingest.readers import ReadOptions

    table = open_table(DATA / "timelinejs-template.csv", options=ReadOptions(tz="America/New_York"))
    assert table.rows_in == 10 == len(table.events)
    ada = table.events.set_index("id").loc["row-3"]
    # --tz for the whole file: the day stays 10 December in New York (its local mean time).
    local = ada["earliest"].tz_convert("America/New_York")
    assert (local.year, local.month, local.day, local.hour, local.minute) == (1815, 12, 10, 0, 0)
    assert ada["timezone"] == "America/New_York"
