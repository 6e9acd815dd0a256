"""The online side of geodata, against a real HTTP server on 127.0.0.1 (tests/nominatim_server.py).

No test here reaches the internet: every geocoder gets the local server's URL.
Timing is asserted only where it is the behaviour under test (rate limiting, a
timeout); elsewhere the rate limiter runs on a fake clock and never sleeps.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from nominatim_server import FakeNominatim

from geodata import (
    CachedGeocoder,
    ConfigurationError,
    GeocodeCache,
    GeocoderRateLimited,
    GeocoderUnavailable,
    GeodataError,
    Place,
    default_cache_path,
    default_user_agent,
    make_geocoder,
)
from geodata.errors import GeodataWarning
from geodata.nominatim import (
    ATTRIBUTION,
    DEFAULT_RETRY_AFTER,
    NominatimGeocoder,
    place_from_nominatim,
    precision_from_osm,
)
from geodata.ratelimit import RateLimiter, shared_limiter

USER_AGENT = "timeline-map-tests/1.0 (geodata test suite)"
FAILURES = ["slow", "ratelimited", "forbidden", "broken", "garbage", "oddjson"]


class FakeClock:
    """A clock that only moves when the code under test sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """The default cache folder (and the rate limiter's state file in it) stays in tmp_path."""
    directory = tmp_path / "cache-dir"
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def nominatim():
    with FakeNominatim() as server:
        yield server


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def geocoder(nominatim, clock):
    """Nominatim on the local server, throttled on the fake clock; a short timeout for 'slow'."""
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return NominatimGeocoder(
        user_agent=USER_AGENT, base_url=nominatim.url, timeout=0.5, rate_limiter=limiter
    )


def snapshot(path):
    """The cache file's bytes and rows, to show a failure changed neither."""
    data = path.read_bytes()
    with sqlite3.connect(path) as connection:
        rows = sorted(connection.execute("SELECT * FROM answers"))
    return data, rows


def integrity(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


# --- talking to Nominatim ------------------------------------------------------------------------


def test_a_found_place_says_where_it_came_from(geocoder, nominatim):
    place = geocoder.geocode("Sloviansk", "UA")
    assert place == Place(
        name="Sloviansk",
        lat=48.853,
        lon=37.605,
        country="UA",
        precision="town",
        source="OpenStreetMap via Nominatim, relation/900001",
        credit="© OpenStreetMap contributors",
        timezone=None,
    )
    assert place.credit == ATTRIBUTION


def test_the_request_identifies_us_and_asks_what_we_need(geocoder, nominatim):
    geocoder.geocode("Sloviansk", "ua")
    [request] = nominatim.requests
    assert request.user_agent == USER_AGENT
    assert request.path == "/search"
    assert request.params == {
        "q": "Sloviansk",
        "format": "json",
        "limit": "1",
        "addressdetails": "1",
        "accept-language": "en",
        "countrycodes": "ua",
    }


@pytest.mark.parametrize(
    ("name", "country", "expected"),
    [
        ("Sloviansk", "RU", None),  # the server honours countrycodes
        ("Qqxyzz", None, None),
        ("   ", None, None),
        ("Nikopol", None, ("Nikopol", "UA", "town")),
        (
            "Sumy Regional Clinical Hospital",
            "UA",
            ("Sumy Regional Clinical Hospital", "UA", "site"),
        ),
        ("Dnipropetrovsk Oblast", None, ("Dnipropetrovsk Oblast", "UA", "region")),
    ],
)
def test_answers_become_places_or_none(geocoder, name, country, expected):
    place = geocoder.geocode(name, country)
    assert (place and (place.name, place.country, place.precision)) == expected


@pytest.mark.parametrize("query", FAILURES)
def test_every_failure_is_geocoder_unavailable_and_never_retried(geocoder, nominatim, query):
    with pytest.raises(GeocoderUnavailable) as raised:
        geocoder.geocode(query)
    assert isinstance(raised.value, GeodataError)
    assert isinstance(raised.value, OSError)
    assert "Nominatim" in str(raised.value)
    assert len(nominatim.requests_for(query)) == 1  # no automatic retry, 4xx or otherwise


def test_a_slow_server_times_out_after_about_the_timeout(geocoder, nominatim):
    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable, match="timed out"):
        geocoder.geocode("slow")
    elapsed = time.monotonic() - started
    assert elapsed < nominatim.slow_seconds - 1  # 0.5 s timeout; the server would answer at 3 s


