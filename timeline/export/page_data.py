"""What the published page holds, as one JSON-able dict: the events, their cards, the story, and
the app's own figures, for the page's script (`page/page.js`) to filter by window and draw.

The figures are the app's (`map_figure`, `timeline_figure`), built once for every event the
page holds. The browser filters the map by the window: a marker names its event in its
`customdata`, as in the app; a circle of place uncertainty or a great-circle arc is one run of
points between gaps, and `segment_owners` says whose each run is, in the order the figure code
draws them (checked: a figure whose runs do not match raises). The timeline needs no filter: it
holds every event, and the window only moves its axis and its shading.

Past `DETAIL_LIMIT` events (the app's own limit for drawing each event) the timeline is a
histogram stacked by category that the browser bins for each window, as the app does past that
many events in a window; the map still draws each event, with circles and arcs only while
`figures.DETAIL_LIMIT` places or fewer are drawn (the figure code's own rule).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from timeline.data.contract import BIN_WIDTHS
from timeline.export.card_data import card_records
from timeline.model.story import Story
from timeline.model.tables import EventTable
from timeline.model.vocab import PLACE_RADIUS_KM
from timeline.views.basemap import STATIC_URL
from timeline.views.dense import DETAIL_LIMIT, histogram_figure
from timeline.views.figures import (
    LABEL_LIMIT,
    LINK_COLOUR,
    SELECTED_COLOUR,
    TICK_HOURS,
    Highlights,
    categories_of,
    map_figure,
    short_title,
    timeline_figure,
)
from timeline.views.figures import escape_text as plotly_escape

#: Names of the map's traces whose runs of points belong to events (see `segment_owners`).
CIRCLES = "Place uncertainty (radius)"
ARCS = "Places of one event (great circle)"
#: Hours the window moves per second of Play, by label (the app's choices).
SPEEDS = {
    "1 hour per second": 1,
    "3 hours per second": 3,
    "6 hours per second": 6,
    "1 day per second": 24,
}
TIMELINE_HEIGHT = 340
#: Decimals kept of the figures' numbers: 5 is about a metre of latitude.
DECIMALS = 5


def ms(times: pd.Series) -> list[int | None]:
    """UTC times as milliseconds since 1970 (exact in a JavaScript number for years 1-9999)."""
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ms]")
    out = values.astype("int64")
    return [None if nat else int(v) for v, nat in zip(out, np.isnat(values), strict=True)]


def _ms(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.tz_convert("UTC").tz_localize(None), "ms").astype("int64"))


# --- figures as plain JSON -----------------------------------------------------------------------


def _plain(value):
    """plotly's JSON with its typed arrays ({dtype, bdata}) as lists, NaN as null, floats
    rounded to DECIMALS: what the page's script can filter as plain arrays."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return _plain(array.tolist())
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return None if value != value else round(value, DECIMALS)
    return value


def figure_dict(fig: go.Figure) -> dict:
    """The figure as plain JSON (see `_plain`), without plotly's default template, which the
    page holds once (`template()`)."""
    out = _plain(json.loads(pio.to_json(fig, validate=False, engine="json")))
    out["layout"].pop("template", None)
    return out


def template() -> dict:
    return _plain(json.loads(pio.to_json(go.Figure(), engine="json")))["layout"]["template"]


def _offline_sources(layout: dict) -> None:
    """The base map's layers name their GeoJSON file (the page holds each once, `basemap`)
    instead of the app's URL, which a page opened from a file cannot fetch."""
    for layer in layout.get("map", {}).get("layers", []):
        source = layer.get("source")
        if isinstance(source, str) and source.startswith(STATIC_URL):
            layer["source"] = source[len(STATIC_URL) :]


# --- which event each run of points belongs to ---------------------------------------------------


def _runs(values: list) -> int:
    """Runs of points between gaps (None) in a line trace's coordinates."""
    runs, inside = 0, False
    for v in values:
        if v is None:
            inside = False
        elif not inside:
            runs, inside = runs + 1, True
    return runs


