"""Base maps for the event map, as data: one offline default and two online choices.

The app runs with no internet by default. Plotly's default MapLibre styles fetch a style file and
tiles from the internet and show a blank map without it, so the offline base map is
`map_style="white-bg"` (no request) plus GeoJSON layers of Natural Earth outlines that Streamlit
serves from `static/basemap/` (built by `scripts/build_basemap.py`; needs
`[server] enableStaticServing = true`). The layers reference the files by the relative URL
`app/static/basemap/...`, which also works under `--server.baseUrlPath`: MapLibre fetches each file
once and the geometry stays out of the figure JSON that Streamlit re-sends on every change.

Online base maps fetch raster tiles from third parties over the offline outlines, on the
style-less `white-bg`: offline, their tiles fail but the outlines and markers still draw. The app
must offer them only as a choice and show their `attribution`.

    fig = apply_basemap(px.scatter_map(events, lat="lat", lon="lon"), DEFAULT_BASEMAP)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

STATIC_URL = "app/static/basemap/"  # relative: no leading slash (see the module docstring)

LAND_COLOUR = "#ece8e0"  # warm light grey: reads as land against the white sea, markers stand out
COAST_COLOUR = "#c9c2b4"
BORDER_COLOUR = "#8e877c"
WATER_COLOUR = "#ffffff"  # the white-bg background is the sea; lakes are drawn in the same colour


@dataclass(frozen=True)
class Basemap:
    """One base map: what to show in the picker and what to set on `layout.map`."""

    label: str
    online: bool  # True when it fetches tiles or styles from the internet
    map_style: str
    layers: tuple[dict[str, Any], ...]  # plotly `layout.map.layers`, drawn in this order
    attribution: str  # credit the app must show next to the map


def _geojson_layer(file: str, kind: str, **style: Any) -> dict[str, Any]:
    return {
        "sourcetype": "geojson",
        "source": STATIC_URL + file,
        "type": kind,
        "below": "traces",  # markers stay on top
        **style,
    }


OFFLINE_LAYERS = (
    _geojson_layer(
        "land.geojson",
        "fill",
        color=LAND_COLOUR,
        fill={"outlinecolor": COAST_COLOUR},
        sourceattribution="Natural Earth",
    ),
    _geojson_layer(
        "lakes.geojson", "fill", color=WATER_COLOUR, fill={"outlinecolor": COAST_COLOUR}
    ),
    _geojson_layer("countries.geojson", "line", color=BORDER_COLOUR, line={"width": 0.8}),
    # Borders that should not read as international ones (Crimea): see DISPUTED_BORDERS in
    # scripts/build_basemap.py.
    _geojson_layer(
        "disputed.geojson", "line", color=BORDER_COLOUR, line={"width": 0.8, "dash": [2, 2]}
    ),
)


def _tiles(url: str, attribution: str) -> dict[str, Any]:
    """Online raster tiles over the offline outlines: when the tiles do not load, the outlines
    and the markers are still there (a MapLibre style file that fails to load draws nothing)."""
    return {
        "sourcetype": "raster",
        "source": [url],
        "type": "raster",
        "below": "traces",
        "sourceattribution": attribution,
    }


BASEMAPS: dict[str, Basemap] = {
    "offline": Basemap(
        label="Offline (Natural Earth)",
        online=False,
        map_style="white-bg",
        layers=OFFLINE_LAYERS,
        attribution="Natural Earth (public domain)",
    ),
    "osm": Basemap(
        label="OpenStreetMap (online)",
        online=True,
        map_style="white-bg",
        layers=(
            *OFFLINE_LAYERS,
            _tiles(
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"
            ),
        ),
        attribution="© OpenStreetMap contributors",
    ),
    "carto-positron": Basemap(
        label="CARTO Positron (online)",
        online=True,
        map_style="white-bg",
        layers=(
            *OFFLINE_LAYERS,
            _tiles(
                "https://basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
                "© OpenStreetMap contributors © CARTO",
            ),
        ),
        attribution="© OpenStreetMap contributors © CARTO",
    ),
}

DEFAULT_BASEMAP = "offline"


def apply_basemap(fig: go.Figure, basemap_id: str) -> go.Figure:
    """Set the figure's map style and layers to those of `basemap_id`; change nothing else.

    Replaces any layers already there, so switching base maps leaves no offline layer under an
    online style. (`fig.update_layout(map_layers=[])` would keep the old layers: plotly merges an
    empty list into the existing one, so the layers are assigned instead.) Returns the same figure,
    for chaining.
    """
    try:
        basemap = BASEMAPS[basemap_id]
    except KeyError:
        known = ", ".join(BASEMAPS)
        raise ValueError(f"unknown base map {basemap_id!r}; choose one of: {known}") from None
    fig.update_layout(map_style=basemap.map_style)
    fig.layout.map.layers = [dict(layer) for layer in basemap.layers]
    return fig
