"""Figure builders: the map and the timeline. They return figures and never render.

Encodings (each has a legend entry, see `timeline.views.legend`):
- colour: category (the story's categories; `timeline.model.story.category_styles` gives one to any
  other category found in the data);
- hollow marker: claimed or disputed (CLAIM_STATUSES);
- on the timeline, marker shape: exact time (circle), uncertain time (diamond, with a whisker
  over the interval it falls in), duration (square, on a solid bar);
- on the map, a translucent geodesic circle: place known only to a town, region or country
  (PLACE_RADIUS_KM); a great-circle arc joins the places of one event;
- a band on the timeline: a labelled span of the story (`Band`); a ring in its category's colour
  on an event of a category the band highlights, inside the band;
- dimmed markers: events outside the story step. The selected event's black ring and its
  links drawn darker are not in the figures: `timeline.views.overlay` draws them in the browser,
  so a click that only selects leaves both figures as they are and neither is redrawn.

Text from the data is escaped before it reaches plotly, whose labels read a subset of HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.data.contract import meets
from timeline.model.story import Band, category_styles
from timeline.model.vocab import CLAIM_STATUSES, PLACE_RADIUS_KM, TIME_PRECISIONS, Category
from timeline.views import describe
from timeline.views.basemap import apply_basemap
from timeline.views.describe import duration
from timeline.views.geometry import circles, great_circle, joined, rings_joined

SELECTED_COLOUR = "#111111"
LINK_COLOUR = "#6b6b6b"
#: The events' titles beside them on the timeline.
LABEL_COLOUR = "#333333"
STORY_COLOUR = "#333333"
#: Past this many events in view, uncertainty shapes and lanes are left out: a million
#: whiskers would not be readable anyway, and the figure must stay small.
SHAPE_LIMIT = 3000
MAP_HEIGHT = 560
#: The map's width the figure's own view is fitted for (the browser refits to the real size).
MAP_WIDTH = 820
#: Past this many events in view, the timeline has no title labels (they would overlap).
LABEL_LIMIT = 14

EXACT, UNCERTAIN, DURATION = "circle", "diamond", "square"
#: Tick spacings of the relative axis, in hours.
TICK_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720)
HOLLOW = frozenset(k for k, v in CLAIM_STATUSES.items() if v.hollow)


@dataclass(frozen=True)
class Highlights:
    """What the figures emphasise beyond the events themselves."""

    #: Event ids of the story's steps, in order; others are dimmed. Empty: no story.
    story: tuple[str, ...] = ()
    #: The story's bands: drawn on the timeline; events of their highlight categories
    #: inside them are ringed. A band with no span (not resolved) is skipped.
    bands: tuple[Band, ...] = ()
    #: Anchor event for the relative axis; None: absolute time.
    anchor: pd.Series | None = None
    links: pd.DataFrame = field(default_factory=pd.DataFrame)


def escape(text: pd.Series) -> pd.Series:
    # Quotes stay as typed: plotly's labels decode &amp; &lt; &gt; but show &quot; literally.
    return text.astype("str").map(escape_text)


def escape_text(text: str) -> str:
    return html.escape(text, quote=False)


def with_alpha(colours, alpha):
    """Each `#rrggbb` colour (one, or one per point) with the matching `alpha` as `rgba()`;
    `colours` as given when nothing is dimmed.

    Dimming goes in the colour, not in `marker.opacity`: a selection restyles opacity (see
    `plain_selection`), never the colour.
    """
    alpha = np.asarray(alpha, dtype="float")
    if (alpha == 1).all():
        return colours
    colours = np.broadcast_to(np.asarray(colours, dtype="object"), alpha.shape)
    return [
        f"rgba({int(c[1:3], 16)},{int(c[3:5], 16)},{int(c[5:7], 16)},{a:g})"
        for c, a in zip(colours, alpha, strict=True)
    ]


def plain_selection(opacity: float = 1.0, text: str | None = None) -> dict:
    """A trace's `selected` and `unselected` styles that keep every point as drawn.

    Once a click selects a point, plotly dims every other point (to a fifth of its opacity) for
    as long as the figure stays the same, and here it stays the same across a click so that the
    reader's zoom stays. Dim already means "outside the story step" here, and the selection has
    its own ring (`timeline.views.overlay`). `opacity`: the trace's marker opacity; `text`: its text
    colour. Given to the trace's constructor (an update of a built trace cost ~2 ms a trace).
    """
    style = {"marker": {"opacity": opacity}}
    unselected = {**style, "textfont": {"color": text}} if text else style
    return {"selected": style, "unselected": unselected}


def _shape(events: pd.DataFrame) -> pd.Series:
    duration_kind = events["time_precision"].map(
        {k: v.is_duration for k, v in TIME_PRECISIONS.items()}
    ).astype("bool") | ((events["time_precision"] == "minute") & events["end"].notna())
    exact = events["time_precision"].isin(["minute", "hour"])
    shape = np.where(duration_kind, DURATION, np.where(exact, EXACT, UNCERTAIN))
    hollow = events["claim_status"].isin(HOLLOW).to_numpy()
    return pd.Series(
        np.where(hollow, np.char.add(shape.astype(str), "-open"), shape), index=events.index
    )


def _when(events: pd.DataFrame) -> pd.Series:
    """Hover text for the time: as the source gives it, in its own clock (a day stays that
    local day, with its zone), and its precision. Escaped for plotly's HTML."""
    words = [escape_text(when) for when in describe.when_listed(events)]
    precision = events["time_precision"].astype("str")
    label = precision.map({k: v.label for k, v in TIME_PRECISIONS.items()}).fillna(precision)
    return pd.Series(words, index=events.index, dtype="str") + " (" + label + ")"


