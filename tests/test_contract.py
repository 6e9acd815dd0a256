"""The query contract (`timeline.data.contract`), one suite run on every engine that keeps it:

- `memory`: NumPy over the store's columns, whole rows held (the seed story's path);
- `memory-large`: the same, holding only what a large table holds (cards read from the store);
- `duckdb`: Ibis on DuckDB over the store's Parquet files;
- `duckdb-plain`: the same tables as a warehouse may hold them (places without their event's
  copied columns, events without `start_s`, no known longest span, no manifest);
- `postgres`: Ibis on a throwaway PostgreSQL cluster holding the store's tables;
- `spark`, `spark-plain`: Ibis on a local Apache Spark session reading the store's Parquet files
  (as they are, and as a warehouse may hold them).

Every case names its edge: an event exactly at either end of the window, a zero-length event,
a span across it, an event that ends exactly where the window starts, an unplaced event, a
place not found, filters that empty the window, lists, places and the source's own fields.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from timeline.data import queries as Q
from timeline.data.contract import Ask, bin_width, cell_size
from timeline.data.filters import Filters
from timeline.data.memory import MemoryBackend
from timeline.data.store import MARKER_COLUMNS, save_store

T = pd.Timestamp
NAT = pd.NaT
LO, HI = T("2025-03-18T00:00Z"), T("2025-03-19T00:00Z")
DAY = Ask(LO, HI)
WHOLE = Ask(T("2025-01-01T00:00Z"), T("2026-01-01T00:00Z"))


def _event(id, title, start, end, earliest, latest, precision, category, claim="confirmed",
           **more):  # fmt: skip
    return dict(
        id=id, title=title, start=T(start), end=T(end) if end else NAT, earliest=T(earliest),
        latest=T(latest), time_precision=precision, category=category, claim_status=claim,
        **more,
    )  # fmt: skip


# Each event says where it stands against the window [LO, HI) = 18 March, UTC.
EVENTS = [
    _event("at-lo", "Talks open in Jeddah", "2025-03-18T00:00Z", None,
           "2025-03-18T00:00Z", "2025-03-18T00:00Z", "minute", "diplomacy",
           actors="United States; Ukraine", **{"extra.fatalities": "0"}),  # in: zero length at lo
    _event("at-hi", "Talks resume", "2025-03-19T00:00Z", None,
           "2025-03-19T00:00Z", "2025-03-19T00:00Z", "minute", "diplomacy"),  # out: at hi
    _event("straddle-hi", "Night session of TALKS", "2025-03-18T20:00Z", "2025-03-19T04:00Z",
           "2025-03-18T20:00Z", "2025-03-19T04:00Z", "span", "diplomacy",
           actors="Ukraine"),  # in: straddles hi
    _event("straddle-lo", "Shelling along the front", "2025-03-17T20:00Z", "2025-03-18T02:00Z",
           "2025-03-17T20:00Z", "2025-03-18T02:00Z", "span", "military", "",
           **{"extra.fatalities": "12", "extra.sub_event_type": "Shelling"}),  # in: straddles lo
    _event("before", "Convoy leaves", "2025-03-17T12:00Z", None,
           "2025-03-17T12:00Z", "2025-03-17T12:00Z", "minute", "military"),  # out: before
    _event("day-before", "Statement of the 17th", "2025-03-17T00:00Z", None,
           "2025-03-17T00:00Z", "2025-03-18T00:00Z", "day", "statement"),  # out: ends at lo
    _event("hour-into", "Sirens in Cape Town", "2025-03-17T23:45Z", None,
           "2025-03-17T23:15Z", "2025-03-18T00:15Z", "hour", "statement"),  # in: its hour meets lo
    _event("range-day", "Depot 100% destroyed", "2025-03-15T00:00Z", "2025-03-25T00:00Z",
           "2025-03-15T00:00Z", "2025-03-25T00:00Z", "range", "military", "claimed",
           **{"extra.fatalities": "3", "extra.sub_event_type": "Air/drone strike"}),  # in
    _event("day-event", "Statement on the a_b line", "2025-03-18T00:00Z", None,
           "2025-03-18T00:00Z", "2025-03-19T00:00Z", "day", "statement",
           actors="Ukraine;Russia", notes="Mentions a DRONE overnight"),  # in: the day
    _event("claimed-noon", "Strike on a depot", "2025-03-18T12:00Z", None,
           "2025-03-18T12:00Z", "2025-03-18T12:00Z", "minute", "military", "claimed",
           summary="A drone hit the depot; fire.",
           **{"extra.sub_event_type": "Air/drone strike"}),
    _event("o'clock", "Denial at ten", "2025-03-18T22:00Z", None,
           "2025-03-18T22:00Z", "2025-03-18T22:00Z", "minute", "statement", "disputed"),
    _event("hour-at-end", "Late call", "2025-03-19T00:10Z", None,
           "2025-03-18T23:40Z", "2025-03-19T00:40Z", "hour", "diplomacy"),  # in, starts after hi
    _event("after", "Talks close", "2025-03-20T09:00Z", None,
           "2025-03-20T09:00Z", "2025-03-20T09:00Z", "minute", "diplomacy"),  # out: after
]  # fmt: skip

IN_WINDOW = [  # in the store's order: by earliest, then the table's order
    "straddle-lo", "hour-into", "at-lo", "day-event", "claimed-noon", "straddle-hi",
    "o'clock", "hour-at-end", "range-day",
]  # fmt: skip
IN_WINDOW = sorted(IN_WINDOW, key=lambda i: (next(e for e in EVENTS if e["id"] == i)["earliest"],
                                             [e["id"] for e in EVENTS].index(i)))  # fmt: skip


def _place(event_id, order, name, lat, lon, precision, country="", region=""):
    return dict(event_id=event_id, order=order, name=name, lat=lat, lon=lon,
                geo_precision=precision, country=country, region=region)  # fmt: skip


PLACES = [
    _place("at-lo", 0, "Kyiv", 50.45, 30.52, "site", "UA", "Kyiv City"),
    _place("at-hi", 0, "Kyiv", 50.30, 30.30, "site", "UA"),
    _place("straddle-hi", 0, "Brovary", 50.10, 30.90, "town", "UA", "Kyiv Oblast"),
    _place("straddle-lo", 0, "Kyiv oblast", 50.90, 30.10, "region", "UA", "Kyiv Oblast"),
    _place("hour-into", 0, "Cape Town", -33.90, 18.40, "town", "ZA"),
    _place("range-day", 0, "Ukraine", 48.50, 31.50, "country", "UA"),
    _place("day-event", 0, "Kyiv", 50.50, 30.50, "site", "UA"),
    _place("day-event", 1, "Moscow", 55.75, 37.60, "site", "RU"),
    _place("claimed-noon", 0, "Irpin", 50.20, 30.20, "site", "UA"),
    _place("claimed-noon", 1, "Nowhereville", np.nan, np.nan, "", "UA"),  # not found
    _place("o'clock", 0, "Nowhereville", np.nan, np.nan, "", "RU"),  # only a place not found
    _place("before", 0, "Kyiv", 50.40, 30.40, "site", "UA"),
]
LINKS = [
    ("straddle-hi", "responds_to", "at-lo"),
    ("day-event", "follows_from", "at-lo"),
    ("claimed-noon", "reported_with", "day-event"),
]


def _model():
    events = pd.DataFrame(EVENTS)
    for column in ("start", "end", "earliest", "latest"):
        events[column] = events[column].astype("datetime64[us, UTC]")
    for column in [c for c in events.columns if events[c].dtype == object]:
        events[column] = events[column].fillna("").astype("str")
    return SimpleNamespace(
        events=events,
        places=pd.DataFrame(PLACES),
        links=pd.DataFrame(LINKS, columns=["source_id", "relation", "target_id"]),
        problems=pd.DataFrame({"file": pd.Series(dtype="str"), "problem": pd.Series(dtype="str")}),
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return save_store("k", _model(), root=tmp_path_factory.mktemp("store"), format="test")


ENGINES = ["memory", "memory-large", "duckdb", "duckdb-plain", "postgres", "spark",
           "spark-plain"]  # fmt: skip


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, store):
    fields = store.manifest["fields"]
    if request.param == "memory":
        return MemoryBackend(store)
    if request.param == "memory-large":
        return MemoryBackend(store, whole_rows_limit=0)
    if request.param == "duckdb":
        return Q.IbisBackend(Q.duckdb_tables(store), fields=fields)
    if request.param == "duckdb-plain":
        return Q.IbisBackend(plain(Q.duckdb_tables(store)))
    if request.param.startswith("spark"):
        # The store's Parquet files as the session's temporary views, read where they lie.
        con = request.getfixturevalue("spark")
        kind = request.param.replace("-", "_")
        t = Q.Tables(
            **{
                name: con.read_parquet(store.file(name), table_name=f"{name}_{kind}")
                for name in ("events", "places", "links", "ids")
            },
            max_span=pd.Timedelta(seconds=store.manifest["max_span_seconds"]),
        )
        if request.param == "spark-plain":
            return Q.IbisBackend(plain(t))
        return Q.IbisBackend(t, fields=fields)
    return Q.IbisBackend(Q.load_into(request.getfixturevalue("postgres"), store), fields=fields)


def plain(t: Q.Tables) -> Q.Tables:
    """The tables as a warehouse may hold them: places without their event's window columns
    (the queries join instead), events without `start_s` (converted in the query), no known
    longest span, no manifest (the fields found by their columns' names)."""
    places = t.places.drop("event_ordinal", "place_coarse", "time_coarse", *MARKER_COLUMNS)
    return Q.Tables(t.events.drop("start_s"), places, t.links)


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["id"].tolist()


def ask(**filters) -> Ask:
    text = filters.pop("text", "")
    ranges = filters.pop("ranges", None)
    return Ask(LO, HI, Filters.of(filters, ranges, text))


# --- the window ----------------------------------------------------------------------------------


def test_the_window_holds_exactly_the_events_meeting_it_in_order(engine):
    assert ids(engine.rows(DAY)) == IN_WINDOW
    assert engine.count(DAY) == len(IN_WINDOW)


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        # A zero-length event is in from its time, out at it as an end.
        ("2025-03-18T22:00Z", "2025-03-18T22:01Z", {"o'clock", "straddle-hi", "day-event",
                                                    "range-day"}),
        ("2025-03-18T21:00Z", "2025-03-18T22:00Z", {"straddle-hi", "day-event", "range-day"}),
        # A day ending at midnight is not in the next day's window.
        ("2025-03-18T00:00Z", "2025-03-18T00:01Z", {"at-lo", "straddle-lo", "hour-into",
                                                    "range-day", "day-event"}),
        ("2025-03-17T12:00Z", "2025-03-17T12:00:01Z", {"before", "day-before", "range-day"}),
        # A window before everything, and after.
        ("2024-01-01T00:00Z", "2024-02-01T00:00Z", set()),
        ("2025-06-01T00:00Z", "2025-07-01T00:00Z", set()),
    ],
)  # fmt: skip
def test_window_edges(engine, lo, hi, expected):
    window = Ask(T(lo), T(hi))
    assert set(ids(engine.rows(window))) == expected
    assert engine.count(window) == len(expected)


