"""Shapes drawn on the map: circles of place uncertainty and great-circle arcs.

Circles use geopy's WGS-84 geodesic, so a 100 km radius is 100 km on the ground at any
latitude. Each shape is a list of (lat, lon) rings separated by None, the form plotly's
Scattermap draws as one trace however many shapes there are.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from geopy.distance import geodesic

CIRCLE_POINTS = 48
ARC_POINTS = 64


@lru_cache(maxsize=4096)
def circle(lat: float, lon: float, radius_km: float) -> tuple[tuple[float, float], ...]:
    """A closed ring of points `radius_km` from (lat, lon) on the WGS-84 ellipsoid."""
    centre = (lat, lon)
    ring = []
    for bearing in np.linspace(0, 360, CIRCLE_POINTS + 1):
        p = geodesic(kilometers=radius_km).destination(centre, bearing)
        ring.append((p.latitude, p.longitude))
    return tuple(ring)


def great_circle(
    a: tuple[float, float], b: tuple[float, float], points: int = ARC_POINTS
) -> list[tuple[float, float]]:
    """Points along the shortest path on the sphere from a to b, both (lat, lon).

    Longitudes are kept continuous (they may pass 180) so MapLibre draws no line across
    the whole world when the arc crosses the antimeridian.
    """
    lat1, lon1, lat2, lon2 = np.radians([a[0], a[1], b[0], b[1]])
    p1 = np.array([np.cos(lat1) * np.cos(lon1), np.cos(lat1) * np.sin(lon1), np.sin(lat1)])
    p2 = np.array([np.cos(lat2) * np.cos(lon2), np.cos(lat2) * np.sin(lon2), np.sin(lat2)])
    omega = np.arccos(np.clip(p1 @ p2, -1.0, 1.0))
    if omega < 1e-9:
        return [a, b]
    t = np.linspace(0, 1, points)[:, None]
    xyz = (np.sin((1 - t) * omega) * p1 + np.sin(t * omega) * p2) / np.sin(omega)
    lats = np.degrees(np.arctan2(xyz[:, 2], np.hypot(xyz[:, 0], xyz[:, 1])))
    lons = np.degrees(np.unwrap(np.arctan2(xyz[:, 1], xyz[:, 0])))
    lons += a[1] - lons[0]
    return list(zip(lats.tolist(), lons.tolist(), strict=True))


def joined(shapes: list[list[tuple[float, float]]]) -> tuple[list, list]:
    """lat and lon lists of many shapes, separated by None, for one Scattermap trace."""
    lats: list = []
    lons: list = []
    for shape in shapes:
        lats.extend(p[0] for p in shape)
        lons.extend(p[1] for p in shape)
        lats.append(None)
        lons.append(None)
    return lats, lons