def categories_of(events: pd.DataFrame) -> pd.Series:
    """The category column as text: free text from any reader, a missing one empty."""
    return events["category"].astype("str").fillna("")


def styles_for(
    events: pd.DataFrame, categories: Mapping[str, Category] | None
) -> dict[str, Category]:
    """The categories given, completed with any other category of `events`."""
    given = dict(categories or {})
    data = categories_of(events)
    if categories is not None and data.isin(list(given)).all():
        return given
    return category_styles(data, given)


def ring_label(band: Band, category: Category) -> str:
    """What a ring means, in the legend and as the map trace's name (plain text: escape it
    before it goes into HTML)."""
    return f"{band.label}: {category.label} inside it"


def _band_rings(
    events: pd.DataFrame, bands: tuple[Band, ...], styles: Mapping[str, Category]
) -> list[tuple[pd.Series, str, str]]:
    """(mask, colour, label) per band and highlighted category: events of that category whose
    earliest time lies in the band."""
    out = []
    cats = categories_of(events)
    for band in bands:
        if band.start is None or band.end is None:
            continue
        inside = (events["earliest"] >= band.start) & (events["earliest"] <= band.end)
        for category in band.highlight:
            style = styles.get(category)
            mask = inside & (cats == category)
            if style is not None and mask.any():
                out.append((mask, style.colour, escape_text(ring_label(band, style))))
    return out


# --- the map -----------------------------------------------------------------------------------


def map_figure(
    events: pd.DataFrame,
    places: pd.DataFrame,
    highlights: Highlights = Highlights(),
    basemap: str = "offline",
    *,
    categories: Mapping[str, Category] | None = None,
    view: dict | None = None,
    height: int = MAP_HEIGHT,
) -> go.Figure:
    """One marker per event and place for the events given (already filtered to the window).
    `view` (centre and zoom) keeps the reader's view when the events are those of that view.

    The selection is not drawn: the figure stays the same when only the selection changes, so
    the reader's zoom stays (the app's overlay rings the selection).

    `categories`: label and colour per category (the story's); any other category of the
    events gets one from `timeline.model.story.category_styles`.
    """
    places = places[places["lat"].notna() & places["lon"].notna()]  # a place not found: no point
    placed = places.merge(events, left_on="event_id", right_on="id", how="inner")
    placed["category"] = categories_of(placed)
    styles = styles_for(placed, categories)
    fig = go.Figure()
    detailed = len(placed) <= SHAPE_LIMIT
    if detailed:
        _add_circles(fig, placed, styles)
        _add_arcs(fig, placed)
        _add_story_route(fig, placed, highlights.story)
    _add_rings(fig, placed, highlights, styles)
    _add_markers(fig, placed, highlights.story, styles)
    fig = finish_map(fig, placed, basemap, height)
    if view is not None:
        fig.update_layout(map={"center": view["center"], "zoom": view["zoom"]})
    return fig


