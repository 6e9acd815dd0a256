"""The window filter and the URL state, with their edges."""

from __future__ import annotations

import pandas as pd
import pytest

from timeline.app.url import ViewState, parse_query, to_query
from timeline.data.window import events_in_window, neighbour_event, shift_window, window_around
from timeline.ingest.files import parse_events

T = pd.Timestamp
TABLE = "\n".join(
    [
        "id,title,start,end,time_precision,category",
        "point,P,2025-03-18T12:00+00:00,,minute,military",
        "span,S,2025-03-17T00:00+00:00,2025-03-20T00:00+00:00,span,diplomacy",
        "later,L,2025-03-19T06:00+00:00,,hour,strike_energy",
    ]
)


@pytest.fixture(scope="module")
def events():
    return parse_events(TABLE).events


@pytest.mark.parametrize(
    ("start", "end", "ids"),
    [
        ("2025-03-18T12:00Z", "2025-03-18T13:00Z", ["span", "point"]),  # point at the start edge
        ("2025-03-18T11:00Z", "2025-03-18T12:00Z", ["span", "point"]),  # point at the end edge
        ("2025-03-18T13:00Z", "2025-03-18T14:00Z", ["span"]),  # the span straddles it
        ("2025-03-19T06:20Z", "2025-03-19T07:00Z", ["span", "later"]),  # within its ±30 min
        ("2025-03-21T00:00Z", "2025-03-22T00:00Z", []),
    ],
)
def test_events_in_window(events, start, end, ids):
    assert events_in_window(events, T(start), T(end))["id"].tolist() == ids


def test_neighbours_and_window_moves(events):
    assert neighbour_event(events, T("2025-03-18T12:00Z"), 1, "point")["id"] == "later"
    assert neighbour_event(events, T("2025-03-18T12:00Z"), -1)["id"] == "span"
    assert neighbour_event(events, T("2025-03-19T06:00Z"), 1, "later") is None
    later = events.set_index("id").loc["later"]
    bounds = (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))
    lo, hi = window_around(later, T("2025-03-11T00:00Z"), T("2025-03-12T00:00Z"), bounds)
    assert lo <= later["earliest"] and later["latest"] <= hi and hi - lo == pd.Timedelta(days=1)
    assert shift_window(
        T("2025-03-25T12:00Z"), T("2025-03-25T20:00Z"), pd.Timedelta(hours=6), bounds[1]
    ) == (T("2025-03-25T16:00Z"), bounds[1])


BOUNDS = (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))


def test_a_link_restores_its_view():
    state, notices = parse_query(
        {"from": "2025-03-18T14:00Z", "to": "2025-03-19T06:00:00+00:00", "event": "a"},
        BOUNDS,
        BOUNDS,
        ["a"],
    )
    assert notices == []
    assert state == ViewState((T("2025-03-18T14:00Z"), T("2025-03-19T06:00Z")), "a")
    assert to_query(state) == {"from": "2025-03-18T14:00Z", "to": "2025-03-19T06:00Z", "event": "a"}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"from": "yesterday", "to": "2025-03-19T06:00Z"}, "not a pair of ISO 8601"),
        ({"from": "2025-03-19T06:00Z", "to": "2025-03-18T06:00Z"}, "ends before it starts"),
        ({"from": "2030-01-01T00:00Z", "to": "2030-01-02T00:00Z"}, "outside the story"),
        ({"event": "<script>"}, "not in the table"),
    ],
)
def test_a_bad_link_gives_a_notice_and_the_default_view(query, words):
    state, notices = parse_query(query, BOUNDS, BOUNDS, ["a"])
    assert state == ViewState(BOUNDS, None)
    assert len(notices) == 1 and words in notices[0]