def segment_owners(fig: dict, events: pd.DataFrame, places: pd.DataFrame) -> list[list | None]:
    """Per trace of `map_figure(events, places)` as `figure_dict` gives it: the event id of
    each run of points of a circles or arcs trace, in the order the figure code draws them
    (circles: placed rows by category, in order; arcs: by event id, place after place); None
    for any other trace. Raises RuntimeError when the runs do not match those rows, so a
    change of the figure code cannot silently give a circle to the wrong event."""
    placed = places.merge(events, left_on="event_id", right_on="id", how="inner")
    placed["category"] = categories_of(placed)
    radius = placed["geo_precision"].astype("str").map(PLACE_RADIUS_KM).fillna(0)
    circles = [
        g["event_id"].tolist() for _, g in placed[radius > 0].groupby("category", sort=False)
    ]
    several = placed[placed.groupby("event_id")["event_id"].transform("size") > 1]
    arcs = [
        event_id
        for event_id, group in several.sort_values("order").groupby("event_id")
        for _ in range(len(group) - 1)
    ]
    out: list[list | None] = []
    for trace in fig["data"]:
        name = trace.get("name")
        owners = circles.pop(0) if name == CIRCLES and circles else arcs if name == ARCS else None
        if name in (CIRCLES, ARCS) and (owners is None or _runs(trace["lat"]) != len(owners)):
            raise RuntimeError(f"the map's {name!r} trace does not match its events' places")
        out.append(owners)
    return out


# --- repeated words, once ---------------------------------------------------------------------


def shared_strings(records: list, *, shortest: int = 8) -> tuple[list, list[str]]:
    """`records` with every text of `shortest` characters or more that occurs twice or more
    replaced by its number in the returned list (a large table's cards repeat their statuses,
    days, places and zones thousands of times). The page's script reads a number as that text;
    the cards hold no numbers of their own."""
    counts: dict[str, int] = {}

    def count(value) -> None:
        if isinstance(value, str):
            if len(value) >= shortest:
                counts[value] = counts.get(value, 0) + 1
        elif isinstance(value, dict):
            for v in value.values():
                count(v)
        elif isinstance(value, list):
            for v in value:
                count(v)

    count(records)
    table = sorted((t for t, n in counts.items() if n > 1), key=lambda t: -counts[t])
    number = {t: i for i, t in enumerate(table)}

    def swap(value):
        if isinstance(value, str):
            return number.get(value, value)
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    return swap(records), table


# --- the payload ---------------------------------------------------------------------------------


def styles_of(story: Story, events: pd.DataFrame) -> dict:
    """The story's categories, then any other of the events: what every view colours by."""
    return story.category_styles(categories_of(events))


def _story(story: Story, events: pd.DataFrame, index: Mapping[str, int]) -> dict:
    return {
        "title": story.title,
        "whole": [_ms(story.whole.start), _ms(story.whole.end)],
        "presets": [[w.label, _ms(w.start), _ms(w.end)] for w in story.windows],
        "narratives": [
            {"id": n.id, "title": n.title, "events": [index[i] for i in n.event_ids if i in index]}
            for n in story.narratives
        ],
        "anchor": index.get(story.anchor) if story.anchor else None,
    }


def _events(events: pd.DataFrame, styles: dict) -> dict:
    """The columns the script filters, steps and bins by: times in ms, category by number."""
    order = {c: i for i, c in enumerate(styles)}
    return {
        "id": events["id"].astype("str").tolist(),
        "earliest": ms(events["earliest"]),
        "latest": ms(events["latest"]),
        "start": ms(events["start"]),
        "category": categories_of(events).map(order).astype("int64").tolist(),
        # The timeline's labels, when few events are in view (escaped for plotly's labels).
        "label": events["title"].astype("str").map(short_title).map(plotly_escape).tolist(),
    }


