"""Knight Lab's TimelineJS JSON, in both shapes.

- TimelineJS 3: `{"title": slide, "events": [slide...], "eras": [...], "scale": ...}`.
- The older wrapped shape: `{"timeline": {...}}` holding `slides` or `events` (3's slides), or
  TimelineJS 2's `date` list (`startDate`/`endDate` as "YYYY,MM,DD[,HH,MM[,SS]]", `headline`,
  `text`, `asset`, `tag`) with `headline`/`text`/`era` at its top.

A slide (`map_slide`, shared with the CSV template reader):

- `start_date` / `end_date` date objects: the finest field given is the precision (year ->
  "year", +month -> "month", +day -> "day", +hour -> "hour" (the whole hour), +minute ->
  "minute"); with an end the slide lasted from the one to the other ("span"), each end known
  to its own interval. A year outside 1..9999 (a negative year, the -13.8e9 of a cosmological
  timeline) is reported on its record and the record left out; the others load.
- `unique_id` -> id (else `slide-N`); `text.headline` -> title and `text.text` -> summary, both
  as plain text (HTML parsed, never rendered); the original HTML stays in extra.
- `group` -> category (and extra); `display_date` -> time_note; `media`, `background`,
  `autolink`, `type` and any other key -> extra; a non-standard `location {lat, lon, name}`
  -> a place ("site" with coordinates, "town" by name).
- The title slide -> story title; `eras` -> story bands (local times: the file names no zone).
Rows are record numbers: the n-th slide of `events` is "record n".
"""

from __future__ import annotations

import json
import math

import numpy as np

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._json import read_json
from timeline.ingest.readers._parts import (
    UNITS,
    BadTime,
    Collector,
    Interval,
    bounds,
    extra_fields,
    html_to_text,
    interval,
)
from timeline.model.tables import Intake

NAME = "timelinejs"
DATE_FIELDS = ("year", "month", "day", "hour", "minute", "second", "millisecond")
#: Slide keys with a column of their own; the rest is kept in extra.
_MAPPED = {"start_date", "end_date", "text", "unique_id", "display_date", "location"}


def date_of(value) -> tuple[Interval, str]:
    """A TimelineJS date (object, or TimelineJS 2 "YYYY,MM,DD,HH,MM" text) as an Interval,
    and the fields it gave ("year+month+day"). Raises BadTime."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = dict(zip(DATE_FIELDS, str(value).split(","), strict=False))
    if not isinstance(value, dict):
        raise BadTime("is not a date object with a year")
    parts = {k: value.get(k) for k in DATE_FIELDS}
    parts = {k: v for k, v in parts.items() if v is not None and str(v).strip() != ""}
    if "year" not in parts:
        raise BadTime("has no year")
    year = parts["year"]
    if isinstance(year, float) and math.isfinite(year) and not year.is_integer():
        raise BadTime(f"has a year that is not a whole number ({year})")
    given = "+".join(k for k in DATE_FIELDS if k in parts)
    return interval(*(parts.get(k) for k in DATE_FIELDS)), given


def map_slide(
    c: Collector, row: int, slide: dict, *, label: str = "TimelineJS", noun: str = "record"
) -> dict | None:
    """Append the slide's event (and place) to the collector; None when it cannot load."""
    c.rows_in += 1
    where = f"{noun} {row}: " if noun else ""
    try:
        start, start_given = date_of(slide.get("start_date"))
    except BadTime as exc:
        c.problem(row, "start_date", slide.get("start_date"), f"{where}start_date {exc}",
                  kept=False)  # fmt: skip
        return None
    end, end_given = None, ""
    if slide.get("end_date") not in (None, "", {}):
        try:
            end, end_given = date_of(slide.get("end_date"))
        except BadTime as exc:
            c.problem(row, "end_date", slide.get("end_date"), f"{where}end_date {exc}",
                      kept=False)  # fmt: skip
            return None
    text = slide.get("text") if isinstance(slide.get("text"), dict) else {}
    headline_html, body_html = _str(text.get("headline")), _str(text.get("text"))
    headline, body = html_to_text(headline_html), html_to_text(body_html)
    unique_id = _str(slide.get("unique_id")).strip()
    display = _str(slide.get("display_date")) or _display(slide.get("start_date"))
    source = f"{label} start_date {start_given}"
    if end is not None:
        source += f", end_date {end_given}"
    extra = {k: v for k, v in slide.items() if k not in _MAPPED}
    if headline_html != headline:
        extra["text.headline"] = headline_html
    if body_html != body:
        extra["text.text"] = body_html
    event = {
        "row": row,
        "id": unique_id or f"slide-{row}",
        "title": headline or display or f"Slide {row}",
        "summary": body,
        **bounds(start, end),
        "time_precision_source": source,
        "time_note": display,
        "category": _str(slide.get("group")).strip(),
        "extra": extra_fields(extra),
    }
    c.events.append(event)
    location = slide.get("location")
    if isinstance(location, dict):
        _place(c, event, location, where, label)
    return event


