"""The event table as Knight Lab's TimelineJS 3 JSON, for a TimelineJS embed.

TimelineJS dates are wall-clock fields with no zone: each event's dates are written in the
clock its table used (`describe.source_clock`), so a day stays the day the source named. Which
fields a date has is its precision there: a year, a month, a day, an hour, a minute. An event
with an end (a span, a range, a part of a day, the end of a call) gets an `end_date`, written so
that the interval it names ends where the event's latest bound does. `display_date` says the
time in our own words, uncertainty and clock included ("18 March 2025, 14:00 UTC; ended between
15:30 and 16:30 UTC").

TimelineJS renders the headline, the text, the group and the display date as HTML, so every
text from the data is escaped; the only tags are ours, and the only links http(s) URLs. The
story's categories become `group` (their labels), its bands `eras`. The event's first place
goes in the non-standard `location {lat, lon, name}` that some TimelineJS files carry: our own
reader (`timeline.ingest.readers.timelinejs`) reads it back, and TimelineJS ignores it.

    >>> "".join(iter_timelinejs(table, story=story))     # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator

import pandas as pd

from timeline.model.story import Band, Story, category_styles
from timeline.model.tables import EventTable
from timeline.model.vocab import CLAIM_STATUSES, LIST_SEPARATOR
from timeline.views import describe
from timeline.views.card import PLACE_PRECISION_WORDS, URL, source_item

#: Fields of a TimelineJS date, coarse to fine, and the precision each one ends on.
UNITS = ("year", "month", "day", "hour", "minute")
#: The unit a date of each precision is written to, when its bounds fall on that unit.
NATURAL_UNIT = {
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "week": "day",
    "month": "month",
    "year": "year",
    "part_of_day": "hour",
    "range": "day",
    "span": "day",
}
#: What a clock cannot convert (a zone at the edge of year 1 or 9999): UTC is used instead.
_CLOCK_ERRORS = (NotImplementedError, OverflowError, ValueError, KeyError)
_TICK = pd.Timedelta(microseconds=1)

e = html.escape


def _aligned(t: pd.Timestamp, unit: str) -> bool:
    """True when the wall time `t` starts a whole `unit` (a midnight starts a day...)."""
    if unit == "minute":
        return t.second == 0 and t.microsecond == 0
    if unit == "hour":
        return _aligned(t, "minute") and t.minute == 0
    if unit == "day":
        return _aligned(t, "hour") and t.hour == 0
    if unit == "month":
        return _aligned(t, "day") and t.day == 1
    return _aligned(t, "month") and t.month == 1


def _unit(precision: str, lo: pd.Timestamp, hi: pd.Timestamp | None) -> str:
    """The precision's own unit where both bounds fall on it, else the coarsest they fit.

    An hour is the exception: "about 02:08" is written as the hour 2 (its precision kept; the
    display date says the minute)."""
    unit = NATURAL_UNIT.get(precision, "minute")
    if precision == "hour":
        return unit
    ends = [lo] if hi is None else [lo, hi]
    for candidate in UNITS[UNITS.index(unit) :]:
        if all(_aligned(t, candidate) for t in ends):
            return candidate
    return "minute"


def _date(t: pd.Timestamp, unit: str) -> dict:
    """A TimelineJS date object of the wall time `t`, down to `unit` (seconds when not 0)."""
    fields = {"year": t.year, "month": t.month, "day": t.day, "hour": t.hour, "minute": t.minute}
    out = {k: fields[k] for k in UNITS[: UNITS.index(unit) + 1]}
    if unit == "minute" and t.second:
        out["second"] = t.second
    return out


def _walls(event: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(nominal start, earliest, latest) as wall times of the event's own clock (or UTC)."""
    clock = describe.source_clock(event)
    latest = event["latest"] if pd.notna(event["latest"]) else event["start_latest"]
    try:
        return clock.wall(event["start"]), clock.wall(event["earliest"]), clock.wall(latest)
    except _CLOCK_ERRORS:
        utc = describe.UTC
        return utc.wall(event["start"]), utc.wall(event["earliest"]), utc.wall(latest)


def _has_end(event: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp, unit: str) -> bool:
    """Whether the event needs an end date: it has one of its own (a call that lasted), or its
    interval is longer than the one period its start date names."""
    precision = event["time_precision"]
    if precision in ("minute", "hour"):
        return pd.notna(event["end_earliest"])
    if precision in ("part_of_day", "range", "span", "week"):
        return hi > lo
    return _date(hi - _TICK, unit) != _date(lo, unit)


