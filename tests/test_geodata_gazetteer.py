"""The offline side of geodata: the packaged gazetteer, its validation, offline make_geocoder()."""

from __future__ import annotations

import doctest
import importlib
import socket
import time
from importlib import resources

import geopy.geocoders.nominatim
import pytest

import geodata
from geodata import (
    PLACE_PRECISIONS,
    AmbiguousPlace,
    Gazetteer,
    GazetteerError,
    GeodataError,
    Place,
    default_gazetteer,
    make_geocoder,
)
from geodata.gazetteer import GazetteerEntry

HEADER = "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"

# Test data, not facts: two places that share the old name "Slavyansk".
SHARED_NAME = HEADER + (
    "Sloviansk,Slavyansk;Slovyansk,UA,48.84974,37.59739,town,Europe/Kyiv,GeoNames 693468,,\n"
    "Slavyansk-na-Kubani,Slavyansk,RU,45.26,38.12,town,Europe/Moscow,test data,,\n"
)


@pytest.mark.parametrize(
    "module",
    ["geodata", "geodata.place", "geodata.names", "geodata.gazetteer", "geodata.ratelimit",
     "geodata.geocoder", "geodata.__main__", "geodata.world", "geodata.timezones"],
)  # fmt: skip
def test_docstring_examples_hold(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


# --- the packaged gazetteer ----------------------------------------------------------------------

# Every place of the seed fact sheet, with its point exactly as the sheet gives it.
SEED_PLACES = [
    ("Moscow", "RU", 55.75204, 37.61781, "town", "GeoNames 524901"),
    ("Kremlin, Moscow", "RU", 55.75167, 37.61778, "site", None),
    ("Washington, D.C.", "US", 38.89511, -77.03637, "town", "GeoNames 4140963"),
    ("White House, Washington", "US", 38.8977, -77.0365, "site", None),
    ("Jeddah", "SA", 21.49012, 39.18624, "town", "GeoNames 105343"),
    ("Riyadh", "SA", 24.68773, 46.72185, "town", "GeoNames 108410"),
    ("Ritz-Carlton, Riyadh", "SA", 24.665646, 46.628674, "site", None),
    ("Helsinki", "FI", 60.16952, 24.93545, "town", "GeoNames 658225"),
    ("Presidential Palace, Helsinki", "FI", 60.168333, 24.95625, "site", None),
    ("Sumy", "UA", 50.91741, 34.79906, "town", "GeoNames 692194"),
    ("Krasnopillia", "UA", 50.77389, 35.25633, "town", "GeoNames 704343"),
    ("Sloviansk", "UA", 48.84974, 37.59739, "town", "GeoNames 693468"),
    ("Kramatorsk", "UA", 48.73106, 37.56779, "town", "GeoNames 704508"),
    ("Kavkazskaya", "RU", 45.44392, 40.66703, "town", "GeoNames 551669"),
    ("Kropotkin", "RU", 45.43722, 40.5704, "town", "GeoNames 540761"),
    ("Krasnodar", "RU", 45.04534, 38.98178, "town", "GeoNames 542420"),
    ("Kursk", "RU", 51.72689, 36.18457, "town", "GeoNames 538560"),
    ("Sudzha", "RU", 51.19139, 35.27056, "town", "GeoNames 486816"),
    ("Kyiv", "UA", 50.45466, 30.5238, "town", "GeoNames 703448"),
    ("Berlin", "DE", 52.52437, 13.41053, "town", "GeoNames 2950159"),
    ("London", "GB", 51.50853, -0.12574, "town", "GeoNames 2643743"),
    ("Kursk Oblast", "RU", 51.750, 36.017, "region", None),
    ("Krasnodar Krai", "RU", 45.367, 39.433, "region", None),
    ("Sumy Oblast", "UA", 51.000, 34.000, "region", None),
    ("Donetsk Oblast", "UA", 48.14, 37.74, "region", None),
    ("Ukraine", "UA", 49.0, 32.0, "country", "GeoNames 690791"),
]


@pytest.mark.parametrize(("name", "country", "lat", "lon", "precision", "source"), SEED_PLACES)
def test_packaged_gazetteer_has_every_seed_place(name, country, lat, lon, precision, source):
    place = default_gazetteer().geocode(name, country)
    assert (place.name, place.country, place.lat, place.lon) == (name, country, lat, lon)
    assert place.precision == precision
    if source is not None:
        assert place.source == source
        assert place.credit == "GeoNames (CC BY 4.0)"


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("Sloviansk", "Sloviansk"),
        ("Slovyansk", "Sloviansk"),
        ("Slavyansk", "Sloviansk"),
        ("Slovjansk", "Sloviansk"),
        ("Slov'yansk", "Sloviansk"),
        ("Slov’yansk", "Sloviansk"),  # typographic apostrophe
        ("Slovʼyansk", "Sloviansk"),  # modifier letter apostrophe
        ("  SLOVYANSK  ", "Sloviansk"),
        ("Kyiv", "Kyiv"),
        ("Kiev", "Kyiv"),
        ("Kyjiv", "Kyiv"),
        ("Kyïv", "Kyiv"),  # accents do not matter
        ("Moskva", "Moscow"),
        ("Jiddah", "Jeddah"),
        ("Jidda", "Jeddah"),
        ("Washington  DC", "Washington, D.C."),
        ("Washington D.C.", "Washington, D.C."),
        ("kursk region", "Kursk Oblast"),
    ],
)
def test_aliases_lead_to_the_same_point(asked, found):
    gazetteer = default_gazetteer()
    assert gazetteer.geocode(asked) == gazetteer.geocode(found)
    assert gazetteer.geocode(asked).name == found


