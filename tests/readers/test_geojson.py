"""GeoJSON reader: points with time properties, and Linked Places `when` (written from the Linked
Places README v1.1 and its v1.2.2 sample, as summarised in ../shared/research/formats.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, detect, geojson
from timeline.model import extras

DATA = Path(__file__).parent.parent / "data" / "formats"
OPTIONS = ReadOptions()


def t(text: str) -> np.datetime64:
    return np.datetime64(text, "us")


def read(name: str):
    return geojson.read((DATA / name).read_bytes(), file=name, options=OPTIONS)


def dropped_rows(intake) -> int:
    return intake.problems.loc[~intake.problems["kept"], "row"].dropna().nunique()


def bounds(event: pd.Series) -> tuple:
    return tuple(event[c] for c in ("start_lo", "start_hi", "end_lo", "end_hi"))


def nat(value) -> bool:
    return pd.isna(value)


@pytest.fixture(scope="module")
def points():
    return read("geojson-points.geojson")


@pytest.fixture(scope="module")
def linked():
    return read("linkedplaces-events.geojson")


def test_points_times_row_by_row(points):
    e = points.events.set_index("row")
    assert list(e.index) == [1, 2, 3, 4, 5, 6, 7, 10, 11]
    # A bare date is the local day, no offset, no zone.
    assert bounds(e.loc[1])[:2] == (t("2022-03-01"), t("2022-03-02"))
    assert e.loc[1, "time_precision"] == "day" and nat(e.loc[1, "offset_min"])
    assert e.loc[1, "tz"] == ""
    # A time with an offset: the wall clock as written, and the offset.
    assert e.loc[2, "start_lo"] == t("2022-03-02T14:30") and e.loc[2, "offset_min"] == 120
    assert e.loc[2, "time_precision"] == "minute"
    # start and end dates: a span, each end the whole day.
    assert bounds(e.loc[3]) == (t("2022-03-03"), t("2022-03-04"), t("2022-03-05"),
                                t("2022-03-06"))  # fmt: skip
    assert e.loc[3, "time_precision"] == "span"
    assert e.loc[3, "time_precision_source"] == "GeoJSON start (day), end (day)"
    assert bounds(e.loc[4])[:2] == (t("2022-03-01"), t("2022-04-01"))
    assert e.loc[4, "time_precision"] == "month"
    # Unix time is UTC.
    assert e.loc[5, "start_lo"] == t("2022-03-01T15:00") and e.loc[5, "offset_min"] == 0
    # date + time of day are one local moment.
    assert e.loc[6, "start_lo"] == t("2022-03-04T09:15") and nat(e.loc[6, "offset_min"])
    assert e.loc[10, "start_lo"] == t("0602-05-01")
    assert e.loc[11, "start_lo"] == t("3025-01-01")


def test_points_fields_and_extra(points):
    e = points.events.set_index("row")
    first = e.loc[1]
    assert (first["id"], first["title"], first["summary"], first["category"]) == (
        "a1", "Strike on the market", "Three stalls burned.", "Shelling")  # fmt: skip
    assert extras.record(first) == {"fatalities": "3", "source_url": "https://example.org/1"}
    assert e.loc[2, "id"] == "feature-2" and e.loc[2, "title"] == "Sirens in Kyiv"
    assert e.loc[5, "title"] == "A Unix time"  # from a title-like property, event_title
    assert extras.record(e.loc[6]) == {}  # date and time both used


def test_points_places(points):
    p = points.places
    by_row = {row: g for row, g in p.groupby("row")}
    assert by_row[1][["lat", "lon", "precision"]].values.tolist() == [[49.9935, 36.2304, "site"]]
    # A MultiPoint: several places of one event, in order.
    assert by_row[3][["order", "lat", "lon"]].values.tolist() == [
        [1, 50.4501, 30.5234], [2, 49.9935, 36.2304]]  # fmt: skip
    # No geometry but a location name: looked up later, in its country.
    four = by_row[4].iloc[0]
    assert (four["name"], four["country"], four["precision"]) == ("Kharkiv", "UA", "town")
    assert np.isnan(four["lat"])
    assert 7 not in by_row  # a polygon is reported, not guessed


def test_points_problems_and_counts(points):
    got = points.problems[["row", "column", "kept"]].values.tolist()
    assert got == [[7, "geometry", True], [8, "date", False], [9, "properties", False],
                   [12, "date", False]]  # fmt: skip
    problems = points.problems.set_index("row")["problem"]
    assert problems[8].startswith("record 8:") and "year -602" in problems[8]
    assert "has no time" in problems[9]
    assert points.rows_in == 12 == len(points.events) + dropped_rows(points)
    assert points.story == {"title": "Points with time"}


def test_linked_places_when_maps_exactly_onto_the_bounds(linked):
    e = linked.events.set_index("row")
    call = e.loc[1]
    # Began at 14:00, ended some time between 15:30 and 16:30, in UTC ("Z").
    assert bounds(call) == (t("2025-03-18T14:00"), t("2025-03-18T14:00"),
                            t("2025-03-18T15:30"), t("2025-03-18T16:30"))  # fmt: skip
    assert call["offset_min"] == 0 and call["time_precision"] == "span"
    assert call["id"] == "https://example.org/events/call"
    assert call["time_note"] == "as the White House said; certainty: certain"
    assert "when" in extras.record(call)
    talks = e.loc[2]  # start earliest the 13th, latest the 14th (the whole day), no end
    assert bounds(talks)[:2] == (t("2025-03-13"), t("2025-03-15"))
    assert nat(talks["end_lo"]) and talks["time_precision"] == "range"
    abingdon = e.loc[3]  # when on the geometry, as the v1.2.2 sample puts it
    assert bounds(abingdon) == (t("1600-01-01"), t("1601-01-01"), t("1699-01-01"),
                                t("1700-01-01"))  # fmt: skip
    approx = e.loc[5]
    assert approx["time_precision"] == "year"
    assert "approximate" in approx["time_note"] and "first of 2 timespans" in approx["time_note"]


def test_linked_places_places_and_problems(linked):
    p = linked.places
    assert p.loc[p["row"] == 1, "country"].tolist() == ["US"]  # the single ccode
    assert p.loc[p["row"] == 3, ["lat", "lon"]].values.tolist() == [[51.6708, -1.2879],
                                                                   [51.64, -1.31]]  # fmt: skip
    bad = linked.problems.set_index("row")
    assert list(bad.index) == [4, 6] and not bad["kept"].any()
    assert "year -500" in bad.loc[4, "problem"] and bad.loc[4, "column"] == "when"
    assert "periods alone" in bad.loc[6, "problem"]
    assert linked.rows_in == 6 == len(linked.events) + dropped_rows(linked)


def test_bad_json_and_non_collections():
    intake = geojson.read(b"{", file="x.geojson", options=OPTIONS)
    assert len(intake.events) == 0 and "not valid JSON" in intake.problems["problem"][0]
    single = {"type": "Feature", "geometry": None, "properties": {"title": "x", "date": "2020"}}
    intake = geojson.read(json.dumps(single).encode(), file="x.geojson", options=OPTIONS)
    assert intake.events["time_precision"].tolist() == ["year"]


# --- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["geojson-points.geojson", "linkedplaces-events.geojson"])
def test_sniff_says_yes_to_its_own_samples(name):
    data = (DATA / name).read_bytes()
    assert geojson.sniff(data, name) is None
    assert detect(data, name)[0] == "geojson"


def test_sniff_leaves_the_tools_own_export_alone():
    data = (DATA / "geojson-own-export.geojson").read_bytes()
    reason = geojson.sniff(data, "own.geojson")
    assert reason and "timeline-map" in reason
    # A property named generator is not the top-level member.
    inner = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None,
         "properties": {"generator": "timeline-map", "date": "2020"}}]}  # fmt: skip
    assert geojson.sniff(json.dumps(inner).encode(), "x.geojson") is None


def other_samples() -> list[Path]:
    return [p for p in sorted(DATA.iterdir())
            if not p.name.startswith(("geojson", "linkedplaces"))
            and p.suffix in (".csv", ".json", ".geojson")]  # fmt: skip


@pytest.mark.parametrize("path", other_samples(), ids=lambda p: p.name)
def test_sniff_says_no_to_other_formats(path):
    assert geojson.sniff(path.read_bytes(), path.name)


# --- end to end: read, place, zone, UTC ---------------------------------------------------------


def test_end_to_end_points():
    from timeline.ingest.files import open_table

    table = open_table(DATA / "geojson-points.geojson")
    assert table.format == "geojson"
    assert table.rows_in == 12 == len(table.events) + table.rows_not_loaded
    e = table.events.set_index("id")
    # A bare date in Kharkiv (zone from the point, offline) is that local day in UTC.
    assert e.loc["a1", "timezone"] == "Europe/Kyiv"
    assert e.loc["a1", "earliest"] == pd.Timestamp("2022-02-28T22:00", tz="UTC")
    # A written offset wins: 14:30+02:00 is 12:30 UTC.
    assert e.loc["feature-2", "earliest"] == pd.Timestamp("2022-03-02T12:30", tz="UTC")


def test_end_to_end_linked_places_call():
    from timeline.ingest.files import open_table

    table = open_table(DATA / "linkedplaces-events.geojson")
    call = table.events.set_index("id").loc["https://example.org/events/call"]
    assert call["earliest"] == call["start_latest"] == pd.Timestamp("2025-03-18T14:00", tz="UTC")
    assert call["end_earliest"] == pd.Timestamp("2025-03-18T15:30", tz="UTC")
    assert call["latest"] == pd.Timestamp("2025-03-18T16:30", tz="UTC")
    assert table.rows_in == 6 == len(table.events) + table.rows_not_loaded
