"""Crowded spots on the map: which markers sit so close that one click cannot tell them apart.

At the zoom that fits the window, markers closer than about a marker's width overlap: a click
lands on one of them, and the others are out of reach. Grouping them (single linkage: a chain
of near neighbours is one spot) lets the app list everything at the clicked spot, so every
event is at most two clicks away: one on the spot, one on its name in the list.

    >>> spot = events_at_spot(places, "sumy-hospital", zoom=3.0)   # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Two markers closer than this many pixels at the fitted zoom share a spot (markers are 14 px).
SPOT_PX = 24
#: MapLibre draws the world this many pixels wide at zoom 0.
WORLD_PX = 512
#: Past this many places the pairwise distances are not worth their cost: no spots then.
SPOT_LIMIT = 2000


def _mercator(lat: np.ndarray, lon: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in MapLibre's Web Mercator at `zoom`."""
    size = WORLD_PX * 2**zoom
    x = (lon + 180) / 360 * size
    lat = np.clip(lat, -85.05, 85.05)
    y = (1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / math.pi) / 2 * size
    return x, y


def spot_labels(places: pd.DataFrame, zoom: float, *, px: float = SPOT_PX) -> pd.Series:
    """A spot number per place row: rows within `px` pixels of each other (chained) share one."""
    n = len(places)
    if n == 0 or n > SPOT_LIMIT:
        return pd.Series(range(n), index=places.index, dtype="int64")
    x, y = _mercator(places["lat"].to_numpy(float), places["lon"].to_numpy(float), zoom)
    near = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) < px
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    return pd.Series([root(i) for i in range(n)], index=places.index, dtype="int64")


def events_at_spot(
    places: pd.DataFrame, event_id: str | None, zoom: float, *, px: float = SPOT_PX
) -> list[str]:
    """Ids of the other events sharing a spot with any place of `event_id`, in table order.

    `places` are the placed rows in view (with `event_id`, `lat`, `lon`); empty when the event
    is alone at each of its places or not among them.
    """
    if event_id is None or places.empty:
        return []
    labels = spot_labels(places, zoom, px=px)
    mine = set(labels[places["event_id"] == event_id])
    if not mine:
        return []
    ids = places.loc[labels.isin(mine), "event_id"]
    return [i for i in dict.fromkeys(ids) if i != event_id]
