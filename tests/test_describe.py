"""Times in words carry their precision and read from the bounds: in the source's clock, in UTC
and in each place's zone, for every precision, for any year from 1 to 9999."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timeline.ingest.files import parse_events, read_events
from timeline.model.schema import EVENTS
from timeline.model.tables import conform
from timeline.model.vocab import TIME_PRECISIONS
from timeline.views import describe


@pytest.fixture(scope="module")
def seed():
    t = read_events("seeds/events.csv")
    return t, t.events.set_index("id", drop=False)


def places_of(table, event_id: str) -> pd.DataFrame:
    return table.places[table.places["event_id"] == event_id]


HEADER = "id,title,start,start_latest,end_earliest,end,time_precision,timezone,places,countries\n"


def one(row: str, *, tz: str | None = None):
    """The event and places of a one-row curated table, read the way the app reads it."""
    t = parse_events(HEADER + row + "\n", tz=tz)
    assert len(t.events) == 1, t.problems.to_dict("records")
    return t.events.iloc[0], t.places


# --- the seed story ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_id", "as_given"),
    [
        # The call: its start to the minute, its end only between two bounds.
        ("trump-putin-call", "18 March 2025, 14:00 UTC; ended between 15:30 and 16:30 UTC"),
        ("sumy-hospital", "18 March 2025, about 22:30 UTC+2"),
        ("scholz-berlin", "evening of 18 March 2025 (UTC+1)"),
        ("witkoff-jeddah", "evening of 18 March 2025 (UTC−4)"),
        ("sudzha-retaken", "13 March 2025 (UTC+3)"),
        ("zelensky-stubb-helsinki", "19 March 2025 (UTC+2)"),
        ("riyadh-talks", "throughout 23–25 March 2025 (UTC+3)"),
        (
            "energy-pause",
            "began between 14:00 and 16:30 UTC on 18 March 2025; ended on 17 April 2025 (UTC)",
        ),
        ("sloviansk-power", "some time between 17:00 and 22:00 UTC on 18 March 2025"),
        ("zelensky-helsinki", "some time between 17:30 and 24:00 UTC+2 on 18 March 2025"),
        (
            "drones-after-call",
            "some time between 18 March 2025, 18:00 and 19 March, 06:00 UTC+2",
        ),
    ],
)
def test_time_as_given(seed, event_id, as_given):
    assert describe.as_given(seed[1].loc[event_id]) == as_given


@pytest.mark.parametrize(
    ("event_id", "in_utc"),
    [
        ("trump-putin-call", "18 March 2025, 14:00 UTC; ended between 15:30 and 16:30 UTC"),
        ("sumy-hospital", "18 March 2025, about 20:30 UTC"),
        # Berlin's evening is 17:00 to 23:00 in UTC: named from the whole span, with the hours.
        ("scholz-berlin", "afternoon to evening of 18 March 2025 (17:00–23:00 UTC)"),
        # Jeddah's (UTC−4) evening is a night in UTC.
        ("witkoff-jeddah", "night of 18 to 19 March 2025 (22:00–04:00 UTC)"),
        (
            "sudzha-retaken",
            "some time between 12 March 2025, 21:00 and 13 March, 21:00 UTC "
            "(across the days 12–13 March 2025)",
        ),
        ("riyadh-talks", "from 22 March 2025, 21:00 to 25 March, 21:00 UTC"),
    ],
)
def test_time_in_utc(seed, event_id, in_utc):
    assert describe.in_utc(seed[1].loc[event_id]) == in_utc


@pytest.mark.parametrize(
    ("event_id", "lines"),
    [
        (
            "trump-putin-call",
            [
                "White House, Washington (EDT, UTC−4): 18 March 2025, 10:00; "
                "ended between 11:30 and 12:30",
                "Moscow (MSK, UTC+3): 18 March 2025, 17:00; ended between 18:30 and 19:30",
            ],
        ),
        ("sumy-hospital", ["Sumy (EET, UTC+2): 18 March 2025, about 22:30"]),
        ("kavkazskaya-depot", ["Kavkazskaya (MSK, UTC+3): 19 March 2025, about 02:08"]),
        (
            "zelensky-helsinki",
            ["Helsinki (EET, UTC+2): some time between 17:30 and 24:00 on 18 March 2025"],
        ),
        (
            "sloviansk-power",
            ["Sloviansk (EET, UTC+2): some time between 19:00 and 24:00 on 18 March 2025"],
        ),
        (
            "starmer-zelensky-call",
            [
                "London (GMT, UTC): evening of 18 March 2025",
                "Helsinki (EET, UTC+2): night of 18 to 19 March 2025 (20:00–02:00)",
            ],
        ),
        (
            "sudzha-retaken",
            ["Sudzha (MSK, UTC+3): 13 March 2025", "Kursk Oblast (MSK, UTC+3): 13 March 2025"],
        ),
        ("jeddah-talks", ["Jeddah (UTC+3): 11 March 2025"]),
        ("riyadh-talks", ["Ritz-Carlton, Riyadh (UTC+3): throughout 23–25 March 2025"]),
        (
            "drones-after-call",
            ["Ukraine (EET, UTC+2): some time between 18 March 2025, 18:00 and 19 March, 06:00"],
        ),
    ],
)
def test_local_times_of_seed_events(seed, event_id, lines):
    t, e = seed
    assert describe.local_times(e.loc[event_id], places_of(t, event_id)) == lines


def test_every_placed_seed_event_has_a_local_time_for_each_place(seed):
    t, e = seed
    for event_id, places in t.places.groupby("event_id"):
        lines = describe.local_times(e.loc[event_id], places)
        assert len(lines) == len(places)
        for line, name in zip(lines, places["name"], strict=True):
            assert line.startswith(name + " (") and "NaT" not in line


# --- every precision, from literal rows --------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("a,A,2025-03-18T14:00+00:00,,,,minute,,,", "18 March 2025, 14:00 UTC"),
        ("a,A,2025-03-18T14:00+00:00,,,2025-03-18T16:30+00:00,minute,,,",
         "18 March 2025, 14:00 UTC; until 16:30 UTC"),
        ("a,A,2025-03-18T23:00+00:00,,,2025-03-19T01:00+00:00,minute,,,",
         "18 March 2025, 23:00 UTC; until 19 March, 01:00 UTC"),
        ("a,A,2025-03-18T14:00+00:00,2025-03-18T14:20+00:00,,,minute,,,",
         "began between 14:00 and 14:20 UTC on 18 March 2025"),
        ("a,A,2025-03-18T14:00+00:00,,,,hour,,,", "18 March 2025, about 14:00 UTC"),
        ("a,A,2025-03-18T12:00+02:00,,,2025-03-18T18:00+02:00,part_of_day,,,",
         "afternoon of 18 March 2025 (UTC+2)"),
        ("a,A,2025-03-18T06:00+02:00,,,2025-03-19T00:00+02:00,part_of_day,,,",
         "morning to evening of 18 March 2025 (UTC+2)"),
        ("a,A,2025-03-18T19:00+02:00,,,2025-03-18T23:00+02:00,part_of_day,,,",
         "evening of 18 March 2025 (19:00–23:00 UTC+2)"),
        ("a,A,2025-03-18T00:00+00:00,,,,day,,,", "18 March 2025 (UTC)"),
        ("a,A,2025-03-30T00:00+00:00,,,2025-04-02T00:00+00:00,day,,,",
         "some time in 30 March – 1 April 2025 (UTC)"),
        ("a,A,2025-05-13T00:00+03:00,,,,week,,,",
         "some time in the week of 13–19 May 2025 (UTC+3)"),
        ("a,A,2025-05-01T00:00+00:00,,,,month,,,", "May 2025 (UTC)"),
        ("a,A,2025-05-01T00:00+00:00,,,2025-07-01T00:00+00:00,month,,,",
         "some time in May–June 2025 (UTC)"),
        ("a,A,2024-12-01T00:00+00:00,,,2025-02-01T00:00+00:00,month,,,",
         "some time in December 2024 – January 2025 (UTC)"),
        ("a,A,2025-01-01T00:00+00:00,,,,year,,,", "2025 (UTC)"),
        ("a,A,2023-01-01T00:00+00:00,,,2025-01-01T00:00+00:00,year,,,",
         "some time in 2023–2024 (UTC)"),
        ("a,A,2024-12-31T22:00+00:00,,,2025-01-01T02:00+00:00,range,,,",
         "some time between 31 December 2024, 22:00 and 1 January 2025, 02:00 UTC"),
        ("a,A,2025-03-18T10:00+00:00,,,2025-03-18T12:00+00:00,span,,,",
         "from 10:00 to 12:00 UTC on 18 March 2025"),
        ("a,A,2025-03-18T10:00+00:00,2025-03-18T11:00+00:00,2025-03-19T10:00+00:00,"
         "2025-03-19T12:00+00:00,span,,,",
         "began between 10:00 and 11:00 UTC on 18 March 2025; "
         "ended between 10:00 and 12:00 UTC on 19 March 2025"),
    ],
)  # fmt: skip
def test_every_precision_in_words(row, words):
    event, _ = one(row)
    assert describe.as_given(event) == words


def test_the_precision_table_is_covered():
    """A precision added to the vocabulary needs words here too."""
    covered = {
        "minute", "hour", "part_of_day", "day", "week", "month", "year", "range", "span",
    }  # fmt: skip
    assert set(TIME_PRECISIONS) == covered


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        # A night is named from its whole span, never from its start hour.
        ("2025-03-18T18:00", "2025-03-19T06:00", "night of 18 to 19 March 2025 (EET, UTC+2)"),
        (
            "2025-03-18T22:00",
            "2025-03-19T04:00",
            "night of 18 to 19 March 2025 (22:00–04:00 (EET, UTC+2))",
        ),
        ("2025-03-19T00:00", "2025-03-19T06:00", "night of 18 to 19 March 2025 (EET, UTC+2)"),
        ("2025-03-18T18:00", "2025-03-19T00:00", "evening of 18 March 2025 (EET, UTC+2)"),
        ("2025-03-31T18:00", "2025-04-01T06:00", "night of 31 March to 1 April 2025 (EEST, UTC+3)"),
        (
            "2024-12-31T18:00",
            "2025-01-01T06:00",
            "night of 31 December 2024 to 1 January 2025 (EET, UTC+2)",
        ),
    ],
)
def test_a_part_of_the_day_is_named_from_its_whole_span(start, end, words):
    event, _ = one(f"a,A,{start},,,{end},part_of_day,Europe/Kyiv,,")
    assert describe.as_given(event) == words


def test_a_night_reads_as_a_night_in_every_clock():
    event, places = one(
        "a,A,2025-03-18T18:00+02:00,,,2025-03-19T06:00+02:00,part_of_day,,Kyiv;London,UA;GB"
    )
    assert describe.as_given(event) == "night of 18 to 19 March 2025 (UTC+2)"
    assert describe.local_times(event, places) == [
        "Kyiv (EET, UTC+2): night of 18 to 19 March 2025",
        # Four parts in London's clock: the hours say it better than a string of names.
        "London (GMT, UTC): some time between 18 March 2025, 16:00 and 19 March, 04:00",
    ]


# --- old and far years -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("a,A,0602-01-01T00:00+00:00,,,,year,,,", "602 (UTC)"),
        ("a,A,0602-03-18T00:00+00:00,,,,day,,,", "18 March 602 (UTC)"),
        ("a,A,0602-03-18T12:00+00:00,,,,hour,,,", "18 March 602, about 12:00 UTC"),
        ("a,A,0602-03-18T21:00+00:00,,,0602-03-19T03:00+00:00,part_of_day,,,",
         "night of 18 to 19 March 602 (21:00–03:00 UTC)"),
        ("a,A,1066-10-14T09:00+00:00,,,1066-10-14T17:00+00:00,range,,,",
         "some time between 09:00 and 17:00 UTC on 14 October 1066"),
        ("a,A,0001-01-01T00:00+00:00,,,,year,,,", "1 (UTC)"),
        ("a,A,9999-06-01T00:00+00:00,,,,month,,,", "June 9999 (UTC)"),
    ],
)  # fmt: skip
def test_any_year_from_1_to_9999(row, words):
    event, _ = one(row)
    assert describe.as_given(event) == words
    assert describe.in_utc(event) == words


def T(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC").as_unit("us")


#: 1 January 10000: no string parses to it, but a microsecond Timestamp holds it.
END_OF_9999 = T("9999-12-31") + pd.Timedelta(days=1)


def _column(t) -> pd.Series:
    """One UTC time as a column, built from numpy: pandas 3 wraps a Timestamp of year 10000
    given in a list to 1972."""
    value = np.datetime64("NaT", "us") if pd.isna(t) else t.tz_localize(None).to_datetime64()
    return pd.Series(np.array([value], dtype="datetime64[us]")).dt.tz_localize("UTC")


def event_of(precision, earliest, start_latest, end_earliest, latest, zone="", offset=0):
    """An event row made directly: for bounds no reader makes (the very end of 9999)."""
    times = {
        "earliest": earliest,
        "start": earliest,
        "end": latest,
        "start_latest": start_latest,
        "end_earliest": end_earliest,
        "latest": latest,
    }
    frame = pd.DataFrame(
        {k: _column(v) for k, v in times.items()}
        | {"time_precision": [precision], "timezone": [zone], "start_offset_min": [offset]}
        | {"row": [2]}
    )
    return conform(frame, EVENTS).iloc[0]


@pytest.mark.parametrize(
    ("event", "words"),
    [
        # The exclusive end of December 9999 is 1 January 10000, past Python's datetimes.
        (event_of("month", T("9999-12-01"), END_OF_9999, pd.NaT, END_OF_9999),
         "December 9999 (UTC)"),
        (event_of("range", T("9999-12-31T20:00"), END_OF_9999, pd.NaT, END_OF_9999),
         "some time between 20:00 and 24:00 UTC on 31 December 9999"),
        (event_of("year", T("9999-01-01"), END_OF_9999, pd.NaT, END_OF_9999,
                  zone="Europe/Moscow"),
         "9999 (UTC)"),  # the zone cannot read year 10000: UTC, said so
    ],
)  # fmt: skip
def test_the_last_days_of_9999(event, words):
    assert describe.as_given(event) == words


def test_a_day_of_602_in_moscow_keeps_its_local_mean_time():
    event, places = one("a,A,0602-03-18,,,,day,,Moscow,RU")
    # Moscow's clock in 602 is its local mean time: the day is still 18 March there.
    assert describe.as_given(event) == "18 March 602 (LMT, UTC+2:30:17)"
    assert describe.local_times(event, places) == ["Moscow (LMT, UTC+2:30:17): 18 March 602"]
    assert describe.in_utc(event).startswith("some time between 17 March 602, 21:29 and 18 March")


def test_a_zone_that_cannot_convert_year_1_falls_back_to_utc_and_says_so():
    event, places = one("a,A,0001-01-01T00:00+00:00,,,,day,,Washington DC,US")
    (line,) = describe.local_times(event, places)
    assert line == "Washington DC (its zone cannot convert this date; UTC): 1 January 1"


# --- local time of a day in another zone, and places without a zone ------------------------------


def test_a_day_in_another_zone_says_which_local_days_it_spans():
    event, places = one("a,A,2025-03-13,,,,day,,Sudzha;London,RU;GB")
    assert describe.as_given(event) == "13 March 2025 (MSK, UTC+3)"
    assert describe.local_times(event, places) == [
        "Sudzha (MSK, UTC+3): 13 March 2025",
        "London (GMT, UTC): some time between 12 March 2025, 21:00 and 13 March, 21:00 "
        "(across the days 12–13 March 2025)",
    ]


def test_a_week_across_a_clock_change_names_both_clocks():
    event, places = one("a,A,2025-03-24,,,,week,,London,GB")
    assert describe.as_given(event) == (
        "some time in the week of 24–30 March 2025 (GMT, UTC to BST, UTC+1)"
    )
    assert describe.local_times(event, places) == [
        "London (GMT, UTC to BST, UTC+1): some time in the week of 24–30 March 2025"
    ]


def test_a_place_without_a_zone_reads_in_the_events_clock():
    event, places = one("a,A,2025-03-18T22:30+02:00,,,,hour,,Sumy,UA")
    places = places.assign(timezone="")
    assert describe.local_times(event, places) == [
        "Sumy (no zone of its own; the source's clock, UTC+2): 18 March 2025, about 22:30"
    ]
    places = places.assign(timezone="Not/AZone")
    assert describe.local_times(event, places)[0].startswith("Sumy (no zone of its own;")


# --- nothing raises, whatever the bounds ---------------------------------------------------------

ZONES = ["", "Europe/Kyiv", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Nowhere/X"]
instants = st.datetimes(
    min_value=pd.Timestamp("0001-01-02").to_pydatetime(),
    max_value=pd.Timestamp("9999-12-30").to_pydatetime(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    precision=st.sampled_from(sorted(TIME_PRECISIONS)),
    times=st.lists(instants, min_size=4, max_size=4),
    point=st.booleans(),
    zone=st.sampled_from(ZONES),
    place_zone=st.sampled_from(ZONES),
    offset=st.integers(-12 * 60, 14 * 60),
)
def test_words_never_fail_for_any_bounds(precision, times, point, zone, place_zone, offset):
    ts = sorted(pd.Timestamp(t, tz="UTC").as_unit("us") for t in times)
    end_lo, end_hi = (pd.NaT, ts[1]) if point else (ts[2], ts[3])
    event = event_of(precision, ts[0], ts[1], end_lo, end_hi, zone=zone, offset=offset)
    places = pd.DataFrame({"name": ["P"], "timezone": [place_zone]})
    for text in [describe.as_given(event), describe.in_utc(event)] + describe.local_times(
        event, places
    ):
        assert text and "NaT" not in text and "nan" not in text


# --- relative time -----------------------------------------------------------------------------


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


def test_the_module_example_holds():
    import doctest

    assert doctest.testmod(describe).failed == 0
