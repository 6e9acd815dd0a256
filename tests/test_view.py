"""The view's pure parts: crowded spots, the overlay's data, the count line, the problems as
read at sidebar width, the map figure that a click leaves alone, ticks that suit the window."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from timeline.ingest.files import read_events
from timeline.views.figures import date_ticks, fit_view, map_figure, timeline_figure
from timeline.views.layout import count_line, problems_view
from timeline.views.overlay import overlay_html, overlay_spec
from timeline.views.spots import events_at_spot, spot_labels

T = pd.Timestamp
UKRAINE_CLUSTER = {
    "sumy-hospital", "sudzha-retaken", "sloviansk-power", "kavkazskaya-depot", "drones-after-call",
}  # fmt: skip


@pytest.fixture(scope="module")
def seed():
    return read_events("seeds/events.csv")


def places(rows):
    return pd.DataFrame(rows, columns=["event_id", "name", "lat", "lon", "order"])


def test_markers_chained_within_a_marker_width_share_a_spot():
    p = places([
        ("a", "A", 50.0, 30.0, 0), ("b", "B", 50.1, 30.1, 0), ("c", "C", 50.2, 30.2, 0),
        ("far", "F", 10.0, -60.0, 0),
    ])  # fmt: skip
    labels = spot_labels(p, zoom=3)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    assert events_at_spot(p, "a", zoom=3) == ["b", "c"]
    assert events_at_spot(p, "far", zoom=3) == []
    # Zoomed in far enough, the three stand apart.
    assert events_at_spot(p, "a", zoom=12) == []
    assert events_at_spot(p, None, zoom=3) == [] and events_at_spot(p, "nope", zoom=3) == []


def test_every_event_of_the_ukraine_cluster_lists_the_others_at_the_whole_story_zoom(seed):
    placed = seed.places
    _, zoom = fit_view(placed, width=400, height=400)
    for event_id in UKRAINE_CLUSTER:
        near = set(events_at_spot(placed, event_id, zoom))
        assert UKRAINE_CLUSTER - {event_id} <= near, (event_id, near)


def test_a_window_with_nothing_placed_still_draws_a_map(seed):
    fig = map_figure(seed.events.iloc[:0], seed.places.iloc[:0])
    assert fig.data and all(t.type == "scattermap" for t in fig.data)
    assert fig.layout.map.style == "white-bg"


def test_fit_view_holds_every_point_on_the_given_map_size(seed):
    wide, zoom_wide = fit_view(seed.places, width=820, height=560)
    _, zoom_phone = fit_view(seed.places, width=358, height=560)
    assert zoom_phone < zoom_wide
    assert seed.places["lon"].min() < wide["lon"] < seed.places["lon"].max()


@pytest.mark.parametrize(
    ("span", "dtick", "fmt"),
    [
        (pd.Timedelta(hours=16), 2 * 3_600_000, "%H:%M<br>%d %b"),
        (pd.Timedelta(days=15), 48 * 3_600_000, "%d %b"),
        (pd.Timedelta(days=5), 12 * 3_600_000, "%H:%M<br>%d %b"),
    ],
)
def test_ticks_suit_the_window(span, dtick, fmt):
    ticks = date_ticks(span)
    assert ticks["dtick"] == dtick and ticks["tickformat"] == fmt
    assert date_ticks(pd.Timedelta(days=400)) == {}


def test_timeline_titles_are_written_when_few(seed):
    night = (T("2025-03-18T14:00Z"), T("2025-03-19T06:00Z"))
    bounds = (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))
    fig = timeline_figure(seed.events, night, bounds)
    points = next(t for t in fig.data if t.name == "events")
    assert points.mode == "markers+text"
    assert any(t.startswith("Russian drone hits") for t in points.text)


def test_overlay_spec_rings_the_selection_numbers_story_stops_and_escapes_data():
    p = places([("a", "<b>A</b>", 50.0, 30.0, 0), ("b", "B", 40.0, 20.0, 0)])
    spec = overlay_spec(p, fit_key="k", selected="a", linked=("b",), story=("b", "a"))
    assert spec["ring"] == [[30.0, 50.0]]
    assert spec["selected"] == "a" and spec["linked"] == ["b"]
    assert [s["n"] for s in spec["stops"]] == [1, 2] and spec["stops"][0]["lon"] == 20.0
    assert spec["bounds"] == [[20.0, 40.0], [30.0, 50.0]]
    html = overlay_html(spec)
    assert "<b>" not in html and "\\u003cb>A\\u003c/b>" in html
    assert "http" not in html.replace("app/static", "")  # nothing fetched from outside
    json.dumps(spec)  # plain data


def test_count_line_says_what_is_hidden_and_not_loaded():
    line = count_line(in_window=12, total=16, on_map=9, not_loaded=3, hidden=4)
    assert line.startswith("**12 of 16 events** in the window")
    assert "**3** rows not loaded" in line and "**4** hidden by the filters" in line
    assert "not loaded" not in count_line(in_window=1, total=1, on_map=1)


def test_problems_read_row_column_and_problem_first_with_the_file_name_only():
    problems = pd.DataFrame({
        "file": ["/very/long/path/to/events.csv"], "row": [3], "column": ["start"],
        "value": ["x"], "problem": ["is not a time"], "kept": [False],
    })  # fmt: skip
    view = problems_view(problems)
    assert list(view.columns[:3]) == ["row", "column", "problem"]
    assert view["file"].tolist() == ["events.csv"]
