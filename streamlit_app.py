"""The app: a timeline alongside a map; scrub through time, click a marker, read the source.

A thin shell: widgets, then calls into `timeline`, then rendering. The view (window and
selected event) lives in session state and is mirrored in the URL (`from`, `to`, `event`).
Offline by default: the base map is served by this server, places come from the gazetteer.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from timeline import describe
from timeline.basemap import BASEMAPS, DEFAULT_BASEMAP
from timeline.card import article_html, card_html
from timeline.figures import MAP_HEIGHT, Highlights, fit_view, map_figure, timeline_figure
from timeline.layout import PAGE_SCRIPT, PAGE_STYLE, count_line, problems_view
from timeline.legend import legend_html
from timeline.overlay import overlay_html, overlay_spec
from timeline.slider import fits_datetime_slider, stop_label, window_stops
from timeline.spots import events_at_spot
from timeline.state import ViewState, parse_query, to_query
from timeline.story import story_for_table
from timeline.table import open_table, parse_events, resolve_table, story_geocoder
from timeline.vocab import CLAIM_STATUSES
from timeline.window import events_in_window, neighbour_event, shift_window, window_around

# The seed story beside this script, wherever the app is started from: a story folder, or any
# supported file (TIMELINE_MAP_TABLE=path/to/acled.csv).
TABLE = Path(os.environ.get("TIMELINE_MAP_TABLE") or Path(__file__).parent / "seeds")
#: Hours the window moves per tick of play, by the label the user picks.
SPEEDS = {
    "1 hour per second": 1,
    "3 hours per second": 3,
    "6 hours per second": 6,
    "1 day per second": 24,
}
TICK_SECONDS = 1.0

st.set_page_config(page_title="Timeline map", layout="wide")


@st.cache_resource(show_spinner="Reading, placing and checking the events…")
def load(path: str, stamp: float, online: bool):
    """Shared by every session and rerun; `stamp` makes an edited table load again."""
    table = open_table(path, online=online)
    table_path, _ = resolve_table(path)
    return table, story_for_table(table_path, table.events)


@st.cache_resource(show_spinner="Reading, placing and checking the uploaded file…", max_entries=8)
def load_upload(name: str, digest: str, online: bool, _data: bytes):
    """An uploaded file, keyed by its content; it has no folder, so no source files."""
    table = parse_events(_data, file=name, fmt=None, geocoder=story_geocoder(online=online))
    return table, story_for_table(Path(name), table.events, beside=False)


def stamp_of(path: Path) -> float:
    """The newest modification of a table or of any file of a story folder."""
    try:
        files = [path, *path.iterdir()] if path.is_dir() else [path]
        return max(f.stat().st_mtime for f in files)
    except OSError:
        return 0.0


def naive(ts: pd.Timestamp):
    return ts.tz_convert("UTC").tz_localize(None).to_pydatetime()


def utc(dt) -> pd.Timestamp:
    return pd.Timestamp(dt).tz_localize("UTC")


def plain(text: str) -> str:
    """Escape Markdown in a widget label built from data, so it shows as typed."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~:$" else c for c in text)


# --- data ------------------------------------------------------------------------------------

online_places = st.sidebar.toggle(
    "Look up unknown places online (Nominatim)",
    value=False,
    help="Off: only the project's gazetteer. On: places it lacks are asked of "
    "OpenStreetMap's Nominatim, at most one request per second, every answer cached.",
)
upload = st.sidebar.file_uploader(
    "Open another file",
    help="Any supported file: our table, JSON or GeoJSON, ACLED, UCDP GED, TimeMap, TimelineJS "
    "or GeoJSON. It is read on this machine and sent nowhere.",
)
if upload is not None:
    data = upload.getvalue()
    table, story = load_upload(upload.name, hashlib.sha256(data).hexdigest(), online_places, data)
else:
    table, story = load(str(TABLE), stamp_of(TABLE), online_places)
events = table.events
by_id = events.set_index("id", drop=False)
bounds = (story.whole.start, story.whole.end)
ss = st.session_state

# --- state from the URL, once per session ------------------------------------------------------

if "window" not in ss:
    state, notices = parse_query(st.query_params.to_dict(), bounds, bounds, events["id"])
    ss.window = (naive(state.window[0]), naive(state.window[1]))
    ss.event = state.event
    ss.notices = notices
    ss.playing = False
    ss.last_tick = 0.0
    ss.fit_nonce = 0