def test_a_refused_connection_is_geocoder_unavailable(clock):
    with socket.socket() as probe:  # a port that was free a moment ago and has no server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    geocoder = NominatimGeocoder(
        user_agent=USER_AGENT,
        base_url=f"http://127.0.0.1:{port}",
        rate_limiter=RateLimiter(clock=clock, sleep=clock.sleep),
    )
    with pytest.raises(GeocoderUnavailable):
        geocoder.geocode("Sloviansk")


def test_429_keeps_retry_after_and_the_next_request_waits_that_long(geocoder, nominatim, clock):
    with pytest.raises(GeocoderRateLimited) as raised:
        geocoder.geocode("ratelimited")
    assert raised.value.retry_after == 2
    assert isinstance(raised.value, GeocoderUnavailable)
    assert clock.sleeps == []  # the limiter does not retry by itself

    geocoder.geocode("Sloviansk")
    assert clock.sleeps == [2.0]  # Retry-After, longer than the 1 s interval
    assert [r.q for r in nominatim.requests] == ["ratelimited", "Sloviansk"]


def test_429_without_retry_after_still_backs_off(geocoder, nominatim, clock):
    with pytest.raises(GeocoderRateLimited, match="no Retry-After") as raised:
        geocoder.geocode("ratelimited quietly")
    assert raised.value.retry_after is None
    geocoder.geocode("Sloviansk")
    assert clock.sleeps == [DEFAULT_RETRY_AFTER]


def test_two_geocoders_share_one_limiter_and_requests_arrive_a_second_apart(nominatim, cache_dir):
    # Real time on purpose: this is the behaviour Nominatim's policy asks for.
    first = NominatimGeocoder(user_agent=USER_AGENT, base_url=nominatim.url)
    second = NominatimGeocoder(user_agent=USER_AGENT, base_url=nominatim.url + "/")
    shared = shared_limiter(nominatim.url, state_dir=cache_dir)
    assert first.rate_limiter is second.rate_limiter is shared
    assert shared.state_file.parent == cache_dir  # shared with other processes too
    first.geocode("Sloviansk")
    second.geocode("Qqxyzz")
    arrivals = [request.at for request in nominatim.requests]
    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 1.0  # the server sees the full second


# --- the rate limiter on a fake clock ------------------------------------------------------------


def send(limiter, clock, seconds=0.0):
    """One request through the limiter that takes ``seconds`` on the fake clock."""
    with limiter.slot():
        clock.now += seconds


def test_the_limiter_spaces_requests_by_the_interval(clock):
    limiter = RateLimiter(min_interval=1.0, clock=clock, sleep=clock.sleep)
    send(limiter, clock)
    assert clock.sleeps == []  # the first request goes at once
    send(limiter, clock)
    assert clock.sleeps == [1.0]
    clock.now += 0.25
    send(limiter, clock)
    assert clock.sleeps == [1.0, 0.75]
    clock.now += 5
    send(limiter, clock)
    assert clock.sleeps == [1.0, 0.75]  # idle long enough: no wait


def test_the_interval_counts_from_the_end_of_the_last_request(clock):
    # So the spacing holds at the server, however long a request takes.
    limiter = RateLimiter(min_interval=1.0, clock=clock, sleep=clock.sleep)
    send(limiter, clock, seconds=3.0)
    send(limiter, clock)
    assert clock.sleeps == [1.0]