def _str(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _dict(value) -> dict:
    """A JSON object, or an empty one where the file has something else (a number, a list)."""
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _display(date) -> str:
    return _str(date.get("display_date")) if isinstance(date, dict) else ""


def _place(c: Collector, event: dict, location: dict, where: str, label: str) -> None:
    name = _str(location.get("name")).strip()
    lat, lon = _number(location.get("lat")), _number(location.get("lon", location.get("lng")))
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        c.place(event, name=name, lat=lat, lon=lon, precision="site",
                source=f"{label} location lat/lon (non-standard)")  # fmt: skip
        return
    if lat is not None or lon is not None:
        c.problem(event["row"], "location", location,
                  f"{where}location has no usable lat and lon" + ("; looked up by name" if name
                  else "; left off the map"), kept=True)  # fmt: skip
    if name:
        c.place(event, name=name, precision="town",
                source=f"{label} location name (non-standard; assumed a town)")  # fmt: skip


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def local_iso(value: np.datetime64) -> str:
    """A local time as ISO text without an offset (the file names no zone)."""
    return str(value.astype("datetime64[m]"))


def band(c: Collector, n: int, era: dict, label: str = "TimelineJS") -> dict | None:
    """An era as a story band; a bad one is reported (it is no event: rows stay events')."""
    name = html_to_text(_str(_dict(era.get("text")).get("headline"))) or f"Era {n}"
    try:
        start, _ = date_of(era.get("start_date"))
        end, _ = date_of(era.get("end_date")) if era.get("end_date") else (start, "")
    except BadTime as exc:
        c.problem(None, f"eras[{n}]", era, f"era {name!r} {exc}; left out of the story",
                  kept=True)  # fmt: skip
        return None
    return {"label": name, "start": local_iso(start.lo), "end": local_iso(end.lo)}


# --- the two JSON shapes ------------------------------------------------------------------------


def _tj2_slide(item: dict) -> dict:
    """A TimelineJS 2 `date` item in TimelineJS 3's slide shape, other keys kept."""
    slide = {k: v for k, v in item.items() if k not in ("startDate", "endDate", "headline",
                                                         "text", "asset", "tag")}  # fmt: skip
    slide["start_date"] = item.get("startDate")
    if item.get("endDate") and item.get("endDate") != item.get("startDate"):
        slide["end_date"] = item.get("endDate")
    slide["text"] = {"headline": item.get("headline"), "text": item.get("text")}
    if item.get("asset"):
        slide["media"] = item["asset"]
    if item.get("tag"):
        slide["group"] = item["tag"]
    return slide


def _shape(doc: dict) -> tuple[list, dict | None, list, str]:
    """(slides, title slide, eras, shape name) of either shape."""
    if isinstance(doc.get("timeline"), dict):
        inner = doc["timeline"]
        if isinstance(inner.get("date"), list):
            title = {"text": {"headline": inner.get("headline"), "text": inner.get("text")}}
            listed = inner.get("era")
            eras = [_tj2_slide(e) for e in _list(listed) if isinstance(e, dict)]
            slides = [_tj2_slide(s) if isinstance(s, dict) else s for s in inner["date"]]
            return slides, title, eras, "TimelineJS 2"
        slides = inner.get("slides") or inner.get("events") or []
        return slides, inner.get("title"), inner.get("eras") or [], "TimelineJS"
    return doc.get("events") or [], doc.get("title"), doc.get("eras") or [], "TimelineJS"


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    doc, found = read_json(data, file)
    c = Collector(file, NAME, problems=list(found))
    if doc is None:
        return c.intake()
    if not isinstance(doc, dict):
        c.problem(None, "", "", "is not a TimelineJS object with events", kept=False)
        return c.intake()
    slides, title, eras, label = _shape(doc)
    if not isinstance(slides, list):
        c.problem(None, "events", "", "events is not a list", kept=False)
        return c.intake()
    for n, slide in enumerate(slides, start=1):
        if isinstance(slide, dict):
            map_slide(c, n, slide, label=label)
        else:
            c.rows_in += 1
            c.problem(n, "", slide, f"record {n}: is not a slide object", kept=False)
    story: dict = {}
    if isinstance(title, dict):
        headline = html_to_text(_str(_dict(title.get("text")).get("headline")))
        if headline:
            story["title"] = headline
    eras = eras if isinstance(eras, list) else []  # an era list that is not one is no band
    bands = [b for n, e in enumerate(eras, 1) if isinstance(e, dict) and (b := band(c, n, e))]
    if bands:
        story["bands"] = bands
    return c.intake(story)


def sniff(data: bytes, name: str) -> str | None:
    head = data[:8192].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return "is not a JSON object"
    if '"type"' in head[:400] and '"FeatureCollection"' in head[:2000]:
        return "is GeoJSON, not a TimelineJS object"
    if '"start_date"' in head and ('"events"' in head or '"slides"' in head):
        return None
    if '"timeline"' in head and ('"startDate"' in head or '"start_date"' in head):
        return None
    return "has no events with a start_date (nor a timeline of dates)"


FORMAT = Format(NAME, "TimelineJS JSON", (".json",), sniff, read)
__all__ = ["FORMAT", "UNITS", "band", "date_of", "map_slide"]