def test_the_map_counts_only_events_with_a_point(engine):
    # hour-into, at-lo, day-event, claimed-noon, straddle-hi, straddle-lo, range-day placed;
    # o'clock's only place was not found; hour-at-end has none.
    assert engine.count_placed(DAY) == 7
    places = engine.places(DAY)
    assert places["lat"].notna().all() and "Nowhereville" not in set(places["name"])
    order = [i for i in IN_WINDOW for _ in range(2 if i == "day-event" else 1)]
    assert places["event_id"].tolist() == [i for i in order if i in set(places["event_id"])]
    assert places[places["event_id"] == "day-event"]["name"].tolist() == ["Kyiv", "Moscow"]


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (dict(category=["military"]), {"straddle-lo", "range-day", "claimed-noon"}),
        (dict(claim_status=["confirmed"]), {"at-lo", "straddle-hi", "hour-into", "day-event",
                                            "hour-at-end"}),
        (dict(claim_status=[""]), {"straddle-lo"}),  # not stated
        (dict(actors=["Ukraine"]), {"at-lo", "straddle-hi", "day-event"}),  # an item of a list
        (dict(actors=["Russia", "United States"]), {"at-lo", "day-event"}),
        (dict(actors=[""]), set(IN_WINDOW) - {"at-lo", "straddle-hi", "day-event"}),
        (dict(country=["RU"]), {"day-event", "o'clock"}),  # any place; one not found counts
        (dict(country=["ZA", "RU"], category=["statement"]), {"hour-into", "day-event",
                                                              "o'clock"}),
        (dict(region=["Kyiv Oblast"]), {"straddle-hi", "straddle-lo"}),
        (dict(country=[""]), {"hour-at-end"}),  # no place at all
        ({"extra.sub_event_type": ["Air/drone strike"]}, {"range-day", "claimed-noon"}),
        (dict(category=[]), set()),  # nothing ticked: nothing kept
        (dict(text="drone"), {"day-event", "claimed-noon"}),  # notes, summary; any case
        (dict(text="TALKS night"), {"straddle-hi"}),  # every word, anywhere
        (dict(text="100%"), {"range-day"}),  # literal: % and _ are characters
        (dict(text="a_b"), {"day-event"}),
        (dict(ranges={"extra.fatalities": (1, None)}), {"straddle-lo", "range-day"}),
        (dict(ranges={"extra.fatalities": (None, 3)}), {"at-lo", "range-day"}),
        (dict(ranges={"extra.fatalities": (1, 3)}, category=["military"]), {"range-day"}),
    ],
)  # fmt: skip
def test_filters_narrow_the_window(engine, filters, expected):
    question = ask(**dict(filters))
    assert set(ids(engine.rows(question))) == expected
    assert engine.count(question) == len(expected)


