"""The world gazetteer, story gazetteers, regions and time zones: places of any story, offline."""

from __future__ import annotations

import gzip
import json
import math
import socket
import subprocess
import sys
import time
from importlib import resources

import geopy.geocoders.nominatim
import pytest

from geodata import (
    AmbiguousPlace,
    AmbiguousRegion,
    GazetteerError,
    GazetteerFileError,
    GeodataError,
    Place,
    make_geocoder,
    story_gazetteers,
    timezone_at,
    timezones_at,
    world_gazetteer,
)
from geodata.geocoder import ChainGeocoder
from geodata.names import has_region_word, normalise_name, region_key
from geodata.world import WORLD_COLUMNS, WORLD_FILE

HEADER = "name,aliases,country,lat,lon,precision,timezone,source,credit,note"


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection, name lookup or geopy Nominatim fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("an offline geocoder reached for the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(geopy.geocoders.nominatim.Nominatim, "__init__", refuse)


# --- the world gazetteer, place by place ---------------------------------------------------------

# (asked, country, region) -> (name, country, region, lat, lon, precision, zone). Points are
# GeoNames'; a region stands at its most populous town.
WORLD_PLACES = [
    (("Sumy", None, None), ("Sumy", "UA", "Sumy", 50.917, 34.799, "town", "Europe/Kyiv")),
    (("Sloviansk", "UA", None), ("Slovyansk", "UA", "Donetsk", 48.850, 37.597, "town",
                                  "Europe/Kyiv")),
    (("Slavyansk", "UA", None), ("Slovyansk", "UA", "Donetsk", 48.850, 37.597, "town",
                                  "Europe/Kyiv")),
    (("Sudzha", None, None), ("Sudzha", "RU", "Kursk", 51.191, 35.271, "town", "Europe/Moscow")),
    (("Kursk", None, None), ("Kursk", "RU", "Kursk", 51.727, 36.185, "town", "Europe/Moscow")),
    (("Kursk Oblast", None, None), ("Kursk", "RU", "Kursk", 51.727, 36.185, "region",
                                     "Europe/Moscow")),
    (("Kursk region", "RU", None), ("Kursk", "RU", "Kursk", 51.727, 36.185, "region",
                                     "Europe/Moscow")),
    (("Kharkiv", None, None), ("Kharkiv", "UA", "Kharkiv", 49.982, 36.255, "town",
                                "Europe/Kyiv")),
    (("Kharkov", None, None), ("Kharkiv", "UA", "Kharkiv", 49.982, 36.255, "town",
                                "Europe/Kyiv")),
    (("Kramatorsk", None, None), ("Kramatorsk", "UA", "Donetsk", 48.731, 37.568, "town",
                                   "Europe/Kyiv")),
    (("Zheleznogorsk", "RU", "Kursk Oblast"), ("Zheleznogorsk", "RU", "Kursk", 52.342, 35.359,
                                                "town", "Europe/Moscow")),
    (("Zheleznogorsk", "RU", "Krasnoyarsk Krai"), ("Zheleznogorsk", "RU", "Krasnoyarskiy",
                                                    56.251, 93.531, "town", "Asia/Krasnoyarsk")),
    (("Zheleznogorsk", None, "krasnoyarskiy"), ("Zheleznogorsk", "RU", "Krasnoyarskiy",
                                                 56.251, 93.531, "town", "Asia/Krasnoyarsk")),
    (("Krasnodar Krai", None, None), ("Krasnodarskiy", "RU", "Krasnodarskiy", 45.045, 38.982,
                                       "region", "Europe/Moscow")),
    (("Jeddah", None, None), ("Jeddah", "SA", "Makkah Province", 21.490, 39.186, "town",
                               "Asia/Riyadh")),
    (("Jiddah", None, None), ("Jeddah", "SA", "Makkah Province", 21.490, 39.186, "town",
                               "Asia/Riyadh")),
    (("Riyadh", "SA", None), ("Riyadh", "SA", "Riyadh Province", 24.688, 46.722, "town",
                               "Asia/Riyadh")),
    (("Helsinki", None, None), ("Helsinki", "FI", "Uusimaa", 60.170, 24.935, "town",
                                 "Europe/Helsinki")),
    (("Helsingfors", None, None), ("Helsinki", "FI", "Uusimaa", 60.170, 24.935, "town",
                                    "Europe/Helsinki")),
    (("Berlin", "DE", None), ("Berlin", "DE", "Berlin", 52.524, 13.411, "town",
                               "Europe/Berlin")),
    (("London", "GB", None), ("London", "GB", "England", 51.509, -0.126, "town",
                               "Europe/London")),
    (("Moscow", "RU", None), ("Moscow", "RU", "Moscow City", 55.752, 37.618, "town",
                               "Europe/Moscow")),
    (("Moskau", None, None), ("Moscow", "RU", "Moscow City", 55.752, 37.618, "town",
                               "Europe/Moscow")),
    (("Moscow Oblast", None, None), ("Moscow Oblast", "RU", "Moscow Oblast", 55.900, 37.428,
                                      "region", "Europe/Moscow")),
    (("Washington", "US", "Washington, D.C."), ("Washington", "US", "Washington, D.C.",
                                                     38.895, -77.036, "town",
                                                     "America/New_York")),
    (("Kyiv", None, None), ("Kyiv", "UA", "Kyiv City", 50.455, 30.524, "town", "Europe/Kyiv")),
    (("Kiev", None, None), ("Kyiv", "UA", "Kyiv City", 50.455, 30.524, "town", "Europe/Kyiv")),
    (("Kiew", None, None), ("Kyiv", "UA", "Kyiv City", 50.455, 30.524, "town", "Europe/Kyiv")),
    (("Artemivsk", "UA", None), ("Bakhmut", "UA", "Donetsk", 48.594, 37.999, "town",
                                  "Europe/Kyiv")),
]  # fmt: skip


@pytest.mark.parametrize(("asked", "expected"), WORLD_PLACES, ids=lambda v: str(v[0]))
def test_the_world_gazetteer_places_each_name(asked, expected):
    name, country, region, lat, lon, precision, zone = expected
    place = world_gazetteer().geocode(*asked)
    assert (place.name, place.country, place.region) == (name, country, region)
    assert place.lat == pytest.approx(lat, abs=0.001)
    assert place.lon == pytest.approx(lon, abs=0.001)
    assert (place.precision, place.timezone) == (precision, zone)
    assert place.source.startswith("GeoNames ")
    assert place.credit == "GeoNames (CC BY 4.0)"
    # The point's own zone agrees with GeoNames' zone for the place.
    assert timezone_at(place.lat, place.lon) == zone


def test_a_region_says_its_point_is_a_town():
    place = world_gazetteer().geocode("Krasnodar Krai")
    assert place.precision == "region"
    assert "Krasnodar" in place.note and "not the region's centre" in place.note


@pytest.mark.parametrize(
    ("name", "country", "taken", "note_has"),
    [
        ("Zheleznogorsk", "RU", "GeoNames 463343", ["Zheleznogorsk in RU", "give the region"]),
        ("Zheleznogorsk", None, "GeoNames 463343", ["Zheleznogorsk in RU", "most populous"]),
        ("Washington", None, "GeoNames 4140963", ["countries (AW, GB, US)", "give the country"]),
        ("Washington", "US", "GeoNames 4140963", ["Washington in US", "give the region"]),
        ("Moscow", "US", "GeoNames 5601538", ["Moscow in US"]),  # Idaho, 25,000 people
        ("Berlin", None, "GeoNames 2950159", ["named Berlin in 5 countries"]),
    ],
)
def test_namesakes_without_a_region_take_the_most_populous_and_say_so(
    name, country, taken, note_has
):
    place = world_gazetteer().geocode(name, country)
    assert place.source == taken
    for words in note_has:
        assert words in place.note


def test_a_region_that_matches_no_namesake_finds_nothing():
    assert world_gazetteer().geocode("Zheleznogorsk", "RU", "Sumy Oblast") is None
    assert world_gazetteer().geocode("Sumy", "UA", "Kharkiv Oblast") is None


def test_a_unique_name_has_no_note():
    assert world_gazetteer().geocode("Sudzha").note == ""


def test_a_place_known_by_its_own_name_beats_a_bigger_one_that_only_lists_it():
    # GeoNames lists "Pekin" among Beijing's names; Pekin, Illinois is so called.
    assert world_gazetteer().geocode("Pekin").country == "US"
    assert world_gazetteer().geocode("Pekin", "CN").name == "Beijing"


def test_a_bare_town_name_is_never_taken_for_a_region():
    assert world_gazetteer().geocode("Kursk").precision == "town"
    assert world_gazetteer().regions("Kur") == []


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Kursk Oblast", "Kursk region", "Kurskaya oblast'", "KURSK", "Kursk"], "kursk"),
        (["Krasnodar Krai", "Krasnodarskiy", "Krasnodarskiy Kray"], "krasnodar"),
        (["Krasnoyarsk Krai", "Krasnoyarskiy"], "krasnoyar"),
        (["Kharkiv Oblast", "Kharkivska oblast", "Kharkiv"], "kharkiv"),
        (["Tver Oblast", "Tverskaya"], "tver"),
        (["Omsk", "Omsk Oblast"], "omsk"),
    ],
)
def test_region_spellings_meet(spellings, key):
    assert {region_key(spelling) for spelling in spellings} == {key}


