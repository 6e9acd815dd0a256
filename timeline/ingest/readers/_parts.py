"""Small pieces the record-by-record readers share (TimeMap, TimelineJS, GeoJSON).

- Local times from date parts or ISO 8601 text, as the interval the text names: "2022-03"
  is [1 March, 1 April), "2022-03-01T14:30" the instant itself. Built with numpy's
  microsecond datetimes, so every year from 1 to 9999 fits; anything else raises `BadTime`
  with a message for the row, which the reader reports and goes on.
- `extra_fields`: the source's own fields with no column in the model (its `extra.*` columns).
- `html_to_text`: HTML as plain text (TimelineJS slides are HTML; we never render it).
- `Collector`: gathers events, places, problems record by record and makes the `Intake`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import numpy as np
import pandas as pd

from timeline.model import extras
from timeline.model.problems import combine
from timeline.model.schema import INTAKE_EVENTS, INTAKE_LINKS, INTAKE_PLACES, PROBLEMS
from timeline.model.tables import Intake, conform

NAT = np.datetime64("NaT", "us")
#: Units of a written time, coarsest first; each is also the name of a time precision.
UNITS = ("year", "month", "day", "hour", "minute")


class BadTime(ValueError):
    """A time the model cannot hold (outside years 1..9999) or that names no real moment."""


@dataclass(frozen=True)
class Interval:
    """A local time as the interval it names: [lo, hi], `unit` its precision (hi == lo for a
    minute or finer), `offset_min` the UTC offset the text gave, if any."""

    lo: np.datetime64
    hi: np.datetime64
    unit: str
    offset_min: int | None = None


def interval(
    year,
    month=None,
    day=None,
    hour=None,
    minute=None,
    second=None,
    millisecond=None,
    *,
    offset_min: int | None = None,
) -> Interval:
    """The interval named by these parts; the finest part given decides the unit."""
    parts = [year, month, day, hour, minute, second, millisecond]
    try:
        values = [None if p is None else _whole(p) for p in parts]
    except (TypeError, ValueError) as exc:
        raise BadTime(f"has a part that is not a whole number ({exc})") from None
    y, mo, d, h, mi, s, ms = values
    if y is None:
        raise BadTime("has no year")
    if not 1 <= y <= 9999:
        raise BadTime(f"is in the year {y:,}, outside the years 1 to 9999 this tool can hold")
    given = [v is not None for v in (mo, d, h, mi)]
    if given != sorted(given, reverse=True):
        raise BadTime("gives a finer part (day, hour or minute) without the coarser ones")
    try:
        start = dt.datetime(y, mo or 1, d or 1, h or 0, mi or 0, s or 0, (ms or 0) * 1000)
    except ValueError as exc:
        raise BadTime(f"is not a real date or time ({exc})") from None
    lo = np.datetime64(start, "us")
    unit = UNITS[sum(given)]
    if s is not None or ms is not None:
        unit = "minute"  # our finest precision; the seconds stay in the time itself
    if unit == "year":
        hi = (np.datetime64(f"{y:04d}", "Y") + 1).astype("datetime64[us]")
    elif unit == "month":
        hi = (np.datetime64(f"{y:04d}-{mo:02d}", "M") + 1).astype("datetime64[us]")
    elif unit == "day":
        hi = lo + np.timedelta64(1, "D")
    elif unit == "hour":
        hi = lo + np.timedelta64(1, "h")
    else:
        hi = lo
    return Interval(lo, hi, unit, offset_min)


def _whole(value) -> int:
    if isinstance(value, bool):
        raise ValueError(repr(value))
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?\d+(\.0*)?", value):
            raise ValueError(repr(value))
        return int(float(value)) if "." in value else int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(repr(value))
        return int(value)
    if isinstance(value, int):
        return value
    raise ValueError(repr(value))


_ISO = re.compile(
    r"(?P<y>[+-]?\d{4,})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)


def iso_interval(text: str) -> Interval:
    """ISO 8601 text ("2022", "2022-03", "2022-03-01", "2022-03-01T14:30:05+02:00") as the
    interval it names. The clock is kept as written; the offset, if given, is returned."""
    m = _ISO.fullmatch(text.strip())
    if not m:
        raise BadTime("is not an ISO 8601 date or time (e.g. 2022-03-01 or 2022-03-01T14:30)")
    offset = None
    if m["z"]:
        z = m["z"]
        if z == "Z":
            offset = 0
        else:
            digits = z[1:].replace(":", "")
            offset = int(digits[:2]) * 60 + int(digits[2:4] or 0)
            offset = -offset if z[0] == "-" else offset
    ms = int((m["f"] + "000")[:3]) if m["f"] else None
    return interval(int(m["y"]), m["mo"], m["d"], m["h"], m["mi"], m["s"], ms, offset_min=offset)


def extra_fields(fields: dict) -> dict:
    """The source's own fields of a record, empty values left out: its `extra` (a record's
    "extra" key; `Collector.intake` makes them `extra.*` columns)."""
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


class _Text(HTMLParser):
    _BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, blank lines squeezed."""
    if not html or ("<" not in html and "&" not in html):
        return (html or "").strip()
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # html.parser is lenient; this is only a last guard
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def short_title(text: str, limit: int = 80) -> str:
    """A short title from a description: its first sentence, cut at a word."""
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    first = m[1] if m else text
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


