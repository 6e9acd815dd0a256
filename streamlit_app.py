"""The app: a timeline alongside a map; scrub through time, click a marker, read the source.

A thin shell: widgets, then calls into `timeline`, then rendering. The view (window and
selected event) lives in session state and is mirrored in the URL (`from`, `to`, `event`).
Offline by default: the base map is served by this server, places come from the gazetteer.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from timeline.app.url import ViewState, parse_query, to_query
from timeline.data.engine import (
    DETAIL_LIMIT,
    PICK_LIMIT,
    Engine,
    on_warehouse,
    open_engine,
    table_key,
    upload_key,
)
from timeline.data.store import open_store
from timeline.data.window import shift_window, window_around
from timeline.ingest.files import parse_events, resolve_table, story_geocoder
from timeline.model.story import story_for_table
from timeline.model.vocab import CLAIM_STATUSES
from timeline.views import describe
from timeline.views.basemap import BASEMAPS, DEFAULT_BASEMAP
from timeline.views.card import article_html, card_html
from timeline.views.dense import cells_figure, histogram_figure, parse_pick
from timeline.views.figures import (
    MAP_HEIGHT,
    Highlights,
    fit_view,
    map_figure,
    timeline_figure,
    view_range,
)
from timeline.views.layout import PAGE_SCRIPT, PAGE_STYLE, count_line, problems_view
from timeline.views.legend import legend_html
from timeline.views.overlay import overlay_html, overlay_spec
from timeline.views.slider import fits_datetime_slider, stop_label, window_stops
from timeline.views.spots import events_at_spot

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
#: Events listed per page of a map cell.
CELL_PAGE = 15
#: "Not on the map" lists at most this many buttons (the rest are counted).
UNPLACED_SHOWN = 50

st.set_page_config(page_title="Timeline map", layout="wide")


@st.cache_resource(show_spinner="Opening the stored table…")
def load(path: str, stamp: float, online: bool) -> tuple[Engine, object]:
    """Shared by every session and rerun; `stamp` makes an edited table load again. The
    engine opens the table's store (read and stored first if need be: see `build`)."""
    engine = open_engine(path, online=online)
    table_path, _ = resolve_table(path)
    story = story_for_table(table_path, engine.story_events())
    # Streamlit runs a full garbage collection after every script run; over the ~200,000
    # objects of the libraries and the first table that took ~0.15 s of every rerun. Once per
    # process, after a collection (so no garbage is kept), freeze what is left out of the
    # collector's walks: it is the server's own. Later tables are not frozen, so nothing a
    # session holds then (its figures) can be kept past its end.
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    return engine, story


@st.cache_resource(show_spinner="Reading, placing and checking the uploaded file…", max_entries=8)
def load_upload(name: str, digest: str, online: bool, _data: bytes):
    """An uploaded file, keyed by its content; it has no folder, so no source files."""
    table = parse_events(_data, file=name, fmt=None, geocoder=story_geocoder(online=online))
    engine = Engine.from_table(table, key=upload_key(f"{name} online={online}", _data))
    return engine, story_for_table(Path(name), engine.story_events(), beside=False)


@st.cache_resource(show_spinner=False, max_entries=32)
def key_of(path: str, stamp: float, online: bool) -> str | None:
    """The table's store key: its files are hashed once per edit, not on every rerun."""
    return table_key(path, online=online)