def test_moscow_the_city_and_its_oblast_stay_apart():
    assert region_key("Moscow City") != region_key("Moscow Oblast")
    assert has_region_word("Moscow Oblast") and not has_region_word("Moscow")


# --- the chain: story, packaged, world ------------------------------------------------------------


@pytest.fixture
def story_places(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        HEADER + "\n"
        "Sumy,,UA,50.9,34.8,town,,story sheet,,\n"
        "Nikopol,,UA,47.5,34.4,town,,story sheet,,\n",
        encoding="utf-8",
    )
    return path


def test_a_story_gazetteer_wins_over_the_packaged_which_wins_over_the_world(story_places):
    geocoder = make_geocoder(gazetteers=[story_places])
    assert geocoder.geocode("Sumy").source == "story sheet"  # the packaged one has Sumy too
    assert geocoder.geocode("Nikopol").source == "story sheet"  # the world has it too
    assert geocoder.geocode("Sloviansk").name == "Sloviansk"  # packaged, not the world's
    assert geocoder.geocode("Sloviansk").source == "GeoNames 693468"
    assert geocoder.geocode("Lgov").region == "Kursk"  # only the world has it


def test_story_gazetteers_are_asked_in_order(tmp_path, story_places):
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "\nSumy,,UA,51,35,town,,second sheet,,\n", encoding="utf-8")
    assert make_geocoder(gazetteers=[second, story_places]).geocode("Sumy").source == (
        "second sheet"
    )
    assert make_geocoder(gazetteers=(str(story_places), second)).geocode("Sumy").source == (
        "story sheet"
    )


