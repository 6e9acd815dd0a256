"""Figures, card and legend: what is drawn, and that data text never becomes HTML."""

from __future__ import annotations

import pandas as pd
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.ingest.files import parse_events, read_events
from timeline.model.story import PALETTE, story_for_table
from timeline.model.vocab import CLAIM_STATUSES, PLACE_RADIUS_KM, Category
from timeline.views.card import article_html, card_html
from timeline.views.figures import Highlights, fit_view, map_figure, timeline_figure, with_alpha
from timeline.views.geometry import circle, circles, great_circle
from timeline.views.legend import legend_entries, legend_html

T = pd.Timestamp
BOUNDS = (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))


@pytest.fixture(scope="module")
def seed():
    return read_events("seeds/events.csv")


@pytest.fixture(scope="module")
def story(seed):
    return story_for_table("seeds/events.csv", seed.events)


#: The seed's categories as the app drew them before the story file owned them.
SEED_CATEGORIES = {
    "diplomacy": Category("Diplomacy", "#0072B2"),
    "statement": Category("Statement", "#56B4E9"),
    "ceasefire": Category("Ceasefire or pause", "#009E73"),
    "military": Category("Military", "#000000"),
    "strike_energy": Category("Strike on energy infrastructure", "#D55E00"),
    "strike_civilian": Category("Strike on civilian infrastructure", "#CC79A7"),
}
PAUSE_LABEL = "30-day pause on energy strikes"
RING = f"{PAUSE_LABEL}: Strike on energy infrastructure inside it"


def traces(fig, name):
    return [t for t in fig.data if t.name == name]


def test_the_map_has_one_marker_per_event_and_place(seed, story):
    fig = map_figure(seed.events, seed.places, categories=story.categories)
    ids = [
        row[0]
        for cat in story.categories.values()
        for t in traces(fig, cat.label)
        for row in t.customdata
    ]
    assert len(ids) == len(seed.places)
    assert ids.count("trump-putin-call") == 2


def test_uncertain_places_get_circles_of_the_table_radius(seed):
    fig = map_figure(seed.events, seed.places)
    rings = traces(fig, "Place uncertainty (radius)")
    assert rings and all(t.fill == "toself" for t in rings)
    # The Kursk Oblast point: its circle is 100 km on the ground.
    ring = circle(51.75, 36.017, PLACE_RADIUS_KM["region"])
    assert all(geodesic((51.75, 36.017), p).km == pytest.approx(100, abs=0.01) for p in ring)


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180, 180),
    radius_km=st.sampled_from(sorted({r for r in PLACE_RADIUS_KM.values() if r > 0})),
)
def test_every_circle_is_its_radius_on_the_ellipsoid(lat, lon, radius_km):
    lats, lons = circles([lat], [lon], [radius_km])
    for p in zip(lats[0], lons[0], strict=True):
        assert geodesic((lat, lon), p).km == pytest.approx(radius_km, rel=3e-4)
    # Closed (a ring round a pole may meet itself at +180 and -180: the same meridian).
    assert lats[0][0] == pytest.approx(lats[0][-1])
    assert (lons[0][0] - lons[0][-1] + 1) % 360 == pytest.approx(1)


def test_two_places_are_joined_by_a_great_circle_arc(seed):
    fig = map_figure(seed.events, seed.places)
    (arc,) = traces(fig, "Places of one event (great circle)")
    segments, current = [], []
    for lat in arc.lat:
        if lat is None:
            segments.append(current)
            current = []
        else:
            current.append(lat)
    assert len(segments) == 3  # the call, Starmer-Zelensky, Sudzha and Kursk Oblast
    call = next(s for s in segments if s[0] == pytest.approx(38.8977))
    assert max(call) > 60  # a great circle from Washington to Moscow bows north
    points = great_circle((0.0, 170.0), (0.0, -170.0))
    assert max(abs(b[1] - a[1]) for a, b in zip(points, points[1:], strict=False)) < 5


def test_claims_are_hollow_and_energy_strikes_in_the_pause_ringed(seed, story):
    fig = map_figure(
        seed.events, seed.places, Highlights(bands=story.bands), categories=story.categories
    )
    (hollow,) = traces(fig, "Hollow: claimed or disputed")
    assert {r[0] for r in hollow.customdata} == {
        "sudzha-retaken",
        "kavkazskaya-depot",
        "drones-after-call",
    }
    (ring,) = traces(fig, RING)
    assert {r[0] for r in ring.customdata} == {"sloviansk-power", "kavkazskaya-depot"}
    assert ring.marker.color == SEED_CATEGORIES["strike_energy"].colour