def _places(places: pd.DataFrame, index: Mapping[str, int]) -> dict:
    """Every placed (event, place), first places first: for the overlay's labels and rings."""
    p = places.sort_values(["event_id", "order"]).sort_values("order", kind="stable")
    return {
        "event": p["event_id"].map(index).astype("int64").tolist(),
        "lat": p["lat"].round(DECIMALS).tolist(),
        "lon": p["lon"].round(DECIMALS).tolist(),
        "name": p["name"].astype("str").tolist(),
        "order": p["order"].astype("int64").tolist(),
    }


def _figures(
    story: Story, events: pd.DataFrame, places: pd.DataFrame, links: pd.DataFrame, styles: dict
) -> dict:
    """The map and the timeline: one pair for the whole table, and one per narrative (its
    steps stand out, the others dimmed, its route drawn) on a page of DETAIL_LIMIT events or
    fewer; past that, the map alone and the histogram's layout."""
    bounds = (story.whole.start, story.whole.end)
    detailed = len(events) <= DETAIL_LIMIT
    variants = {"": ()}
    if detailed:
        variants |= {n.id: n.event_ids for n in story.narratives}
    out: dict = {"map": {}, "owners": {}, "timeline": {}}
    for key, steps in variants.items():
        highlights = Highlights(story=tuple(steps), bands=story.bands, links=links)
        fig = figure_dict(map_figure(events, places, highlights, "offline", categories=styles))
        _offline_sources(fig["layout"])
        out["map"][key] = fig
        out["owners"][key] = segment_owners(fig, events, places)
        if detailed:
            timeline = timeline_figure(
                events, bounds, bounds, highlights, categories=styles, height=TIMELINE_HEIGHT
            )
            out["timeline"][key] = figure_dict(timeline)
    if not detailed:
        empty = pd.DataFrame({"bin_start": [], "bin_end": [], "category": [], "count": []})
        histogram = histogram_figure(
            empty, bounds, bounds, categories=styles, height=TIMELINE_HEIGHT
        )
        out["timeline"][""] = figure_dict(histogram)
    return out


def page_data(
    table: EventTable,
    story: Story,
    *,
    window: tuple[pd.Timestamp, pd.Timestamp],
    narrative_id: str | None,
    about: dict,
    basemap: dict,
    labels: dict,
) -> dict:
    """Everything the page's script reads (`about`: the header's words; `basemap` and `labels`:
    the offline files' contents)."""
    events, places, links = table.events, table.places, table.links
    styles = styles_of(story, events)
    index = {event_id: i for i, event_id in enumerate(events["id"])}
    anchor = None
    if story.anchor in index:
        anchor = events.iloc[index[story.anchor]]
    cited = set(events.loc[events["quote"].astype("str") != "", "source_file"])
    cards, strings = shared_strings(
        card_records(events, places, links, categories=styles, anchor=anchor)
    )
    return {
        "about": about,
        "mode": "detailed" if len(events) <= DETAIL_LIMIT else "large",
        "story": _story(story, events, index),
        "styles": [
            {"id": k, "label": v.label, "plotlyLabel": plotly_escape(v.label), "colour": v.colour}
            for k, v in styles.items()
        ],
        "colours": {"selected": SELECTED_COLOUR, "link": LINK_COLOUR},
        "events": _events(events, styles),
        "places": _places(table.located, index),
        "cards": cards,
        "strings": strings,
        "articles": {k: v for k, v in table.sources.items() if k in cited},
        "figures": _figures(story, events, table.located, links, styles),
        "template": template(),
        "basemap": basemap,
        "labels": labels,
        "view": {"window": [_ms(window[0]), _ms(window[1])], "narrative": narrative_id},
        "limits": {
            "labels": LABEL_LIMIT,
            "tickHours": list(TICK_HOURS),
            "binWidths": [int(w.total_seconds() * 1000) for w in BIN_WIDTHS],
            "maxBins": 200,
            "unplacedShown": 50,
        },
        "speeds": [[label, hours] for label, hours in SPEEDS.items()],
    }
