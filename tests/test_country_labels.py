"""Country names on the offline base map: the build (scripts/build_country_labels.py) on literal
topologies, and the committed `static/labels/countries.json` checked against the committed base
map, so no download is needed: each label point lies on land, in no lake, and inside its own
country (from the point, the first line crossed in each of four directions is a coast or a
border of that country, never a border between two others)."""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from timeline.ingest.readers._countries import _TABLE
from timeline.views.overlay import COUNTRIES_URL, overlay_html, overlay_spec

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "static" / "labels" / "countries.json"
BASEMAP = ROOT / "static" / "basemap"


def load_script(name: str):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


build = load_script("build_country_labels")


# --- The build, on literal data -------------------------------------------------------------


def test_iso_names_shortens_formal_and_inverted_names():
    table = "\n".join(
        [
            "643 RU RUS Russian Federation",
            "364 IR IRN Iran, Islamic Republic of",
            "498 MD MDA Moldova, Republic of",
            "275 PS PSE Palestine, State of | Palestine",
            "410 KR KOR Korea, Republic of",
            "246 FI FIN Finland",
        ]
    )
    assert build.iso_names(table) == {
        "RUS": "Russia",
        "IRN": "Iran",
        "MDA": "Moldova",
        "PSE": "Palestine",
        "KOR": "South Korea",
        "FIN": "Finland",
    }


def test_every_country_of_the_project_table_gets_a_short_name():
    names = build.iso_names(_TABLE)
    assert names["UKR"] == "Ukraine" and names["SAU"] == "Saudi Arabia"
    assert all(name and "," not in name for name in names.values())


