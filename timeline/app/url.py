"""The view in the URL: `from` and `to` (ISO 8601) and `event` (an event id).

Parsing never raises: a bad link gives notices and falls back to the default view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from timeline.model.times import parse_instant


@dataclass(frozen=True)
class ViewState:
    window: tuple[pd.Timestamp, pd.Timestamp]
    event: str | None


def _time(text: str) -> pd.Timestamp | None:
    """A link's time: ISO 8601; without an offset, UTC (links are written in UTC)."""
    text = text.strip()
    if text and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        text += "Z"
    try:
        return parse_instant(text)
    except ValueError:
        return None


def parse_query(
    query: Mapping[str, str],
    default: tuple[pd.Timestamp, pd.Timestamp],
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    event_ids: Iterable[str],
) -> tuple[ViewState, list[str]]:
    """The view a link asks for, and a notice for each part of it that could not be used."""
    notices = []
    window = default
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
    if event is not None and event not in set(event_ids):
        notices.append(f"The link names an event that is not in the table ({event[:60]!r}).")
        event = None
    return ViewState(window, event), notices


def to_query(state: ViewState) -> dict[str, str]:
    fmt = "%Y-%m-%dT%H:%MZ"
    query = {"from": state.window[0].strftime(fmt), "to": state.window[1].strftime(fmt)}
    if state.event:
        query["event"] = state.event
    return query
