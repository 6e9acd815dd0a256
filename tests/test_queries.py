"""The view queries, the same tests on two engines: DuckDB over the store's Parquet files, and
a throwaway PostgreSQL cluster (Debian's `postgresql`) holding the same frames.

Under CI=true a missing PostgreSQL fails the PostgreSQL half; elsewhere it is skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

from timeline.data import queries as Q
from timeline.data.store import MARKER_COLUMNS, save_store

UTC = "UTC"
LO = pd.Timestamp("2025-03-18T00:00Z")
HI = pd.Timestamp("2025-03-19T00:00Z")
T = pd.Timestamp
NAT = pd.NaT


def _event(id, title, start, end, earliest, latest, precision, category, claim="confirmed", **more):
    return dict(
        id=id,
        title=title,
        start=T(start),
        end=T(end) if end else NAT,
        earliest=T(earliest),
        latest=T(latest),
        time_precision=precision,
        category=category,
        claim_status=claim,
        **more,
    )


# Each event says where it stands against the window [LO, HI) = 18 March, UTC.
EVENTS = [
    _event("at-lo", "Talks open in Jeddah", "2025-03-18T00:00Z", None,
           "2025-03-18T00:00Z", "2025-03-18T00:00Z", "minute", "diplomacy"),  # in: at lo
    _event("at-hi", "Talks resume", "2025-03-19T00:00Z", None,
           "2025-03-19T00:00Z", "2025-03-19T00:00Z", "minute", "diplomacy"),  # out: at hi
    _event("straddle-hi", "Night session of TALKS", "2025-03-18T20:00Z", "2025-03-19T04:00Z",
           "2025-03-18T20:00Z", "2025-03-19T04:00Z", "span", "diplomacy"),  # in: straddles hi
    _event("straddle-lo", "Shelling along the front", "2025-03-17T20:00Z", "2025-03-18T02:00Z",
           "2025-03-17T20:00Z", "2025-03-18T02:00Z", "span", "military", ""),  # in: straddles lo
    _event("before", "Convoy leaves", "2025-03-17T12:00Z", None,
           "2025-03-17T12:00Z", "2025-03-17T12:00Z", "minute", "military"),  # out: before
    _event("just-before", "Drone seen", "2025-03-17T23:00Z", None,
           "2025-03-17T22:30Z", "2025-03-17T23:30Z", "hour", "military"),  # out: ends before lo
    _event("hour-into", "Sirens in Cape Town", "2025-03-17T23:45Z", None,
           "2025-03-17T23:15Z", "2025-03-18T00:15Z", "hour", "statement"),  # in: its hour meets lo
    _event("range-day", "Depot 100% destroyed", "2025-03-15T00:00Z", "2025-03-25T00:00Z",
           "2025-03-15T00:00Z", "2025-03-25T00:00Z", "range", "military", "claimed"),  # in: range
    _event("day-event", "Statement on the a_b line", "2025-03-18T00:00Z", None,
           "2025-03-18T00:00Z", "2025-03-19T00:00Z", "day", "statement"),  # in: the day
    _event("claimed-noon", "Strike on a depot", "2025-03-18T12:00Z", None,
           "2025-03-18T12:00Z", "2025-03-18T12:00Z", "minute", "military", "claimed"),
    _event("o'clock", "Denial at ten", "2025-03-18T22:00Z", None,
           "2025-03-18T22:00Z", "2025-03-18T22:00Z", "minute", "statement", "disputed"),
    _event("hour-at-end", "Late call", "2025-03-19T00:10Z", None,
           "2025-03-18T23:40Z", "2025-03-19T00:40Z", "hour", "diplomacy"),  # in, starts after hi
    _event("after", "Talks close", "2025-03-20T09:00Z", None,
           "2025-03-20T09:00Z", "2025-03-20T09:00Z", "minute", "diplomacy"),  # out: after
]  # fmt: skip

IN_WINDOW = {
    "at-lo", "straddle-hi", "straddle-lo", "hour-into", "range-day",
    "day-event", "claimed-noon", "o'clock", "hour-at-end",
}  # fmt: skip


def _place(event_id, order, name, lat, lon, precision):
    return dict(
        event_id=event_id, order=order, name=name, lat=lat, lon=lon, geo_precision=precision
    )


PLACES = [
    _place("at-lo", 0, "Kyiv", 50.45, 30.52, "site"),
    _place("at-hi", 0, "Kyiv", 50.30, 30.30, "site"),
    _place("straddle-hi", 0, "Brovary", 50.10, 30.90, "town"),
    _place("straddle-lo", 0, "Kyiv oblast", 50.90, 30.10, "region"),
    _place("hour-into", 0, "Cape Town", -33.90, 18.40, "town"),
    _place("range-day", 0, "Ukraine", 48.50, 31.50, "country"),
    _place("day-event", 0, "Kyiv", 50.50, 30.50, "site"),
    _place("day-event", 1, "Moscow", 55.75, 37.60, "site"),
    _place("claimed-noon", 0, "Irpin", 50.20, 30.20, "site"),
    _place("before", 0, "Kyiv", 50.40, 30.40, "site"),
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
    places = pd.DataFrame(PLACES)
    links = pd.DataFrame(LINKS, columns=["source_id", "relation", "target_id"])
    problems = pd.DataFrame({"file": pd.Series(dtype="str"), "problem": pd.Series(dtype="str")})
    return SimpleNamespace(events=events, places=places, links=links, problems=problems)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return save_store("k", _model(), root=tmp_path_factory.mktemp("store"), format="test")


# --- a throwaway PostgreSQL cluster ----------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL cluster in a temporary folder on a free port of 127.0.0.1, then stopped."""
    bindir = _pg_bin()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="timeline-pg-"))
    # initdb refuses to run as root: run the server as Debian's `postgres` user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "log"
    port = _free_port()

    def run(*args):
        subprocess.run([*as_user, *map(str, args)], check=True, capture_output=True, timeout=120)

    started = False
    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C")  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F"
        run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start")
        started = True
        con = ibis.postgres.connect(
            host="127.0.0.1", port=port, user="postgres", database="postgres"
        )
        yield con
        con.disconnect()
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode()}\n{server_log}")
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=["duckdb", "duckdb-plain", "postgres"])
def tables(request, store):
    if request.param == "duckdb":
        return Q.duckdb_tables(store)
    if request.param == "duckdb-plain":
        # Tables as a warehouse may hold them: places without their event's window columns
        # (the queries join instead), events without `start_s` (converted in the query),
        # and no known longest span.
        t = Q.duckdb_tables(store)
        plain = t.places.drop("event_ordinal", "place_coarse", "time_coarse", *MARKER_COLUMNS)
        return Q.Tables(t.events.drop("start_s"), plain, t.links)
    return Q.load_into(request.getfixturevalue("postgres"), store)


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["id"].tolist()


