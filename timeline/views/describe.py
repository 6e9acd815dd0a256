"""Words for an event's time, read from its bounds and written with its precision.

The same words serve three clocks: the source's own (`as_given`: the event's `timezone` when the
table names one, else its `start_offset_min`), UTC (`in_utc`) and each place's zone
(`local_times`). A day, week, month or year is named as such only where its bounds fall on
midnights of that clock; elsewhere the words give the hours and the local days it crosses, so
13 March in Moscow is never shown as "12 March" in London without the hours that explain it.

Times are pandas Timestamps in microseconds, so years 1 to 9999 (and the exclusive end of
9999, 1 January 10000) read as well as 2025. Nothing here uses strftime, whose `%Y` pads or
fails outside 1000..9999, nor Python datetimes, which stop at 9999.

>>> import pandas as pd
>>> t = pd.Timestamp("2025-03-18T14:00Z").as_unit("us")
>>> call = pd.Series({"earliest": t, "start_latest": t, "start": t,
...     "end_earliest": t + pd.Timedelta("90min"), "latest": t + pd.Timedelta("150min"),
...     "time_precision": "minute", "timezone": "", "start_offset_min": 0})
>>> as_given(call)
'18 March 2025, 14:00 UTC; ended between 15:30 and 16:30 UTC'
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from timeline.model.vocab import PARTS_OF_DAY

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: Precisions whose interval is a calendar period in the source's clock.
CALENDAR = ("day", "week", "month", "year")
DAY = pd.Timedelta(days=1)
#: What a zone cannot convert: pandas' Timestamps outside Python's years 1..9999 fail in
#: zoneinfo with NotImplementedError; a zone name that is not one fails to load.
_CLOCK_ERRORS = (NotImplementedError, OverflowError, ValueError, KeyError)


# --- clocks ------------------------------------------------------------------------------------


def offset_label(minutes: float) -> str:
    """'UTC', 'UTC+2', 'UTC−4', 'UTC+5:30' (and seconds for a local mean time of old)."""
    seconds = round(minutes * 60)
    if seconds == 0:
        return "UTC"
    sign = "−" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    mins, secs = divmod(rest, 60)
    tail = f":{mins:02d}" if mins or secs else ""
    return f"UTC{sign}{hours}{tail}" + (f":{secs:02d}" if secs else "")


@dataclass(frozen=True)
class Clock:
    """A way to read UTC instants as wall time: a named zone, or a fixed offset."""

    zone: str = ""
    offset_min: int = 0

    def wall(self, ts: pd.Timestamp) -> pd.Timestamp:
        """The naive local wall time of a UTC instant (raises one of _CLOCK_ERRORS)."""
        if self.zone:
            return ts.tz_convert(ZoneInfo(self.zone)).tz_localize(None)
        return ts.tz_localize(None) + pd.Timedelta(minutes=self.offset_min)

    def label(self, ts: pd.Timestamp) -> str:
        """'UTC+2' for an offset; 'EET, UTC+2' for a zone (no abbreviation where the zone
        has only a number for one)."""
        if not self.zone:
            return offset_label(self.offset_min)
        local = ts.tz_convert(ZoneInfo(self.zone))
        number = offset_label(local.utcoffset().total_seconds() / 60)
        name = local.tzname() or ""
        return number if not name or name[0] in "+-" or name == "UTC" else f"{name}, {number}"


UTC = Clock()


def _usable(clock: Clock) -> bool:
    if not clock.zone:
        return True
    try:
        ZoneInfo(clock.zone)
    except (ValueError, KeyError, OSError):
        return False
    return True


def source_clock(event: pd.Series) -> Clock:
    """The clock the table wrote the event's times in: its zone if named, else its offset."""
    zone = event.get("timezone", "")
    zone = zone if isinstance(zone, str) else ""
    offset = event.get("start_offset_min", 0)
    offset = 0 if pd.isna(offset) else int(offset)
    clock = Clock(zone, offset)
    return clock if _usable(clock) else Clock("", offset)


# --- calendar words ----------------------------------------------------------------------------


def _date(t: pd.Timestamp, year: bool = True) -> str:
    return f"{t.day} {MONTHS[t.month - 1]}" + (f" {t.year}" if year else "")


def _hm(t: pd.Timestamp) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _midnight(t: pd.Timestamp) -> bool:
    return t == t.normalize()


def _suffix(zone: str) -> str:
    """A zone after a time: '14:00 UTC', '22:30 UTC+2', '22:30 (EET, UTC+2)'."""
    if not zone:
        return ""
    return f" ({zone})" if "," in zone else f" {zone}"


def _after(zone: str) -> str:
    """A zone after a date: '13 March 2025 (UTC+3)'."""
    return f" ({zone})" if zone else ""