def test_a_filter_that_empties_the_window_empties_every_answer(engine):
    none = ask(category=["nothing"])
    assert engine.count(none) == engine.count_placed(none) == 0
    assert engine.rows(none).empty and engine.places(none).empty
    assert engine.bins(none).empty and engine.cells(none, cell_deg=1.0).empty
    assert engine.facet(none, "actors").empty


# --- lists, sorting, pages -------------------------------------------------------------------


def test_rows_sorted_by_a_field_with_empties_last(engine):
    by_title = engine.rows(DAY, sort="title")
    assert ids(by_title)[:3] == ["o'clock", "range-day", "hour-at-end"]
    assert ids(engine.rows(DAY, sort="title", descending=True))[0] == "at-lo"
    by_deaths = ids(engine.rows(DAY, sort="extra.fatalities", descending=True))
    assert by_deaths[:3] == ["straddle-lo", "range-day", "at-lo"]
    assert by_deaths[3:] == [i for i in IN_WINDOW if i not in by_deaths[:3]]  # none: last
    assert ids(engine.rows(DAY, sort="start"))[:2] == ["range-day", "straddle-lo"]


def test_rows_pages_and_columns(engine):
    assert ids(engine.rows(DAY, limit=3)) == IN_WINDOW[:3]
    assert ids(engine.rows(DAY, limit=3, offset=3)) == IN_WINDOW[3:6]
    assert ids(engine.rows(DAY, limit=5, offset=8)) == IN_WINDOW[8:]
    two = engine.rows(DAY, columns=("id", "extra.sub_event_type"), limit=2)
    assert list(two.columns) == ["id", "extra.sub_event_type"]
    assert ids(two) == ["range-day", "straddle-lo"]
    assert two["extra.sub_event_type"].tolist() == ["Air/drone strike", "Shelling"]