@pytest.mark.parametrize("name", ["Washington", "Atlantis", "", "   ", "Moscow, Idaho"])
def test_unknown_or_ambiguous_names_are_not_guessed(name):
    assert default_gazetteer().geocode(name) is None


def test_a_country_filters_the_packaged_gazetteer():
    assert default_gazetteer().geocode("Moscow", "us") is None
    assert default_gazetteer().geocode("Moscow", "ru").country == "RU"


def test_a_country_must_be_a_code_not_a_name():
    with pytest.raises(ValueError, match="two-letter"):
        default_gazetteer().geocode("Kyiv", "Ukraine")


def test_packaged_gazetteer_is_loaded_once():
    assert default_gazetteer() is default_gazetteer()


def test_packaged_gazetteer_is_utf8_without_bom():
    raw = (resources.files("geodata") / "gazetteer.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")


def test_every_packaged_place_is_usable():
    for entry in default_gazetteer().entries:
        assert entry.place.precision in PLACE_PRECISIONS
        assert entry.place.source
        if entry.place.source.startswith("GeoNames"):
            assert entry.place.credit == "GeoNames (CC BY 4.0)"
        if entry.place.precision in ("region", "country"):
            assert "representative point" in entry.note


# --- the country rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [("UA", "Sloviansk"), ("ua", "Sloviansk"), ("RU", "Slavyansk-na-Kubani"), ("DE", None)],
)
def test_a_shared_name_lands_in_the_country_asked_for(country, expected):
    place = Gazetteer.from_csv(SHARED_NAME).geocode("Slavyansk", country)
    assert (place and place.name) == expected


def test_a_shared_name_without_a_country_is_ambiguous():
    with pytest.raises(AmbiguousPlace) as raised:
        Gazetteer.from_csv(SHARED_NAME).geocode("slavyansk")
    assert isinstance(raised.value, LookupError)
    assert [(p.name, p.country) for p in raised.value.candidates] == [
        ("Slavyansk-na-Kubani", "RU"),
        ("Sloviansk", "UA"),
    ]
    assert "Sloviansk (UA)" in str(raised.value)


def test_a_name_only_one_country_uses_is_not_ambiguous():
    assert Gazetteer.from_csv(SHARED_NAME).geocode("Slovyansk").name == "Sloviansk"


# --- validation of a gazetteer file --------------------------------------------------------------

