"""Figures of a dense window: the map as cells, the timeline as a histogram.

Past the engine's detail limit, a figure of one marker per event costs seconds and megabytes
and shows a blob. These draw what the engine counts instead (`timeline.data.queries`): one disc per
map cell, sized by its count, coloured by its commonest category, fainter the more of it is
placed only to a region or a country, the mix and both uncertainty shares in its hover; and a
histogram of counts per time bin stacked by category. Their size depends on the number of cells
and bins, never on the number of events. Like `timeline.views.figures`, they return figures.

A click names what was clicked in `customdata`: `cell|<y>|<x>` or `bin|<start>|<end>` (ISO
times), which `parse_pick` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.data.contract import cell_deg_at, cell_size
from timeline.model.vocab import Category
from timeline.views.figures import (
    MAP_HEIGHT,
    MAP_WIDTH,
    date_ticks,
    escape_text,
    finish_map,
    fit_view,
    mark_window,
    plain_selection,
    styles_for,
    with_alpha,
)

#: Up to this many events in the map's view, the map draws each one in detail (its uncertainty
#: circle, arcs, rings, hovers with its time); past it, cells. Measured at a million
#: events: a detailed event costs about 1 ms and 1.4 KB, so 500 keep a rerun near budget.
DETAIL_LIMIT = 500
#: Disc diameters in pixels of the smallest and the largest cell.
CELL_SIZES = (7, 30)
#: Disc opacity: a cell of events placed exactly, and one of events placed only to a region or
#: a country; in between by the share so placed, in COARSE_STEPS steps.
CELL_OPACITY = (0.85, 0.40)
COARSE_STEPS = 5


def cells_figure(
    cells: pd.DataFrame,
    basemap: str = "offline",
    *,
    categories: Mapping[str, Category] | None = None,
    view: dict | None = None,
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """One disc per cell of the engine's `cells` (rows per cell and category). `view` (centre
    and zoom) keeps the reader's view when the cells are of that view."""
    styles = styles_for(cells, categories)
    fig = go.Figure()
    if not cells.empty:
        per = _per_cell(cells, styles)
        # One trace, a colour per disc: a trace per category cost more than the counting.
        # The faintness (placed coarsely) is in the colour, not in `marker.opacity`: plotly's
        # selection of a clicked disc restyles opacity (see `plain_selection`).
        alphas = np.linspace(*CELL_OPACITY, COARSE_STEPS)
        fig.add_trace(
            go.Scattermap(
                **plain_selection(),
                lat=per["lat"].to_numpy(),
                lon=per["lon"].to_numpy(),
                mode="markers",
                marker={
                    "size": per["size"].to_numpy(),
                    # Numbers through a stepped scale, a step per category and faintness:
                    # plotly checks a list of colour names one by one, numbers at once.
                    "color": per["colour"].to_numpy(),
                    "colorscale": _steps(
                        [rgba for v in styles.values() for rgba in with_alpha(v.colour, alphas)]
                    ),
                    "cmin": -0.5,
                    "cmax": len(styles) * COARSE_STEPS - 0.5,
                },
                customdata=per[["pick"]].to_numpy(),
                text=per["hover"].tolist(),
                hovertemplate="%{text}<extra></extra>",
                name="cells",
            )
        )
    fig = finish_map(fig, cells, basemap, height)
    if view is not None:
        fig.update_layout(map={"center": view["center"], "zoom": view["zoom"]})
    return fig


def default_cell_deg(extent: tuple[float, float, float, float] | None) -> float:
    """Cell size in degrees: about `contract.CELL_PX` pixels at the zoom that fits every place."""
    if extent is None:
        return cell_size(2)
    west, south, east, north = extent
    corners = pd.DataFrame({"lat": [south, north], "lon": [west, east]})
    _, zoom = fit_view(corners, width=MAP_WIDTH, height=MAP_HEIGHT)
    return cell_deg_at(zoom)


def map_mode(in_view: int) -> str:
    """What the map draws of the events in its view: "detail" (each event, with its
    uncertainty) up to `DETAIL_LIMIT`, else "cells" (counted by the server for that view).

    Cells and not MapLibre's own clusters (`scattermap` `cluster`): plotly draws a cluster's
    count with a text layer whose glyphs it fetches from fonts.openmaptiles.org, and the app
    must reach nothing outside. Cells of the reported view split as the reader zooms in, as
    clusters would, and carry the category mix and the uncertainty besides."""
    return "detail" if in_view <= DETAIL_LIMIT else "cells"


