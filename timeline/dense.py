"""Figures of a dense window: the map as cells, the timeline as a histogram.

Past the engine's detail limit, a figure of one marker per event costs seconds and megabytes
and shows a blob. These draw what the engine counts instead (`timeline.queries`): one disc per
map cell, sized by its count, coloured by its commonest category, fainter the more of it is
placed only to a region or a country, the mix and both uncertainty shares in its hover; and a
histogram of counts per time bin stacked by category. Their size depends on the number of cells
and bins, never on the number of events. Like `timeline.figures`, they return figures.

A click names what was clicked in `customdata`: `cell|<y>|<x>` or `bin|<start>|<end>` (ISO
times), which `parse_pick` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.basemap import apply_basemap
from timeline.figures import MAP_HEIGHT, _escape, _mark_window, _styles, date_ticks, fit_view
from timeline.vocab import Category

#: Disc diameters in pixels of the smallest and the largest cell.
CELL_SIZES = (9, 42)


def cells_figure(
    cells: pd.DataFrame,
    basemap: str = "offline",
    *,
    categories: Mapping[str, Category] | None = None,
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """One disc per cell of `counts_per_cell` (rows per cell and category)."""
    styles = _styles(cells, categories)
    fig = go.Figure()
    if not cells.empty:
        per = _per_cell(cells, styles)
        for category, group in per.groupby("top", sort=False):
            fig.add_trace(
                go.Scattermap(
                    lat=group["lat"],
                    lon=group["lon"],
                    mode="markers",
                    marker={
                        "size": group["size"],
                        "color": styles[category].colour,
                        "opacity": group["opacity"],
                    },
                    customdata=group[["pick"]].to_numpy(),
                    text=group["hover"],
                    hovertemplate="%{text}<extra></extra>",
                    name=_escape(styles[category].label),
                )
            )
    fig.add_trace(go.Scattermap(lat=[], lon=[], mode="markers", hoverinfo="skip", name="map"))
    apply_basemap(fig, basemap)
    centre, zoom = fit_view(cells)
    fig.update_layout(
        map={"center": centre, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height,
        showlegend=False,
        clickmode="event+select",
    )
    return fig


def _per_cell(cells: pd.DataFrame, styles: Mapping[str, Category]) -> pd.DataFrame:
    """One row per cell: its centre, size, opacity, commonest category, hover and pick."""
    keys = ["cell_y", "cell_x"]
    ranked = cells.sort_values([*keys, "count"], ascending=[True, True, False])
    per = ranked.drop_duplicates(keys).rename(columns={"category": "top"}).reset_index(drop=True)
    share = ranked.assign(
        part=ranked["category"].map(lambda c: _escape(styles[c].label))
        + " "
        + (100 * ranked["count"] / ranked["cell_count"]).round().astype("int64").astype("str")
        + "%"
    )
    mix = share.groupby(keys, sort=True)["part"].agg(lambda parts: ", ".join(parts[:4]))
    per = per.merge(mix.rename("mix").reset_index(), on=keys, how="left")
    scale = np.sqrt(per["cell_count"] / per["cell_count"].max())
    per["size"] = CELL_SIZES[0] + (CELL_SIZES[1] - CELL_SIZES[0]) * scale
    per["opacity"] = 0.85 - 0.45 * per["place_coarse_share"]
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
    styles = _styles(bins, categories)
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
            label = _escape(styles[category].label)
            fig.add_trace(
                go.Bar(
                    x=group["mid"],
                    y=group["count"],
                    width=group["width_ms"],
                    marker={"color": styles[category].colour, "line": {"width": 0}},
                    customdata=group[["pick"]].to_numpy(),
                    hovertemplate=f"{label}: %{{y:,}}<br>%{{x}}<extra></extra>",
                    name=label,
                )
            )
    _mark_window(fig, window, lambda t: t)
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
    if isinstance(value, list):
        value = value[0] if value else None
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
