"""The app: a timeline alongside a map; scrub through time, filter, click a marker, read the
source.

A thin shell over `timeline`: the reader's view is one value (`timeline.app.state.View`) kept in
the session and mirrored in the URL; each widget maps to one of its transitions; the engine
answers the view's questions (`timeline.data.engine`); the views draw the answers. Offline by
default: the base map is served by this server, places come from the gazetteers.
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

from timeline.app import state as S
from timeline.app.url import to_query, view_from_query
from timeline.data.contract import Ask, cell_deg_at
from timeline.data.engine import (
    PICK_LIMIT,
    Engine,
    on_warehouse,
    open_engine,
    table_key,
    upload_key,
)
from timeline.data.filters import Filters
from timeline.data.store import open_store
from timeline.export.page import page_of_view
from timeline.export.tables import iter_csv
from timeline.ingest.files import parse_events, resolve_table, story_geocoder
from timeline.model.story import story_for_table
from timeline.model.vocab import CLAIM_STATUSES
from timeline.views import describe
from timeline.views.basemap import BASEMAPS, DEFAULT_BASEMAP
from timeline.views.card import article_html, card_html
from timeline.views.dense import (
    DETAIL_LIMIT,
    cells_figure,
    default_cell_deg,
    histogram_figure,
    map_mode,
    parse_pick,
)
from timeline.views.figures import (
    MAP_HEIGHT,
    Highlights,
    fit_view,
    map_figure,
    timeline_figure,
    view_range,
)
from timeline.views.layout import (
    PAGE_SCRIPT,
    PAGE_STYLE,
    count_line,
    filters_words,
    map_summary,
    problems_view,
    timeline_summary,
)
from timeline.views.legend import fold, legend_html, readable
from timeline.views.mapview import NAME as MAP_VIEW
from timeline.views.mapview import SCRIPT as MAP_VIEW_SCRIPT
from timeline.views.overlay import overlay_html, overlay_spec
from timeline.views.slider import fits_datetime_slider, stop_label, window_stops
from timeline.views.spots import events_at_spot
from timeline.views.table import PAGE_ROWS, page_count, sort_options, table_page

# The seed story beside this script, wherever the app is started from: a story folder, or any
# supported file (TIMELINE_MAP_TABLE=path/to/acled.csv).
TABLE = Path(os.environ.get("TIMELINE_MAP_TABLE") or Path(__file__).parent / "seeds")
#: Hours the window moves per tick of Play, by the label the reader picks.
SPEEDS = {
    "1 hour per second": 1,
    "3 hours per second": 3,
    "6 hours per second": 6,
    "1 day per second": 24,
}
#: Events listed per page of a map cell.
CELL_PAGE = 15
#: "Not on the map" lists at most this many buttons (the rest are counted).
UNPLACED_SHOWN = 50
#: The window's events a download holds at most (the command line exports any number).
DOWNLOAD_LIMIT = 100_000
#: Values a facet's picker lists (the most frequent; the picker searches them).
FACET_VALUES = 300
#: The built-in facets, with their labels.
FACETS = {
    "actors": "Actors",
    "reported_by": "Reported by",
    "country": "Country",
    "region": "Region",
}

st.set_page_config(page_title="Timeline map", layout="wide")
map_view_reporter = st.components.v2.component(MAP_VIEW, js=MAP_VIEW_SCRIPT)


@st.cache_resource(show_spinner="Opening the stored table…")
def load(path: str, stamp: float, online: bool) -> tuple[Engine, object]:
    """Shared by every session and rerun; `stamp` makes an edited table load again. The
    engine opens the table's store (read and stored first if need be: see `build`)."""
    engine = open_engine(path, online=online)
    table_path, _ = resolve_table(path)
    story = story_for_table(table_path, engine.story_events(), defaults=engine.story)
    # Streamlit runs a full garbage collection after every script run; over the ~200,000
    # objects of the libraries and the first table that took ~0.15 s of every rerun. Once per
    # process, after a collection (so no garbage is kept), freeze what is left out of the
    # collector's walks: it is the server's own.
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    return engine, story