def test_answers_have_the_same_types_on_every_engine(engine):
    rows = engine.rows(DAY)
    for column in ("start", "end", "earliest", "latest"):
        assert str(rows[column].dtype) == "datetime64[us, UTC]"
    for column in ("id", "title", "category", "claim_status"):
        assert rows[column].dtype == "str"
    assert str(rows["ordinal"].dtype) == "int64"


# --- bins and cells ------------------------------------------------------------------------------


def test_bins_add_up_to_the_count_and_sit_on_round_times(engine):
    for question in (DAY, WHOLE, ask(category=["military"])):
        bins = engine.bins(question, max_bins=48)
        assert bins["count"].sum() == engine.count(question)
        assert (bins["bin_end"] - bins["bin_start"]).nunique() == 1
    bins = engine.bins(DAY, max_bins=24)
    assert bins["bin_start"].min() == LO  # what started before the window is in the first bin
    hour = bins[bins["bin_start"] == T("2025-03-18T12:00Z")]
    assert hour.set_index("category")["count"].to_dict() == {"military": 1}


@pytest.mark.parametrize(
    ("lo", "hi", "max_bins", "width"),
    [
        ("2025-03-18T00:00Z", "2025-03-19T00:00Z", 200, "15min"),
        ("2025-03-18T00:00Z", "2025-03-19T00:00Z", 24, "1h"),
        ("2020-01-01T00:00Z", "2025-01-01T00:00Z", 200, "14D"),
        ("1000-01-01T00:00Z", "9000-01-01T00:00Z", 200, "14965D"),
    ],
)
def test_bin_width(lo, hi, max_bins, width):
    assert bin_width(T(lo), T(hi), max_bins=max_bins) == pd.Timedelta(width)