# --- windows ---------------------------------------------------------------------------------


def test_window_holds_exactly_the_events_meeting_it(tables):
    got = Q.events_in_window(tables, LO, HI)
    assert set(_ids(got)) == IN_WINDOW
    assert Q.count_in_window(tables, LO, HI) == len(IN_WINDOW)


def test_window_is_ordered_by_earliest_then_ordinal(tables):
    got = Q.events_in_window(tables, LO, HI)
    assert _ids(got)[:4] == ["range-day", "straddle-lo", "hour-into", "at-lo"]
    # at-lo and day-event share their earliest time: the ordinal (by id) breaks the tie.
    assert _ids(got)[4] == "day-event"
    assert got["earliest"].is_monotonic_increasing


def test_window_frames_have_the_same_dtypes_on_every_engine(tables):
    got = Q.events_in_window(tables, LO, HI)
    for column in ("start", "end", "earliest", "latest"):
        assert str(got[column].dtype) == "datetime64[us, UTC]", column
    assert got.loc[got["id"] == "at-lo", "end"].isna().all()  # a NaT end stays missing
    assert got.loc[got["id"] == "straddle-hi", "end"].iloc[0] == T("2025-03-19T04:00Z")
    assert got["ordinal"].dtype == "int64"


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        # An event exactly at hi is out; moving hi past it lets it in.
        (LO, HI, IN_WINDOW),
        (LO, HI + pd.Timedelta("1us"), IN_WINDOW | {"at-hi"}),
        # A window inside a span, and one inside a range: both hold the long event.
        (T("2025-03-19T02:00Z"), T("2025-03-19T03:00Z"), {"straddle-hi", "range-day"}),
        (T("2025-03-22T00:00Z"), T("2025-03-23T00:00Z"), {"range-day"}),
        # A window that ends where an event begins holds nothing of it (only the long range).
        (T("2025-03-17T00:00Z"), T("2025-03-17T12:00Z"), {"range-day"}),
        # Naive times are taken as UTC.
        (T("2025-03-20T09:00"), T("2025-03-20T09:01"), {"range-day", "after"}),
    ],
)
def test_window_edges(tables, lo, hi, expected):
    assert set(_ids(Q.events_in_window(tables, lo, hi))) == expected
    assert Q.count_in_window(tables, lo, hi) == len(expected)