def build(path: str, stamp: float, online: bool) -> None:
    """Read and store a table not stored yet, its progress on the page (a million rows take
    a while once; every later start opens the store in about a second)."""
    if on_warehouse():  # its tables are read where they lie: nothing to read or store here
        return
    key = key_of(path, stamp, online)
    if key is None or open_store(key) is not None:
        return
    with st.status("Reading the table for the first time…", expanded=True) as status:
        bar = st.progress(0.0, text="reading the file")

        def report(stage: str, done: int, total: int) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=stage)

        open_engine(path, online=online, progress=report)
        status.update(label="Stored: later starts open it at once", state="complete")


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
    """Escape Markdown in a widget label built from data, so it shows as typed.

    Escapes do not stop GitHub-style autolinks (a bare https://..., www. or e-mail address
    becomes a link): an invisible word joiner inside each keeps them text.
    """
    for mark, broken in (("://", ":\u2060//"), ("www.", "www\u2060."), ("@", "\u2060@")):
        text = text.replace(mark, broken)
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~:$" else c for c in text)


#: Figures and rows kept per session, by what they are drawn from (see `memo`).
MEMO_SIZE = 4


def memo(name: str, key: tuple, build):
    """What `build()` returns for `key`, built once per key per session.

    A click that only selects reruns the whole view, and rebuilding the same map and timeline
    from the same rows took ~0.3 s of every click (issue 8). `key` holds only hashable plain
    values; objects (the engine, the story) go in by `id`, and are kept with the value so no
    new object can take their id while it is held.
    """
    held = ss.setdefault(f"memo-{name}", {})
    if key not in held:
        if len(held) >= MEMO_SIZE:
            held.pop(next(iter(held)))
        held[key] = build()
    return held[key]


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
    digest = hashlib.sha256(data).hexdigest()
    engine, story = load_upload(upload.name, digest, online_places, data)
    shown = f"upload:{digest}"
else:
    shown = str(TABLE)
    build(str(TABLE), stamp_of(TABLE), online_places)
    engine, story = load(str(TABLE), stamp_of(TABLE), online_places)
bounds = (story.whole.start, story.whole.end)
ss = st.session_state

# Another table opened in this session (a file dropped on the upload box, or taken off it):
# the window, the selection and the URL of the one before mean nothing for it.
if ss.get("table_shown", shown) != shown:
    ss.window = (naive(bounds[0]), naive(bounds[1]))
    ss.event = None
    ss.cell = None
    ss.cell_page = 0
    ss.playing = False
ss.table_shown = shown

# --- state from the URL, once per session ------------------------------------------------------

if "window" not in ss:
    asked = st.query_params.get("event")
    known = [asked] if engine.has(asked) else []  # one lookup, not a million ids
    state, notices = parse_query(st.query_params.to_dict(), bounds, bounds, known)
    ss.window = (naive(state.window[0]), naive(state.window[1]))
    ss.event = state.event
    ss.notices = notices
    ss.playing = False
    ss.last_tick = 0.0
    ss.fit_nonce = 0
    ss.cell = None
    ss.cell_page = 0


def window() -> tuple[pd.Timestamp, pd.Timestamp]:
    return utc(ss.window[0]), utc(ss.window[1])