def test_the_timeline_draws_shapes_by_precision_and_the_window(seed):
    fig = timeline_figure(seed.events, BOUNDS, BOUNDS, Highlights(links=seed.links))
    (points,) = traces(fig, "events")
    symbol = dict(zip([r[0] for r in points.customdata], points.marker.symbol, strict=True))
    assert symbol["sumy-hospital"] == "circle"
    assert symbol["kavkazskaya-depot"] == "circle-open"  # claimed
    assert symbol["sloviansk-power"] == "diamond"  # happened some time in a range
    assert symbol["riyadh-talks"] == "square"  # lasted the span
    assert traces(fig, "link")


def test_the_timeline_shows_the_window_and_its_margins_only(seed):
    window = (T("2025-03-18T14:00Z"), T("2025-03-19T06:00Z"))
    fig = timeline_figure(seed.events, window, BOUNDS)
    (points,) = traces(fig, "events")
    ids = {r[0] for r in points.customdata}
    assert {"sumy-hospital", "trump-putin-call", "energy-pause"} <= ids
    assert "riyadh-talks" not in ids and "jeddah-talks" not in ids
    window_shape = fig.layout.shapes[0]
    assert (T(window_shape.x0), T(window_shape.x1)) == window


def test_the_relative_axis_counts_hours_from_the_anchor(seed):
    e = seed.events.set_index("id", drop=False)
    fig = timeline_figure(seed.events, BOUNDS, BOUNDS, Highlights(anchor=e.loc["trump-putin-call"]))
    (points,) = traces(fig, "events")
    x = dict(zip([r[0] for r in points.customdata], points.x, strict=True))
    assert x["sumy-hospital"] == pytest.approx(6.5)
    assert "+3 d" in fig.layout.xaxis.ticktext and len(fig.layout.xaxis.ticktext) <= 8


def test_story_mode_dims_other_events(seed, story):
    steps = ("trump-putin-call", "sumy-hospital")
    fig = map_figure(seed.events, seed.places, Highlights(story=steps), categories=story.categories)
    assert traces(fig, "Story route, step to step")
    (strikes,) = traces(fig, SEED_CATEGORIES["strike_civilian"].label)
    assert strikes.marker.color == SEED_CATEGORIES["strike_civilian"].colour  # not dimmed
    (energy,) = traces(fig, SEED_CATEGORIES["strike_energy"].label)
    assert {c.rsplit(",", 1)[1] for c in energy.marker.color} == {"0.25)"}


@pytest.mark.parametrize("figure", ["map", "timeline"])
def test_a_selection_dims_nothing_so_a_click_keeps_every_point_as_drawn(seed, story, figure):
    # The figures stay the same across a click; plotly keeps the clicked point selected and,
    # unless told otherwise, shows every other point at a fifth of its opacity.
    steps = ("trump-putin-call", "sumy-hospital")
    if figure == "map":
        fig = map_figure(seed.events, seed.places, Highlights(story=steps))
    else:
        fig = timeline_figure(seed.events, BOUNDS, BOUNDS, Highlights(story=steps))
    for trace in fig.data:
        if trace.name == "map":  # the empty trace under the base map: no point to select
            continue
        assert trace.unselected.marker.opacity == trace.selected.marker.opacity, trace.name
        drawn = trace.marker.opacity
        assert trace.unselected.marker.opacity == (drawn if drawn is not None else 1.0)
        if trace.name == "events":
            assert trace.unselected.textfont.color == trace.textfont.color


def test_with_alpha_writes_rgba_per_point():
    assert with_alpha("#ff8000", [1.0, 0.25]) == ["rgba(255,128,0,1)", "rgba(255,128,0,0.25)"]
    assert with_alpha("#ff8000", [1.0, 1.0]) == "#ff8000"  # nothing dimmed: as given
    assert with_alpha(pd.Series(["#000000", "#0000ff"]), [0.5, 1]) == [
        "rgba(0,0,0,0.5)",
        "rgba(0,0,255,1)",
    ]


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_data_text_is_escaped_in_card_hover_and_article():
    text = "\n".join(
        [
            "id,title,summary,start,time_precision,category,places,countries,further_sources",
            f'a,"{HOSTILE}","{HOSTILE}",2025-03-18T14:00+00:00,minute,military,Moscow,RU,'
            '"javascript:alert(1);https://example.org/a"',
        ]
    )
    t = parse_events(text)
    card = card_html(t.events.iloc[0], t.places)
    assert "<script>" not in card and "<img" not in card
    assert "&lt;script&gt;" in card
    assert 'href="javascript' not in card and 'href="https://example.org/a"' in card
    fig = map_figure(t.events, t.places)
    assert "<script>" not in fig.to_json()
    article = article_html(HOSTILE + " said it.", "said it.")
    assert "<script>alert" not in article and '<mark id="quote-mark">said it.</mark>' in article