def finish_map(fig: go.Figure, points: pd.DataFrame, basemap: str, height: int) -> go.Figure:
    """The base map, a view fitted to `points` (lat, lon) and the layout every map shares."""
    # With nothing placed there is still a map (no trace at all would draw bare x/y axes).
    fig.add_trace(go.Scattermap(lat=[], lon=[], mode="markers", hoverinfo="skip", name="map"))
    apply_basemap(fig, basemap)
    centre, zoom = fit_view(points)
    fig.update_layout(
        map={"center": centre, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height,
        showlegend=False,
        clickmode="event+select",
    )
    return fig


def _add_circles(fig: go.Figure, placed: pd.DataFrame, styles: Mapping[str, Category]) -> None:
    radius = placed["geo_precision"].astype("str").map(PLACE_RADIUS_KM).fillna(0)
    for category, group in placed[radius > 0].groupby("category", sort=False):
        lats, lons = rings_joined(*circles(group["lat"], group["lon"], radius[group.index]))
        colour = styles[category].colour
        fig.add_trace(
            go.Scattermap(
                **plain_selection(),
                lat=lats,
                lon=lons,
                mode="lines",
                fill="toself",
                fillcolor=_rgba(colour, 0.15),
                line={"color": _rgba(colour, 0.5), "width": 1},
                hoverinfo="skip",
                name="Place uncertainty (radius)",
                legendgroup="circles",
                showlegend=not any(t.legendgroup == "circles" for t in fig.data),
            )
        )


def _add_arcs(fig: go.Figure, placed: pd.DataFrame) -> None:
    several = placed[placed.groupby("event_id")["event_id"].transform("size") > 1]
    arcs = []
    for _, group in several.sort_values("order").groupby("event_id"):
        points = list(zip(group["lat"], group["lon"], strict=True))
        for a, b in zip(points, points[1:], strict=False):
            arcs.append(great_circle(a, b))
    if arcs:
        lats, lons = joined(arcs)
        fig.add_trace(
            go.Scattermap(
                **plain_selection(),
                lat=lats,
                lon=lons,
                mode="lines",
                line={"color": LINK_COLOUR, "width": 2},
                hoverinfo="skip",
                name="Places of one event (great circle)",
            )
        )


def _add_story_route(fig: go.Figure, placed: pd.DataFrame, story: tuple[str, ...]) -> None:
    if not story:
        return
    first = placed.sort_values("order").drop_duplicates("event_id").set_index("event_id")
    steps = [first.loc[i, ["lat", "lon"]].tolist() for i in story if i in first.index]
    if len(steps) < 2:
        return
    # Straight legs on the map (not great circles, which read as the places of one event);
    # the overlay numbers the stops.
    fig.add_trace(
        go.Scattermap(
            **plain_selection(),
            lat=[p[0] for p in steps],
            lon=[p[1] for p in steps],
            mode="lines",
            line={"color": STORY_COLOUR, "width": 3},
            opacity=0.7,
            hoverinfo="skip",
            name="Story route, step to step",
        )
    )


def _add_rings(
    fig: go.Figure, placed: pd.DataFrame, highlights: Highlights, styles: Mapping[str, Category]
) -> None:
    """Larger discs under a marker: highlighted categories inside bands.

    The selection is not drawn here: a click that only selects must leave the figure as it was,
    or plotly puts the map back to the figure's own view (`timeline.views.overlay` rings it)."""
    rings = [(m, c, 26, label) for m, c, label in _band_rings(placed, highlights.bands, styles)]
    for mask, colour, size, name in rings:
        ring = placed[mask]
        if ring.empty:
            continue
        fig.add_trace(
            go.Scattermap(
                **plain_selection(0.9),
                lat=ring["lat"],
                lon=ring["lon"],
                mode="markers",
                marker={"size": size, "color": colour, "opacity": 0.9},
                customdata=ring[["id"]].to_numpy(),
                hoverinfo="skip",
                name=name,
            )
        )


def _add_markers(
    fig: go.Figure, placed: pd.DataFrame, story: tuple[str, ...], styles: Mapping[str, Category]
) -> None:
    hover = (
        escape(placed["title"])
        + "<br>"
        + _when(placed)
        + "<br>"
        + escape(placed["name"])
        + " ("
        + placed["geo_precision"].astype("str")
        + ")"
    )
    opacity = np.where(placed["id"].isin(story) | (not story), 1.0, 0.25)
    hollow = placed["claim_status"].isin(HOLLOW)
    for category, group in placed.groupby("category", sort=False):
        spec = styles[category]
        fig.add_trace(
            go.Scattermap(
                **plain_selection(),
                lat=group["lat"],
                lon=group["lon"],
                mode="markers",
                marker={
                    "size": 14,
                    "color": with_alpha(
                        spec.colour, opacity[placed.index.get_indexer(group.index)]
                    ),
                },
                customdata=group[["id"]].to_numpy(),
                text=hover.loc[group.index],
                hovertemplate="%{text}<extra></extra>",
                name=escape_text(spec.label),
            )
        )
    # Scattermap has no open symbols: a white dot inside the coloured one makes it hollow.
    inner = placed[hollow]
    if not inner.empty:
        fig.add_trace(
            go.Scattermap(
                **plain_selection(),
                lat=inner["lat"],
                lon=inner["lon"],
                mode="markers",
                marker={"size": 7, "color": "white"},
                customdata=inner[["id"]].to_numpy(),
                text=hover.loc[inner.index],
                hovertemplate="%{text}<extra></extra>",
                name="Hollow: claimed or disputed",
            )
        )


def _merc_y(lat: float) -> float:
    """Web Mercator y of a latitude, 0 at the top of the world and 1 at the bottom."""
    lat = min(max(lat, -85.05), 85.05)
    return (
        1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi
    ) / 2


def fit_view(
    placed: pd.DataFrame, width: int = MAP_WIDTH, height: int = MAP_HEIGHT, pad: int = 40
) -> tuple[dict[str, float], float]:
    """Centre and zoom that show every point given on a `width` x `height` px map, in Web
    Mercator as MapLibre draws it (the world is 512 px wide at zoom 0).

    With nothing placed, the whole world: no story's region is assumed."""
    if placed.empty:
        return {"lat": 20.0, "lon": 0.0}, max(math.log2(width / 512), 0.0)
    lat_lo, lat_hi = float(placed["lat"].min()), float(placed["lat"].max())
    lon_lo, lon_hi = float(placed["lon"].min()), float(placed["lon"].max())
    y_lo, y_hi = _merc_y(lat_hi), _merc_y(lat_lo)
    dx = max((lon_hi - lon_lo) / 360, 1e-9)
    dy = max(y_hi - y_lo, 1e-9)
    zoom = min(math.log2((width - 2 * pad) / 512 / dx), math.log2((height - 2 * pad) / 512 / dy))
    y_mid = (y_lo + y_hi) / 2
    lat_mid = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y_mid))))
    return {"lat": lat_mid, "lon": (lon_lo + lon_hi) / 2}, float(min(max(zoom, 0.0), 7.0))


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --- the timeline ------------------------------------------------------------------------------


