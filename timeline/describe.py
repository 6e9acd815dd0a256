"""Words for an event's time, written with its precision: "evening of 18 March 2025".

A day or a part of a day is named in the offset the table gave (the source's own clock), so a
date-only event never slides to the day before; the UTC interval is always given beside it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd

from timeline.vocab import PARTS_OF_DAY


def _offset_label(minutes: int) -> str:
    sign = "−" if minutes < 0 else "+"
    hours, mins = divmod(abs(int(minutes)), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def _date(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts:%B %Y}"


def _hm(ts: pd.Timestamp) -> str:
    return f"{ts:%H:%M}"


def _part_of_day(ts: pd.Timestamp) -> str:
    start = max(h for h in PARTS_OF_DAY if h <= ts.hour)
    return PARTS_OF_DAY[start]


def _interval(lo: pd.Timestamp, hi: pd.Timestamp, zone: str) -> str:
    if lo.date() == hi.date():
        return f"{_date(lo)}, {_hm(lo)}–{_hm(hi)} {zone}"
    return f"{lo.day} {lo:%b} {_hm(lo)} – {hi.day} {hi:%b} {_hm(hi)} {zone}"


def as_given(event: pd.Series) -> str:
    """The time in the clock the table used, in words that carry the precision."""
    offset = pd.Timedelta(minutes=int(event["start_offset_min"]))
    start = (event["start"] + offset).tz_localize(None)
    end = None if pd.isna(event["end"]) else (event["end"] + offset).tz_localize(None)
    zone = "UTC" if offset == pd.Timedelta(0) else _offset_label(event["start_offset_min"])
    precision = event["time_precision"]
    if precision == "minute":
        text = f"{_date(start)}, {_hm(start)} {zone}"
        return text + (f" until about {_hm(end)}" if end is not None else "")
    if precision == "hour":
        return f"{_date(start)}, about {_hm(start)} {zone}"
    if precision == "part_of_day":
        return f"{_part_of_day(start)} of {_date(start)} ({zone})"
    if precision == "day":
        last = (end - pd.Timedelta(microseconds=1)) if end is not None else start
        if last.date() == start.date():
            return f"{_date(start)} ({zone})"
        return f"{start.day}–{_date(last)} ({zone})"
    if precision == "span":
        last = end - pd.Timedelta(microseconds=1)
        if start.time() == pd.Timestamp(0).time() and end.time() == pd.Timestamp(0).time():
            return f"{start.day} {start:%B} – {_date(last)} ({zone})"
        return "from " + _interval(start, end, zone).replace(" – ", " to ")
    # range
    return "some time between " + _interval(start, end, zone)


def in_utc(event: pd.Series) -> str:
    """The interval in UTC that the event falls in (or lasts through)."""
    lo, hi = event["earliest"], event["latest"]
    if event["time_precision"] == "hour":
        return f"{_date(event['start'])}, about {_hm(event['start'])} UTC"
    if lo == hi:
        return f"{_date(lo)}, {_hm(lo)} UTC"
    return _interval(lo, hi, "UTC")


def local_times(event: pd.Series, places: pd.DataFrame) -> list[str]:
    """The start in each place's own time zone, for events known to within about an hour."""
    if event["time_precision"] not in ("minute", "hour"):
        return []
    about = "about " if event["time_precision"] == "hour" else ""
    out = []
    for place in places.itertuples(index=False):
        if not place.timezone:
            continue
        local = event["start"].tz_convert(ZoneInfo(place.timezone))
        out.append(
            f"{about}{_hm(local)} on {local.day} {local:%b} in {place.name} "
            f"({local.tzname()}, {_offset_label(local.utcoffset().total_seconds() // 60)})"
        )
    return out


def duration(delta: pd.Timedelta) -> str:
    """'+6 h 30 min', '−2 d 3 h': a signed, rounded length of time."""
    sign = "−" if delta < pd.Timedelta(0) else "+"
    minutes = int(round(abs(delta).total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    parts += [f"{mins} min"] * bool(mins and not days)
    return sign + (" ".join(parts) if parts else "0 min")


def relative_to(event: pd.Series, anchor: pd.Series) -> str:
    """How long after (or before) the anchor's start the event happened: '+6 h 30 min'.

    An event known to the minute or the hour counts from its start; any other gives the
    interval it falls in, so the uncertainty shows in the words too.
    """
    precision = event["time_precision"]
    if precision in ("minute", "hour"):
        about = "about " if precision == "hour" else ""
        return about + duration(event["start"] - anchor["start"])
    lo = duration(event["earliest"] - anchor["start"])
    hi = duration(event["latest"] - anchor["start"])
    return lo if lo == hi else f"{lo} to {hi}"