def test_every_encoding_has_a_legend_entry(story):
    labels = " ".join(label for _, label in legend_entries(story.categories, story.bands))
    for category in story.categories.values():
        assert category.label in labels
    for status in CLAIM_STATUSES.values():
        assert status.label in labels
    for words in (
        "circle",
        "diamond",
        "bar",
        "great-circle arc",
        "linked events",
        "story route",
        RING,
        f"Timeline band: {PAUSE_LABEL}",
        "Selected",
        "region 100 km",
    ):
        assert words in labels


# --- the seed story, drawn from its own story.toml -----------------------------------------------


def test_the_seed_story_renders_as_before(seed, story):
    """Categories, colours, band label and highlight ring: as when they were written in code."""
    assert dict(story.categories) == SEED_CATEGORIES
    fig = timeline_figure(
        seed.events, BOUNDS, BOUNDS, Highlights(bands=story.bands), categories=story.categories
    )
    assert list(fig.layout.yaxis.ticktext) == [c.label for c in SEED_CATEGORIES.values()]
    (points,) = traces(fig, "events")
    colour = dict(zip([r[0] for r in points.customdata], points.marker.color, strict=True))
    assert colour["sumy-hospital"] == "#CC79A7" and colour["trump-putin-call"] == "#0072B2"
    (band,) = [s for s in fig.layout.shapes if s.name == "band"]
    assert (T(band.x0), T(band.x1)) == (T("2025-03-18T14:00Z"), BOUNDS[1])
    assert band.fillcolor == "#009E73"
    (label,) = [a for a in fig.layout.annotations if a.name == "band"]
    assert label.text == PAUSE_LABEL + " →"
    rings = [t for t in traces(fig, "ring") if t.marker.color == "#D55E00"]
    assert {r[0] for t in rings for r in t.customdata} == {"sloviansk-power", "kavkazskaya-depot"}
    html = legend_html(story.categories, story.bands)
    assert RING in html and "#D55E00" in html


def test_a_category_the_story_does_not_declare_is_drawn_with_its_own_label(seed, story):
    cats = seed.events["category"].astype("str")
    events = seed.events.assign(category=cats.where(cats != "military", "<b>protest</b>"))
    fig = map_figure(events, seed.places, categories=story.categories)
    (protest,) = traces(fig, "&lt;b&gt;protest&lt;/b&gt;")  # escaped, never HTML
    assert protest.marker.color in PALETTE
    assert protest.marker.color not in {c.colour for c in SEED_CATEGORIES.values()}
    timeline = timeline_figure(events, BOUNDS, BOUNDS, categories=story.categories)
    (points,) = traces(timeline, "events")
    assert len(points.customdata) == len(events)  # no row dropped
    assert timeline.layout.yaxis.ticktext[-1] == "&lt;b&gt;protest&lt;/b&gt;"
    labels = [label for _, label in legend_entries(story.categories | {"<b>protest</b>": Category(
        "<b>protest</b>", protest.marker.color)})]  # fmt: skip
    assert "&lt;b&gt;protest&lt;/b&gt;" in labels and "<b>protest</b>" not in labels
    event = events.set_index("id", drop=False).loc["sudzha-retaken"]
    card = card_html(event, seed.places.iloc[:0], categories=story.categories)
    assert "&lt;b&gt;protest&lt;/b&gt;" in card


def test_without_categories_the_figures_take_them_from_the_data(seed):
    fig = timeline_figure(seed.events, BOUNDS, BOUNDS)
    assert "military" in fig.layout.yaxis.ticktext
    assert traces(map_figure(seed.events, seed.places), "diplomacy")


def test_with_nothing_placed_the_map_shows_the_whole_world(seed):
    centre, zoom = fit_view(seed.places.iloc[:0])
    assert zoom < 1 and centre == {"lat": 20.0, "lon": 0.0}
    fig = map_figure(seed.events, seed.places.iloc[:0])
    assert fig.layout.map.zoom == zoom


def test_the_card_shows_the_sources_own_fields_escaped(seed, story):
    event = seed.events.set_index("id", drop=False).loc["sumy-hospital"].copy()
    assert "card-extra" not in card_html(event, seed.places.iloc[:0])
    event["extra.fatalities"] = "1"
    event["extra.tags"] = "<script>x</script>"
    event["extra.notes"] = '["a", "b"]'
    event["extra.empty"] = ""
    card = card_html(event, seed.places.iloc[:0], categories=story.categories)
    assert '<table class="card-extra"' in card
    assert "<th" in card and ">fatalities</th><td>1</td>" in card
    assert "&lt;script&gt;x&lt;/script&gt;" in card and "<script>" not in card
    assert "[&quot;a&quot;, &quot;b&quot;]" in card
    assert ">empty</th>" not in card