GOOD_ROW = "Sumy,,UA,50.91741,34.79906,town,Europe/Kyiv,GeoNames 692194,GeoNames,"


@pytest.mark.parametrize(
    ("rows", "row", "column", "reason"),
    [
        ("Sumy,,UA,95,34.8,town,,x,,", 2, "D (lat)", "latitude"),
        ("Sumy,,UA,-90.5,34.8,town,,x,,", 2, "D (lat)", "latitude"),
        ("Sumy,,UA,50.9,181,town,,x,,", 2, "E (lon)", "longitude"),
        ("Sumy,,UA,50.9,east,town,,x,,", 2, "E (lon)", "longitude"),
        ("Sumy,,UA,nan,34.8,town,,x,,", 2, "D (lat)", "latitude"),
        ("Sumy,,UA,,34.8,town,,x,,", 2, "D (lat)", "latitude"),
        ("Sumy,,UA,50.9,34.8,city,,x,,", 2, "F (precision)", "not one of"),
        ("Sumy,,UA,50.9,34.8,town,Europe/Atlantis,x,,", 2, "G (timezone)", "time zone"),
        ("Sumy,,UA,50.9,34.8,town,../../etc/passwd,x,,", 2, "G (timezone)", "time zone"),
        ("Sumy,,Ukraine,50.9,34.8,town,,x,,", 2, "C (country)", "ISO 3166-1"),
        ("Sumy,,,50.9,34.8,town,,x,,", 2, "C (country)", "ISO 3166-1"),
        (",,UA,50.9,34.8,town,,x,,", 2, "A (name)", "empty"),
        ("Sumy,,UA,50.9,34.8,town,,,,", 2, "H (source)", "empty"),
        ("Sumy,,UA,50.9,34.8,town,,x,,,surplus", 2, "(past the last)", "extra cells"),
        (GOOD_ROW + "\nSUMY,,UA,50.9,34.8,town,,x,,", 3, "A (name)", "already names 'Sumy'"),
        (GOOD_ROW + "\nSumy city,Sumý,UA,50.9,34.8,town,,x,,", 3, "B (aliases)", "(row 2)"),
        ("\n\n" + GOOD_ROW + "\nSumy,,UA,95,34.8,town,,x,,", 5, "D (lat)", "latitude"),
        ('Sumy,,UA,50.9,34.8,town,,x,,"a note\non two lines"\nK,,UA,95,0,town,,x,,', 3, "D (lat)",
         "latitude"),
    ],
)  # fmt: skip
def test_bad_rows_are_named_by_file_row_and_column(rows, row, column, reason):
    with pytest.raises(GazetteerError) as raised:
        Gazetteer.from_csv(HEADER + rows + "\n", filename="places.csv")
    assert isinstance(raised.value, GeodataError)
    assert isinstance(raised.value, ValueError)
    [problem] = raised.value.problems
    assert (problem.file, problem.row, problem.column) == ("places.csv", row, column)
    assert reason in problem.reason
    assert f"places.csv, row {row}, column {column}" in str(raised.value)


def test_every_bad_cell_is_reported_at_once():
    rows = "Sumy,,UA,95,34.8,city,,x,,\n" + GOOD_ROW + "\nKursk,,RU,51.7,200,town,,x,,\n"
    with pytest.raises(GazetteerError) as raised:
        Gazetteer.from_csv(HEADER + rows, filename="places.csv")
    assert [(p.row, p.column) for p in raised.value.problems] == [
        (2, "D (lat)"),
        (2, "F (precision)"),
        (4, "E (lon)"),
    ]


@pytest.mark.parametrize(
    ("header", "column", "reason"),
    [
        ("name,aliases,country,lat,precision,timezone,source,credit,note", "lon", "missing"),
        (HEADER.strip() + ",population", "population", "unknown"),
        (HEADER.strip() + ",lat", "lat", "repeated"),
        ("", "name", "missing"),
    ],
)
def test_a_bad_header_is_row_one(header, column, reason):
    with pytest.raises(GazetteerError) as raised:
        Gazetteer.from_csv(header + "\n" + GOOD_ROW + "\n", filename="places.csv")
    problem = raised.value.problems[0]
    assert (problem.row, problem.column) == (1, column)
    assert reason in problem.reason