@pytest.mark.parametrize(
    ("claims", "categories", "expected"),
    [
        ({"confirmed"}, None, {"at-lo", "straddle-hi", "hour-into", "day-event", "hour-at-end"}),
        ({""}, None, {"straddle-lo"}),
        (None, {"military"}, {"straddle-lo", "range-day", "claimed-noon"}),
        ({"claimed"}, {"military"}, {"range-day", "claimed-noon"}),
        ({"claimed", "disputed"}, {"statement", "military"},
         {"range-day", "claimed-noon", "o'clock"}),
        (set(), None, set()),
        (None, [], set()),
    ],
)  # fmt: skip
def test_window_filters(tables, claims, categories, expected):
    got = Q.events_in_window(tables, LO, HI, claim_statuses=claims, categories=categories)
    assert set(_ids(got)) == expected
    count = Q.count_in_window(tables, LO, HI, claim_statuses=claims, categories=categories)
    assert count == len(expected)


def test_window_pages_and_columns(tables):
    everything = _ids(Q.events_in_window(tables, LO, HI))
    pages = [
        _ids(Q.events_in_window(tables, LO, HI, limit=4, offset=k, columns=["id"]))
        for k in (0, 4, 8)
    ]
    assert pages[0] + pages[1] + pages[2] == everything
    assert [len(p) for p in pages] == [4, 4, 1]
    full = Q.events_in_window(tables, LO, HI, columns=None, limit=1)
    assert {"summary", "quote_verified", "start_offset_min"} <= set(full.columns)


def test_whole_table_window(tables):
    everything = Q.count_in_window(tables, T("2000-01-01T00:00Z"), T("2100-01-01T00:00Z"))
    assert everything == len(EVENTS)


# --- time bins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "max_bins", "width"),
    [
        (LO, HI, 200, "15min"),
        (LO, HI, 4, "6h"),
        (LO, LO + pd.Timedelta("30D"), 200, "6h"),
        (LO, LO + pd.Timedelta("3650D"), 200, "30D"),
        (LO, LO + pd.Timedelta("1min"), 200, "1min"),
        # Beyond the table of widths: whole multiples of 365 days.
        (T("1900-01-01T00:00Z"), T("2100-01-01T00:00Z"), 10, f"{365 * 23}D"),
    ],
)
def test_bin_width(lo, hi, max_bins, width):
    got = Q.bin_width(lo, hi, max_bins=max_bins)
    assert got == pd.Timedelta(width)
    origin = Q._floor_epoch(lo, int(got.total_seconds()))
    assert (hi.timestamp() - origin) / got.total_seconds() <= max_bins


def test_bin_width_counts_the_bin_before_an_unaligned_lo():
    # 00:30 to 24:30 is 24 hours, yet it meets 25 hour-aligned bins: 1 h is too narrow for 24.
    lo = T("2025-03-18T00:30Z")
    assert Q.bin_width(lo, lo + pd.Timedelta("24h"), max_bins=24) == pd.Timedelta("3h")


def test_counts_per_bin(tables):
    got = Q.counts_per_bin(tables, LO, HI, max_bins=4)
    rows = {(r.bin, r.category): r.count for r in got.itertuples()}
    assert rows == {
        # Starting before lo (straddle-lo, hour-into, range-day) clamps into the first bin,
        (0, "diplomacy"): 1,
        (0, "military"): 2,
        (0, "statement"): 2,
        (2, "military"): 1,
        # and starting at or after hi (hour-at-end, earliest inside) into the last.
        (3, "diplomacy"): 2,
        (3, "statement"): 1,
    }
    assert got["count"].sum() == Q.count_in_window(tables, LO, HI)
    assert got.loc[got["bin"] == 2, "bin_start"].iloc[0] == T("2025-03-18T12:00Z")
    assert (got["bin_end"] - got["bin_start"] == pd.Timedelta("6h")).all()
    assert str(got["bin_start"].dtype) == "datetime64[us, UTC]"