def _lanes(events: pd.DataFrame) -> pd.Series:
    """Stack events that overlap in time within a category into separate lanes."""
    lane = pd.Series(0, index=events.index)
    for _, group in events.sort_values("earliest").groupby("category", sort=False):
        ends: list[pd.Timestamp] = []
        for idx, lo, hi in zip(group.index, group["earliest"], group["latest"], strict=True):
            free = next((i for i, e in enumerate(ends) if e < lo), None)
            if free is None:
                ends.append(hi)
                free = len(ends) - 1
            else:
                ends[free] = hi
            # Keep even exact points apart by a few hours so each stays clickable.
            ends[free] = max(hi, lo + pd.Timedelta(hours=6))
            lane[idx] = free
    return lane


def timeline_figure(
    events: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    highlights: Highlights = Highlights(),
    *,
    categories: Mapping[str, Category] | None = None,
    height: int = 520,
) -> go.Figure:
    """Events by category (rows) over time; the window shaded; spans as bars; bands; the
    events' titles beside them when there are at most `LABEL_LIMIT` in view.

    Only the events in view (the window and its margins) are drawn, so a large table costs
    what its window holds, not what the whole table holds. `categories` gives the rows, in
    order, with their labels and colours (the story's, for the whole table, so rows stay put
    as the window moves); other categories of the events are added after them.
    """
    fig = go.Figure()
    events = events[meets(events, *view_range(window, bounds))]
    events = events.assign(category=categories_of(events))
    styles = styles_for(events, categories)
    rows = list(styles)
    row = events["category"].map({c: i for i, c in enumerate(rows)})
    detailed = len(events) <= SHAPE_LIMIT
    lane = _lanes(events) if detailed else pd.Series(0, index=events.index)
    y = row.astype("float") + 0.22 * (lane % 4) - 0.3
    x = _x(highlights.anchor)
    inside = (events["latest"] >= window[0]) & (events["earliest"] <= window[1])
    dim = inside & (events["id"].isin(highlights.story) | (not highlights.story))
    if detailed:
        _add_intervals(fig, events, y, x, styles)
        _add_links(fig, events, y, x, highlights.links)
    _add_timeline_rings(fig, events, y, x, highlights, styles)
    labelled = len(events) <= LABEL_LIMIT
    _add_points(fig, events, y, x, np.where(dim, 1.0, 0.3), highlights.anchor, styles, labelled)
    mark_window(fig, window, x)
    _add_bands(fig, highlights.bands, bounds, x, len(rows))
    fig.update_yaxes(
        tickvals=list(range(len(rows))),
        ticktext=[escape_text(styles[c].label) for c in rows],
        range=[-0.6, len(rows) - 0.2],
        showgrid=True,
        zeroline=False,
    )
    _x_axis(fig, view_range(window, bounds), highlights.anchor, x)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        plot_bgcolor="white",
    )
    return fig