@st.cache_resource(show_spinner="Reading, placing and checking the uploaded file…", max_entries=8)
def load_upload(name: str, digest: str, online: bool, _data: bytes):
    """An uploaded file, keyed by its content; it has no folder, so no source files."""
    table = parse_events(_data, file=name, fmt=None, geocoder=story_geocoder(online=online))
    engine = Engine.from_table(table, key=upload_key(f"{name} online={online}", _data))
    story = story_for_table(Path(name), engine.story_events(), beside=False, defaults=table.story)
    return engine, story


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
    return pd.Timestamp(dt).tz_localize("UTC").as_unit("us")


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
    from the same rows took ~0.3 s of every click. `key` holds only hashable plain values and
    the engine and story by `id`, kept with the value so no new object can take their id.
    """
    held = ss.setdefault(f"memo-{name}", {})
    if key not in held:
        if len(held) >= MEMO_SIZE:
            held.pop(next(iter(held)))
        held[key] = build()
    return held[key][1]


# --- data ------------------------------------------------------------------------------------

online_places = st.sidebar.toggle(
    "Look up unknown places online (Nominatim)",
    value=False,
    help="Off: only the project's gazetteers. On: places they lack are asked of "
    "OpenStreetMap's Nominatim, at most one request per second, every answer cached.",
)
upload = st.sidebar.file_uploader(
    "Open another file",
    help="Any supported file: our table (CSV, Parquet, JSON or GeoJSON), ACLED, UCDP GED, "
    "TimeMap, TimelineJS or GeoJSON. It is read on this machine and sent nowhere.",
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
    if engine.worth_retrying:  # a warehouse down now: asked again at the next rerun
        load.clear(str(TABLE), stamp_of(TABLE), online_places)
bounds = (story.whole.start, story.whole.end)
held = (id(engine), engine, id(story), story)  # kept alive with what is built from them
ss = st.session_state

# The view: from the URL once per session, and anew for another table (a file dropped on the
# upload box, or taken off it): the window, selection and filters of the one before mean
# nothing for it.
if "view" not in ss or ss.get("table_shown") != shown:
    fresh = "view" not in ss
    query = st.query_params.to_dict() if fresh else {}
    ss.view, ss.notices = view_from_query(query, bounds, engine.has)
    ss.table_shown = shown
    for key in [k for k in ss if str(k).startswith(("filter-", "range-"))]:
        del ss[key]


def act(transition, *args, **kwargs) -> None:
    """Apply one transition of the view (a widget's callback)."""
    ss.view = transition(ss.view, *args, **kwargs)


def select(event_id: str | None, *, move: bool = True) -> None:
    act(S.select, engine.event(event_id), move_window=move)


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
            act(S.pick_cell, pick[1])
            return
        if pick is not None and pick[0] == "bin":
            act(S.pick_bin, pick[1][0].tz_convert("UTC"), pick[1][1].tz_convert("UTC"))
            return


def step(direction: int) -> None:
    """Prev/Next: the neighbouring event that passes the filters."""
    view = ss.view
    current = engine.event(view.event)
    if current is not None:
        found = engine.neighbour(current["start"], view.event, direction, view.filters)
    else:
        found = engine.neighbour(view.window[0], "", direction, view.filters)
    if found is not None:
        select(found["id"])


def story_step(direction: int) -> None:
    target = S.story_target(ss.view, story_ids(), direction)
    if target is not None:
        select(target)


def on_window() -> None:
    act(S.move, utc(ss.window[0]), utc(ss.window[1]))


def on_stops(key: str) -> None:
    act(S.move, utc(ss[key][0]), utc(ss[key][1]))


def on_preset() -> None:
    if ss.preset is not None:
        window = story.windows[ss.preset]
        act(S.preset, window.start, window.end)


def on_map_view() -> None:
    report = ss.get("map-view")
    act(S.zoom, S.MapView.from_report(getattr(report, "view", None)))


def on_filters() -> None:
    """Every filter widget at once into the view's filters."""
    facets = {}
    for key, values in ss.items():
        if str(key).startswith("filter-") and values:
            facets[str(key).removeprefix("filter-")] = values
    claims = ss.get("claims-shown")
    if claims is not None and len(claims) < len(CLAIM_CHOICES):
        facets["claim_status"] = [CLAIM_CHOICES[c] for c in claims]
    ranges = {}
    for facet in story.facets:
        if facet.kind == "range":
            low, high = ss.get(f"range-{facet.field}-low"), ss.get(f"range-{facet.field}-high")
            ranges[facet.field] = (low, high)
    act(S.filter_by, Filters.of(facets, ranges, ss.get("search", "")))


def clear_filters() -> None:
    for key in [k for k in ss if str(k).startswith(("filter-", "range-"))]:
        del ss[key]
    ss["search"] = ""
    ss["claims-shown"] = list(CLAIM_CHOICES)
    act(S.filter_by, Filters())


def story_ids() -> tuple[str, ...]:
    narrative = next((n for n in story.narratives if n.id == ss.view.narrative), None)
    return engine.known(narrative.event_ids) if narrative else ()


#: Claim statuses as the filter offers them, by label.
CLAIM_CHOICES = {s.label: k for k, s in CLAIM_STATUSES.items()} | {"Not stated": ""}


# --- sidebar ---------------------------------------------------------------------------------


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
    text = st.sidebar.text_input(
        "Find the anchor event", key="anchor_search", placeholder="a word of its title"
    ).strip()
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

if story.narratives:
    story_mode = st.sidebar.toggle("Story mode", value=False, key="story_mode")
    narrative = None
    if story_mode:
        narrative = st.sidebar.selectbox(
            "Narrative", story.narratives, format_func=lambda n: n.title
        )
    if (narrative.id if narrative else None) != ss.view.narrative:
        act(S.tell, narrative.id if narrative else None)
        if narrative is not None and ss.view.event not in story_ids() and story_ids():
            select(story_ids()[0])  # a story starts at its first step, not at "step 0"

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


# --- the view: filters, map and card, the timeline and its controls, the table --------------------


def panel(label: str, key: str, icon: str):
    """An expander that stays open while its label changes (a count in it): Streamlit names an
    expander by its label as well as its key, so its open state is kept here, by key."""
    opened = f"{key}-open"

    def keep() -> None:
        ss[opened] = bool(ss[key])

    return st.expander(label, expanded=ss.get(opened, False), key=key, on_change=keep, icon=icon)


def filter_panel(view: S.View) -> None:
    """Every filter, linked to every view: the text, categories (counted in the window), claim
    status, the built-in facets and the story's own (counted in the whole table)."""
    active = len(view.filters.facets) + len(view.filters.ranges) + bool(view.filters.text)
    label = f"Filters · {active} active" if active else "Filters"
    box = panel(label, "panel-filters", ":material/filter_list:")
    with box:
        if not box.open:  # its counts cost queries: asked only while the panel is open
            return
        ss.setdefault("search", view.filters.text)
        st.text_input(
            "Search titles, summaries and notes",
            key="search",
            on_change=on_filters,
            placeholder="every word, any case",
        )
        left, right = st.columns(2)
        counts = engine.facet(view.ask, "category", limit=FACET_VALUES)
        count_of = dict(zip(counts["value"], counts["count"], strict=True))
        chosen = sorted(view.filters.values("category") or ())
        options = list(dict.fromkeys([*chosen, *count_of, *story.categories]))
        ss.setdefault("filter-category", chosen)
        left.multiselect(
            "Categories (how many in this window)",
            options,
            key="filter-category",
            format_func=lambda c: (
                f"{story.categories[c].label if c in story.categories else c}"
                f" ({count_of.get(c, 0):,})"
            ),
            on_change=on_filters,
            placeholder="all categories",
        )
        claims = view.filters.values("claim_status")
        ss.setdefault(
            "claims-shown", [k for k, v in CLAIM_CHOICES.items() if claims is None or v in claims]
        )
        right.pills(
            "Claim status",
            list(CLAIM_CHOICES),
            selection_mode="multi",
            key="claims-shown",
            on_change=on_filters,
            help=" ".join(f"{s.label}: {s.description}." for s in CLAIM_STATUSES.values()),
        )
        fields = [
            *FACETS.items(),
            *((f.field, f.label) for f in story.facets if f.kind == "values"),
        ]
        columns = st.columns(2)
        for n, (field, field_label) in enumerate(fields):
            everywhere = whole_counts(field)
            chosen = sorted(view.filters.values(field) or ())
            ss.setdefault(f"filter-{field}", chosen)
            total = dict(zip(everywhere["value"], everywhere["count"], strict=True))
            columns[n % 2].multiselect(
                f"{field_label} (how many in all)",
                list(dict.fromkeys([*chosen, *total])),
                key=f"filter-{field}",
                format_func=lambda v, t=total: f"{v or '(none)'} ({t.get(v, 0):,})",
                on_change=on_filters,
                placeholder="any",
            )
        for facet in (f for f in story.facets if f.kind == "range"):
            low, high = dict((f, (lo, hi)) for f, lo, hi in view.filters.ranges).get(
                facet.field, (None, None)
            )
            a, b = st.columns(2)
            ss.setdefault(f"range-{facet.field}-low", low)
            ss.setdefault(f"range-{facet.field}-high", high)
            a.number_input(
                f"{facet.label}: at least",
                key=f"range-{facet.field}-low",
                value=None,
                on_change=on_filters,
            )
            b.number_input(
                "at most", key=f"range-{facet.field}-high", value=None, on_change=on_filters
            )
        st.button(
            "Clear every filter",
            key="clear-filters",
            on_click=clear_filters,
            icon=":material/filter_list_off:",
            disabled=not active,
        )


@st.cache_data(show_spinner=False, max_entries=64)
def _whole_counts(_engine: Engine, engine_id: int, field: str) -> pd.DataFrame:
    return _engine.facet(Ask(*bounds), field, limit=FACET_VALUES)


def whole_counts(field: str) -> pd.DataFrame:
    """A facet's values over the whole table (cheap to keep; the window's would cost every
    rerun of a large table)."""
    return _whole_counts(engine, id(engine), field)


def window_controls(view: S.View) -> None:
    """Presets (one segmented control, chosen by position so two equal labels cannot clash;
    the one the window matches is marked), steps, play and speed, then the slider."""
    ss.preset = next(
        (i for i, w in enumerate(story.windows) if (w.start, w.end) == view.window), None
    )
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
        st.button(
            "Prev.",
            key="prev-event",
            icon=":material/skip_previous:",
            on_click=step,
            args=(-1,),
            help="The previous event (filters apply)",
        )
        st.button(
            "Next",
            key="next-event",
            icon=":material/skip_next:",
            on_click=step,
            args=(1,),
            help="The next event (filters apply)",
        )
        st.button(
            "Pause" if view.playing else "Play",
            key="play",
            icon=":material/pause:" if view.playing else ":material/play_arrow:",
            on_click=lambda playing=not view.playing: act(S.set_playing, playing, time.monotonic()),
        )
        st.selectbox(
            "Speed",
            list(SPEEDS),
            key="speed",
            label_visibility="collapsed",
            width=170,
            on_change=lambda: act(S.set_step, SPEEDS[ss.speed]),
        )
    if fits_datetime_slider(bounds):
        ss.window = (naive(view.window[0]), naive(view.window[1]))
        st.slider(
            "Time window (UTC)",
            min_value=naive(bounds[0]),
            max_value=naive(bounds[1]),
            step=timedelta(hours=1),
            format="D MMM YYYY, HH:mm",
            key="window",
            on_change=on_window,
        )
    else:  # a story before 1684 or after 2255: Streamlit's datetime slider cannot hold it
        # Keyed by the window, so a preset or a step makes a new slider showing it.
        window = (naive(view.window[0]), naive(view.window[1]))
        key = f"stops-{window[0]}-{window[1]}"
        st.select_slider(
            "Time window (UTC)",
            options=window_stops(bounds, window),
            value=window,
            format_func=stop_label,
            key=key,
            on_change=on_stops,
            args=(key,),
        )


def view() -> None:
    if ss.view.playing != ss.timer_on:  # Play or Pause: the fragment's timer is set by a full run
        st.rerun(scope="app")
    ticked = S.tick(ss.view, time.monotonic())
    if ticked is not ss.view:
        ss.view = ticked
        if not ticked.playing:
            st.rerun()
    v = ss.view
    ask = v.ask
    in_window = engine.count(ask)
    hidden = engine.count(Ask(*v.window)) - in_window if not v.filters.empty else 0
    picked = v.filters.values("category") or ()
    styles, folded = readable(story.categories, sorted(picked))
    # Past the detail limit the map is dense: it draws what the reader's view holds (the
    # browser reports the view when the reader stops moving it), as cells of that view, or
    # each event once few enough are in it. So groups split as the reader zooms in.
    dense = in_window > DETAIL_LIMIT
    here = Ask(*v.window, v.filters, v.map.bbox) if dense and v.map is not None else ask
    in_view = engine.count(here) if here is not ask else in_window
    mode = map_mode(in_view)
    selected = v.event if engine.has(v.event) else None
    highlights = Highlights(
        story=story_ids(),
        bands=story.bands,
        anchor=anchor if relative_axis else None,
        links=engine.links,
    )
    visible = placed = cells = deg = None
    if mode == "detail":
        visible = memo("rows", (*held[::2], here), lambda: (held, engine.rows(here)))
        placed = memo("places", (*held[::2], here), lambda: (held, engine.places(here)))
    on_map = engine.count_placed(ask)

    filter_panel(v)
    count, problems = st.columns([5, 1.3], vertical_alignment="center")
    count.markdown(
        count_line(
            in_window=in_window,
            total=engine.total,
            on_map=on_map,
            not_loaded=engine.rows_not_loaded,
            hidden=hidden,
            in_view=in_view if here is not ask else None,
        )
    )
    if len(engine.problems):
        with problems.popover(f"{len(engine.problems)} problems", width="stretch"):
            show_problems()

    left, right = st.columns([3, 2])
    with left:
        reported = None
        if here.bbox is not None:
            reported = {"center": v.map.centre, "zoom": v.map.zoom}
        if mode == "detail":
            map_key = (*held[::2], here, basemap, story_ids(), relative_axis, anchor_id, folded)
            figure = memo(
                "map",
                map_key,
                lambda: (
                    held,
                    map_figure(
                        fold(visible, folded),
                        placed,
                        highlights,
                        basemap,
                        categories=styles,
                        view=reported,
                    ),
                ),
            )
            marks = placed
            credits = {BASEMAPS[basemap].attribution, *placed["credit"].loc[placed["credit"] != ""]}
        else:
            deg = cell_deg_at(v.map.zoom) if reported else default_cell_deg(engine.extent)
            cells = engine.cells(here, cell_deg=deg)
            figure = cells_figure(fold(cells, folded), basemap, categories=styles, view=reported)
            marks = cells.assign(event_id="", name="", order=0)
            credits = {BASEMAPS[basemap].attribution, *engine.credits}
        st.plotly_chart(
            figure,
            key="map",
            on_select=lambda: on_chart_select("map"),
            selection_mode="points",
            config={"scrollZoom": True, "displaylogo": False},
        )
        # The server draws what the reader's view holds only when the map is dense: then the
        # browser reports the view (once the reader stops moving it).
        map_view_reporter(
            key="map-view", data={"report": dense}, on_view_change=on_map_view, height=0
        )
        # The browser fits the map to its real size once per new window and per "Fit to
        # window"; a click that only selects does not, nor, on a dense map the reader zoomed
        # into, a new window (the view the reader chose stays).
        drawn = (
            ("view",)
            if reported is not None
            else (v.window, v.filters, basemap, story_ids(), mode, sorted(story.categories))
        )
        fit_key = hashlib.sha1(repr(drawn).encode()).hexdigest()[:16] + f"-{v.fits}"
        spec = overlay_spec(
            marks,
            fit_key=fit_key,
            selected=selected,
            linked=linked_to(selected),
            story=story_ids(),
            online=BASEMAPS[basemap].online,
            keep_view=reported is not None,
        )
        st.html(overlay_html(spec), unsafe_allow_javascript=True)
        fit, credit = st.columns([1, 3], vertical_alignment="center")
        fit.button(
            "Fit to window", key="fit", icon=":material/fit_screen:", on_click=lambda: act(S.fit)
        )
        # Credits come from data (a story's places.csv): shown as text, never as Markdown.
        credit.caption("Base map and places: " + plain("; ".join(sorted(credits))))
        st.caption(
            plain(map_summary(mode, events=in_view, placed=on_map, places=placed, cells=cells))
        )
    with right:
        ids = story_ids()
        if ids:
            here = ids.index(selected) + 1 if selected in ids else 1
            a, b, c = st.columns([1, 1, 1.3], vertical_alignment="center")
            a.button(
                "Step",
                key="story-prev",
                icon=":material/arrow_back:",
                on_click=story_step,
                args=(-1,),
                width="stretch",
            )
            b.button(
                "Step",
                key="story-next",
                icon=":material/arrow_forward:",
                on_click=story_step,
                args=(1,),
                width="stretch",
            )
            c.markdown(f"Story step **{here} of {len(ids)}**")
        listing = mode == "cells" and v.cell is not None
        box = MAP_HEIGHT - (60 if ids else 0) if selected or listing else "content"
        with st.container(height=box, border=True):
            if selected or not listing:
                render_card(selected, placed)
            if listing:
                render_cell(here, deg)

    window_controls(v)
    span = view_range(v.window, bounds)
    whole = Ask(span[0], span[1], v.filters)
    bins = None
    if mode != "detail" or engine.count(whole) > DETAIL_LIMIT:
        bins = engine.bins(whole)
        timeline = histogram_figure(fold(bins, folded), v.window, span, categories=styles)
    else:
        timeline_key = (*held[::2], whole, v.window, story_ids(), relative_axis, anchor_id, folded)
        timeline = memo(
            "timeline",
            timeline_key,
            lambda: (
                held,
                timeline_figure(
                    fold(engine.rows(whole), folded),
                    v.window,
                    bounds,
                    highlights,
                    categories=styles,
                    height=340,
                ),
            ),
        )
    st.plotly_chart(
        timeline,
        key="timeline",
        on_select=lambda: on_chart_select("timeline"),
        selection_mode="points",
        config={"displaylogo": False},
    )
    st.caption(plain(timeline_summary(bins, in_window, v.window)))
    unplaced = None if mode != "detail" else visible[~visible["id"].isin(placed["event_id"])]
    if unplaced is not None and len(unplaced):
        with st.container(horizontal=True):
            st.markdown("**Not on the map:**")
            shown_now = unplaced.iloc[:UNPLACED_SHOWN]
            for event_id, title in zip(shown_now["id"], shown_now["title"], strict=True):
                st.button(
                    plain(title), key=f"unplaced-{event_id}", on_click=select, args=(event_id,)
                )
            if len(unplaced) > UNPLACED_SHOWN:
                st.caption(f"and {len(unplaced) - UNPLACED_SHOWN:,} more")
    st.download_button(
        "Download this story as a page (HTML, works offline)",
        data=lambda v=v: story_page(v),
        file_name="story.html",
        mime="text/html",
        key="download-page",
        icon=":material/public:",
        help="One file that opens in any browser with no server and no internet: the map, the "
        "timeline, the cards and their sources, for the events these filters keep, opening on "
        "this window.",
    )
    render_table(v, in_window, styles)
    with st.expander("Legend", expanded=False):
        st.html(legend_html(styles, story.bands))
    wanted = to_query(ss.view)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def render_cell(ask: Ask, deg: float) -> None:
    """The events of the clicked map cell, a page at a time, each a button to its card."""
    v = ss.view
    y, x = v.cell
    cells = engine.cells(ask, cell_deg=deg)
    here = cells[(cells["cell_y"] == y) & (cells["cell_x"] == x)]
    total = int(here["cell_count"].iloc[0]) if len(here) else 0
    if not total:
        st.info("No event of this window is in the cell clicked; click another.")
        return
    pages = -(-total // CELL_PAGE)
    page = min(v.cell_page, pages - 1)
    rows = engine.cell_rows(ask, (y, x), cell_deg=deg, limit=CELL_PAGE, offset=page * CELL_PAGE)
    st.markdown(f"**{total:,} events in this cell** · page {page + 1} of {pages:,}")
    for r, when in zip(rows.itertuples(index=False), describe.when_listed(rows), strict=True):
        st.button(
            plain(f"{when} · {r.title}"),
            key=f"cell-ev-{r.id}",
            on_click=select,
            kwargs={"event_id": r.id, "move": False},
            width="stretch",
        )
    prev, nxt, close = st.columns(3)
    prev.button(
        "Earlier", key="cell-prev", disabled=page == 0, on_click=lambda: act(S.page_cell, page - 1)
    )
    nxt.button(
        "Later",
        key="cell-next",
        disabled=page >= pages - 1,
        on_click=lambda: act(S.page_cell, page + 1),
    )
    close.button("Close", key="cell-close", on_click=lambda: act(S.close_cell))


def render_table(v: S.View, in_window: int, styles) -> None:
    """The window's events as a table: sorted by any field, a page at a time, a row opens its
    card; the whole filtered window downloads as our CSV."""
    label = f"Table of the window's {in_window:,} events"
    box = panel(label, "panel-table", ":material/table_rows:")
    with box:
        if not box.open:  # a page of a sorted million costs a query: only while it is open
            return
        sorts = sort_options(story.facets)
        a, b, c = st.columns([2, 1, 2], vertical_alignment="bottom")
        ss["table-sort"], ss["table-desc"] = v.sort or "", v.descending
        a.selectbox(
            "Sort by",
            list(sorts),
            format_func=lambda f: sorts[f],
            key="table-sort",
            on_change=on_table_sort,
        )
        b.toggle("Descending", key="table-desc", on_change=on_table_sort)
        pages = page_count(in_window)
        page = min(v.page, pages - 1)
        rows = engine.rows(
            v.ask, sort=v.sort, descending=v.descending, limit=PAGE_ROWS, offset=page * PAGE_ROWS
        )
        extra = {v.sort: sorts[v.sort]} if v.sort and v.sort.startswith("extra.") else {}
        if extra:
            rows = rows.join(
                engine.rows(
                    v.ask,
                    columns=("id", v.sort),
                    sort=v.sort,
                    descending=v.descending,
                    limit=PAGE_ROWS,
                    offset=page * PAGE_ROWS,
                ).set_index("id"),
                on="id",
            )
        shown = table_page(rows, styles | story.categories, extra)
        ss["table-ids"] = list(shown.index)
        st.dataframe(
            shown,
            key="table",
            on_select=on_table_select,
            selection_mode="single-row",
            hide_index=True,
            width="stretch",
        )
        d, e_, f = st.columns([1, 1, 2], vertical_alignment="center")
        d.button(
            "Earlier",
            key="table-prev",
            disabled=page == 0,
            on_click=lambda: act(S.page_to, page - 1),
        )
        e_.button(
            "Later",
            key="table-next",
            disabled=page >= pages - 1,
            on_click=lambda: act(S.page_to, page + 1),
        )
        f.caption(f"Page {page + 1:,} of {pages:,}")
        c.download_button(
            "Download these events (CSV)",
            data=lambda ask=v.ask: window_csv(ask),
            file_name="events.csv",
            mime="text/csv",
            key="download-window",
            icon=":material/download:",
            help=f"The window's events that pass the filters, in our table's CSV (at most "
            f"{DOWNLOAD_LIMIT:,}; `python -m timeline export` writes any number).",
        )


def on_table_sort() -> None:
    act(S.sort_by, ss["table-sort"] or None, bool(ss["table-desc"]))


def on_table_select() -> None:
    """A row of the table opens its card (the window stays: the row is in it)."""
    rows = ss["table"].selection.rows if ss.get("table") else []
    ids = ss.get("table-ids", [])
    if rows and rows[0] < len(ids):
        select(ids[rows[0]], move=False)


def story_page(v: S.View) -> str:
    """The story as one self-contained page, as the reader sees it now."""
    labels = {"category": "Category", "claim_status": "Claim status", **FACETS}
    labels |= {f.field: f.label for f in story.facets}
    return page_of_view(engine, story, v.window, v.filters, narrative_id=v.narrative,
                        filters_note=filters_words(v.filters, labels))  # fmt: skip


def window_csv(ask: Ask) -> str:
    """The window's filtered events as our CSV (places and links with them)."""
    return "".join(iter_csv(engine.subtable(ask, limit=DOWNLOAD_LIMIT)))


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
            "Click a marker on the map, an event on the timeline or a row of the table to read "
            "what happened, where, when, how sure we are, and the sentence of the source that "
            "says so."
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
        with st.expander(
            "Read the source, the sentence highlighted: " + plain(str(event["source_file"]))
        ):
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


if "speed" not in ss:
    ss.speed = next(iter(SPEEDS))
ss.timer_on = ss.view.playing
st.fragment(view, run_every=S.TICK_SECONDS if ss.view.playing else None)()