def test_counts_per_bin_with_a_filter(tables):
    got = Q.counts_per_bin(tables, LO, HI, max_bins=4, claim_statuses={"claimed"})
    assert {(r.bin, r.category): r.count for r in got.itertuples()} == {
        (0, "military"): 1,
        (2, "military"): 1,
    }


# --- map cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(("zoom", "size"), [(0, 90.0), (3, 11.25), (8, 360 / 256 / 4)])
def test_cell_size_halves_with_each_zoom(zoom, size):
    assert Q.cell_size(zoom) == pytest.approx(size)


def test_counts_per_cell(tables):
    got = Q.counts_per_cell(tables, LO, HI, cell_deg=1.0)
    rows = {(r.cell_y, r.cell_x, r.category): r.count for r in got.itertuples()}
    assert rows == {
        (50, 30, "diplomacy"): 2,  # at-lo, straddle-hi (at-hi and before are out of the window)
        (50, 30, "military"): 2,  # straddle-lo, claimed-noon
        (50, 30, "statement"): 1,  # day-event in Kyiv
        (55, 37, "statement"): 1,  # day-event's second place, Moscow
        (48, 31, "military"): 1,  # range-day, placed only to the country
        (-34, 18, "statement"): 1,  # south and west of zero: floor, not truncation
    }
    kyiv = got[(got["cell_y"] == 50) & (got["cell_x"] == 30)]
    assert (kyiv["cell_count"] == 5).all()
    assert kyiv["place_coarse_share"].tolist() == [0.2] * 3  # straddle-lo, a region
    assert kyiv["time_coarse_share"].tolist() == [0.2] * 3  # day-event, a day
    country = got[got["cell_y"] == 48].iloc[0]
    assert (country["place_coarse_share"], country["time_coarse_share"]) == (1.0, 1.0)
    assert (country["lat"], country["lon"]) == (48.5, 31.5)


def test_counts_per_cell_bbox_and_filter(tables):
    got = Q.counts_per_cell(
        tables, LO, HI, cell_deg=1.0, bbox=(29.0, 49.0, 32.0, 52.0), categories={"military"}
    )
    assert list(zip(got["cell_y"], got["cell_x"], got["count"], strict=True)) == [(50, 30, 2)]


def test_events_in_cell_are_paged_in_order(tables):
    page = [
        _ids(Q.events_in_cell(tables, LO, HI, cell_deg=1.0, cell=(50, 30), limit=2, offset=k))
        for k in (0, 2, 4, 6)
    ]
    assert page == [
        ["straddle-lo", "at-lo"],
        ["day-event", "claimed-noon"],
        ["straddle-hi"],
        [],
    ]
    south = Q.events_in_cell(tables, LO, HI, cell_deg=1.0, cell=(-34, 18))
    assert _ids(south) == ["hour-into"]


# --- one event, search -----------------------------------------------------------------------


def test_event_by_id_with_places_and_links(tables):
    detail = Q.event_by_id(tables, "day-event")
    assert detail.event["title"] == "Statement on the a_b line"
    assert detail.event["latest"] == T("2025-03-19T00:00Z")
    assert detail.places["name"].tolist() == ["Kyiv", "Moscow"]
    assert detail.links.values.tolist() == [
        ["claimed-noon", "reported_with", "day-event"],
        ["day-event", "follows_from", "at-lo"],
    ]


def test_event_by_id_quotes_and_misses(tables):
    detail = Q.event_by_id(tables, "o'clock")
    assert detail.event["claim_status"] == "disputed"
    assert detail.places.empty and detail.links.empty
    assert Q.event_by_id(tables, "nope") is None
    assert Q.event_by_id(tables, "%") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("talks", ["at-lo", "straddle-hi", "at-hi", "after"]),  # any case, earliest first
        ("TALKS", ["at-lo", "straddle-hi", "at-hi", "after"]),
        ("%", ["range-day"]),  # a percent sign is a character, not "anything"
        ("100%", ["range-day"]),
        ("_", ["day-event"]),  # an underscore too
        ("a%b", []),
        ("a_b", ["day-event"]),
        ("'", []),
        ("depot", ["range-day", "claimed-noon"]),
    ],
)
def test_search_titles(tables, text, expected):
    assert _ids(Q.search_titles(tables, text)) == expected


def test_search_titles_limit(tables):
    assert _ids(Q.search_titles(tables, "talks", limit=2)) == ["at-lo", "straddle-hi"]
