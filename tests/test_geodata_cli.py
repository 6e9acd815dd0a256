"""``python -m geodata lookup``, run as a user runs it: a subprocess with this interpreter."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from nominatim_server import FakeNominatim

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
            "seed fact sheet (research/seed-events.md)",
        ),
    ],
)
def test_a_known_place_prints_where_from_where_and_how_precisely(lookup, args, line):
    result = lookup(*args)
    assert (result.returncode, result.stdout, result.stderr) == (0, line + "\n", "")


def test_not_found_is_a_message_and_exit_1(lookup, tmp_path):
    result = lookup("Atlantis")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no place called 'Atlantis'" in result.stderr
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
    result = lookup("Atlantis", "--online", "--nominatim-url", nominatim.url)
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
    result = lookup("Atlantis", "--online", "--nominatim-url", f"http://127.0.0.1:{port}")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


def test_a_sample_user_agent_is_refused_before_any_request(lookup, nominatim):
    args = ["--online", "--nominatim-url", nominatim.url, "--user-agent", "my-application"]
    result = lookup("Atlantis", *args)
    assert result.returncode == 4
    assert "user agent" in result.stderr
    assert nominatim.requests == []


def test_help_describes_every_option(lookup):
    result = lookup("--help")
    assert result.returncode == 0
    for option in ["--country", "--online", "--user-agent", "--nominatim-url", "--cache",
                   "--gazetteer", "exit status"]:  # fmt: skip
        assert option in result.stdout
