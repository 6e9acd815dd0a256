"""``python -m geodata lookup``, run as a user runs it: a subprocess with this interpreter."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nominatim_server import FakeNominatim

from geodata.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
USER_AGENT = "timeline-map-tests/1.0 (geodata CLI tests)"


@pytest.fixture
def nominatim():
    with FakeNominatim() as server:
        yield server


@pytest.fixture
def lookup(tmp_path):
    """Run ``python -m geodata lookup ARGS``; the cache and settings never leave tmp_path."""
    env = {
        **os.environ,
        "PYTHONUTF8": "1",  # the output has "—" and "©" whatever the locale
        "TIMELINE_MAP_CACHE_DIR": str(tmp_path / "cache"),
        # A public URL here would be a bug in the test, not a lookup.
        "TIMELINE_MAP_NOMINATIM_URL": "http://127.0.0.1:9",
    }
    env.pop("TIMELINE_MAP_USER_AGENT", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "geodata", "lookup", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )

    return run


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["Slovyansk", "--country", "UA"],
            "Sloviansk (UA): 48.84974, 37.59739 — town — GeoNames 693468 — GeoNames (CC BY 4.0)",
        ),
        (
            ["Kiev"],
            "Kyiv (UA): 50.45466, 30.5238 — town — GeoNames 703448 — GeoNames (CC BY 4.0)",
        ),
        (
            ["Ritz-Carlton Riyadh"],
            "Ritz-Carlton, Riyadh (SA): 24.665646, 46.628674 — site — "
            "site coordinates from the curators' research notes; not in GeoNames",
        ),
    ],
)
def test_a_known_place_prints_where_from_where_and_how_precisely(lookup, args, line):
    result = lookup(*args)
    assert (result.returncode, result.stdout, result.stderr) == (0, line + "\n", "")


def test_not_found_is_a_message_and_exit_1(lookup, tmp_path):
    result = lookup("Qqxyzz")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no place called 'Qqxyzz'" in result.stderr
    assert "--online" in result.stderr
    assert not (tmp_path / "cache").exists()  # offline: no cache touched


def test_ambiguous_lists_the_candidates_and_exits_2(lookup, tmp_path):
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(
        "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"
        "Sloviansk,Slavyansk,UA,48.84974,37.59739,town,Europe/Kyiv,GeoNames 693468,,\n"
        "Slavyansk-na-Kubani,Slavyansk,RU,45.26,38.12,town,,test data,,\n",
        encoding="utf-8",
    )
    result = lookup("Slavyansk", "--gazetteer", str(gazetteer))
    assert result.returncode == 2
    assert "give --country" in result.stderr
    assert "Sloviansk (UA): 48.84974, 37.59739" in result.stderr
    assert "Slavyansk-na-Kubani (RU): 45.26, 38.12" in result.stderr

    result = lookup("Slavyansk", "--gazetteer", str(gazetteer), "--country", "RU")
    assert result.returncode == 0
    assert result.stdout.startswith("Slavyansk-na-Kubani (RU)")


# Test data, not facts: two towns of one name in one country, told apart by region.
TWO_IN_ONE_COUNTRY = (
    "name,aliases,country,lat,lon,precision,timezone,source,credit,note,region\n"
    "Mykolaivka,,UA,48.86,37.6,town,Europe/Kyiv,test data,,,Donetsk Oblast\n"
    "Mykolaivka,,UA,46.1,30.9,town,Europe/Kyiv,test data,,,Odesa Oblast\n"
)


def test_two_places_in_one_country_ask_for_a_region_and_exit_2(lookup, tmp_path):
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(TWO_IN_ONE_COUNTRY, encoding="utf-8")
    result = lookup("Mykolaivka", "--country", "UA", "--gazetteer", str(gazetteer))
    assert result.returncode == 2
    assert result.stderr.startswith(
        "lookup: 'Mykolaivka' names several places in UA; give --region:"
    )
    assert "  Mykolaivka (Donetsk Oblast, UA): 48.86, 37.6" in result.stderr
    assert "  Mykolaivka (Odesa Oblast, UA): 46.1, 30.9" in result.stderr

    result = lookup("Mykolaivka", "--country", "UA", "--region", "Odesa Oblast",
                    "--gazetteer", str(gazetteer))  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("Mykolaivka (Odesa Oblast, UA): 46.1, 30.9 — town")


def test_a_guess_among_namesakes_prints_its_note_on_stderr(lookup):
    result = lookup("Zheleznogorsk", "--country", "RU")
    assert result.returncode == 0
    assert result.stdout.startswith("Zheleznogorsk (")
    assert result.stderr.startswith("lookup: note: one of ")

    chosen = lookup("Zheleznogorsk", "--country", "RU", "--region", "Krasnoyarsk Krai")
    assert (chosen.returncode, chosen.stderr) == (0, "")
    assert chosen.stdout != result.stdout  # the region chose another Zheleznogorsk


def test_online_a_region_goes_into_the_query(lookup, nominatim):
    result = lookup("Qqxyzz", "--country", "UA", "--region", "Donetsk Oblast",
                    "--online", "--nominatim-url", nominatim.url)  # fmt: skip
    assert result.returncode == 1
    assert [request.q for request in nominatim.requests] == ["Qqxyzz, Donetsk Oblast"]


def test_a_bad_gazetteer_names_its_row_and_column(lookup, tmp_path):
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(
        "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"
        "Sumy,,UA,95,34.8,town,,x,,\n",
        encoding="utf-8",
    )
    result = lookup("Sumy", "--gazetteer", str(gazetteer))
    assert result.returncode == 4
    assert f"{gazetteer}, row 2, column D (lat)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_country_name_instead_of_a_code_is_a_usage_error(lookup):
    result = lookup("Kyiv", "--country", "Ukraine")
    assert result.returncode == 2
    assert "two-letter" in result.stderr


def test_online_asks_the_local_server_and_credits_openstreetmap(lookup, nominatim, tmp_path):
    cache = tmp_path / "answers.sqlite"
    args = ["--online", "--nominatim-url", nominatim.url, "--user-agent", USER_AGENT]
    result = lookup("Nikopol", "--country", "UA", *args, "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Nikopol (UA): 47.57, 34.39 — town — OpenStreetMap via Nominatim, node/900002"
        " — © OpenStreetMap contributors\n"
    )
    [request] = nominatim.requests
    assert request.user_agent == USER_AGENT
    assert request.params["countrycodes"] == "ua"

    again = lookup("nikopol", "--country", "ua", *args, "--cache", str(cache))
    assert again.stdout == result.stdout
    assert len(nominatim.requests) == 1  # the second run answered from the cache


def test_online_not_found_is_exit_1(lookup, nominatim):
    result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url)
    assert result.returncode == 1
    assert "Nominatim" in result.stderr
    assert nominatim.requests[0].user_agent.startswith("timeline-map/")  # the default agent


@pytest.mark.parametrize("query", ["broken", "garbage", "ratelimited", "forbidden"])
def test_a_failing_server_is_a_clean_message_and_exit_3(lookup, nominatim, query):
    result = lookup(query, "--online", "--nominatim-url", nominatim.url)
    assert result.returncode == 3
    assert result.stderr.startswith("lookup: ")
    assert "Nominatim" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_server_at_all_is_exit_3(lookup):
    with socket.socket() as probe:  # a port that was free a moment ago and has no server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = lookup("Qqxyzz", "--online", "--nominatim-url", f"http://127.0.0.1:{port}")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


def test_a_sample_user_agent_is_refused_before_any_request(lookup, nominatim):
    args = ["--online", "--nominatim-url", nominatim.url, "--user-agent", "my-application"]
    result = lookup("Qqxyzz", *args)
    assert result.returncode == 4
    assert "user agent" in result.stderr
    assert nominatim.requests == []


def test_help_describes_every_option(lookup):
    result = lookup("--help")
    assert result.returncode == 0
    for option in ["--country", "--region", "--online", "--user-agent", "--nominatim-url",
                   "--cache", "--gazetteer", "exit status"]:  # fmt: skip
        assert option in result.stdout


# --- no input gives a traceback: every error is one "lookup: <message>" ---------------------------


def assert_clean_failure(result, status):
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("lookup: ")
    assert "Traceback" not in result.stderr


def cache_cases(tmp_path):
    regular = tmp_path / "a-file.txt"
    regular.write_text("a file, not a folder")
    foreign = tmp_path / "events.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE events (id TEXT)")
    connection.close()
    return {
        "under a regular file": regular / "geocode.sqlite",
        "a folder": tmp_path,
        "somebody else's database": foreign,
    }


@pytest.mark.parametrize("case", ["under a regular file", "a folder", "somebody else's database"])
def test_an_unusable_cache_is_one_line_and_exit_4(lookup, nominatim, tmp_path, case):
    path = cache_cases(tmp_path)[case]
    result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url, "--cache", str(path))
    assert_clean_failure(result, 4)
    assert result.stderr.count("\n") == 1  # one line
    assert str(path) in result.stderr
    assert nominatim.requests == []  # refused before asking anyone


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
def test_a_cache_in_a_folder_nobody_may_write_is_exit_4(lookup, nominatim):
    result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url,
                    "--cache", "/sys/timeline-map/geocode.sqlite")  # fmt: skip
    assert_clean_failure(result, 4)
    assert "/sys/timeline-map" in result.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_cache_folder_is_exit_4(lookup, nominatim, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url,
                        "--cache", str(folder / "geocode.sqlite"))  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert_clean_failure(result, 4)


def test_a_garbage_cache_is_moved_aside_and_the_lookup_goes_on(lookup, nominatim, tmp_path):
    path = tmp_path / "geocode.sqlite"
    path.write_bytes(bytes(range(256)) * 8)
    args = ["--online", "--nominatim-url", nominatim.url, "--cache", str(path)]
    result = lookup("Nikopol", "--country", "UA", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Nikopol (UA): 47.57, 34.39")
    assert result.stderr.startswith("lookup: warning: the geocode cache ")
    assert "moved it to geocode.sqlite.broken-" in result.stderr
    [moved] = tmp_path.glob("geocode.sqlite.broken-*")
    assert moved.read_bytes() == bytes(range(256)) * 8
    assert lookup("Nikopol", "--country", "UA", *args).stderr == ""  # the fresh cache is fine


def test_online_not_found_does_not_say_online_is_off(lookup, nominatim):
    result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url)
    assert result.stderr == "lookup: no place called 'Qqxyzz' in the gazetteer or Nominatim\n"


@pytest.mark.parametrize("case", ["missing", "a folder", "binary", "latin-1"])
def test_a_gazetteer_that_cannot_be_read_is_exit_4(lookup, tmp_path, case):
    path = tmp_path / "places.csv"
    if case == "a folder":
        path.mkdir()
    elif case == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif case == "latin-1":
        path.write_bytes("name,aliases,country\nKöln,,DE\n".encode("latin-1"))
    result = lookup("Kyiv", "--gazetteer", str(path))
    assert_clean_failure(result, 4)
    assert str(path) in result.stderr


@pytest.mark.parametrize("query", ["redirect elsewhere", "redirect here", "redirect nowhere"])
def test_a_redirect_is_not_followed_and_exits_3(lookup, nominatim, query):
    result = lookup(query, "--online", "--nominatim-url", nominatim.url)
    assert_clean_failure(result, 3)
    assert f"lookup: the geocoding server {nominatim.url} " in result.stderr
    assert [request.q for request in nominatim.requests] == [query]


def test_a_redirect_to_another_host_names_it(lookup, tmp_path):
    with FakeNominatim(redirect_to="http://elsewhere.invalid:8080/search") as server:
        result = lookup("redirect elsewhere", "--online", "--nominatim-url", server.url)
    assert_clean_failure(result, 3)
    assert "redirected to elsewhere.invalid:8080; not followed" in result.stderr


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (["Kyiv", "--online", "--nominatim-url", "nominatim.example.org"], 4, "base_url"),
        (
            ["Kyiv", "--online", "--nominatim-url", "http://127.0.0.1:9", "--user-agent", " "],
            4,
            "user agent",
        ),  # fmt: skip
    ],
)
def test_bad_settings_are_one_line(lookup, args, status, words):
    result = lookup("Qqxyzz", *args[1:])
    assert_clean_failure(result, status)
    assert words in result.stderr


def test_a_name_that_is_not_utf8_is_a_usage_error(tmp_path):
    env = {**os.environ, "TIMELINE_MAP_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "geodata", "lookup", b"Kyiv\xff", "--online",
         "--nominatim-url", "http://127.0.0.1:9"],  # fmt: skip
        cwd=ROOT, env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert b"not valid text" in result.stderr
    assert b"Traceback" not in result.stderr


def test_a_console_that_cannot_show_the_dash_gets_a_question_mark(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "geodata", "lookup", "Kyiv"],
        cwd=ROOT, env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == b"Kyiv (UA): 50.45466, 30.5238 ? town ? GeoNames 703448 ? GeoNames (CC BY 4.0)\n"
    )


# Names and countries that have broken lookups somewhere: empty, blank, control characters,
# combining marks, right-to-left text, a NUL, lone surrogates, a name as long as a page.
ODD_INPUT = [
    ("", None), ("   ", None), ("\t\n", None), ("\x00", None), ("Kyiv\x7f", None),
    ("\u0301", None), ("Kyi\u0301v", "UA"), ("\u202eKyiv", None), ("كييف", None),
    ("\ud800", None), ("Kyiv\udcff", "UA"), ("x" * 100_000, None), ("Kyiv", ""),
    ("Kyiv", "U"), ("Kyiv", "UKR"), ("Kyiv", "u\u0301"), ("Kyiv", "\x00\x00"), ("Kyiv", "XX"),
    ("Kyiv", "ua"), ("%s%n{0}", None), ("'; DROP TABLE answers; --", None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "country"), ODD_INPUT)
def test_odd_names_and_countries_never_give_an_internal_error_offline(name, country):
    argv = ["lookup", name, *(["--country", country] if country is not None else [])]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as usage:  # argparse's usage error: a message, not a traceback
            status = usage.code
    assert status in (0, 1, 2), stderr.getvalue()
    assert "internal error" not in stderr.getvalue()


# Any text, with lone surrogates (what undecodable command-line bytes become) often enough.
ANY_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]))


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(ANY_CHARACTER, max_size=40),
    country=st.one_of(st.none(), st.text(max_size=3)),
)
def test_no_text_as_name_or_country_gives_an_internal_error_offline(name, country):
    argv = ["lookup", name, *(["--country", country] if country is not None else [])]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as usage:
            status = usage.code
    assert status in (0, 1, 2), stderr.getvalue()
    assert "internal error" not in stderr.getvalue()


# --- issue 16: a slow or hostile server ----------------------------------------------------------


@pytest.mark.parametrize("query", ["trickle", "trickle headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline_of_one_request(lookup, query):
    """Headers (or not even those), then a byte every 0.2 s for a minute: each read is quick,
    so a per-read timeout never fires; the request's 5 s deadline does."""
    with FakeNominatim(slow_seconds=60, trickle_seconds=0.2) as server:
        started = time.monotonic()
        result = lookup(query, "--online", "--nominatim-url", server.url)
        elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    assert "within 5 s" in result.stderr
    assert elapsed < 15  # the 5 s deadline and the interpreter's start; it trickles for 60 s


@pytest.mark.parametrize(
    ("query", "words"),
    [("deep", "nested 100,000 levels deep"), ("huge", "larger than 1 MB")],
)
def test_a_deep_or_huge_answer_is_the_server_s_fault_not_an_internal_error(
    lookup, nominatim, query, words
):
    result = lookup(query, "--online", "--nominatim-url", nominatim.url)
    assert result.returncode == 3, result.stderr
    assert words in result.stderr
    assert "internal error" not in result.stderr


def test_a_cache_that_is_a_symlink_is_exit_4_and_its_target_untouched(lookup, nominatim, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    link = tmp_path / "geocode.sqlite"
    link.symlink_to(target)
    result = lookup("Qqxyzz", "--online", "--nominatim-url", nominatim.url, "--cache", str(link))
    assert_clean_failure(result, 4)
    assert result.stderr.count("\n") == 1
    assert f"{link} is a symbolic link" in result.stderr
    assert target.read_text() == "keep me" and nominatim.requests == []