_TIME_COLUMNS = ("start_lo", "start_hi", "end_lo", "end_hi")


@dataclass
class Collector:
    """Events, places and problems gathered record by record, then made into one `Intake`."""

    file: str
    format: str
    events: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    problems: list[pd.DataFrame] = field(default_factory=list)
    rows_in: int = 0
    _orders: dict = field(default_factory=dict)

    def problem(self, row, column: str, value, text: str, *, kept: bool) -> None:
        value = "" if value is None else value
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, default=str)
        self.problems.append(
            pd.DataFrame(
                {
                    "file": [self.file],
                    "row": pd.array([row], dtype="Int64"),
                    "column": [column],
                    "value": [value],
                    "problem": [text],
                    "kept": [kept],
                },
                columns=list(PROBLEMS.names),
            )
        )

    def place(self, event: dict, *, name="", lat=np.nan, lon=np.nan, precision, source, **kw):
        key = (event["row"], event["id"])
        self._orders[key] = order = self._orders.get(key, 0) + 1
        self.places.append(
            {
                "row": event["row"],
                "event_id": event["id"],
                "order": order,
                "name": name,
                "lat": lat,
                "lon": lon,
                "precision": precision,
                "precision_source": source,
                **kw,
            }
        )

    def intake(self, story: dict | None = None, sources: dict | None = None) -> Intake:
        events = pd.DataFrame(self.events, columns=list(INTAKE_EVENTS.names))
        fields, left_out = extras.from_records((e.get("extra") for e in self.events), events.index)
        self.problems.extend(extras.left_out_problem(self.file, left_out))
        for column in _TIME_COLUMNS:
            values = [NAT if v is None or v is pd.NaT else v for v in events[column]]
            events[column] = pd.Series(np.array(values, dtype="datetime64[us]"), index=events.index)
        events["offset_min"] = pd.array(
            [None if v is None or pd.isna(v) else int(v) for v in events["offset_min"]],
            dtype="Int16",
        )
        places = pd.DataFrame(self.places, columns=list(INTAKE_PLACES.names))
        places["lat"] = pd.to_numeric(places["lat"], errors="coerce").astype("float64")
        places["lon"] = pd.to_numeric(places["lon"], errors="coerce").astype("float64")
        links = pd.DataFrame(self.links, columns=list(INTAKE_LINKS.names))
        for frame, table in (
            (events, INTAKE_EVENTS),
            (places, INTAKE_PLACES),
            (links, INTAKE_LINKS),
        ):
            for column in (c for c, d in table.dtypes.items() if d == "str"):
                values = frame[column].astype(object)
                frame[column] = values.where(values.notna(), "")
        events = events.join(fields)
        return Intake(
            conform(events.reset_index(drop=True), INTAKE_EVENTS),
            conform(places.reset_index(drop=True), INTAKE_PLACES),
            conform(links.reset_index(drop=True), INTAKE_LINKS),
            combine(self.problems),
            self.file,
            self.format,
            self.rows_in,
            sources=sources or {},
            story=story or {},
        )


def bounds(start: Interval, end: Interval | None) -> dict:
    """Intake time fields of an event that started in `start` and, if given, ended in `end`.

    Without an end the event happened some time in `start` (a minute: at that instant), and
    its precision is the unit of `start`. With an end it lasted from the one to the other: a
    span, each end known to its own interval ("1914" to "1918-11-11" keeps both).
    """
    offset = start.offset_min if start.offset_min is not None else None
    if end is None:
        return {
            "start_lo": start.lo,
            "start_hi": start.hi,
            "end_lo": None,
            "end_hi": None,
            "time_precision": start.unit,
            "offset_min": offset,
        }
    return {
        "start_lo": start.lo,
        "start_hi": start.hi,
        "end_lo": end.lo,
        "end_hi": end.hi,
        "time_precision": "span",
        "offset_min": offset,
    }


__all__ = [
    "BadTime",
    "Collector",
    "Interval",
    "bounds",
    "extra_fields",
    "html_to_text",
    "interval",
    "iso_interval",
    "short_title",
]