def test_entries_made_in_code_are_checked_too():
    sumy = Place("Sumy", 50.91741, 34.79906, "UA", "town", "x", "", None)
    other = Place("Sumy city", 50.9, 34.8, "UA", "town", "x", "", None)
    with pytest.raises(GeodataError, match="'sumy' names two places in UA"):
        Gazetteer([GazetteerEntry(sumy), GazetteerEntry(other, aliases=("SUMY",))])


def test_from_path_names_the_file_and_accepts_a_bom(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD_ROW + "\n", encoding="utf-8-sig")  # as spreadsheets save it
    assert Gazetteer.from_path(good).geocode("Sumy").lat == 50.91741

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Sumy,,UA,95,34.8,town,,x,,\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=f"{bad}, row 2, column D \\(lat\\)"):
        Gazetteer.from_path(bad)


def test_a_column_order_other_than_ours_is_fine():
    text = "country,name,lat,lon,precision,source,aliases,timezone,credit,note\n"
    text += "UA,Sumy,50.9,34.8,town,x,,,,\n"
    assert Gazetteer.from_csv(text).geocode("Sumy").country == "UA"


def test_a_place_refuses_impossible_values():
    with pytest.raises(ValueError, match="precision"):
        Place("Sumy", 50.9, 34.8, "UA", "city", "x", "", None)
    with pytest.raises(ValueError, match="latitude"):
        Place("Sumy", 91, 34.8, "UA", "town", "x", "", None)
    with pytest.raises(ValueError, match="country"):
        Place("Sumy", 50.9, 34.8, "ua", "town", "x", "", None)


# --- offline by default --------------------------------------------------------------------------


@pytest.fixture
def no_network_no_sleep(monkeypatch):
    """Any socket connection, name lookup, sleep or geopy Nominatim fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("an offline geocoder reached for the network or slept")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(time, "sleep", refuse)
    monkeypatch.setattr(geopy.geocoders.nominatim.Nominatim, "__init__", refuse)


def test_the_socket_guard_works(no_network_no_sleep):
    with pytest.raises(AssertionError):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(AssertionError):
        socket.socket().connect(("127.0.0.1", 9))


# Unknown even to the world gazetteer ("Atlantis" is a town in South Africa, "Moscow" one in
# Idaho, "Nikopol" one in Ukraine: all found offline now).
@pytest.mark.parametrize(
    ("name", "country"), [("Erewhon", None), ("Moscow", "FI"), ("Nikopol", "FI"), ("", None)]
)
def test_offline_unknown_names_are_none_without_network_or_sleep(
    no_network_no_sleep, tmp_path, monkeypatch, name, country
):
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path))
    assert make_geocoder().geocode(name, country) is None
    assert make_geocoder(cache_path=tmp_path / "c.sqlite").geocode(name, country) is None
    assert list(tmp_path.iterdir()) == []  # offline never even opens a cache


def test_without_the_world_gazetteer_only_the_packaged_places_are_known(no_network_no_sleep):
    assert make_geocoder(world=False).geocode("Nikopol", "UA") is None
    assert make_geocoder().geocode("Nikopol", "UA").source == "GeoNames 700051"


def test_offline_known_names_come_from_the_gazetteer(no_network_no_sleep):
    place = make_geocoder().geocode("Slovyansk", "UA")
    assert (place.source, place.credit) == ("GeoNames 693468", "GeoNames (CC BY 4.0)")


def test_offline_ambiguity_is_raised_not_guessed(no_network_no_sleep):
    geocoder = make_geocoder(gazetteer=Gazetteer.from_csv(SHARED_NAME))
    with pytest.raises(AmbiguousPlace):
        geocoder.geocode("Slavyansk")


def test_precisions_are_defined_once():
    assert geodata.PLACE_PRECISIONS == ("site", "town", "near", "region", "country")
    assert geodata.PLACE_PRECISIONS is geodata.place.PLACE_PRECISIONS
