"""The app's view as one value, and every way it changes as a pure function.

`View` holds what a reader has done: the time window, the selected event, the filters, the map
cell listed and its page, the table's sort and page, play, story mode, the map's reported view.
Each action (select, step, pick a cell or a bin, tick, preset, fit, filter, zoom, sort) is a
function `(view, ...) -> view`, tested without Streamlit (`tests/test_app_state.py`); the script
maps its widgets to these and draws what the view says.

    view = View.start(bounds)
    view = select(view, event, move=True)      # the card, and the window moved to show it
    view = tick(view, now=time.monotonic())    # Play
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from timeline.data.contract import Ask
from timeline.data.filters import Filters

HOUR = pd.Timedelta(hours=1)
#: Play moves the window by the chosen step once per tick of this many seconds.
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class MapView:
    """What the reader's map shows, as the browser reported it: its box, zoom and centre.

    The centre is MapLibre's own, not the middle of the box: on a Mercator map the two differ
    (by degrees at a continent's scale), and a map redrawn at the box's middle would move, be
    reported again, and drift from rerun to rerun."""

    west: float
    south: float
    east: float
    north: float
    zoom: float
    lat: float
    lon: float

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.west, self.south, self.east, self.north)

    @property
    def centre(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}

    @classmethod
    def from_report(cls, report: object) -> MapView | None:
        """A browser's report ({west, south, east, north, zoom, lat, lon}), or None if it is
        not one."""
        if not isinstance(report, dict):
            return None
        keys = ("west", "south", "east", "north", "zoom", "lat", "lon")
        try:
            values = [float(report[k]) for k in keys]
        except (KeyError, TypeError, ValueError):
            return None
        if any(v != v for v in values) or not -90 <= values[1] <= values[3] <= 90:
            return None
        west, south, east, north, zoom, lat, lon = values
        if not (south <= lat <= north and west <= lon <= east):
            return None
        return cls(
            max(west, -540.0),
            south,
            min(east, 540.0),
            north,
            min(max(zoom, 0.0), 24.0),
            lat,
            lon,
        )


@dataclass(frozen=True)
class View:
    """Everything the reader has chosen. Times are UTC Timestamps."""

    #: The story's whole window: no move leaves it.
    bounds: tuple[pd.Timestamp, pd.Timestamp]
    window: tuple[pd.Timestamp, pd.Timestamp]
    event: str | None = None
    filters: Filters = field(default_factory=Filters)
    #: The map cell whose events are listed (dense maps), and the page of that list.
    cell: tuple[int, int] | None = None
    cell_page: int = 0
    #: The table of the window: sorted by this field (None: time), and its page.
    sort: str | None = None
    descending: bool = False
    page: int = 0
    playing: bool = False
    #: Hours the window moves per tick of Play.
    step_hours: float = 1.0
    last_tick: float = 0.0
    #: The narrative story mode steps through (its id), or None.
    narrative: str | None = None
    #: The map's view as the browser last reported it (None: fitted to the window).
    map: MapView | None = None
    #: Bumped by "Fit to window": the browser fits the map again.
    fits: int = 0

    @classmethod
    def start(cls, bounds, window=None, event=None, filters=None) -> View:
        return cls(bounds=bounds, window=window or bounds, event=event,
                   filters=filters or Filters())  # fmt: skip

    @property
    def ask(self) -> Ask:
        return Ask(self.window[0], self.window[1], self.filters)


# --- the window ----------------------------------------------------------------------------------


def move(view: View, lo: pd.Timestamp, hi: pd.Timestamp) -> View:
    """The window [lo, hi), kept inside the story and at least an hour long. A new window
    lists its own cells and table from their first page."""
    lo, hi = clamp(lo, hi, view.bounds)
    if (lo, hi) == view.window:
        return view
    return replace(view, window=(lo, hi), cell=None, cell_page=0, page=0)


def clamp(lo, hi, bounds) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    if hi - lo < HOUR:
        hi = min(lo + HOUR, bounds[1])
        lo = min(lo, hi - HOUR) if hi - HOUR >= bounds[0] else bounds[0]
    return lo, hi


def preset(view: View, lo: pd.Timestamp, hi: pd.Timestamp) -> View:
    return move(view, lo, hi)


def pick_bin(view: View, lo: pd.Timestamp, hi: pd.Timestamp) -> View:
    """A bar of the histogram becomes the window, on whole hours."""
    lo, hi = max(lo, view.bounds[0]), min(hi, view.bounds[1])
    if hi <= lo:
        return view
    return move(view, lo.floor("h"), max(hi.ceil("h"), lo.floor("h") + HOUR))


def window_around(event: pd.Series, view: View) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window, moved as little as needed to show `event`, kept inside the story."""
    lo, hi = view.window
    width = hi - lo
    if event["earliest"] < hi and (event["latest"] > lo or event["earliest"] == lo):
        return lo, hi
    if event["earliest"] >= hi:
        new_hi = min(max(event["earliest"].floor("h") + HOUR, event["latest"].ceil("h")),
                     view.bounds[1])  # fmt: skip
        new_lo = max(new_hi - width, view.bounds[0])
    else:
        new_lo = max(event["earliest"].floor("h"), view.bounds[0])
        new_hi = min(new_lo + width, view.bounds[1])
    return clamp(new_lo, new_hi, view.bounds)


# --- the selection ---------------------------------------------------------------------------


def select(view: View, event: pd.Series | None, *, move_window: bool = True) -> View:
    """The event's card; the window moved to show it unless the reader clicked it where it
    is (a marker, a list), which must not move anything."""
    if event is None:
        return replace(view, event=None)
    chosen = replace(view, event=str(event["id"]))
    if move_window:
        chosen = move(chosen, *window_around(event, chosen))
    return chosen


def deselect(view: View) -> View:
    return replace(view, event=None)


def story_target(view: View, ids: tuple[str, ...], direction: int) -> str | None:
    """The narrative's next (1) or previous (-1) stop from the selected event (its first stop
    when none is selected)."""
    if not ids:
        return None
    here = ids.index(view.event) if view.event in ids else -1
    return ids[min(max(here + direction, 0), len(ids) - 1)]


def tell(view: View, narrative: str | None) -> View:
    return replace(view, narrative=narrative)


# --- the map -------------------------------------------------------------------------------------


def pick_cell(view: View, cell: tuple[int, int]) -> View:
    return replace(view, cell=cell, cell_page=0)


def page_cell(view: View, page: int) -> View:
    return replace(view, cell_page=max(page, 0))


def close_cell(view: View) -> View:
    return replace(view, cell=None, cell_page=0, event=None)


def zoom(view: View, reported: MapView | None) -> View:
    """The reader moved the map: what it draws follows (cells of that view, or its events)."""
    if reported is None or reported == view.map:
        return view
    return replace(view, map=reported)


def fit(view: View) -> View:
    """Back to the map fitted to the window's events."""
    return replace(view, map=None, fits=view.fits + 1)


# --- filters and the table --------------------------------------------------------------------


def filter_by(view: View, filters: Filters) -> View:
    """New filters: every view narrows alike; lists start from their first page again."""
    if filters == view.filters:
        return view
    return replace(view, filters=filters, cell=None, cell_page=0, page=0)


def sort_by(view: View, field: str | None, descending: bool | None = None) -> View:
    """Sort the table by a field (None: by time), ascending unless said; the same field again
    with no order turns the order round."""
    if descending is None:
        descending = not view.descending if field == view.sort else False
    return replace(view, sort=field, descending=descending, page=0)


def page_to(view: View, page: int) -> View:
    return replace(view, page=max(page, 0))


# --- Play -----------------------------------------------------------------------------------------


def set_playing(view: View, playing: bool, now: float) -> View:
    """Play from where the window is (from the start when it is at the end), or Pause: what
    the button said when it was pressed, not a toggle, so a press that reaches the server
    late (after a tick's rerun) or twice still does what the reader asked."""
    if not playing:
        return replace(view, playing=False)
    if view.playing:
        return view
    playing = replace(view, playing=True, last_tick=now)
    lo, hi = view.window
    if hi >= view.bounds[1]:
        playing = move(playing, view.bounds[0], view.bounds[0] + (hi - lo))
    return playing


def set_step(view: View, hours: float) -> View:
    return replace(view, step_hours=hours)


def tick(view: View, now: float) -> View:
    """One step of Play if a tick has passed: the window moves on by the step, and Play stops
    when the window reaches the end of the story."""
    if not view.playing or now - view.last_tick < TICK_SECONDS * 0.9:
        return view
    lo, hi = view.window
    width = hi - lo
    new_hi = min(hi + pd.Timedelta(hours=view.step_hours), view.bounds[1])
    moved = move(replace(view, last_tick=now), new_hi - width, new_hi)
    return replace(moved, playing=new_hi < view.bounds[1])