def test_a_failed_request_still_books_its_slot(clock):
    limiter = RateLimiter(min_interval=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(OSError), limiter.slot():
        raise OSError("connection refused")
    send(limiter, clock)
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("back_off", "expected_sleep"),
    [(2.0, 2.0), (0.5, 1.0), (0.0, 1.0), (30, 30.0)],  # never shorter than the interval
)
def test_back_off_delays_the_next_request(clock, back_off, expected_sleep):
    limiter = RateLimiter(min_interval=1.0, clock=clock, sleep=clock.sleep)
    send(limiter, clock)
    limiter.back_off(back_off)
    send(limiter, clock)
    assert clock.sleeps == [expected_sleep]


def test_the_limiter_queues_threads_one_request_at_a_time(clock):
    limiter = RateLimiter(min_interval=1.0, clock=clock, sleep=clock.sleep)
    in_flight, most_in_flight = [], []

    def request():
        with limiter.slot():
            in_flight.append(1)
            most_in_flight.append(len(in_flight))
            clock.now += 0.1  # the request takes a tenth of a second
            in_flight.pop()

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(most_in_flight) == 1
    # All six asked at once: each after the first waited one full interval.
    assert clock.sleeps == [1.0] * 5


def test_a_negative_interval_is_refused():
    with pytest.raises(ConfigurationError):
        RateLimiter(min_interval=-1)


# --- the cache -----------------------------------------------------------------------------------


def test_found_and_not_found_answers_survive_a_new_cache_on_the_same_file(
    geocoder, nominatim, tmp_path
):
    path = tmp_path / "deep" / "er" / "geocode.sqlite"  # parent directories are created
    cached = CachedGeocoder(geocoder, GeocodeCache(path), "nominatim test")
    found = cached.geocode("Sloviansk", "UA")
    assert cached.geocode("Qqxyzz") is None
    assert len(nominatim.requests) == 2

    reopened = CachedGeocoder(geocoder, GeocodeCache(path), "nominatim test")
    assert reopened.geocode("sloviansk", "ua") == found  # the key is normalised
    assert reopened.geocode("  QQXYZZ ") is None
    assert len(nominatim.requests) == 2  # both answered from the file
    assert integrity(path) == "ok"


@pytest.mark.parametrize("query", FAILURES)
def test_a_failure_leaves_the_cache_file_as_it_was(geocoder, nominatim, tmp_path, query):
    path = tmp_path / "geocode.sqlite"
    cache = GeocodeCache(path)
    cached = CachedGeocoder(geocoder, cache, "nominatim test")
    cached.geocode("Sloviansk")
    before = snapshot(path)

    with pytest.raises(GeocoderUnavailable):
        cached.geocode(query)

    assert snapshot(path) == before
    assert integrity(path) == "ok"
    assert cache.get("nominatim test", query) == (False, None)  # not remembered as not found


def test_the_cache_keeps_providers_and_countries_apart(tmp_path):
    cache = GeocodeCache(tmp_path / "geocode.sqlite")
    place = Place("Nikopol", 47.57, 34.39, "UA", "town", "x", ATTRIBUTION, None)
    cache.put("nominatim a", "Nikopol", "UA", place)
    assert cache.get("nominatim a", "nikopol", "ua") == (True, place)
    assert cache.get("nominatim a", "Nikopol") == (False, None)
    assert cache.get("nominatim b", "Nikopol", "UA") == (False, None)
    cache.put("nominatim a", "Nikopol", None, None)
    assert cache.get("nominatim a", "Nikopol") == (True, None)


def test_the_cache_records_when_an_answer_was_fetched(tmp_path):
    path = tmp_path / "geocode.sqlite"
    GeocodeCache(path).put("p", "Qqxyzz", None, None, fetched_at=datetime(2025, 3, 18, tzinfo=UTC))
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT query, country, place, fetched_at FROM answers").fetchone()
    assert row == ("qqxyzz", "", None, "2025-03-18T00:00:00+00:00")