def test_cells_count_markers_with_their_uncertainty(engine):
    cells = engine.cells(DAY, cell_deg=1.0)
    assert cells["count"].sum() == len(engine.places(DAY)) == 8
    kyiv = cells[(cells["cell_y"] == 50) & (cells["cell_x"] == 30)]
    assert kyiv["cell_count"].iloc[0] == 5
    assert kyiv.set_index("category")["count"].to_dict() == {
        "diplomacy": 2, "military": 2, "statement": 1}  # fmt: skip
    assert kyiv["place_coarse_share"].iloc[0] == pytest.approx(1 / 5)  # the oblast
    assert kyiv["time_coarse_share"].iloc[0] == pytest.approx(1 / 5)  # the day event
    boxed = engine.cells(Ask(LO, HI, bbox=(30.0, 50.0, 31.0, 51.0)), cell_deg=1.0)
    assert set(zip(boxed["cell_y"], boxed["cell_x"], strict=True)) == {(50, 30)}


def test_a_cells_events_page_lists_each_event_once(engine):
    first = engine.cell_rows(DAY, cell_deg=1.0, cell=(50, 30), limit=3)
    rest = engine.cell_rows(DAY, cell_deg=1.0, cell=(50, 30), limit=3, offset=3)
    assert ids(first) + ids(rest) == [i for i in IN_WINDOW if i in
        {"straddle-lo", "at-lo", "day-event", "claimed-noon", "straddle-hi"}]  # fmt: skip


