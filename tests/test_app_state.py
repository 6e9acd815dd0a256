"""The app's view state, tested without Streamlit: every transition, and the view in the URL."""

from __future__ import annotations

import pandas as pd
import pytest

from timeline.app import state as S
from timeline.app.url import to_query, view_from_query
from timeline.data.contract import meets
from timeline.data.filters import Filters
from timeline.ingest.files import parse_events

T = pd.Timestamp
BOUNDS = (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))
TABLE = "\n".join(
    [
        "id,title,start,end,time_precision,category",
        "point,P,2025-03-18T12:00+00:00,,minute,military",
        "span,S,2025-03-17T00:00+00:00,2025-03-20T00:00+00:00,span,diplomacy",
        "later,L,2025-03-19T06:00+00:00,,hour,strike_energy",
        "day,D,2025-03-17,,day,statement",
    ]
)


@pytest.fixture(scope="module")
def events():
    return parse_events(TABLE, tz="UTC").events.set_index("id", drop=False)


def view(lo="2025-03-18T00:00Z", hi="2025-03-19T00:00Z", **kw) -> S.View:
    return S.View(bounds=BOUNDS, window=(T(lo), T(hi)), **kw)


@pytest.mark.parametrize(
    ("lo", "hi", "ids"),
    [
        ("2025-03-18T12:00Z", "2025-03-18T13:00Z", {"span", "point"}),  # a point at the start
        ("2025-03-18T11:00Z", "2025-03-18T12:00Z", {"span"}),  # ...is out at the end
        ("2025-03-19T06:20Z", "2025-03-19T07:00Z", {"span", "later"}),  # within its ±30 min
        ("2025-03-18T00:00Z", "2025-03-18T06:00Z", {"span"}),  # the day of the 17th ended
        ("2025-03-21T00:00Z", "2025-03-22T00:00Z", set()),
    ],
)
def test_a_frame_is_cut_by_the_contract(events, lo, hi, ids):
    assert set(events[meets(events, T(lo), T(hi))]["id"]) == ids


def test_select_moves_the_window_as_little_as_needed(events):
    v = view("2025-03-11T00:00Z", "2025-03-12T00:00Z")
    later = events.loc["later"]
    moved = S.select(v, later)
    assert moved.event == "later"
    lo, hi = moved.window
    assert lo <= later["earliest"] and later["latest"] <= hi and hi - lo == pd.Timedelta(days=1)
    # A click where it is moves nothing; an event already in the window moves nothing.
    assert S.select(v, later, move_window=False).window == v.window
    assert S.select(moved, events.loc["span"]).window == moved.window
    assert S.select(moved, None).event is None


def test_moves_stay_inside_the_story_and_an_hour_long():
    v = view()
    assert S.move(v, T("2025-03-01T00:00Z"), T("2025-03-12T00:00Z")).window == (
        BOUNDS[0], T("2025-03-12T00:00Z"))  # fmt: skip
    assert S.move(v, T("2025-03-25T23:30Z"), T("2025-03-25T23:45Z")).window == (
        T("2025-03-25T23:00Z"), BOUNDS[1])  # fmt: skip
    paged = S.page_to(S.pick_cell(v, (1, 2)), 3)
    moved = S.move(paged, T("2025-03-19T00:00Z"), T("2025-03-20T00:00Z"))
    assert moved.cell is None and moved.page == 0  # a new window lists from its start
    assert S.move(v, *v.window) is v


def test_a_bin_becomes_the_window_on_whole_hours():
    v = S.pick_bin(view(), T("2025-03-18T10:15Z"), T("2025-03-18T10:30Z"))
    assert v.window == (T("2025-03-18T10:00Z"), T("2025-03-18T11:00Z"))
    assert S.pick_bin(view(), T("2030-01-01T00:00Z"), T("2030-01-02T00:00Z")).window == (
        view().window)  # fmt: skip