def _per_cell(cells: pd.DataFrame, styles: Mapping[str, Category]) -> pd.DataFrame:
    """One row per cell: its centre, size, colour number (commonest category and how coarsely
    placed, see `cells_figure`), hover, pick."""
    keys = ["cell_y", "cell_x"]
    ranked = cells.sort_values([*keys, "count"], ascending=[True, True, False])
    # Largest first, so a small disc is drawn over a large neighbour rather than under it;
    # a large disc's centre stays its own (it is about a cell wide).
    per = ranked.drop_duplicates(keys).sort_values("cell_count", ascending=False, kind="stable")
    per = per.reset_index(drop=True)
    # The mix, category by category in the legend's order, as columns added up (no loop per
    # cell): "Battles 40% · Protests 35% · ...".
    wide = cells.set_index([*keys, "category"])["count"].unstack("category", fill_value=0)
    wide = wide.reindex(pd.MultiIndex.from_frame(per[keys]), fill_value=0)
    total = per["cell_count"].to_numpy()
    mix = pd.Series("", index=per.index, dtype="str")
    for category in [c for c in styles if c in wide.columns]:
        share = np.round(100 * wide[category].to_numpy() / total).astype("int64")
        part = np.where(
            share > 0, f"{escape_text(styles[category].label)} " + share.astype(str) + "%", ""
        )
        mix = mix.str.cat(pd.Series(part, index=per.index), sep="<br>")
    per["mix"] = mix.str.replace(r"^(<br>)+|(?<=<br>)(<br>)+|(<br>)+$", "", regex=True)
    scale = np.sqrt(per["cell_count"] / per["cell_count"].max())
    per["size"] = CELL_SIZES[0] + (CELL_SIZES[1] - CELL_SIZES[0]) * scale
    coarse = np.round(per["place_coarse_share"].to_numpy() * (COARSE_STEPS - 1)).astype("int64")
    category = per["category"].map({k: i for i, k in enumerate(styles)}).astype("int64")
    per["colour"] = category * COARSE_STEPS + coarse
    per["hover"] = (
        "<b>"
        + per["cell_count"].map("{:,} events".format)
        + "</b><br>"
        + per["mix"]
        + "<br>"
        + _percent(per["place_coarse_share"])
        + " placed only to a region or country<br>"
        + _percent(per["time_coarse_share"])
        + " known only to a day or coarser<br>click to list them"
    )
    per["pick"] = "cell|" + per["cell_y"].astype("str") + "|" + per["cell_x"].astype("str")
    return per


def _steps(colours: list[str]) -> list[list]:
    """A colour scale that gives number i (of n, scaled over -0.5..n-0.5) colour i flat."""
    n = max(len(colours), 1)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale or [[0, "#888888"], [1, "#888888"]]


def _percent(share: pd.Series) -> pd.Series:
    return (100 * share).round().astype("int64").astype("str") + "%"


def histogram_figure(
    bins: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    view: tuple[pd.Timestamp, pd.Timestamp],
    *,
    categories: Mapping[str, Category] | None = None,
    height: int = 340,
) -> go.Figure:
    """Counts per time bin (`counts_per_bin` over `view`), stacked by category; the window
    shaded as on the detailed timeline. A click on a bar asks for its bin as the window."""
    styles = styles_for(bins, categories)
    fig = go.Figure()
    if not bins.empty:
        width = bins["bin_end"] - bins["bin_start"]
        pick = (
            "bin|"
            + bins["bin_start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            + "|"
            + bins["bin_end"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        frame = bins.assign(
            mid=bins["bin_start"] + width / 2,
            width_ms=width.dt.total_seconds() * 1000,
            pick=pick,
        )
        for category in [c for c in styles if c in set(frame["category"])]:
            group = frame[frame["category"] == category]
            label = escape_text(styles[category].label)
            fig.add_trace(
                go.Bar(
                    x=group["mid"].dt.tz_localize(None).to_numpy(),
                    y=group["count"].to_numpy(),
                    width=group["width_ms"].to_numpy(),
                    marker={"color": styles[category].colour, "line": {"width": 0}},
                    customdata=group[["pick"]].to_numpy(),
                    hovertemplate=f"{label}: %{{y:,}}<br>%{{x}}<extra></extra>",
                    name=label,
                )
            )
    mark_window(fig, window, lambda t: t)
    fig.update_xaxes(
        type="date", range=[view[0], view[1]], showgrid=True, title_text="time (UTC)",
        **date_ticks(view[1] - view[0]),
    )  # fmt: skip
    fig.update_yaxes(title_text="events per bin", rangemode="tozero")
    fig.update_layout(
        barmode="stack",
        bargap=0,
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        plot_bgcolor="white",
    )
    return fig


def parse_pick(value) -> tuple[str, tuple] | None:
    """('cell', (y, x)) or ('bin', (start, end)) from a clicked point's customdata; None for
    anything else (an event id is not a pick)."""
    if isinstance(value, (list, tuple, np.ndarray)):  # a row of customdata
        value = value[0] if len(value) else None
    if not isinstance(value, str):
        return None
    parts = value.split("|")
    try:
        if parts[0] == "cell" and len(parts) == 3:
            return "cell", (int(parts[1]), int(parts[2]))
        if parts[0] == "bin" and len(parts) == 3:
            return "bin", (pd.Timestamp(parts[1]), pd.Timestamp(parts[2]))
    except ValueError:
        return None
    return None