def test_the_maps_view_keeps_the_events_placed_inside_it(engine):
    kyiv = Ask(LO, HI, bbox=(30.0, 50.0, 31.0, 51.0))  # day-event is in Kyiv and Moscow
    inside = ["straddle-lo", "at-lo", "day-event", "claimed-noon", "straddle-hi"]
    assert ids(engine.rows(kyiv)) == [i for i in IN_WINDOW if i in inside]
    assert engine.count(kyiv) == engine.count_placed(kyiv) == 5
    assert "Moscow" not in set(engine.places(kyiv)["name"])  # its places inside the box only
    assert engine.bins(kyiv)["count"].sum() == 5
    military = Ask(LO, HI, Filters.of({"category": ["military"]}), bbox=kyiv.bbox)
    assert set(ids(engine.rows(military))) == {"straddle-lo", "claimed-noon"}
    assert engine.count(Ask(LO, HI, bbox=(-10.0, -10.0, 10.0, 10.0))) == 0  # fmt: skip


# --- facets ---------------------------------------------------------------------------------


def test_facet_counts_leave_their_own_filter_out(engine):
    counts = engine.facet(ask(category=["military"]), "category")
    assert dict(zip(counts["value"], counts["count"], strict=True)) == {
        "statement": 3, "diplomacy": 3, "military": 3}  # fmt: skip
    actors = engine.facet(ask(category=["statement", "diplomacy"]), "actors")
    assert dict(zip(actors["value"], actors["count"], strict=True)) == {
        "": 3, "Ukraine": 3, "Russia": 1, "United States": 1}  # fmt: skip
    countries = engine.facet(DAY, "country")
    assert dict(zip(countries["value"], countries["count"], strict=True)) == {
        "UA": 6, "RU": 2, "ZA": 1, "": 1}  # fmt: skip
    assert engine.facet(DAY, "country")["value"].tolist()[0] == "UA"  # most frequent first


# --- single events, steps, search ----------------------------------------------------------------


def test_an_event_whole_with_its_places_found_or_not_and_its_links(engine):
    detail = engine.event("claimed-noon")
    assert detail.event["summary"] == "A drone hit the depot; fire."
    assert detail.event["extra.sub_event_type"] == "Air/drone strike"
    assert detail.places["name"].tolist() == ["Irpin", "Nowhereville"]
    assert np.isnan(detail.places["lat"].iloc[1])
    assert detail.links[["source_id", "target_id"]].values.tolist() == [
        ["claimed-noon", "day-event"]]  # fmt: skip
    assert len(engine.event("at-lo").links) == 2  # both ways
    assert engine.event("nope") is None


def test_neighbours_step_by_start_then_id_through_the_filters(engine):
    f = Filters()
    assert engine.neighbour(T("2025-03-18T00:00Z"), "at-lo", 1, f)["id"] == "day-event"
    assert engine.neighbour(T("2025-03-18T00:00Z"), "day-event", 1, f)["id"] == "claimed-noon"
    assert engine.neighbour(T("2025-03-18T00:00Z"), "day-event", -1, f)["id"] == "at-lo"
    military = Filters.of({"category": ["military"]})
    assert engine.neighbour(T("2025-03-18T00:00Z"), "", 1, military)["id"] == "claimed-noon"
    assert engine.neighbour(T("2025-03-20T09:00Z"), "after", 1, f) is None
    assert engine.neighbour(T("2025-03-15T00:00Z"), "range-day", -1, f) is None


def test_titles_search_and_extent(engine):
    assert engine.titles(("at-lo", "nope")) == {"at-lo": "Talks open in Jeddah"}
    assert ids(engine.search("talks")) == ["at-lo", "straddle-hi", "at-hi", "after"]
    assert ids(engine.search("100%")) == ["range-day"]
    assert ids(engine.search("a_b")) == ["day-event"]
    assert ids(engine.search("talks", limit=2)) == ["at-lo", "straddle-hi"]
    assert engine.extent() == (18.4, -33.9, 37.6, 55.75)


def test_cell_size_halves_with_each_zoom():
    assert cell_size(0) == 90.0 and cell_size(3) == 11.25
