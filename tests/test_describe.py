"""Times in words carry their precision, in the source's clock, in UTC and locally."""

from __future__ import annotations

import pandas as pd
import pytest

from timeline import describe
from timeline.table import read_events


@pytest.fixture(scope="module")
def seed():
    t = read_events("seeds/events.csv")
    return t, t.events.set_index("id", drop=False)


@pytest.mark.parametrize(
    ("event_id", "as_given"),
    [
        ("trump-putin-call", "18 March 2025, 14:00 UTC until about 16:30"),
        ("sumy-hospital", "18 March 2025, about 22:30 UTC+2"),
        ("scholz-berlin", "evening of 18 March 2025 (UTC+1)"),
        ("sudzha-retaken", "13 March 2025 (UTC+3)"),
        ("riyadh-talks", "23 March – 25 March 2025 (UTC+3)"),
        ("sloviansk-power", "some time between 18 March 2025, 17:00–22:00 UTC"),
    ],
)
def test_time_as_given(seed, event_id, as_given):
    assert describe.as_given(seed[1].loc[event_id]) == as_given


def test_utc_and_local_times_of_the_call(seed):
    t, e = seed
    call = e.loc["trump-putin-call"]
    assert describe.in_utc(e.loc["sumy-hospital"]) == "18 March 2025, about 20:30 UTC"
    local = describe.local_times(call, t.places[t.places["event_id"] == "trump-putin-call"])
    assert local[0].startswith("10:00 on 18 Mar in White House, Washington (EDT, UTC−4)")
    assert local[1].startswith("17:00 on 18 Mar in Moscow (MSK, UTC+3)")


@pytest.mark.parametrize(
    ("event_id", "relative"),
    [
        ("sumy-hospital", "about +6 h 30 min"),
        ("kavkazskaya-depot", "about +9 h 8 min"),
        ("sloviansk-power", "+3 h to +8 h"),
        ("jeddah-talks", "−7 d 17 h to −6 d 17 h"),
    ],
)
def test_time_relative_to_the_call(seed, event_id, relative):
    e = seed[1]
    assert describe.relative_to(e.loc[event_id], e.loc["trump-putin-call"]) == relative


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (pd.Timedelta(0), "+0 min"),
        (pd.Timedelta(minutes=390), "+6 h 30 min"),
        (pd.Timedelta(hours=-49), "−2 d 1 h"),
    ],
)
def test_duration(delta, text):
    assert describe.duration(delta) == text