def test_a_file_that_is_not_a_cache_is_moved_aside_not_fatal(tmp_path):
    # More cases (truncated, wrong tables, unwritable) in test_geodata_robust.py.
    path = tmp_path / "geocode.sqlite"
    path.write_text("not a database, just text " * 100)
    with pytest.warns(GeodataWarning, match="moved it to geocode.sqlite.broken-"):
        cache = GeocodeCache(path)
    assert cache.moved_aside.read_text().startswith("not a database")
    assert cache.get("p", "Nikopol") == (False, None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TIMELINE_MAP_CACHE_DIR": "/srv/cache"}, "/srv/cache/geocode.sqlite"),
        ({"HOME": "/home/reader"}, "/home/reader/.cache/timeline-map/geocode.sqlite"),
    ],
)
def test_the_default_cache_path(monkeypatch, env, expected):
    monkeypatch.delenv("TIMELINE_MAP_CACHE_DIR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert str(default_cache_path()) == expected


# --- make_geocoder(online=True) ------------------------------------------------------------------


def test_online_asks_the_gazetteer_first_then_cached_nominatim(nominatim, tmp_path):
    path = tmp_path / "geocode.sqlite"
    geocoder = make_geocoder(
        online=True, user_agent=USER_AGENT, base_url=nominatim.url, cache_path=path
    )
    assert geocoder.geocode("Slovyansk", "UA").source == "GeoNames 693468"
    assert nominatim.requests == []  # the gazetteer knew it

    place = geocoder.geocode("Nikopol", "UA")
    assert (place.credit, place.source) == (ATTRIBUTION, "OpenStreetMap via Nominatim, node/900002")
    again = make_geocoder(
        online=True, user_agent=USER_AGENT, base_url=nominatim.url, cache_path=path
    )
    assert again.geocode("Nikopol", "UA") == place
    assert len(nominatim.requests) == 1


def test_online_settings_come_from_the_environment(nominatim, tmp_path, monkeypatch):
    monkeypatch.setenv("TIMELINE_MAP_NOMINATIM_URL", nominatim.url)
    monkeypatch.setenv("TIMELINE_MAP_USER_AGENT", "timeline-map-env-test/2")
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path / "cache"))
    assert make_geocoder(online=True).geocode("Qqxyzz") is None
    assert nominatim.requests[0].user_agent == "timeline-map-env-test/2"
    assert (tmp_path / "cache" / "geocode.sqlite").exists()


def test_the_default_user_agent_identifies_the_application():
    agent = default_user_agent()
    assert agent.startswith("timeline-map/")
    NominatimGeocoder(user_agent=agent)  # accepted; constructing sends nothing


# --- settings refused at construction ------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"user_agent": ""},
        {"user_agent": "   "},
        {"user_agent": None},
        {"user_agent": "my-application"},
        {"user_agent": "my_app/1"},
        {"user_agent": "specify_your_app_name_here"},
        {"user_agent": "geopy/2.5.0"},
        {"user_agent": "timeline-map/1\r\nX-Injected: 1"},
        {"user_agent": USER_AGENT, "base_url": "nominatim.openstreetmap.org"},
        {"user_agent": USER_AGENT, "base_url": "ftp://nominatim.example.org"},
        {"user_agent": USER_AGENT, "base_url": "https://nominatim.example.org/?q=x"},
        {"user_agent": USER_AGENT, "timeout": 0},
        {"user_agent": USER_AGENT, "timeout": -1},
    ],
)
def test_bad_settings_fail_at_construction(settings):
    with pytest.raises(ConfigurationError) as raised:
        NominatimGeocoder(**settings)
    assert isinstance(raised.value, ValueError)


def test_make_geocoder_online_refuses_a_sample_user_agent(tmp_path):
    with pytest.raises(ConfigurationError):
        make_geocoder(online=True, user_agent="my-application", cache_path=tmp_path / "c.sqlite")