def window() -> tuple[pd.Timestamp, pd.Timestamp]:
    return utc(ss.window[0]), utc(ss.window[1])


def set_window(lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    ss.window = (naive(lo), naive(hi))


def select(event_id: str | None, *, move: bool = True) -> None:
    """Select an event and, if it is outside the window, move the window to it."""
    ss.event = event_id
    if event_id in by_id.index and move:
        set_window(*window_around(by_id.loc[event_id], *window(), bounds))


def on_chart_select(key: str) -> None:
    points = ss[key].selection.get("points", []) if ss.get(key) else []
    for point in points:
        data = point.get("customdata")
        event_id = data[0] if isinstance(data, list) else data
        if event_id in by_id.index:
            select(event_id, move=False)
            return


def step(direction: int) -> None:
    if ss.event in by_id.index:
        nxt = neighbour_event(shown_events, by_id.loc[ss.event, "start"], direction, ss.event)
    else:
        nxt = neighbour_event(shown_events, window()[0] - pd.Timedelta(seconds=1), 1)
    if nxt is not None:
        select(nxt["id"])


def fit_to_window() -> None:
    ss.fit_nonce += 1


def toggle_play() -> None:
    ss.playing = not ss.playing
    ss.last_tick = time.monotonic()
    if ss.playing and window()[1] >= bounds[1]:
        set_window(bounds[0], bounds[0] + (window()[1] - window()[0]))


# --- sidebar: what to show -----------------------------------------------------------------------

st.sidebar.header("Show")
only_confirmed = st.sidebar.checkbox(
    "Hide what is only claimed or disputed",
    value=False,
    help=" ".join(f"{s.label}: {s.description}." for s in CLAIM_STATUSES.values()),
)
shown_events = events[events["claim_status"] == "confirmed"] if only_confirmed else events

titles = dict(zip(events["id"], events["title"], strict=True))
anchor_id = st.sidebar.selectbox(
    "Anchor event for relative time",
    options=list(titles),
    index=list(titles).index(story.anchor) if story.anchor in titles else 0,
    format_func=lambda i: titles[i],
)
relative_axis = st.sidebar.toggle("Timeline: time relative to the anchor", value=False)
anchor = by_id.loc[anchor_id] if anchor_id in by_id.index else None

story_ids: tuple[str, ...] = ()
if story.narratives:
    story_mode = st.sidebar.toggle("Story mode", value=False, key="story_mode")
    if story_mode:
        narrative = st.sidebar.selectbox(
            "Narrative", story.narratives, format_func=lambda n: n.title
        )
        story_ids = tuple(i for i in narrative.event_ids if i in by_id.index)
        # A story starts at its first step, not at "step 0".
        if story_ids and ss.get("story_started") != narrative.id:
            ss.story_started = narrative.id
            if ss.event not in story_ids:
                select(story_ids[0])
    else:
        ss.story_started = None

basemap = st.sidebar.radio(
    "Base map",
    list(BASEMAPS),
    index=list(BASEMAPS).index(DEFAULT_BASEMAP),
    format_func=lambda k: BASEMAPS[k].label,
    help="Online base maps fetch tiles from the internet; the offline outlines stay under them.",
)


def show_problems() -> None:
    st.caption("As `python -m timeline validate` reports them; rows marked kept are loaded.")
    st.dataframe(problems_view(table.problems), hide_index=True)


if len(table.problems):
    with st.sidebar.expander(f"{len(table.problems)} problems in the table", expanded=False):
        show_problems()

# --- header ----------------------------------------------------------------------------------

st.html(PAGE_STYLE)
st.html(PAGE_SCRIPT, unsafe_allow_javascript=True)
st.title("Timeline map")
st.text(story.title)  # text, never Markdown: a title's image must not be fetched
for notice in ss.pop("notices", []):
    st.warning(plain(notice))  # it may echo the URL: shown as text, never as Markdown
if len(story.problems):
    with st.sidebar.expander(f"{len(story.problems)} problems in the story file"):
        st.caption("As `python -m timeline validate` reports them; kept means still used.")
        st.dataframe(problems_view(story.problems), hide_index=True)
    st.warning(
        "The story file could not be used, so the story is made from the table "
        "(see the problems in the sidebar)."
        if story.source is None
        else f"The story file has {len(story.problems)} problems; what could not be used is "
        "left out (see the sidebar)."
    )
if events.empty:
    st.error("The table has no event that could be loaded. See the problems in the sidebar.")
    st.stop()


def story_step(direction: int) -> None:
    here = story_ids.index(ss.event) if ss.event in story_ids else -1
    target = min(max(here + direction, 0), len(story_ids) - 1)
    select(story_ids[target])


# --- the view: map and card, then the timeline with the window control ----------------------------


def on_preset() -> None:
    if ss.preset is not None:
        preset = story.windows[ss.preset]
        set_window(preset.start, preset.end)


def window_controls() -> None:
    """Presets (one segmented control, chosen by position so two equal labels cannot clash;
    the one the window matches is marked), steps, play and speed, then the slider."""
    here = window()
    ss.preset = next((i for i, w in enumerate(story.windows) if (w.start, w.end) == here), None)
    left, right = st.columns([1, 1], vertical_alignment="center")
    with left:
        st.segmented_control(
            "Window presets",
            list(range(len(story.windows))),
            format_func=lambda i: plain(story.windows[i].label),
            key="preset",
            on_change=on_preset,
            label_visibility="collapsed",
        )
    # One row even on a phone (columns would stack the buttons one per line).
    with right, st.container(horizontal=True, vertical_alignment="center"):
        st.button("Prev.", key="prev-event", icon=":material/skip_previous:",
                  on_click=step, args=(-1,), help="The previous event")  # fmt: skip
        st.button("Next", key="next-event", icon=":material/skip_next:",
                  on_click=step, args=(1,), help="The next event")  # fmt: skip
        st.button("Pause" if ss.playing else "Play", key="play",
                  icon=":material/pause:" if ss.playing else ":material/play_arrow:",
                  on_click=toggle_play)  # fmt: skip
        st.selectbox("Speed", list(SPEEDS), key="speed", label_visibility="collapsed",
                     width=170)  # fmt: skip
    if fits_datetime_slider(bounds):
        st.slider(
            "Time window (UTC)",
            min_value=naive(bounds[0]),
            max_value=naive(bounds[1]),
            step=timedelta(hours=1),
            format="D MMM YYYY, HH:mm",
            key="window",
        )
    else:  # a story before 1684 or after 2255: Streamlit's datetime slider cannot hold it
        # Keyed by the window, so a preset or a step (which set ss.window) makes a new slider
        # showing it; a drag copies its value back to ss.window.
        key = f"stops-{ss.window[0]}-{ss.window[1]}"
        st.select_slider(
            "Time window (UTC)",
            options=window_stops(bounds, ss.window),
            value=ss.window,
            format_func=stop_label,
            key=key,
            on_change=lambda: ss.update(window=tuple(ss[key])),
        )


def view() -> None:
    if ss.playing != ss.timer_on:  # Play or Pause: the fragment's timer is set by a full run
        st.rerun(scope="app")
    if ss.playing and time.monotonic() - ss.last_tick >= TICK_SECONDS * 0.9:
        ss.last_tick = time.monotonic()
        lo, hi = shift_window(*window(), pd.Timedelta(hours=SPEEDS[ss.speed]), bounds[1])
        set_window(lo, hi)
        if hi >= bounds[1]:
            ss.playing = False
            st.rerun()

    lo, hi = window()
    visible = events_in_window(shown_events, lo, hi)
    placed = table.places[table.places["event_id"].isin(visible["id"])]
    selected = ss.event if ss.event in by_id.index else None
    highlights = Highlights(
        selected=selected,
        story=story_ids,
        bands=story.bands,
        anchor=anchor if relative_axis else None,
        links=table.links,
    )
    hidden = len(events_in_window(events, lo, hi)) - len(visible) if only_confirmed else 0
    count, problems = st.columns([5, 1.3], vertical_alignment="center")
    count.markdown(
        count_line(
            in_window=len(visible),
            total=len(events),
            on_map=placed["event_id"].nunique(),
            not_loaded=table.rows_not_loaded,
            hidden=hidden,
        )
    )
    if len(table.problems):
        with problems.popover(f"{len(table.problems)} problems", width="stretch"):
            show_problems()

    left, right = st.columns([3, 2])
    with left:
        figure = map_figure(visible, placed, highlights, basemap, categories=story.categories)
        st.plotly_chart(
            figure,
            key="map",
            on_select=lambda: on_chart_select("map"),
            selection_mode="points",
            config={"scrollZoom": True, "displaylogo": False},
        )
        # The browser fits the map to its real size once per figure and per "Fit to window";
        # a click that only selects changes neither, so the reader's zoom stays.
        fit_key = hashlib.sha1(figure.to_json().encode()).hexdigest()[:16] + f"-{ss.fit_nonce}"
        spec = overlay_spec(
            placed, fit_key=fit_key, selected=selected, story=story_ids,
            online=BASEMAPS[basemap].online,
        )  # fmt: skip
        st.html(overlay_html(spec), unsafe_allow_javascript=True)
        fit, credit = st.columns([1, 3], vertical_alignment="center")
        fit.button("Fit to window", key="fit", icon=":material/fit_screen:", on_click=fit_to_window)
        credits = {BASEMAPS[basemap].attribution, *placed["credit"].loc[placed["credit"] != ""]}
        credit.caption("Base map and places: " + "; ".join(sorted(credits)))
    with right:
        if story_ids:
            here = story_ids.index(selected) + 1 if selected in story_ids else 1
            a, b, c = st.columns([1, 1, 1.3], vertical_alignment="center")
            a.button("Step", key="story-prev", icon=":material/arrow_back:",
                     on_click=story_step, args=(-1,), width="stretch")  # fmt: skip
            b.button("Step", key="story-next", icon=":material/arrow_forward:",
                     on_click=story_step, args=(1,), width="stretch")  # fmt: skip
            c.markdown(f"Story step **{here} of {len(story_ids)}**")
        box = MAP_HEIGHT - (60 if story_ids else 0) if selected else "content"
        with st.container(height=box, border=True):
            render_card(selected, placed)

    window_controls()
    st.plotly_chart(
        timeline_figure(
            shown_events, (lo, hi), bounds, highlights, categories=story.categories, height=340
        ),
        key="timeline",
        on_select=lambda: on_chart_select("timeline"),
        selection_mode="points",
        config={"displaylogo": False},
    )
    unplaced = visible[~visible["id"].isin(table.places["event_id"])]
    if len(unplaced):
        with st.container(horizontal=True):
            st.markdown("**Not on the map:**")
            for event_id, title in zip(unplaced["id"], unplaced["title"], strict=True):
                st.button(
                    plain(title), key=f"unplaced-{event_id}", on_click=select, args=(event_id,)
                )
    with st.expander("Legend", expanded=False):
        st.html(legend_html(story.categories, story.bands))
    sync_url(selected)


def render_card(selected: str | None, placed: pd.DataFrame) -> None:
    if selected is None:
        st.info(
            "Click a marker on the map or an event on the timeline to read what happened, "
            "where, when, how sure we are, and the sentence of the source that says so."
        )
        return
    event = by_id.loc[selected]
    places = table.places[table.places["event_id"] == selected]
    relative = None
    if anchor is not None and anchor_id != selected:
        relative = f"{describe.relative_to(event, anchor)} from the start of: {anchor['title']}"
    st.html(card_html(event, places, relative, categories=story.categories))
    text = table.sources.get(event["source_file"])
    if text is not None:
        with st.expander(f"Read the source, the sentence highlighted: {event['source_file']}"):
            st.html(article_html(text, event["quote"]), unsafe_allow_javascript=True)
    # Markers this close overlap at the fitted zoom: list them, so each is one more click.
    _, zoom = fit_view(placed, width=400, height=400)
    near = events_at_spot(placed, selected, zoom)
    if near:
        st.markdown(f"**At this spot** ({len(near)} more)")
        for other in near:
            st.button(plain(titles[other]), key=f"spot-{other}", on_click=select, args=(other,))
    related = table.links[
        (table.links["source_id"] == selected) | (table.links["target_id"] == selected)
    ]
    if len(related):
        st.markdown("**Linked events**")
    for link in related.itertuples(index=False):
        other = link.target_id if link.source_id == selected else link.source_id
        verb = link.relation.replace("_", " ")
        label = (
            f"{verb} → {titles[other]}"
            if link.source_id == selected
            else (f"← {titles[other]} ({verb} this)")
        )
        st.button(
            plain(label),
            key=f"link-{link.source_id}-{link.relation}-{link.target_id}",
            on_click=select,
            args=(other,),
        )


def sync_url(selected: str | None) -> None:
    wanted = to_query(ViewState(window(), selected))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


if "speed" not in ss:
    ss.speed = next(iter(SPEEDS))
ss.timer_on = ss.playing
st.fragment(view, run_every=TICK_SECONDS if ss.playing else None)()
