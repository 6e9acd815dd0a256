"""The time window: which events it shows, and how it moves.

An event is in the window when the interval it falls in (`earliest`..`latest`) overlaps the
window, so a span that straddles an edge is shown, and an uncertain event is shown wherever
it may have happened. Events are sorted by `earliest`, so one `searchsorted` cuts the tail
before the mask runs: this stays cheap at a million rows.
"""

from __future__ import annotations

import pandas as pd


def in_window(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Boolean mask over `events` (sorted by earliest) of those overlapping [start, end]."""
    stop = events["earliest"].searchsorted(end, side="right")
    mask = pd.Series(False, index=events.index)
    head = events.iloc[:stop]
    mask.iloc[:stop] = (head["latest"] >= start).to_numpy()
    return mask


def events_in_window(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return events[in_window(events, start, end)]


def shift_window(
    start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta, limit: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Move the window forward by `step`, stopping with its end at `limit`."""
    width = end - start
    new_end = min(end + step, limit)
    return new_end - width, new_end


def neighbour_event(
    events: pd.DataFrame, when: pd.Timestamp, direction: int, after_id: str = ""
) -> pd.Series | None:
    """The next (direction=1) or previous (-1) event in (start, id) order from (when, after_id).

    Ids break ties, so events that start together (the call and what it agreed) are stepped
    through one by one.
    """
    later = (events["start"] > when) | ((events["start"] == when) & (events["id"] > after_id))
    earlier = (events["start"] < when) | ((events["start"] == when) & (events["id"] < after_id))
    pool = events[later if direction > 0 else earlier].sort_values(["start", "id"])
    if pool.empty:
        return None
    return pool.iloc[0] if direction > 0 else pool.iloc[-1]


def window_around(
    event: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    bounds: tuple[pd.Timestamp, pd.Timestamp],
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window, moved as little as needed to show `event`, kept inside `bounds`."""
    width = end - start
    if event["latest"] >= start and event["earliest"] <= end:
        return start, end
    if event["earliest"] > end:
        new_end = min(event["latest"].ceil("h"), bounds[1])
        new_start = max(new_end - width, bounds[0])
    else:
        new_start = max(event["earliest"].floor("h"), bounds[0])
        new_end = min(new_start + width, bounds[1])
    return new_start, max(new_end, new_start + pd.Timedelta(hours=1))