def _days(first: pd.Timestamp, last: pd.Timestamp, sep: str = "–") -> str:
    """'18 March 2025', '13–19 May 2025', '30 April – 6 May 2025', '31 December 2024 – ...'.

    With `sep` " to ": 'night of 18 to 19 March 2025'."""
    if first.normalize() == last.normalize():
        return _date(first)
    wide = sep if sep.startswith(" ") else f" {sep} "
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{sep}{_date(last)}"
    if first.year == last.year:
        return f"{_date(first, year=False)}{wide}{_date(last)}"
    return f"{_date(first)}{wide}{_date(last)}"


def _months(first: tuple[int, int], last: tuple[int, int]) -> str:
    (y1, m1), (y2, m2) = first, last
    if (y1, m1) == (y2, m2):
        return f"{MONTHS[m1 - 1]} {y1}"
    if y1 == y2:
        return f"{MONTHS[m1 - 1]}–{MONTHS[m2 - 1]} {y2}"
    return f"{MONTHS[m1 - 1]} {y1} – {MONTHS[m2 - 1]} {y2}"


def period(lo: pd.Timestamp, hi: pd.Timestamp, *, week: bool = False) -> str | None:
    """Calendar words for the wall interval [lo, hi) when both are midnights, else None:
    '2025', 'May 2025', 'the week of 13–19 May 2025', '23–25 March 2025'."""
    if not (_midnight(lo) and _midnight(hi)) or hi <= lo:
        return None
    if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 1, 1):
        last = hi.year - 1
        return str(lo.year) if last == lo.year else f"{lo.year}–{last}"
    if lo.day == 1 and hi.day == 1:
        back = (hi.year, hi.month - 1) if hi.month > 1 else (hi.year - 1, 12)
        return _months((lo.year, lo.month), back)
    days = _days(lo, hi - DAY)
    return f"the week of {days}" if week and hi - lo == 7 * DAY else days


def _same_day(lo: pd.Timestamp, hi: pd.Timestamp) -> bool:
    """hi is on lo's day, or is the midnight that ends it (read as 24:00)."""
    return hi.normalize() == lo.normalize() or (_midnight(hi) and hi - DAY == lo.normalize())


def _end_hm(hi: pd.Timestamp, lo: pd.Timestamp) -> str:
    return "24:00" if _midnight(hi) and hi > lo else _hm(hi)


def dash(lo: pd.Timestamp, hi: pd.Timestamp, zone: str = "") -> str:
    """'18 March 2025, 17:30–24:00', '18 March 2025, 16:00 – 19 March, 04:00'."""
    if lo == hi:
        return f"{_date(lo)}, {_hm(lo)}{_suffix(zone)}"
    if _same_day(lo, hi):
        return f"{_date(lo)}, {_hm(lo)}–{_end_hm(hi, lo)}{_suffix(zone)}"
    return (
        f"{_date(lo)}, {_hm(lo)} – {_date(hi, year=hi.year != lo.year)}, {_hm(hi)}{_suffix(zone)}"
    )


def between(lo: pd.Timestamp, hi: pd.Timestamp, zone: str = "", *, on: bool = True) -> str:
    """'17:00 and 22:00 UTC on 18 March 2025', '18 March 2025, 16:00 and 19 March, 04:00 UTC+2'.

    With `on=False` a same-day pair leaves out the date (it was said just before)."""
    if _same_day(lo, hi):
        date = f" on {_date(lo)}" if on else ""
        return f"{_hm(lo)} and {_end_hm(hi, lo)}{_suffix(zone)}{date}"
    return (
        f"{_date(lo)}, {_hm(lo)} and {_date(hi, year=hi.year != lo.year)}, {_hm(hi)}{_suffix(zone)}"
    )


