"""The IANA time zone at a point, offline: so every Place can say its local time.

Backed by ``tzfpy`` (timezone-boundary-builder polygons compiled into one 5 MB Rust
extension, no other dependency). Chosen over ``timezonefinder``, which needs numpy, h3, cffi,
flatbuffers and the 32 MB ``timezonefinder-data`` wheel for the same polygons; tzfpy answers
20,000 random points in about 35 ms after a one-off 0.13 s start, which it pays on the
first call only (it is imported lazily, so a run that never asks pays nothing).

Over the open sea the polygons give the nautical zones (``Etc/GMT-3``); a point outside
every polygon, or not a finite coordinate, gives None.

>>> timezone_at(50.91741, 34.79906)
'Europe/Kyiv'
>>> timezones_at([55.75204, 38.89511], [37.61781, -77.03637])
['Europe/Moscow', 'America/New_York']
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable

import numpy as np

from geodata.place import Place


@functools.lru_cache(maxsize=1 << 16)
def timezone_at(lat: float, lon: float) -> str | None:
    """The IANA zone name at (lat, lon) in WGS84 degrees, or None. Repeated points are cached."""
    if not (_finite(lat) and _finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    import tzfpy  # here, not at the top: its polygons load on first use

    return tzfpy.get_tz(float(lon), float(lat)) or None  # tzfpy wants longitude first


def timezones_at(lats: Iterable[float], lons: Iterable[float]) -> list[str | None]:
    """``timezone_at`` for each pair; the two sequences must be of one length.

    The range check is one numpy pass and tzfpy is asked directly: a call through the cache
    per point cost twice as much for a table's hundreds of thousands of distinct points.
    """
    lat = _floats(lats)
    lon = _floats(lons)
    if len(lat) != len(lon):
        raise ValueError(f"{len(lat)} latitudes but {len(lon)} longitudes")
    valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    if not valid.any():
        return [None] * len(lat)
    import tzfpy  # here, not at the top: its polygons load on first use

    get = tzfpy.get_tz
    return [
        (get(x, y) or None) if ok else None
        for x, y, ok in zip(lon.tolist(), lat.tolist(), valid.tolist(), strict=True)
    ]


def _floats(values: Iterable[float]) -> np.ndarray:
    """Floats, NaN for anything that is not a number (the check above then refuses it)."""
    items = list(values)
    try:
        return np.asarray(items, dtype="float64")
    except (TypeError, ValueError):
        out = []
        for v in items:
            try:
                out.append(float(v))
            except (TypeError, ValueError):
                out.append(float("nan"))
        return np.asarray(out, dtype="float64")


def with_timezone(place: Place) -> Place:
    """The place itself when it has a zone, else a copy with the zone at its point."""
    if place.timezone:
        return place
    return dataclasses.replace(place, timezone=timezone_at(place.lat, place.lon))


def _finite(value: object) -> bool:
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except TypeError:
        return False


@functools.cache
def zone_countries() -> dict[str, frozenset[str]]:
    """IANA zone -> the ISO 3166 codes of the countries it covers, from the tz database's own
    tables (`zone1970.tab`, `zone.tab`, shipped in the `tzdata` package): a point's zone says
    which countries it can lie in, offline and at once."""
    from importlib import resources

    out: dict[str, set[str]] = {}
    folder = resources.files("tzdata").joinpath("zoneinfo")
    for table in ("zone1970.tab", "zone.tab"):
        try:
            text = folder.joinpath(table).read_text("utf-8")
        except (FileNotFoundError, OSError):
            continue
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            codes, _, zone = line.split("\t")[:3]
            out.setdefault(zone, set()).update(codes.split(","))
    return {zone: frozenset(codes) for zone, codes in out.items()}
