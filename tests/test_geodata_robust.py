"""Bad input never takes geodata down: broken caches, unwritable paths, redirects, many processes.

Everything runs against real files in tmp_path and the real local server of
tests/nominatim_server.py (127.0.0.1 only). Real time is used only where the
spacing of requests is the behaviour under test.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nominatim_server import FakeNominatim

from geodata import CachedGeocoder, GeocodeCache, GeocoderUnavailable, GeodataError, Place
from geodata.cache import checked_name
from geodata.errors import CacheError, GeocoderRedirected, GeodataWarning, InvalidPlaceName
from geodata.geocoder import make_geocoder
from geodata.nominatim import ATTRIBUTION, NominatimGeocoder
from geodata.ratelimit import RateLimiter, shared_limiter, state_file_for

ROOT = Path(__file__).resolve().parents[1]
USER_AGENT = "timeline-map-tests/1.0 (geodata robustness tests)"
NIKOPOL = Place("Nikopol", 47.57, 34.39, "UA", "town", "x", ATTRIBUTION, None)
BROKEN_NAME = re.compile(r"geocode\.sqlite\.broken-\d{8}T\d{6}Z(-\d+)?")
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


class FakeClock:
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
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return NominatimGeocoder(
        user_agent=USER_AGENT, base_url=nominatim.url, timeout=2, rate_limiter=limiter
    )


def healthy_cache_bytes(tmp_path: Path, rows: int = 300) -> bytes:
    """A real cache file with enough rows to span many pages."""
    path = tmp_path / "healthy.sqlite"
    cache = GeocodeCache(path)
    cache.put("p", "Nikopol", "UA", NIKOPOL)
    with sqlite3.connect(path) as connection:  # one transaction: put() commits each row
        [row] = connection.execute("SELECT * FROM answers").fetchall()
        connection.executemany(
            "INSERT INTO answers VALUES (?, ?, ?, ?, ?)",
            [(row[0], f"place {number}", *row[2:]) for number in range(rows)],
        )
    connection.close()
    return path.read_bytes()


# --- a broken cache file is moved aside, and a fresh cache starts --------------------------------


def _garbage(tmp_path):
    return bytes(range(256)) * 64


def _text(tmp_path):
    return b"provider,query\nnominatim,Nikopol\n"


def _truncated_header(tmp_path):
    return healthy_cache_bytes(tmp_path)[:100]


def _truncated_half(tmp_path):
    data = healthy_cache_bytes(tmp_path)
    return data[: len(data) // 2]


def _wrong_columns(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE answers (question TEXT, answer TEXT)")
        connection.execute("INSERT INTO answers VALUES ('life', '42')")
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    "make_bytes", [_garbage, _text, _truncated_header, _truncated_half, _wrong_columns]
)
def test_a_broken_cache_file_is_moved_aside_and_a_fresh_one_starts(tmp_path, make_bytes):
    data = make_bytes(tmp_path)
    path = tmp_path / "cache" / "geocode.sqlite"
    path.parent.mkdir()
    path.write_bytes(data)

    with pytest.warns(
        GeodataWarning, match=r"was unreadable .*moved it to geocode\.sqlite\.broken"
    ):
        cache = GeocodeCache(path)

    assert BROKEN_NAME.fullmatch(cache.moved_aside.name)
    assert cache.moved_aside.read_bytes() == data  # kept as it was, for a person to look at
    assert cache.get("p", "Nikopol", "UA") == (False, None)
    cache.put("p", "Nikopol", "UA", NIKOPOL)
    assert GeocodeCache(path).get("p", "nikopol", "ua") == (True, NIKOPOL)


def test_a_second_broken_file_in_the_same_second_gets_its_own_name(tmp_path):
    path = tmp_path / "geocode.sqlite"
    moved = []
    for _ in range(2):
        path.write_bytes(b"garbage" * 100)
        with pytest.warns(GeodataWarning):
            moved.append(GeocodeCache(path).moved_aside)
    assert moved[0] != moved[1]
    assert all(place.read_bytes() == b"garbage" * 100 for place in moved)


def test_several_caches_opening_one_broken_file_at_once_move_it_once(tmp_path):
    path = tmp_path / "geocode.sqlite"
    path.write_bytes(b"garbage" * 1000)
    caches, errors = [], []

    def open_cache():
        try:
            caches.append(GeocodeCache(path))
        except Exception as error:  # noqa: BLE001 (the test reports any)
            errors.append(error)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeodataWarning)
        threads = [threading.Thread(target=open_cache) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(list(tmp_path.glob("geocode.sqlite.broken-*"))) == 1
    caches[0].put("p", "Nikopol", "UA", NIKOPOL)
    assert all(cache.get("p", "Nikopol", "UA") == (True, NIKOPOL) for cache in caches)


def test_an_empty_file_is_a_new_cache_without_a_warning(tmp_path):
    path = tmp_path / "geocode.sqlite"
    path.touch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache = GeocodeCache(path)
    assert cache.moved_aside is None
    cache.put("p", "Nikopol", "UA", NIKOPOL)
    assert cache.get("p", "Nikopol", "UA") == (True, NIKOPOL)


def test_online_lookup_survives_a_garbage_cache(nominatim, tmp_path):
    path = tmp_path / "geocode.sqlite"
    path.write_bytes(bytes(range(256)) * 16)
    with pytest.warns(GeodataWarning, match="moved it"):
        geocoder = make_geocoder(
            online=True, user_agent=USER_AGENT, base_url=nominatim.url, cache_path=path
        )
    assert geocoder.geocode("Nikopol", "UA").credit == ATTRIBUTION
    assert len(nominatim.requests) == 1


# --- a cache that cannot be used at all is CacheError, with the path and the reason -------------


def test_somebody_elses_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "events.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE events (id TEXT)")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(CacheError, match=r"events\.sqlite.*database of something else.*events"):
        GeocodeCache(path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]  # nothing moved, nothing added


def unwritable_cases(tmp_path: Path) -> dict[str, Path]:
    regular = tmp_path / "a-file.txt"
    regular.write_text("a file, not a folder")
    return {
        "under a regular file": regular / "geocode.sqlite",
        "deeper under a regular file": regular / "sub" / "geocode.sqlite",
        "a folder": tmp_path,
    }


@pytest.mark.parametrize(
    "case", ["under a regular file", "deeper under a regular file", "a folder"]
)
def test_an_unusable_cache_path_is_a_one_line_cache_error(tmp_path, case):
    path = unwritable_cases(tmp_path)[case]
    with pytest.raises(CacheError) as raised:
        GeocodeCache(path)
    message = str(raised.value)
    assert isinstance(raised.value, GeodataError)
    assert isinstance(raised.value, OSError)
    assert str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_and_never_moved_aside(device):
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    with pytest.raises(CacheError, match="not a regular file"):
        GeocodeCache(device)
    assert Path(device).exists()


@pytest.mark.skipif(ROOT_USER, reason="root writes into any folder")
def test_a_folder_we_cannot_write_is_a_cache_error(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(CacheError, match="unable to open"):
            GeocodeCache(folder / "geocode.sqlite")
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(ROOT_USER, reason="root writes any file")
def test_a_cache_file_we_cannot_write_fails_when_made_not_on_first_answer(tmp_path):
    path = tmp_path / "geocode.sqlite"
    GeocodeCache(path)
    path.chmod(0o444)
    try:
        with pytest.raises(CacheError, match="readonly"):
            GeocodeCache(path)
    finally:
        path.chmod(0o644)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
def test_a_system_folder_is_a_cache_error_even_for_root():
    with pytest.raises(CacheError, match="/sys/geocode.sqlite"):
        GeocodeCache("/sys/geocode.sqlite")


def test_a_cache_that_breaks_after_it_was_made_loses_no_answer(geocoder, nominatim, tmp_path):
    folder = tmp_path / "gone"
    cached = CachedGeocoder(geocoder, GeocodeCache(folder / "geocode.sqlite"), "nominatim test")
    folder.joinpath("geocode.sqlite").unlink()
    folder.rmdir()  # SQLite cannot even open it now
    with pytest.warns(GeodataWarning) as said:
        place = cached.geocode("Nikopol", "UA")
    assert place.name == "Nikopol"
    assert [str(warning.message).split(":")[0] for warning in said] == [
        "cache not read, asking instead",
        "answer not cached",
    ]


# --- names that are not text -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Kyiv\udcff", "\udcff\udcfe"])
def test_a_name_that_is_not_text_is_invalid_place_name(geocoder, nominatim, tmp_path, name):
    cached = CachedGeocoder(geocoder, GeocodeCache(tmp_path / "c.sqlite"), "nominatim test")
    for lookup in (geocoder, cached):
        with pytest.raises(InvalidPlaceName) as raised:
            lookup.geocode(name)
        assert isinstance(raised.value, ValueError)
    assert nominatim.requests == []
    assert checked_name("Kyiv ✓") == "Kyiv ✓"


# --- online is something callers can ask ---------------------------------------------------------


def test_an_online_geocoder_says_so(geocoder, tmp_path):
    assert geocoder.online is True
    cached = CachedGeocoder(geocoder, GeocodeCache(tmp_path / "c.sqlite"), "nominatim test")
    assert cached.online is True
    with pytest.raises(AttributeError):
        geocoder.online = False  # read-only
    offline_inner = CachedGeocoder(object(), GeocodeCache(tmp_path / "d.sqlite"), "p")
    assert offline_inner.online is False


# --- redirects are never followed -----------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused(nominatim, clock):
    with FakeNominatim() as elsewhere:
        target = elsewhere.url.replace("127.0.0.1", "localhost") + "/search"
        with FakeNominatim(redirect_to=target) as server:
            geocoder = NominatimGeocoder(
                user_agent=USER_AGENT,
                base_url=server.url,
                rate_limiter=RateLimiter(clock=clock, sleep=clock.sleep),
            )
            with pytest.raises(GeocoderRedirected) as raised:
                geocoder.geocode("redirect elsewhere")
            assert len(server.requests) == 1
        assert elsewhere.requests == []  # nothing, not even the query, reached the other host
    error = raised.value
    assert isinstance(error, GeocoderUnavailable)
    host = target.split("/")[2]
    assert f"redirected to {host}; not followed" in str(error)
    assert str(error).startswith(f"the geocoding server {server.url} ")
    assert error.location.startswith(target + "?")


def test_a_redirect_on_the_same_host_is_refused_too(geocoder, nominatim):
    with pytest.raises(GeocoderRedirected, match="if the server has moved") as raised:
        geocoder.geocode("redirect here")
    assert raised.value.location == f"{nominatim.url}/search?q=Sloviansk&format=json&limit=1"
    assert [request.q for request in nominatim.requests] == ["redirect here"]  # not followed


def test_a_redirect_without_a_location_is_refused(geocoder, nominatim):
    with pytest.raises(GeocoderRedirected, match="without saying where") as raised:
        geocoder.geocode("redirect nowhere")
    assert raised.value.location is None


def test_a_redirect_is_not_cached_as_not_found(geocoder, nominatim, tmp_path):
    cache = GeocodeCache(tmp_path / "c.sqlite")
    with pytest.raises(GeocoderRedirected):
        CachedGeocoder(geocoder, cache, "nominatim test").geocode("redirect elsewhere")
    assert cache.get("nominatim test", "redirect elsewhere") == (False, None)


def test_found_places_still_come_through_the_redirect_free_adapter(geocoder):
    assert (
        geocoder.geocode("Sloviansk", "UA").source == "OpenStreetMap via Nominatim, relation/900001"
    )


# --- the rate limit is shared across processes through a file -------------------------------------


def test_two_limiters_on_one_state_file_space_each_other(tmp_path, clock):
    state = tmp_path / "ratelimit.json"
    first = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    second = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)  # "another process"
    with first.slot():
        clock.now += 0.25
    with second.slot():
        pass
    assert clock.sleeps == [1.0]
    assert first.shared_across_processes and second.shared_across_processes


def test_a_back_off_in_one_limiter_holds_back_the_other(tmp_path, clock):
    state = tmp_path / "ratelimit.json"
    first = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    second = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    first.back_off(30)
    with second.slot():
        pass
    assert clock.sleeps == [30.0]


def test_a_back_off_inside_a_slot_reaches_the_state_file(tmp_path, clock):
    state = tmp_path / "ratelimit.json"
    first = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    second = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    with first.slot():
        first.back_off(5)  # no deadlock on its own lock
    with second.slot():
        pass
    assert clock.sleeps == [5.0]


def test_a_stale_state_file_cannot_stall_lookups(tmp_path, clock):
    # Written when the wall clock was far ahead (then set back): wait what was booked, no more.
    state = tmp_path / "ratelimit.json"
    state.write_text('{"not_before": 1000000000.0, "wait": 1.0}')
    with RateLimiter(clock=clock, sleep=clock.sleep, state_file=state).slot():
        pass
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("content", ["", "garbage", "{}", '{"not_before": "soon"}', "[1, 2]"])
def test_an_unreadable_state_file_is_ignored(tmp_path, clock, content):
    state = tmp_path / "ratelimit.json"
    state.write_text(content)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    with limiter.slot():
        pass
    with limiter.slot():
        pass
    assert clock.sleeps == [1.0]


def test_an_unwritable_state_folder_falls_back_to_this_process_and_says_so_once(tmp_path, clock):
    regular = tmp_path / "a-file.txt"
    regular.write_text("not a folder")
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, state_file=regular / "ratelimit.json")
    with pytest.warns(GeodataWarning, match="within this process only"):
        with limiter.slot():
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once is enough
        with limiter.slot():
            pass
    assert clock.sleeps == [1.0]  # still spaced here
    assert not limiter.shared_across_processes
    assert limiter.process_local_because


def test_the_default_limiter_keeps_its_state_in_the_cache_folder(nominatim, cache_dir):
    geocoder = NominatimGeocoder(user_agent=USER_AGENT, base_url=nominatim.url)
    assert geocoder.rate_limiter.state_file == state_file_for(nominatim.url, cache_dir)
    assert shared_limiter(nominatim.url, state_dir=cache_dir) is geocoder.rate_limiter
    assert not cache_dir.exists()  # made on the first request, not on construction
    geocoder.geocode("Qqxyzz")
    assert geocoder.rate_limiter.state_file.exists()


def test_cli_processes_started_together_reach_the_server_a_second_apart(nominatim, cache_dir):
    env = {
        **os.environ,
        "PYTHONUTF8": "1",
        "TIMELINE_MAP_CACHE_DIR": str(cache_dir),
        "TIMELINE_MAP_USER_AGENT": USER_AGENT,
    }
    names = ["Qqxyzz", "Qqvwzz", "Qqjkzz"]  # unknown to the gazetteer: each asks online
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "geodata",
                "lookup",
                name,
                "--online",
                "--nominatim-url",
                nominatim.url,
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    try:
        results = [process.communicate(timeout=60) for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [process.returncode for process in processes] == [1, 1, 1], results
    assert all("Traceback" not in stderr for _, stderr in results)
    arrivals = sorted(request.at for request in nominatim.requests)
    assert sorted(request.q for request in nominatim.requests) == sorted(names)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    # The server's clock, not ours: each request arrived a full interval after the last.
    assert min(gaps) >= 0.95, gaps


# Any text, with lone surrogates (what undecodable command-line bytes become) often enough.
ANY_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]))


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(ANY_CHARACTER, max_size=30),
    country=st.one_of(st.none(), st.sampled_from(["UA", "ru", " us "])),
)
def test_any_name_is_stored_and_found_again_or_refused_as_invalid(tmp_path_factory, name, country):
    cache = GeocodeCache(tmp_path_factory.mktemp("cache") / "geocode.sqlite")
    try:
        cache.put("p", name, country, NIKOPOL)
    except InvalidPlaceName:
        assert any(0xD800 <= ord(char) <= 0xDFFF for char in name)
        return
    assert cache.get("p", name, country) == (True, NIKOPOL)


# --- nothing is written through a symbolic link ---------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "-journal", "-wal"])
def test_a_cache_path_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path, suffix):
    # Before: SQLite followed the link and turned its target (any file of the user's) into a
    # geocode cache.
    target = tmp_path / "thesis.txt"
    target.write_text("my thesis")
    cache = tmp_path / "cache" / "geocode.sqlite"
    cache.parent.mkdir()
    (cache.parent / (cache.name + suffix)).symlink_to(target)
    with pytest.raises(CacheError) as raised:
        GeocodeCache(cache)
    message = str(raised.value)
    assert f"{cache}{suffix} is a symbolic link (refusing to write through it)" in message
    assert str(cache) in message and "\n" not in message
    assert target.read_text() == "my thesis"


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_never_made(tmp_path):
    # Before: opening the lock with O_CREAT made the link's target, wherever it pointed.
    from geodata import filelock

    target = tmp_path / "elsewhere" / "made-by-us"
    target.parent.mkdir()
    lock = tmp_path / "geocode.sqlite.lock"
    lock.symlink_to(target)
    with pytest.raises(OSError, match="is a symbolic link; refusing to write through it"):
        with filelock.locked(lock):
            pass
    assert not target.exists()


def test_a_rate_limit_file_that_is_a_symlink_spaces_within_the_process_only(tmp_path, clock):
    target = tmp_path / "made-by-us"
    state = tmp_path / "ratelimit.json"
    state.symlink_to(target)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, state_file=state)
    with pytest.warns(GeodataWarning, match="symbolic link; refusing to write through it"):
        with limiter.slot():
            pass
    assert not target.exists() and not limiter.shared_across_processes