def test_play_ticks_once_a_second_and_stops_at_the_end():
    v = S.set_playing(view("2025-03-25T00:00Z", "2025-03-25T20:00Z"), True, now=100.0)
    assert v.playing and v.last_tick == 100.0
    assert S.tick(v, now=100.5) is v  # too soon
    v = S.tick(S.set_step(v, 6), now=101.0)
    assert v.window == (T("2025-03-25T04:00Z"), BOUNDS[1]) and not v.playing
    # Play at the end starts again from the beginning.
    again = S.set_playing(v, True, now=200.0)
    assert again.playing and again.window[0] == BOUNDS[0]
    assert S.set_playing(again, True, now=200.5) is again  # a second press of Play: no restart
    assert not S.set_playing(again, False, now=201.0).playing
    assert not S.set_playing(S.set_playing(again, False, 201.0), False, 202.0).playing


def test_filters_and_the_table_and_the_map():
    v = S.page_to(S.pick_cell(view(), (3, 4)), 2)
    f = Filters.of({"category": ["military"]})
    filtered = S.filter_by(v, f)
    assert filtered.filters == f and filtered.cell is None and filtered.page == 0
    assert S.filter_by(filtered, f) is filtered
    assert filtered.window == v.window and filtered.event == v.event  # zoom-free: kept
    s = S.sort_by(v, "title")
    assert (s.sort, s.descending, s.page) == ("title", False, 0)
    assert S.sort_by(s, "title").descending and not S.sort_by(s, "title", False).descending
    box = {"west": 30, "south": 49, "east": 37, "north": 52, "zoom": 6, "lat": 50.6, "lon": 33.5}
    reported = S.MapView.from_report(box)
    zoomed = S.zoom(S.select(v, None), reported)
    assert zoomed.map.bbox == (30, 49, 37, 52) and zoomed.window == v.window
    # Redrawn at MapLibre's own centre (on Mercator not the box's middle), the map stays put.
    assert zoomed.map.centre == {"lat": 50.6, "lon": 33.5}
    assert S.MapView.from_report({**box, "lat": 53}) is None  # a centre outside its box
    assert S.fit(zoomed).map is None and S.fit(zoomed).fits == 1
    assert S.MapView.from_report({"west": "x"}) is None
    assert S.MapView.from_report({"west": 1, "south": 9, "east": 2, "north": 1, "zoom": 3}) is None
    assert S.close_cell(S.pick_cell(v, (1, 1))).cell is None


def test_story_steps_from_the_selection():
    ids = ("a", "b", "c")
    assert S.story_target(view(), ids, 1) == "a"
    assert S.story_target(view(event="b"), ids, 1) == "c"
    assert S.story_target(view(event="c"), ids, 1) == "c"
    assert S.story_target(view(event="a"), ids, -1) == "a"
    assert S.story_target(view(), (), 1) is None


def test_a_link_restores_its_view_with_its_filters():
    query = {"from": "2025-03-18T14:00Z", "to": "2025-03-19T06:00:00+00:00", "event": "a",
             "f.category": "military|strike", "r.extra.fatalities": "1:", "q": "drone"}  # fmt: skip
    v, notices = view_from_query(query, BOUNDS, lambda i: i == "a")
    assert notices == []
    assert v.window == (T("2025-03-18T14:00Z"), T("2025-03-19T06:00Z")) and v.event == "a"
    assert v.filters == Filters.of({"category": ["military", "strike"]},
                                   {"extra.fatalities": (1, None)}, "drone")  # fmt: skip
    assert to_query(v) == {"from": "2025-03-18T14:00Z", "to": "2025-03-19T06:00Z", "event": "a",
                           "f.category": "military|strike", "r.extra.fatalities": "1:",
                           "q": "drone"}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"from": "yesterday", "to": "2025-03-19T06:00Z"}, "not a pair of ISO 8601"),
        ({"from": "2025-03-19T06:00Z", "to": "2025-03-18T06:00Z"}, "ends before it starts"),
        ({"from": "2030-01-01T00:00Z", "to": "2030-01-02T00:00Z"}, "outside the story"),
        ({"event": "<script>"}, "not in the table"),
        ({"f.<script>": "x"}, "no field here"),
        ({"r.extra.best": "many"}, "not low:high"),
    ],
)
def test_a_bad_link_gives_a_notice_and_the_default_view(query, words):
    v, notices = view_from_query(query, BOUNDS, lambda i: i == "a")
    assert v.window == BOUNDS and v.event is None and v.filters.empty
    assert len(notices) == 1 and words in notices[0]