def _hours(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
    """'22:00–04:00' for less than a day (the dates were said), else the full dash."""
    return f"{_hm(lo)}–{_end_hm(hi, lo)}" if hi - lo <= DAY else dash(lo, hi)


# --- parts of the day --------------------------------------------------------------------------

_PART_HOURS = sorted(PARTS_OF_DAY)


def _part_start(t: pd.Timestamp) -> pd.Timestamp:
    hour = max(h for h in _PART_HOURS if h <= t.hour)
    return t.normalize() + pd.Timedelta(hours=hour)


def _next_part(start: pd.Timestamp) -> pd.Timestamp:
    later = [h for h in _PART_HOURS if h > start.hour]
    base = start.normalize()
    return base + pd.Timedelta(hours=later[0]) if later else base + DAY


def parts(lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """(first, last, count): starts of the first and last parts of the day (PARTS_OF_DAY) that
    the wall interval [lo, hi] covers for some time, and how many it covers, counted only up
    to five (a year-long interval is not walked part by part). An instant is in its part."""
    first = _part_start(lo)
    last = _part_start(hi - pd.Timedelta(microseconds=1)) if hi > first else first
    count, at = 1, first
    while at < last and count < 5:
        at, count = _next_part(at), count + 1
    return first, last, count


def _part_name(start: pd.Timestamp) -> str:
    """'evening of 18 March 2025'; a night (after midnight) is named by both its dates."""
    name = PARTS_OF_DAY[start.hour]
    if start.hour == _PART_HOURS[0]:
        return f"{name} of {_days(start - DAY, start, sep=' to ')}"
    return f"{name} of {_date(start)}"


def part_of_day(lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[str, bool]:
    """(words, exact) for a wall interval, named from its whole span, not its start hour.

    exact is True when the interval is exactly the parts named. An evening and the night after
    it are one night: 18:00 to 06:00 is 'night of 18 to 19 March 2025'.
    """
    first, last, count = parts(lo, hi)
    exact = lo == first and hi == _next_part(last)
    night, evening = _PART_HOURS[0], _PART_HOURS[-1]
    if count == 1:
        return _part_name(first), exact
    if count == 2 and first.hour == evening and last.hour == night:
        return f"{PARTS_OF_DAY[night]} of {_days(first, last, sep=' to ')}", exact
    if first.normalize() == last.normalize():
        words = f"{PARTS_OF_DAY[first.hour]} to {PARTS_OF_DAY[last.hour]} of {_date(first)}"
        return words, exact
    return f"{_part_name(first)} to {_part_name(last)}", exact


# --- readings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bounds:
    """The four bounds as wall times of one clock (end ones None for a point event)."""

    earliest: pd.Timestamp
    start_latest: pd.Timestamp
    end_earliest: pd.Timestamp | None
    latest: pd.Timestamp


def _walls(event: pd.Series, clock: Clock) -> _Bounds:
    def wall(column: str) -> pd.Timestamp | None:
        value = event[column]
        return None if pd.isna(value) else clock.wall(value)

    latest = wall("latest")
    start_latest = wall("start_latest")
    return _Bounds(
        wall("earliest"),
        start_latest if start_latest is not None else wall("earliest"),
        wall("end_earliest"),
        latest if latest is not None else start_latest,
    )


def _start_words(precision: str, b: _Bounds, zone: str) -> str:
    lo, hi = b.earliest, b.start_latest
    if precision == "hour":
        mid = lo + (hi - lo) / 2
        return f"{_date(mid)}, about {_hm(mid)}{_suffix(zone)}"
    if precision == "part_of_day" and (parts(lo, hi)[2] <= 2 or part_of_day(lo, hi)[1]):
        # Named when the clock's parts fit the interval; otherwise the hours say it better
        # than "afternoon of the 18th to night of the 18th to 19th".
        words, exact = part_of_day(lo, hi)
        if exact:
            return words + _after(zone)
        return f"{words} ({_hours(lo, hi)}{_suffix(zone)})"
    if precision in CALENDAR:
        named = period(lo, hi, week=precision == "week")
        if named is not None:
            single = precision == "day" and hi - lo == DAY
            whole = precision in ("month", "year") and "–" not in named
            lead = "" if single or whole else "some time in "
            return lead + named + _after(zone)
        # Not midnights in this clock (another zone): the hours, and the days they cross.
        days = _days(lo, hi - pd.Timedelta(microseconds=1))
        return f"some time between {between(lo, hi, zone)} (across the days {days})"
    if lo == hi:
        return f"{_date(lo)}, {_hm(lo)}{_suffix(zone)}"
    lead = "began between " if precision in ("minute", "span") else "some time between "
    return lead + between(lo, hi, zone)


def _end_words(b: _Bounds, zone: str) -> str:
    """'; until 16:30 UTC' or '; ended between 15:30 and 16:30 UTC', '' for a point event."""
    if b.end_earliest is None:
        return ""
    lo, hi, start = b.end_earliest, b.latest, b.start_latest
    if lo == hi:
        if _same_day(start, hi):
            return f"; until {_end_hm(hi, start)}{_suffix(zone)}"
        return f"; until {_date(hi, year=hi.year != start.year)}, {_hm(hi)}{_suffix(zone)}"
    known = period(lo, hi)  # the end known only to a day (a week, ...) of this clock
    if known is not None:
        return f"; ended {'on ' if hi - lo == DAY else 'some time in '}{known}{_after(zone)}"
    return "; ended between " + between(lo, hi, zone, on=not _same_day(start, lo))


def _span_words(b: _Bounds, zone: str) -> str:
    if b.earliest == b.start_latest and b.end_earliest == b.latest:
        lo, hi = b.earliest, b.latest
        named = period(lo, hi)
        if named is not None:
            return f"throughout {named}{_after(zone)}"
        if _same_day(lo, hi):
            return f"from {_hm(lo)} to {_end_hm(hi, lo)}{_suffix(zone)} on {_date(lo)}"
        end = f"{_date(hi, year=hi.year != lo.year)}, {_hm(hi)}{_suffix(zone)}"
        return f"from {_date(lo)}, {_hm(lo)} to {end}"
    return _start_words("span", b, zone) + _end_words(b, zone)


def reading(event: pd.Series, clock: Clock, *, zone: str | None = None) -> str:
    """The event's time in words, in `clock`. `zone` is written after the times (default: the
    clock's label at the start; '' writes none, when the caller names the clock itself)."""
    b = _walls(event, clock)
    if zone is None:
        zone = zone_label(clock, event)
    precision = event["time_precision"]
    if precision == "span":
        return _span_words(b, zone)
    return _start_words(precision, b, zone) + _end_words(b, zone)


def zone_label(clock: Clock, event: pd.Series) -> str:
    """The clock's label over the event: 'EET, UTC+2', or 'EET, UTC+2 to EEST, UTC+3' when the
    clock changes between the event's first and last bounds."""
    first = clock.label(event["earliest"])
    last_bound = event["latest"] if pd.notna(event["latest"]) else event["earliest"]
    last = clock.label(last_bound)
    return first if first == last else f"{first} to {last}"


def _read(event: pd.Series, clock: Clock, *, zoned: bool = True) -> tuple[str, str, Clock]:
    """(words, the clock's label, the clock used): in `clock`, or in UTC where the clock
    cannot convert the event's times (a zone at the edge of year 1 or 9999). `zoned=False`
    leaves the zone out of the words, for a caller that names the clock itself."""
    try:
        label = zone_label(clock, event)
        return reading(event, clock, zone=label if zoned else ""), label, clock
    except _CLOCK_ERRORS:
        return reading(event, UTC, zone="UTC" if zoned else ""), "UTC", UTC


def as_given(event: pd.Series) -> str:
    """The time in the clock the table used, in words that carry the precision."""
    return _read(event, source_clock(event))[0]


def in_utc(event: pd.Series) -> str:
    """The same words in UTC: the bounds the event is filtered and drawn by."""
    return reading(event, UTC)


def _place_clock(place, event: pd.Series) -> tuple[Clock, str]:
    """The place's zone, or the event's own clock when the place has none (a region across
    zones): (clock, what the card says about it)."""
    zone = getattr(place, "timezone", "")
    zone = zone if isinstance(zone, str) else ""
    clock = Clock(zone)
    if zone and _usable(clock):
        return clock, ""
    return source_clock(event), "no zone of its own; the source's clock, "


def local_times(event: pd.Series, places: pd.DataFrame) -> list[str]:
    """Each place's local reading of the event's whole interval, for every precision.

    'Moscow (MSK, UTC+3): 18 March 2025, 17:00; ended between 18:30 and 19:30'. A day of
    another zone reads as its hours and the local days it crosses.
    """
    out = []
    for place in places.itertuples(index=False):
        clock, note = _place_clock(place, event)
        words, label, used = _read(event, clock, zoned=False)
        if used != clock:
            note = "its zone cannot convert this date; "
        out.append(f"{place.name} ({note}{label}): {words}")
    return out


# --- lengths and relative time -----------------------------------------------------------------


def duration(delta: pd.Timedelta) -> str:
    """'+6 h 30 min', '−2 d 3 h': a signed, rounded length of time."""
    sign = "−" if delta < pd.Timedelta(0) else "+"
    minutes = int(round(abs(delta).total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts_ = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    parts_ += [f"{mins} min"] * bool(mins and not days)
    return sign + (" ".join(parts_) if parts_ else "0 min")


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


__all__ = [
    "Clock",
    "as_given",
    "between",
    "dash",
    "duration",
    "in_utc",
    "local_times",
    "offset_label",
    "part_of_day",
    "parts",
    "period",
    "reading",
    "relative_to",
    "source_clock",
    "zone_label",
]


#: Columns `when_listed` reads of each event (a list's rows carry them: `LIST_COLUMNS`).
WHEN_COLUMNS = ("start", "earliest", "start_latest", "end_earliest", "latest",
                "time_precision", "timezone", "start_offset_min")  # fmt: skip


def when_listed(events: pd.DataFrame) -> list[str]:
    """Each event's time as a list, a hover or a table shows it: in the clock the source wrote
    it in (a date stays that local day, with its zone), never a UTC date for a local day."""
    frame = events.copy()
    for column in WHEN_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if column == "timezone" else (0 if "offset" in column else pd.NaT)
    frame["start_latest"] = frame["start_latest"].fillna(frame["earliest"])
    return [as_given(row) for _, row in frame[list(WHEN_COLUMNS)].iterrows()]
