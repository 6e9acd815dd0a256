"""Shapes drawn on the map: circles of place uncertainty and great-circle arcs.

Circles are drawn on the WGS-84 ellipsoid, so a 100 km radius is 100 km on the ground at any
latitude (to 10 m: checked against geopy's geodesic in the tests), and computed for all places
at once with numpy: a geodesic per vertex took a second per map of a few hundred places. Each
shape is a list of (lat, lon) rings separated by None, the form plotly's
Scattermap draws as one trace however many shapes there are.
"""

from __future__ import annotations

import numpy as np

CIRCLE_POINTS = 48
ARC_POINTS = 64
#: WGS-84: equatorial radius (km) and first eccentricity squared.
_A_KM = 6378.137
_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)


def circles(lat, lon, radius_km) -> tuple[np.ndarray, np.ndarray]:
    """Closed rings of points `radius_km` from each (lat, lon): latitudes and longitudes, one
    row of `CIRCLE_POINTS + 1` per centre (longitudes continuous: they may pass 180).

    Each bearing's angular distance uses the ellipsoid's radius of curvature in that direction
    at the centre (Euler: 1/R = cos²b/M + sin²b/N), then the sphere's destination formula. For
    the radii drawn here (up to a few hundred km) that is within 0.03% of the geodesic.
    """
    phi = np.radians(np.asarray(lat, dtype="float"))[:, None]
    lam = np.radians(np.asarray(lon, dtype="float"))[:, None]
    r = np.asarray(radius_km, dtype="float")[:, None]
    bearing = np.radians(np.linspace(0, 360, CIRCLE_POINTS + 1))[None, :]
    w = 1 - _E2 * np.sin(phi) ** 2
    meridian, normal = _A_KM * (1 - _E2) / w**1.5, _A_KM / np.sqrt(w)
    d = r * (np.cos(bearing) ** 2 / meridian + np.sin(bearing) ** 2 / normal)
    lat2 = np.arcsin(np.sin(phi) * np.cos(d) + np.cos(phi) * np.sin(d) * np.cos(bearing))
    lon2 = lam + np.arctan2(
        np.sin(bearing) * np.sin(d) * np.cos(phi), np.cos(d) - np.sin(phi) * np.sin(lat2)
    )
    return np.degrees(lat2), np.degrees(lon2)


def circle(lat: float, lon: float, radius_km: float) -> list[tuple[float, float]]:
    """One ring of `circles`, as (lat, lon) points."""
    lats, lons = circles([lat], [lon], [radius_km])
    return list(zip(lats[0].tolist(), lons[0].tolist(), strict=True))


def rings_joined(lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`circles`' rows as one lat array and one lon array, rings separated by NaN (a gap to
    plotly, as None is in `joined`): float arrays go to plotly whole, where lists are
    checked item by item."""
    gap = np.full((len(lats), 1), np.nan)
    return np.hstack([lats, gap]).ravel(), np.hstack([lons, gap]).ravel()


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