def slide_dates(event: pd.Series) -> dict:
    """`start_date` and, for an event with an end, `end_date`, in the event's own clock.

    The end date names the last period inside the event (the last day of 13-19 May), so the
    interval it names ends at the event's latest bound; a minute is itself."""
    start, lo, hi = _walls(event)
    precision = event["time_precision"]
    has_end = _has_end(event, lo, hi, NATURAL_UNIT.get(precision, "minute"))
    unit = _unit(precision, lo, hi if has_end else None)
    out = {"start_date": _date(start if precision == "hour" else lo, unit)}
    if has_end:
        out["end_date"] = _date(hi if unit == "minute" else hi - _TICK, unit)
    return out


def _items(cell: str) -> list[str]:
    return [x.strip() for x in str(cell).split(LIST_SEPARATOR) if x.strip()]


def slide_text(event: pd.Series, places: pd.DataFrame) -> str:
    """The slide's HTML: summary, the source sentence, who reports it and how sure, where,
    what the sources say of the time, notes, further sources. Every text escaped."""
    parts = []
    if event["summary"]:
        parts.append(f"<p>{e(event['summary'])}</p>")
    if event["quote"]:
        cite = f" <cite>{e(event['source_file'])}</cite>" if event["source_file"] else ""
        parts.append(f"<blockquote>{e(event['quote'])}{cite}</blockquote>")
    status = CLAIM_STATUSES.get(event["claim_status"])
    said = ", ".join(e(x) for x in _items(event["reported_by"])) or "not stated"
    claim = f"{e(status.label)}: {e(status.description)}" if status else "not stated"
    parts.append(f"<p>Reported by {said}. Status: {claim}.</p>")
    if len(places):
        where = "; ".join(
            f"{e(p.name or '')} ({e(PLACE_PRECISION_WORDS.get(p.geo_precision, 'not stated'))})"
            for p in places.itertuples(index=False)
        )
        parts.append(f"<p>Where: {where}.</p>")
    if event["time_note"]:
        parts.append(f"<p>About the time: {e(event['time_note'])}</p>")
    if event["notes"]:
        parts.append(f"<p>Notes: {e(event['notes'])}</p>")
    sources = _items(event["further_sources"])
    if sources:
        parts.append("<p>Further sources: " + "; ".join(source_item(s) for s in sources) + "</p>")
    return "".join(parts)


def _media(event: pd.Series) -> dict | None:
    """The first further source that is an http(s) URL, as the slide's media."""
    url = next((s for s in _items(event["further_sources"]) if URL.match(s)), None)
    return {"url": url, "link": url} if url else None


def _location(places: pd.DataFrame) -> dict | None:
    if places.empty:
        return None
    first = places.sort_values("order").iloc[0]
    return {"lat": float(first["lat"]), "lon": float(first["lon"]), "name": first["name"]}


def slide(event: pd.Series, places: pd.DataFrame, label: str) -> dict:
    """One TimelineJS slide of an event; `label` is its category's label."""
    out = {"unique_id": event["id"], **slide_dates(event)}
    out["display_date"] = e(describe.as_given(event))
    out["text"] = {"headline": e(event["title"]), "text": slide_text(event, places)}
    if label:
        out["group"] = e(label)
    media = _media(event)
    if media:
        out["media"] = media
    location = _location(places)
    if location:
        out["location"] = location
    return out


def era(band: Band) -> dict | None:
    """A story band as a TimelineJS era, in UTC (a band's times are instants); None when the
    band has no span."""
    if band.start is None or band.end is None:
        return None
    lo, hi = band.start.tz_localize(None), band.end.tz_localize(None)
    unit = _unit("span", lo, hi)
    return {
        "start_date": _date(lo, unit),
        "end_date": _date(hi if unit == "minute" else hi - _TICK, unit),
        "text": {"headline": e(band.label)},
    }


def iter_timelinejs(table: EventTable, *, story: Story | None = None) -> Iterator[str]:
    """TimelineJS 3 JSON: the title slide, one slide per event (by earliest time), eras.

    `story` gives the title, the categories' labels and the bands; without one, the table's
    categories are their own labels and there are no eras."""
    events = table.events
    styles = story.categories if story else category_styles(events["category"])
    title = story.title if story else "Events"
    head = {
        "title": {"text": {"headline": e(title), "text": f"{len(events):,} events"}},
        "scale": "human",
        "eras": [x for x in (era(b) for b in (story.bands if story else ())) if x],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "events": ['
    by_event = {k: g for k, g in table.places.groupby("event_id", sort=False)}
    empty = table.places.iloc[:0]
    for n, (_, event) in enumerate(events.iterrows()):
        style = styles.get(event["category"])
        label = style.label if style else event["category"]
        record = slide(event, by_event.get(event["id"], empty), label)
        yield ("\n" if n == 0 else ",\n") + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"


def to_timelinejs(table: EventTable, *, story: Story | None = None) -> str:
    return "".join(iter_timelinejs(table, story=story))
