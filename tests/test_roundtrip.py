"""Export the seed story and read it back: the same events, places, links, precisions, offsets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from timeline.export.tables import to_csv, to_geojson, to_json
from timeline.ingest.files import parse_events, read_events

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DATA = Path(__file__).resolve().parent / "data" / "formats"
EVENT_COLUMNS = [
    "id", "title", "summary", "start", "end", "earliest", "start_latest", "end_earliest",
    "latest", "start_offset_min", "time_precision", "time_precision_source", "time_note",
    "category", "actors", "reported_by", "claim_status", "quote", "source_file",
    "further_sources", "notes", "quote_verified",
]  # fmt: skip
PLACE_COLUMNS = ["event_id", "order", "name", "country", "lat", "lon", "geo_precision"]
#: What only our JSON and GeoJSON carry (a CSV place is its coordinates).
PLACE_PROVENANCE = ["region", "geo_precision_source", "source", "credit", "timezone", "note"]


@pytest.fixture(scope="module")
def seed():
    return read_events(SEEDS / "events.csv")


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize(
    ("write", "fmt", "provenance"),
    [(to_csv, "curated", False), (to_json, None, True), (to_geojson, None, True)],
)
def test_a_round_trip_gives_back_the_same_story(seed, write, fmt, provenance):
    again = parse_events(write(seed), fmt=fmt, base_dir=SEEDS)
    assert again.problems.empty, again.problems.to_string()
    pd.testing.assert_frame_equal(
        _sorted(seed.events, ["id"])[EVENT_COLUMNS], _sorted(again.events, ["id"])[EVENT_COLUMNS]
    )
    columns = PLACE_COLUMNS + (PLACE_PROVENANCE if provenance else ["timezone"])
    pd.testing.assert_frame_equal(
        _sorted(seed.places, ["event_id", "order"])[columns],
        _sorted(again.places, ["event_id", "order"])[columns],
    )
    pd.testing.assert_frame_equal(
        _sorted(seed.links, ["source_id", "relation", "target_id"]),
        _sorted(again.links, ["source_id", "relation", "target_id"]),
    )


def test_the_detected_formats_are_our_own(seed):
    assert parse_events(to_json(seed), fmt=None).format == "json"
    assert parse_events(to_geojson(seed), fmt=None).format == "timeline-geojson"
    assert parse_events(to_csv(seed), fmt=None).format == "curated"


def test_a_date_far_from_today_survives_a_round_trip():
    text = "title,start,time_precision,timezone\nA,0602-05-01,day,UTC\nB,9000-01-01T10:00Z,,\n"
    table = parse_events(text)
    assert table.problems.empty, table.problems.to_string()
    again = parse_events(to_json(table), fmt=None)
    pd.testing.assert_frame_equal(
        table.events[EVENT_COLUMNS].reset_index(drop=True),
        again.events[EVENT_COLUMNS].reset_index(drop=True),
    )


@pytest.mark.parametrize(
    ("write", "fmt"), [(to_csv, "curated"), (to_json, None), (to_geojson, None)]
)
def test_the_sources_own_fields_survive_a_round_trip(write, fmt):
    """ACLED's own columns (every one the model has no column for) come back as they were, in
    each of our formats: text with quotes, commas, '; ' lists, newlines and JSON-looking text."""
    acled = read_events(DATA / "acled_current.csv")
    extra = [c for c in acled.events.columns if c.startswith("extra.")]
    assert {"extra.sub_event_type", "extra.fatalities", "extra.source"} <= set(extra)
    events = acled.events.copy()
    events.loc[events.index[0], "extra.notes_of_mine"] = 'a "quote", a\nnewline; {"x": [1]}'
    table = replace(acled, events=events)
    again = parse_events(write(table), fmt=fmt)
    columns = ["id", *extra, "extra.notes_of_mine"]
    got = again.events.set_index("id").loc[events["id"]].reset_index()
    pd.testing.assert_frame_equal(
        events[columns].fillna("").reset_index(drop=True), got[columns].reset_index(drop=True)
    )