def test_a_base_url_with_a_path_is_kept():
    geocoder = NominatimGeocoder(user_agent=USER_AGENT, base_url="https://example.org/nominatim/")
    assert geocoder.base_url == "https://example.org/nominatim"
    assert geocoder.provider == "nominatim https://example.org/nominatim"


# --- reading Nominatim's answer ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"error": "Unable to geocode"},
        {"error": {"code": 400, "message": "Parameter 'q' missing"}},
        {"places": []},
        "<html>",
        42,
        None,
        [1, 2],
        [None],
        [{"lon": "37.6"}],
        [{"lat": "north", "lon": "37.6"}],
        [{"lat": None, "lon": "37.6"}],
        [{"lat": "95", "lon": "37.6"}],
        [{"lat": "48.8", "lon": "-181"}],
        [{"lat": "nan", "lon": "37.6"}],
    ],
)
def test_an_answer_of_the_wrong_shape_is_geocoder_unavailable(answer):
    with pytest.raises(GeocoderUnavailable):
        place_from_nominatim(answer, query="Sloviansk")


def test_an_empty_list_is_not_found():
    assert place_from_nominatim([], query="Qqxyzz") is None


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"class": "building", "type": "yes", "addresstype": "building"}, "site"),
        ({"class": "amenity", "type": "hospital", "addresstype": "amenity"}, "site"),
        ({"category": "amenity", "type": "hospital"}, "site"),  # jsonv2
        ({"class": "boundary", "type": "administrative", "addresstype": "city"}, "town"),
        ({"class": "place", "type": "town", "addresstype": "town"}, "town"),
        ({"class": "place", "type": "village", "addresstype": "village"}, "town"),
        ({"class": "place", "type": "hamlet", "addresstype": "hamlet"}, "town"),
        ({"class": "boundary", "type": "administrative", "addresstype": "state"}, "region"),
        ({"class": "boundary", "type": "administrative", "addresstype": "province"}, "region"),
        ({"class": "boundary", "type": "administrative", "addresstype": "region"}, "region"),
        ({"class": "boundary", "type": "administrative", "addresstype": "country"}, "country"),
        ({"class": "highway", "type": "primary", "addresstype": "road"}, "town"),
        ({}, "town"),
    ],
)
def test_osm_tags_map_to_place_precisions(result, expected):
    assert precision_from_osm(result) == expected


def test_a_result_without_name_or_country_still_reads():
    place = place_from_nominatim(
        [{"lat": "48.8", "lon": "37.6", "display_name": "Somewhere, Donetsk Oblast, Ukraine"}],
        query="somewhere",
    )
    assert (place.name, place.country, place.source) == (
        "Somewhere",
        None,
        "OpenStreetMap via Nominatim",
    )


# --- a region narrows the query --------------------------------------------------------------


def test_a_region_is_sent_as_part_of_the_query(geocoder, nominatim):
    assert geocoder.geocode("Sloviansk", "UA", region="Donetsk Oblast") is None  # not in FOUND
    [request] = nominatim.requests
    assert (request.q, request.params["countrycodes"]) == ("Sloviansk, Donetsk Oblast", "ua")


def test_the_cache_keeps_answers_with_and_without_a_region_apart(geocoder, nominatim, tmp_path):
    cached = CachedGeocoder(geocoder, GeocodeCache(tmp_path / "c.sqlite"), "nominatim test")
    assert cached.geocode("Sloviansk", "UA").name == "Sloviansk"
    assert cached.geocode("Sloviansk", "UA", region="Donetsk Oblast") is None
    assert cached.geocode("Sloviansk", "UA", region="Donetsk Oblast") is None  # now cached
    assert cached.geocode("Sloviansk", "UA").name == "Sloviansk"  # still cached, as found
    assert [r.q for r in nominatim.requests] == ["Sloviansk", "Sloviansk, Donetsk Oblast"]