def _add_bands(fig, bands: tuple[Band, ...], bounds, x, n_rows: int) -> None:
    """Each band shaded over its span (cut to the story), its label at its start, stacked."""
    shown = [b for b in bands if b.start is not None and b.end is not None]
    for i, band in enumerate(shown):
        start, end = max(band.start, bounds[0]), min(band.end, bounds[1])
        if start >= end:
            continue
        fig.add_vrect(
            x0=x(start), x1=x(end), fillcolor=band.colour, opacity=0.08, line_width=0,
            layer="below", name="band",
        )  # fmt: skip
        fig.add_annotation(
            x=x(start),
            y=n_rows - 0.35 - 0.3 * i,
            text=escape_text(band.label) + " →",
            showarrow=False,
            xanchor="left",
            font={"color": band.colour, "size": 11},
            name="band",
        )


def view_range(
    window: tuple[pd.Timestamp, pd.Timestamp], bounds: tuple[pd.Timestamp, pd.Timestamp]
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window with a fifth of its width of context on each side, inside the story."""
    pad = (window[1] - window[0]) / 5
    return max(window[0] - pad, bounds[0]), min(window[1] + pad, bounds[1])


def _x(anchor: pd.Series | None):
    """Times as plotted: datetimes, or hours from the anchor's start on the relative axis."""
    if anchor is None:
        return lambda t: t
    origin = anchor["start"]
    return lambda t: (t - origin) / pd.Timedelta(hours=1)


def _add_intervals(fig, events, y, x, styles) -> None:
    shape = _shape(events)
    bars = shape.str.startswith(DURATION)
    whiskers = ~bars & (events["earliest"] < events["latest"])
    for mask, width, opacity in ((whiskers, 2, 0.8), (bars, 9, 0.55)):
        for category, group in events[mask].groupby("category", sort=False):
            xs, ys = [], []
            for i in group.index:
                xs += [x(group.at[i, "earliest"]), x(group.at[i, "latest"]), None]
                ys += [y[i], y[i], None]
            colour = styles[category].colour
            fig.add_trace(
                go.Scatter(
                    **plain_selection(),
                    x=xs,
                    y=ys,
                    mode="lines+markers" if width == 2 else "lines",
                    line={"color": colour, "width": width},
                    opacity=opacity,
                    marker={"symbol": "line-ns-open", "size": 10, "color": colour},
                    hoverinfo="skip",
                    name="interval",
                )
            )


def _add_links(fig, events, y, x, links: pd.DataFrame) -> None:
    """Dotted lines between linked events (the overlay darkens those of the selected event)."""
    if links is None or links.empty:
        return
    mid = events["earliest"] + (events["latest"] - events["earliest"]) / 2
    at = pd.DataFrame({"id": events["id"], "x": mid.map(x), "y": y})
    pairs = links.merge(at, left_on="source_id", right_on="id").merge(
        at, left_on="target_id", right_on="id", suffixes=("_a", "_b")
    )
    if pairs.empty:
        return
    xs, ys = [], []
    for r in pairs.itertuples(index=False):
        xs += [r.x_a, r.x_b, None]
        ys += [r.y_a, r.y_b, None]
    fig.add_trace(go.Scatter(
        **plain_selection(),
        x=xs, y=ys, mode="lines", hoverinfo="skip", name="link", opacity=0.35,
        line={"color": LINK_COLOUR, "width": 1, "dash": "dot"},
    ))  # fmt: skip


def _add_timeline_rings(fig, events, y, x, highlights: Highlights, styles) -> None:
    mid = events["earliest"] + (events["latest"] - events["earliest"]) / 2
    rings = [(m, colour, 24) for m, colour, _ in _band_rings(events, highlights.bands, styles)]
    for mask, colour, size in rings:
        if mask.any():
            fig.add_trace(
                go.Scatter(
                    **plain_selection(),
                    x=[x(t) for t in mid[mask]],
                    y=y[mask],
                    mode="markers",
                    hoverinfo="skip",
                    marker={
                        "symbol": "circle-open",
                        "size": size,
                        "color": colour,
                        "line": {"width": 3, "color": colour},
                    },
                    customdata=events.loc[mask, ["id"]].to_numpy(),
                    name="ring",
                )
            )


def short_title(title: str, limit: int = 28) -> str:
    """A title cut to `limit` characters at a word, for a label beside a point."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _add_points(fig, events, y, x, opacity, anchor, styles, labelled: bool = False) -> None:
    mid = events["earliest"] + (events["latest"] - events["earliest"]) / 2
    exact = events["time_precision"].isin(["minute", "hour"])
    at = events["start"].where(exact, mid)
    hover = escape(events["title"]) + "<br>" + _when(events)
    if anchor is not None:
        rel = (events["start"] - anchor["start"]).map(duration)
        hover += "<br>" + rel + " from the anchor"
    colours = with_alpha(events["category"].map({k: v.colour for k, v in styles.items()}), opacity)
    fig.add_trace(
        go.Scatter(
            **plain_selection(text=LABEL_COLOUR),
            x=[x(t) for t in at],
            y=y,
            marker={
                "symbol": _shape(events),
                "size": 13,
                "color": colours,
                "line": {"width": 2, "color": colours},
            },
            customdata=events[["id"]].to_numpy(),
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            text=events["title"].astype("str").map(short_title).map(escape_text)
            if labelled
            else None,
            mode="markers+text" if labelled else "markers",
            textposition="middle right",
            textfont={"size": 11, "color": LABEL_COLOUR},
            cliponaxis=False,
            name="events",
        )
    )


def mark_window(fig, window, x) -> None:
    fig.add_vrect(
        x0=x(window[0]),
        x1=x(window[1]),
        fillcolor="#4a90d9",
        opacity=0.10,
        line={"color": "#4a90d9", "width": 1},
        layer="below",
    )


def date_ticks(span: pd.Timedelta, most: int = 14) -> dict:
    """Tick spacing and format for a date axis `span` wide: hours over a night, days over a
    fortnight (at most `most` ticks); plotly's own choice past a month."""
    hours = span / pd.Timedelta(hours=1)
    step = next((h for h in TICK_HOURS if hours / h <= most), None)
    if step is None or step > 168:
        return {}
    fmt = "%H:%M<br>%d %b" if step < 24 else "%d %b"
    return {"dtick": step * 3_600_000, "tick0": "2000-01-03", "tickformat": fmt}


def _x_axis(fig, bounds, anchor, x) -> None:
    if anchor is None:
        fig.update_xaxes(
            type="date", range=[bounds[0], bounds[1]], showgrid=True, title_text="time (UTC)",
            **date_ticks(bounds[1] - bounds[0]),
        )  # fmt: skip
        return
    lo, hi = x(bounds[0]), x(bounds[1])
    # At most about seven labelled ticks: the timeline is half a page wide.
    step = next((h for h in TICK_HOURS if (hi - lo) / h <= 7), TICK_HOURS[-1])
    ticks = np.arange(math.floor(lo / step) * step, hi + step, step)
    fig.update_xaxes(
        type="linear",
        range=[lo, hi],
        tickvals=ticks,
        ticktext=[duration(pd.Timedelta(hours=float(t))) if t else "anchor" for t in ticks],
        title_text="time from the anchor's start",
        showgrid=True,
    )