def set_window(lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    ss.window = (naive(lo), naive(hi))


def select(event_id: str | None, *, move: bool = True) -> None:
    """Select an event and, if it is outside the window, move the window to it."""
    ss.event = event_id
    event = engine.event(event_id) if move else None
    if event is not None:
        set_window(*window_around(event, *window(), bounds))


def on_chart_select(key: str) -> None:
    """A click on an event selects it; on a map cell lists its events; on a time bin makes
    the bin the window."""
    points = ss[key].selection.get("points", []) if ss.get(key) else []
    for point in points:
        data = point.get("customdata")
        value = data[0] if isinstance(data, list) else data
        pick = parse_pick(value)  # the dense views' cells and bins
        if pick is None and engine.has(value):
            select(value, move=False)
            return
        if pick is not None and pick[0] == "cell":
            ss.cell, ss.cell_page = pick[1], 0
            return
        if pick is not None and pick[0] == "bin":
            lo, hi = max(pick[1][0], bounds[0]), min(pick[1][1], bounds[1])
            if lo < hi:
                set_window(lo.floor("h"), max(hi.ceil("h"), lo.floor("h") + pd.Timedelta("1h")))
                ss.cell = None
            return


def step(direction: int) -> None:
    current = engine.event(ss.event)
    if current is not None:
        nxt = engine.neighbour(current["start"], direction, ss.event, claims=claims)
    else:
        nxt = engine.neighbour(window()[0] - pd.Timedelta(seconds=1), 1, claims=claims)
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
claims = frozenset({"confirmed"}) if only_confirmed else None


def anchor_picker() -> str | None:
    """Every event to choose from in a small table; a search of the titles in a large one
    (a select box of a million titles would send megabytes on every rerun)."""
    if engine.total <= PICK_LIMIT:
        titles = engine.all_titles()
        return st.sidebar.selectbox(
            "Anchor event for relative time",
            options=list(titles),
            index=list(titles).index(story.anchor) if story.anchor in titles else 0,
            format_func=lambda i: titles[i],
        )
    text = st.sidebar.text_input("Find the anchor event", key="anchor_search",
                                 placeholder="a word of its title").strip()  # fmt: skip
    if ss.get("anchor_hits_for") != text:  # searched once per text, not on every rerun
        ss.anchor_hits_for = text
        hits = engine.search(text, limit=20) if text else None
        ss.anchor_hits = {} if hits is None else dict(zip(hits["id"], hits["title"], strict=True))
    titles = {**(engine.titles([story.anchor]) if story.anchor else {}), **ss.anchor_hits}
    if not titles:
        return None
    return st.sidebar.selectbox(
        "Anchor event for relative time", options=list(titles), format_func=lambda i: titles[i]
    )


anchor_id = anchor_picker()
relative_axis = st.sidebar.toggle("Timeline: time relative to the anchor", value=False)
anchor = engine.event(anchor_id)

story_ids: tuple[str, ...] = ()
if story.narratives:
    story_mode = st.sidebar.toggle("Story mode", value=False, key="story_mode")
    if story_mode:
        narrative = st.sidebar.selectbox(
            "Narrative", story.narratives, format_func=lambda n: n.title
        )
        story_ids = engine.known(narrative.event_ids)
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
    st.dataframe(problems_view(engine.problems), hide_index=True)


if len(engine.problems):
    with st.sidebar.expander(f"{len(engine.problems)} problems in the table", expanded=False):
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
if engine.total == 0:
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
    in_window = engine.count(lo, hi, claims=claims)
    # Past the detail limit the views draw what the engine counts, not each event.
    dense = in_window > DETAIL_LIMIT
    held = (id(engine), engine, id(story), story)  # kept alive with what is built from them
    if dense:
        visible, placed = None, None
        on_map = engine.count_placed(lo, hi, claims=claims)  # kept by the engine for all
    else:

        def rows():
            visible = engine.window(lo, hi, claims=claims)
            placed = engine.places_of(visible)
            return held, visible, placed, placed["event_id"].nunique()

        _, visible, placed, on_map = memo("rows", (*held[::2], lo, hi, claims), rows)
        ss.cell = None
    selected = ss.event if engine.has(ss.event) else None
    highlights = Highlights(
        story=story_ids,
        bands=story.bands,
        anchor=anchor if relative_axis else None,
        links=engine.links,
    )
    hidden = engine.count(lo, hi) - in_window if only_confirmed else 0
    count, problems = st.columns([5, 1.3], vertical_alignment="center")
    count.markdown(
        count_line(
            in_window=in_window,
            total=engine.total,
            on_map=on_map,
            not_loaded=engine.rows_not_loaded,
            hidden=hidden,
        )
    )
    if len(engine.problems):
        with problems.popover(f"{len(engine.problems)} problems", width="stretch"):
            show_problems()

    left, right = st.columns([3, 2])
    with left:
        if dense:
            cells = engine.cells(lo, hi, claims=claims)
            figure = cells_figure(cells, basemap, categories=story.categories)
            marks = cells.assign(event_id="", name="", order=0)
            credits = {BASEMAPS[basemap].attribution, *engine.credits}
        else:
            # The selection is not drawn in the figures (the overlay rings it), so a click that
            # only selects reuses the figures built for this view, and the browser keeps them.
            map_key = (*held[::2], lo, hi, claims, basemap, story_ids, relative_axis, anchor_id)
            figure = memo("map", map_key, lambda: (held, map_figure(
                visible, placed, highlights, basemap, categories=story.categories)))[1]  # fmt: skip
            marks = placed
            credits = {BASEMAPS[basemap].attribution, *placed["credit"].loc[placed["credit"] != ""]}
        st.plotly_chart(
            figure,
            key="map",
            on_select=lambda: on_chart_select("map"),
            selection_mode="points",
            config={"scrollZoom": True, "displaylogo": False},
        )
        # The browser fits the map to its real size once per figure and per "Fit to window";
        # a click that only selects changes neither, so the reader's zoom stays.
        # Keyed by what the figure is drawn from (serialising it to hash it cost 80 ms).
        drawn = repr((lo, hi, claims, basemap, story_ids, dense, sorted(story.categories)))
        fit_key = hashlib.sha1(drawn.encode()).hexdigest()[:16] + f"-{ss.fit_nonce}"
        spec = overlay_spec(
            marks, fit_key=fit_key, selected=selected, linked=linked_to(selected),
            story=story_ids, online=BASEMAPS[basemap].online,
        )  # fmt: skip
        st.html(overlay_html(spec), unsafe_allow_javascript=True)
        fit, credit = st.columns([1, 3], vertical_alignment="center")
        fit.button("Fit to window", key="fit", icon=":material/fit_screen:", on_click=fit_to_window)
        # Credits come from data (a story's places.csv): shown as text, never as Markdown.
        credit.caption("Base map and places: " + plain("; ".join(sorted(credits))))
    with right:
        if story_ids:
            here = story_ids.index(selected) + 1 if selected in story_ids else 1
            a, b, c = st.columns([1, 1, 1.3], vertical_alignment="center")
            a.button("Step", key="story-prev", icon=":material/arrow_back:",
                     on_click=story_step, args=(-1,), width="stretch")  # fmt: skip
            b.button("Step", key="story-next", icon=":material/arrow_forward:",
                     on_click=story_step, args=(1,), width="stretch")  # fmt: skip
            c.markdown(f"Story step **{here} of {len(story_ids)}**")
        listing = dense and ss.cell is not None
        box = MAP_HEIGHT - (60 if story_ids else 0) if selected or listing else "content"
        with st.container(height=box, border=True):
            if selected or not listing:
                render_card(selected, placed)
            if listing:
                render_cell(cells, lo, hi)

    window_controls()
    view = view_range((lo, hi), bounds)
    if dense or engine.count(*view, claims=claims) > DETAIL_LIMIT:
        timeline = histogram_figure(
            engine.bins(*view, claims=claims), (lo, hi), view, categories=story.categories
        )
    else:
        timeline_key = (*held[::2], lo, hi, claims, story_ids, relative_axis, anchor_id)
        timeline = memo("timeline", timeline_key, lambda: (held, timeline_figure(
            engine.window(*view, claims=claims), (lo, hi), bounds, highlights,
            categories=story.categories, height=340,
        )))[1]  # fmt: skip
    st.plotly_chart(
        timeline,
        key="timeline",
        on_select=lambda: on_chart_select("timeline"),
        selection_mode="points",
        config={"displaylogo": False},
    )
    unplaced = None if dense else visible[~visible["id"].isin(placed["event_id"])]
    if unplaced is not None and len(unplaced):
        with st.container(horizontal=True):
            st.markdown("**Not on the map:**")
            shown = unplaced.iloc[:UNPLACED_SHOWN]
            for event_id, title in zip(shown["id"], shown["title"], strict=True):
                st.button(
                    plain(title), key=f"unplaced-{event_id}", on_click=select, args=(event_id,)
                )
            if len(unplaced) > UNPLACED_SHOWN:
                st.caption(f"and {len(unplaced) - UNPLACED_SHOWN:,} more")
    with st.expander("Legend", expanded=False):
        st.html(legend_html(story.categories, story.bands))
    sync_url(selected)


def render_cell(cells: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """The events of the clicked map cell, a page at a time, each a button to its card."""
    y, x = ss.cell
    here = cells[(cells["cell_y"] == y) & (cells["cell_x"] == x)]
    total = int(here["cell_count"].iloc[0]) if len(here) else 0
    if not total:
        st.info("No event of this window is in the cell clicked; click another.")
        return
    pages = -(-total // CELL_PAGE)
    page = min(ss.cell_page, pages - 1)
    rows = engine.cell_events(lo, hi, (y, x), claims=claims, limit=CELL_PAGE,
                              offset=page * CELL_PAGE)  # fmt: skip
    st.markdown(f"**{total:,} events in this cell** · page {page + 1} of {pages:,}")
    for r in rows.itertuples(index=False):
        when = r.start.strftime("%d %b %Y") if pd.notna(r.start) else ""
        st.button(plain(f"{when} · {r.title}"), key=f"cell-ev-{r.id}", on_click=select,
                  kwargs={"event_id": r.id, "move": False}, width="stretch")  # fmt: skip
    prev, nxt, close = st.columns(3)
    prev.button("Earlier", key="cell-prev", disabled=page == 0,
                on_click=lambda: ss.update(cell_page=page - 1))  # fmt: skip
    nxt.button("Later", key="cell-next", disabled=page >= pages - 1,
               on_click=lambda: ss.update(cell_page=page + 1))  # fmt: skip
    close.button("Close", key="cell-close", on_click=lambda: ss.update(cell=None, event=None))


def linked_to(selected: str | None) -> tuple[str, ...]:
    """The events linked to the selected one, either way."""
    if selected is None:
        return ()
    related = engine.event_links(selected)
    return tuple(
        t if s == selected else s
        for s, t in zip(related["source_id"], related["target_id"], strict=True)
    )


def render_card(selected: str | None, placed: pd.DataFrame | None) -> None:
    if selected is None:
        st.info(
            "Click a marker on the map or an event on the timeline to read what happened, "
            "where, when, how sure we are, and the sentence of the source that says so."
        )
        return
    event = engine.event(selected)
    places = engine.event_places(selected)
    relative = None
    if anchor is not None and anchor_id != selected:
        relative = f"{describe.relative_to(event, anchor)} from the start of: {anchor['title']}"
    st.html(card_html(event, places, relative, categories=story.categories))
    text = engine.sources.get(event["source_file"])
    if text is not None:
        with st.expander(f"Read the source, the sentence highlighted: {event['source_file']}"):
            st.html(article_html(text, event["quote"]), unsafe_allow_javascript=True)
    # Markers this close overlap at the fitted zoom: list them, so each is one more click.
    near = []
    if placed is not None:
        _, zoom = fit_view(placed, width=400, height=400)
        near = events_at_spot(placed, selected, zoom)
    related = engine.event_links(selected)
    titles = engine.titles([*near, *linked_to(selected)])
    if near:
        st.markdown(f"**At this spot** ({len(near)} more)")
        for other in near:
            st.button(plain(titles[other]), key=f"spot-{other}", on_click=select, args=(other,))
    if len(related):
        st.markdown("**Linked events**")
    for link in related.itertuples(index=False):
        other = link.target_id if link.source_id == selected else link.source_id
        verb = link.relation.replace("_", " ")
        label = (
            f"{verb} → {titles.get(other, other)}"
            if link.source_id == selected
            else (f"← {titles.get(other, other)} ({verb} this)")
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