def test_the_story_gazetteer_is_found_beside_the_table(tmp_path, story_places):
    assert story_gazetteers(tmp_path / "events.csv") == (story_places,)
    assert story_gazetteers(tmp_path / "elsewhere" / "events.csv") == ()


def test_every_place_the_chain_returns_has_a_zone(story_places):
    geocoder = make_geocoder(gazetteers=[story_places])
    # Sumy (story, no zone given), Russia (packaged, no zone given: its point is in
    # Siberia), Lgov (world).
    zones = [geocoder.geocode(name).timezone for name in ("Sumy", "Russia", "Lgov")]
    assert zones == ["Europe/Kyiv", "Asia/Krasnoyarsk", "Europe/Moscow"]


class _OldStyleGeocoder:
    """A geocoder written before regions and zones (as Nominatim answers: no zone)."""

    def geocode(self, name, country=None):
        return Place(name, 50.45466, 30.5238, "UA", "town", "elsewhere", "", None)


def test_the_chain_gives_a_zone_to_answers_without_one_and_keeps_two_argument_geocoders():
    place = ChainGeocoder(_OldStyleGeocoder()).geocode("Kyiv", "UA")
    assert place.timezone == "Europe/Kyiv"


REGIONAL = (
    HEADER
    + ",region\n"
    + (
        "Zheleznogorsk,,RU,52.342,35.359,town,,story,,,Kursk Oblast\n"
        "Zheleznogorsk,,RU,56.251,93.531,town,,story,,,Krasnoyarsk Krai\n"
    )
)