def point_in_rings(lon: float, lat: float, rings: list[list[list[float]]]) -> bool:
    """Even-odd rule over every ring (holes included)."""
    inside = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            if (y0 > lat) != (y1 > lat) and lon < (x1 - x0) * (lat - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside


# A "C" open to the east: its centroid and its bounding box's centre are in the empty middle.
C_SHAPE = [[0, 0], [10, 0], [10, 2], [2, 2], [2, 8], [10, 8], [10, 10], [0, 10], [0, 0]]
SQUARE = [[20, 0], [30, 0], [30, 10], [20, 10], [20, 0]]
ISLET = [[40, 0], [41, 0], [41, 1], [40, 1], [40, 0]]


def literal_topology() -> dict:
    """Untransformed TopoJSON: one arc per ring; arcs are absolute positions."""
    arcs = [C_SHAPE, SQUARE, ISLET, [[50, 0], [51, 0], [51, 1], [50, 0]]]
    geometries = [
        {"type": "Polygon", "id": "CCC", "arcs": [[0]]},
        {"type": "MultiPolygon", "id": "SQR", "arcs": [[[2]], [[1]]]},  # islet listed first
        {"type": "Polygon", "arcs": [[3]]},  # no ISO code: Natural Earth's Somaliland and kin
    ]
    return {"type": "Topology", "arcs": arcs, "objects": {"countries": {"geometries": geometries}}}


def test_labels_lie_inside_their_largest_polygon_ranked_by_area():
    labels = build.country_labels(literal_topology(), {"CCC": "Ceeland", "SQR": "Squareland"})
    assert [(name, rank) for name, _lon, _lat, rank in labels] == [
        ("Squareland", 1),  # 100 + 1 square degrees against the C's 68
        ("Ceeland", 2),
    ]
    by_name = {name: (lon, lat) for name, lon, lat, _rank in labels}
    lon, lat = by_name["Ceeland"]
    assert point_in_rings(lon, lat, [C_SHAPE])
    assert lon < 2  # in the C's back, the only part wider than its arms
    lon, lat = by_name["Squareland"]
    assert point_in_rings(lon, lat, [SQUARE])  # the big square, not the islet
    assert abs(lon - 25) < 0.2 and abs(lat - 5) < 0.5  # its middle (on the Mercator map)


def test_a_country_cut_at_the_antimeridian_is_labelled_on_its_larger_side():
    # One ring walked eastward across 180 (stored at -180, as Natural Earth's are): 170..190.
    ring = [[170, 60], [180, 60], [-175, 60], [-170, 60], [-170, 70], [-180, 70], [170, 70]]
    topology = {
        "type": "Topology",
        "arcs": [[*ring, ring[0]]],
        "objects": {"countries": {"geometries": [{"type": "Polygon", "id": "XXX", "arcs": [[0]]}]}},
    }
    [[name, lon, lat, rank]] = build.country_labels(topology, {"XXX": "Dateline"})
    assert (name, rank) == ("Dateline", 1)
    assert lon > 175 or lon < -175, lon  # in the middle, not on the far side of the world
    assert 60 < lat < 70


# --- The committed file ----------------------------------------------------------------------


#: Two islets (a few km wide) that the 1:50m land layer leaves out, though `countries` has them.
NOT_IN_LAND = {"Norfolk Island", "Saint Barthélemy"}


@cache
def labels() -> list[list]:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def geojson(name: str) -> dict:
    return json.loads((BASEMAP / name).read_text(encoding="utf-8"))


@cache
def lines() -> tuple[np.ndarray, list[frozenset[str]]]:
    """Every coast and border segment as rows (x0, y0, x1, y1), and which countries each parts:
    an empty set for a coast."""
    segments, owners = [], []
    for feature in geojson("land.geojson")["features"]:
        for ring in feature["geometry"]["coordinates"]:
            segments.append(np.hstack([ring[:-1], ring[1:]]))
            owners += [frozenset()] * (len(ring) - 1)
    for name in ("countries.geojson", "disputed.geojson"):
        for feature in geojson(name)["features"]:
            pair = frozenset((feature["properties"]["a"], feature["properties"]["b"]))
            for line in feature["geometry"]["coordinates"]:
                if len(line) < 2:  # rounding left a point of a border that short
                    continue
                segments.append(np.hstack([line[:-1], line[1:]]))
                owners += [pair] * (len(line) - 1)
    return np.vstack(segments).astype(float), owners


def first_crossings(lon: float, lat: float) -> list[frozenset[str]]:
    """Who owns the first line crossed going east, west, north and south from the point."""
    segments, owners = lines()
    found = []
    for axis in (0, 1):  # 0: along the parallel, 1: along the meridian
        along, across = (lon, lat) if axis == 0 else (lat, lon)
        a0, a1 = segments[:, axis], segments[:, axis + 2]
        c0, c1 = segments[:, 1 - axis], segments[:, 3 - axis]
        hit = (c0 > across) != (c1 > across)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = a0 + (across - c0) * (a1 - a0) / (c1 - c0)
        for sign in (1, -1):
            ahead = np.where(hit & (sign * (at - along) > 0), sign * (at - along), np.inf)
            nearest = int(np.argmin(ahead))
            assert np.isfinite(ahead[nearest]), (lon, lat, axis, sign)
            found.append(owners[nearest])
    return found


@cache
def iso3_by_name() -> dict[str, str]:
    return {name: iso3 for iso3, name in build.iso_names(_TABLE).items()}


def test_the_file_is_ranked_and_named_once_each():
    rows = labels()
    assert len(rows) > 200
    assert [row[3] for row in rows] == list(range(1, len(rows) + 1))
    assert len({row[0] for row in rows}) == len(rows)
    assert all(-180 <= row[1] <= 180 and -90 <= row[2] <= 90 for row in rows)
    assert all(row[0] in iso3_by_name() for row in rows)


# (name, west, south, east, north): where a reader expects the name, roughly the middle.
EXPECTED = [
    ("Ukraine", 28, 47, 36, 51),
    ("Russia", 60, 55, 130, 70),
    ("Finland", 23, 60, 30, 68),  # north of the lake district, where the country is wide
    ("Germany", 7, 49, 13, 53),
    ("Saudi Arabia", 40, 19, 50, 27),
    ("United States", -110, 33, -85, 45),  # the lower 48, not Alaska
]


@pytest.mark.parametrize("name, west, south, east, north", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_the_story_countries_are_labelled_near_their_middle(name, west, south, east, north):
    by_name = {row[0]: row for row in labels()}
    _name, lon, lat, rank = by_name[name]
    assert west <= lon <= east and south <= lat <= north, (name, lon, lat)
    if name in ("Russia", "United States"):
        assert rank <= 5  # among the first names shown on the whole world


def test_big_countries_come_before_small_ones():
    rank = {row[0]: row[3] for row in labels()}
    assert rank["Russia"] < rank["Saudi Arabia"] < rank["Ukraine"] < rank["Germany"]
    assert rank["Brazil"] < rank["Greenland"]  # true area, not the Mercator picture


def test_every_label_point_is_on_land_and_in_no_lake():
    land = [
        ring for f in geojson("land.geojson")["features"] for ring in f["geometry"]["coordinates"]
    ]
    lakes = [
        ring for f in geojson("lakes.geojson")["features"] for ring in f["geometry"]["coordinates"]
    ]
    wet = [row[0] for row in labels() if not point_in_rings(row[1], row[2], land)]
    assert sorted(wet) == sorted(NOT_IN_LAND)
    in_lake = [row for row in labels() if point_in_rings(row[1], row[2], lakes)]
    assert in_lake == []


def test_every_label_point_lies_inside_its_own_country():
    outside = []
    for name, lon, lat, _rank in labels():
        if name in NOT_IN_LAND:
            continue
        iso3 = iso3_by_name()[name]
        crossed = first_crossings(lon, lat)
        if any(owner and iso3 not in owner for owner in crossed):
            outside.append((name, lon, lat, [sorted(owner) for owner in crossed]))
    assert outside == []


def test_the_overlay_loads_the_committed_file_by_a_relative_url():
    import pandas as pd

    placed = pd.DataFrame(columns=["event_id", "name", "lat", "lon", "order"])
    spec = overlay_spec(placed, fit_key="k", selected=None)
    assert spec["countries"] == COUNTRIES_URL == "app/static/labels/countries.json"
    assert (ROOT / "static" / COUNTRIES_URL.removeprefix("app/static/")).is_file()
    html = overlay_html(spec)
    assert "tm-country-label" in html
    assert "http:" not in html and "https:" not in html  # nothing fetched from outside
