"""The view in the URL: `from` and `to` (ISO 8601), `event` (an event id) and the filters.

Parsing never raises: a bad link gives notices and falls back to the default view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pandas as pd

from timeline.app.state import View
from timeline.data.filters import Filters
from timeline.model.times import parse_instant


def _time(text: str) -> pd.Timestamp | None:
    """A link's time: ISO 8601; without an offset, UTC (links are written in UTC)."""
    text = text.strip()
    if text and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        text += "Z"
    try:
        return parse_instant(text)
    except ValueError:
        return None


def view_from_query(
    query: Mapping[str, str],
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    known: Callable[[str], bool],
) -> tuple[View, list[str]]:
    """The view a link asks for, and a notice for each part of it that could not be used.

    `from`, `to`: the window (ISO 8601, UTC when no offset is written); `event`: the selected
    event's id; `f.FIELD`, `r.FIELD`, `q`: the filters (`Filters.from_query`)."""
    notices = []
    window = bounds
    if "from" in query or "to" in query:
        lo, hi = _time(query.get("from", "")), _time(query.get("to", ""))
        if lo is None or hi is None:
            notices.append(
                "The link's time window is not a pair of ISO 8601 times; showing the whole story."
            )
        elif hi <= lo:
            notices.append("The link's window ends before it starts; showing the whole story.")
        else:
            lo, hi = max(lo.floor("h"), bounds[0]), min(hi.ceil("h"), bounds[1])
            if hi <= lo:
                notices.append("The link's window is outside the story; showing the whole story.")
            else:
                window = (lo, hi)
    event = query.get("event") or None
    if event is not None and not known(event):
        notices.append(f"The link names an event that is not in the table ({event[:60]!r}).")
        event = None
    filters, more = Filters.from_query(query)
    return View.start(bounds, window, event, filters), notices + more


def to_query(view: View) -> dict[str, str]:
    fmt = "%Y-%m-%dT%H:%MZ"
    query = {"from": view.window[0].strftime(fmt), "to": view.window[1].strftime(fmt)}
    if view.event:
        query["event"] = view.event
    return query | view.filters.to_query()