@pytest.mark.parametrize(
    ("region", "lat"),
    [("Kursk Oblast", 52.342), ("kursk", 52.342), ("Krasnoyarskiy", 56.251), ("Tver", None)],
)
def test_a_story_gazetteer_tells_namesakes_apart_by_region(tmp_path, region, lat):
    path = tmp_path / "places.csv"
    path.write_text(REGIONAL, encoding="utf-8")
    place = make_geocoder(gazetteers=[path], world=False).geocode("Zheleznogorsk", "RU", region)
    assert (place and place.lat) == lat


def test_a_story_gazetteer_raises_for_namesakes_without_a_region(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(REGIONAL, encoding="utf-8")
    with pytest.raises(AmbiguousRegion) as raised:
        make_geocoder(gazetteers=[path]).geocode("Zheleznogorsk", "RU")
    assert isinstance(raised.value, AmbiguousPlace)
    assert "give a region" in str(raised.value) and "Krasnoyarsk Krai" in str(raised.value)


def test_one_region_may_not_hold_a_name_twice(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(REGIONAL + "Zheleznogorsk,,RU,52,35,town,,story,,,Kurskaya oblast\n")
    with pytest.raises(GazetteerError, match="row 4, column A \\(name\\)"):
        make_geocoder(gazetteers=[path])


# --- gazetteer files that cannot be read ---------------------------------------------------------


def test_a_missing_story_gazetteer_names_the_file(tmp_path):
    path = tmp_path / "nowhere" / "places.csv"
    with pytest.raises(GazetteerFileError, match=f"{path}: no such file") as raised:
        make_geocoder(gazetteers=[path])
    assert isinstance(raised.value, GeodataError) and isinstance(raised.value, OSError)


def test_a_folder_is_not_a_gazetteer(tmp_path):
    folder = tmp_path / "places.csv"
    folder.mkdir()
    assert story_gazetteers(tmp_path / "events.csv") == (folder,)  # reported, not skipped
    with pytest.raises(GazetteerFileError, match=f"{folder}: is a folder"):
        make_geocoder(gazetteers=story_gazetteers(tmp_path / "events.csv"))


@pytest.mark.parametrize(
    ("raw", "row", "column"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "A"),  # a picture
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5", 1, "A"),  # an .xlsx
        ((HEADER + "\nSumy,,UA,50.9,34.8,town,,x,,\nKy\xefv,,UA,50,30,town,,x,,\n").encode(
            "latin-1"), 3, "A (name)"),
        ((HEADER + "\nSumy,,UA,50.9,34.8,town,,x,,caf\xe9\n").encode("cp1252"), 2, "J (note)"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_utf8_names_file_row_and_column(tmp_path, raw, row, column):
    path = tmp_path / "places.csv"
    path.write_bytes(raw)
    with pytest.raises(GazetteerError) as raised:
        make_geocoder(gazetteers=[path])
    [problem] = raised.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), row, column)
    assert "not UTF-8" in problem.reason
    assert f"{path}, row {row}, column {column}" in str(raised.value)


def test_a_control_character_in_a_name_is_a_problem(tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes((HEADER + "\nSu\x00my,,UA,50.9,34.8,town,,x,,\n").encode())
    with pytest.raises(GazetteerError, match=f"{path}, row 2, column A \\(name\\)"):
        make_geocoder(gazetteers=[path])


# --- lazy, fast, offline --------------------------------------------------------------------------


def _fresh_python(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def test_the_world_gazetteer_is_loaded_only_when_a_name_misses_the_others():
    facts = _fresh_python(
        "import json, sys, geodata.world as w; from geodata import make_geocoder\n"
        "g = make_geocoder()\n"
        "g.geocode('Sumy'); g.geocode('Kursk Oblast')\n"
        "before = w.world_gazetteer.cache_info().currsize\n"
        "g.geocode('Lgov')\n"
        "print(json.dumps({'before': before, 'after': w.world_gazetteer.cache_info().currsize}))"
    )
    assert facts == {"before": 0, "after": 1}


def test_the_world_gazetteer_loads_in_about_a_second_once_per_process():
    facts = _fresh_python(
        "import json, time, geodata.world as w\n"
        "start = time.perf_counter(); first = w.world_gazetteer()\n"
        "load = time.perf_counter() - start\n"
        "print(json.dumps({'load': load, 'same': w.world_gazetteer() is first, 'n': len(first)}))"
    )
    assert facts["load"] < 2.0  # about 0.6 s here; slack for a busy machine
    assert facts["same"]
    assert facts["n"] > 170_000


def test_the_world_gazetteer_loads_and_answers_without_the_network(no_network):
    world_gazetteer.cache_clear()
    try:
        assert make_geocoder().geocode("Zheleznogorsk", "RU", "Krasnoyarsk Krai").lon > 93
        assert make_geocoder().geocode("Erewhon") is None
    finally:
        world_gazetteer.cache_clear()


def test_the_world_file_is_what_the_loader_expects():
    raw = gzip.decompress((resources.files("geodata") / WORLD_FILE).read_bytes())
    rows, _, index = raw.decode("utf-8").partition("\n\n")
    lines = rows.split("\n")
    assert lines[0].split("\t") == list(WORLD_COLUMNS)
    assert all(line.count("\t") == len(WORLD_COLUMNS) - 1 for line in lines[1::97])
    keys = [line.split("\t", 1)[0] for line in index.splitlines()[::53]]
    # The index holds names already normalised: rebuild it if normalise_name changes.
    assert all(normalise_name(key) == key for key in keys)


# --- time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [
        (50.91741, 34.79906, "Europe/Kyiv"),
        (51.19139, 35.27056, "Europe/Moscow"),
        (56.25109, 93.53142, "Asia/Krasnoyarsk"),
        (38.89511, -77.03637, "America/New_York"),
        (21.49012, 39.18624, "Asia/Riyadh"),
        (60.16952, 24.93545, "Europe/Helsinki"),
        (0.0, -30.0, "Etc/GMT+2"),  # open sea: the nautical zone
        (math.nan, 30.0, None),
        (91.0, 30.0, None),
        (50.0, 181.0, None),
    ],
)
def test_timezone_at(lat, lon, zone):
    assert timezone_at(lat, lon) == zone


def test_timezones_at_is_one_answer_per_point():
    assert timezones_at((50.45466, 51.50853), [30.5238, -0.12574]) == [
        "Europe/Kyiv",
        "Europe/London",
    ]
    assert timezones_at([], []) == []
    with pytest.raises(ValueError, match="2 latitudes but 1 longitudes"):
        timezones_at([1.0, 2.0], [3.0])


def test_the_same_point_is_looked_up_once():
    timezone_at(48.0, 37.8)
    hits = timezone_at.cache_info().hits
    start = time.perf_counter()
    for _ in range(1000):
        timezone_at(48.0, 37.8)
    assert timezone_at.cache_info().hits == hits + 1000
    assert time.perf_counter() - start < 0.05
