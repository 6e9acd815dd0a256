"""GeoJSON points with time: any FeatureCollection whose features carry a date, and the Linked
Places format (World Historical Gazetteer), whose `when` sits beside `properties`.

One feature is one event (its row is its 1-based number in `features`: "record 3"):

- Time, first found of: the feature's Linked Places `when` (timespans with `start`/`end`, each
  `{in}` or `{earliest, latest}`: mapped exactly onto the bounds, start_lo..start_hi and
  end_lo..end_hi; a timespan with no end is the interval its start names; ISO 8601-2's `~ ? %`
  marks are noted in time_note), or the properties `start`/`begin`/`date`/`datetime`/
  `timestamp`/`time` (with `end`/`stop`/`until` for an end). ISO text: a bare date is that
  local day, "2022-03" the month, a time to the minute; a "Z" or "+02:00" sets offset_min.
  A number in `timestamp`/`time` is Unix time (UTC; milliseconds when it is that large). A
  `date` plus a `time` of day ("14:30") are one moment.
- Place: a Point is one place ("site"), a MultiPoint (or a GeometryCollection of points, as
  Linked Places writes) several; a feature with no geometry stays on the timeline (or is
  looked up by its `location`/`place` name); lines and polygons are reported, not guessed.
  Country: `country_code`/`country`/`iso2` when two letters, or a single Linked Places ccode.
- `id` (feature id, `@id`, or properties id) -> id, else `feature-N`; title from `title`,
  `name`, `label`, `headline` or a property whose name ends in "title"/"name"; `description`/
  `summary` -> summary; `category` -> category; every other property and the `when` -> extra.

A FeatureCollection whose top-level "generator" is "timeline-map" is this tool's own export:
another reader reads it losslessly, so `sniff` leaves it alone.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from geodata.untrusted import JSONRefused, loads_json
from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._json import read_json
from timeline.ingest.readers._parts import (
    BadTime,
    Collector,
    Interval,
    bounds,
    extra_fields,
    interval,
    iso_interval,
)
from timeline.model.tables import Intake

NAME = "geojson"
OWN_GENERATOR = "timeline-map"
START_KEYS = ("start", "start_date", "startdate", "begin", "date", "datetime", "timestamp",
              "time", "when")  # fmt: skip
END_KEYS = ("end", "end_date", "enddate", "stop", "until", "finish")
TITLE_KEYS = ("title", "name", "label", "headline")
SUMMARY_KEYS = ("description", "summary")
PLACE_KEYS = ("location", "place", "placename", "place_name")
COUNTRY_KEYS = ("country_code", "countrycode", "iso2", "iso_a2", "country", "ccode")
ID_KEYS = ("id", "@id", "identifier")
_MARKS = {"~": "approximate", "?": "uncertain", "%": "approximate and uncertain"}
_HM = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_GENERATOR = re.compile(r'"generator"\s*:\s*"([^"]*)"')


# --- time ---------------------------------------------------------------------------------------


def _iso(text, marks: list[str]) -> Interval:
    """ISO text, with ISO 8601-2's trailing ~ ? % noted in `marks` and removed."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise BadTime("is not an ISO 8601 date or time")
    text = str(text).strip()
    while text and text[-1] in _MARKS:
        marks.append(_MARKS[text[-1]])
        text = text[:-1]
    return iso_interval(text)


def _bound(value, marks: list[str]) -> tuple[Interval, Interval, str]:
    """(interval giving the low bound, interval giving the high bound, how it was written) of a
    Linked Places `start` or `end`: {"in": X}, {"earliest": A, "latest": B}, or bare text."""
    if not isinstance(value, dict):
        found = _iso(value, marks)
        return found, found, "in"
    if value.get("in") not in (None, ""):
        found = _iso(value["in"], marks)
        return found, found, "in"
    early = _iso(value["earliest"], marks) if value.get("earliest") not in (None, "") else None
    late = _iso(value["latest"], marks) if value.get("latest") not in (None, "") else None
    if early is None and late is None:
        raise BadTime("has none of in, earliest, latest")
    # Only one side given: the interval that side names is all the file says.
    written = "+".join(k for k, v in (("earliest", early), ("latest", late)) if v is not None)
    return early or late, late or early, written


def time_from_when(when) -> tuple[dict, str, str]:
    """(bound fields, precision source, time note) of a Linked Places `when`. Raises BadTime."""
    if not isinstance(when, dict):
        raise BadTime("is not a Linked Places when object")
    spans = when.get("timespans")
    if not isinstance(spans, list) or not spans or not isinstance(spans[0], dict):
        raise BadTime("has no timespans (periods alone give no dates)")
    span, marks = spans[0], []
    if "start" not in span:
        raise BadTime("timespan has no start")
    s_lo, s_hi, s_how = _bound(span["start"], marks)
    note = [str(when["label"])] if when.get("label") else []
    if span.get("end") not in (None, "", {}):
        e_lo, e_hi, e_how = _bound(span["end"], marks)
        fields = {"start_lo": s_lo.lo, "start_hi": s_hi.hi, "end_lo": e_lo.lo, "end_hi": e_hi.hi,
                  "time_precision": "span"}  # fmt: skip
        source = f"Linked Places when: start {s_how} ({s_lo.unit}), end {e_how} ({e_lo.unit})"
    else:
        fields = {"start_lo": s_lo.lo, "start_hi": s_hi.hi, "end_lo": None, "end_hi": None}
        same = s_lo is s_hi or (s_lo.lo == s_hi.lo and s_lo.unit == s_hi.unit)
        fields["time_precision"] = s_lo.unit if same else "range"
        source = f"Linked Places when: start {s_how} ({s_lo.unit}), no end"
    fields["offset_min"] = s_lo.offset_min
    if when.get("certainty"):
        note.append(f"certainty: {when['certainty']}")
    if marks:
        note.append("dates marked " + ", ".join(dict.fromkeys(marks)))
    if len(spans) > 1:
        note.append(f"the first of {len(spans)} timespans (all kept in extra)")
    return fields, source, "; ".join(note)


def _unix(value: float) -> Interval:
    seconds = value / 1000 if abs(value) >= 1e11 else value
    try:
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # past year 9999, or not a number at all (NaN)
        raise BadTime(f"is a Unix time ({value}) outside the years 1 to 9999") from None
    lo = np.datetime64(moment, "us")
    return Interval(lo, lo, "minute", 0)


def _point_in_time(value, props: dict, key: str) -> Interval:
    if isinstance(value, bool):
        raise BadTime("is not a date or time")
    if isinstance(value, int | float):
        if key in ("timestamp", "time"):
            return _unix(float(value))
        if isinstance(value, int) or float(value).is_integer():
            return interval(int(value))  # a bare year
        raise BadTime("is a number that is not a year")
    found = _iso(value, [])
    # A "date" beside a "time" of day: one moment.
    time = props.get("time")
    if key == "date" and found.unit == "day" and isinstance(time, str) and _HM.fullmatch(time):
        m = _HM.fullmatch(time)
        day = found.lo.astype("datetime64[D]").item()
        return interval(day.year, day.month, day.day, int(m[1]), int(m[2]),
                        int(m[3]) if m[3] else None)  # fmt: skip
    return found


def time_from_properties(props: dict) -> tuple[dict, str, list[str]]:
    """(bound fields, precision source, keys used) from the time properties. Raises BadTime;
    LookupError when there is none."""
    lower = {k.lower(): k for k in props}
    start_key = next((lower[k] for k in START_KEYS if props.get(lower.get(k, "")) not in
                      (None, "")), None)  # fmt: skip
    if start_key is None:
        raise LookupError
    try:
        start = _point_in_time(props[start_key], props, start_key.lower())
    except BadTime as exc:
        exc.key = start_key
        raise
    used = [start_key]
    if start_key.lower() == "date" and "time" in lower and start.unit == "minute":
        used.append(lower["time"])
    end_key = next((lower[k] for k in END_KEYS if props.get(lower.get(k, "")) not in
                    (None, "")), None)  # fmt: skip
    end = None
    if end_key is not None:
        try:
            end = _point_in_time(props[end_key], props, end_key.lower())
        except BadTime as exc:
            exc.key = end_key
            raise
        used.append(end_key)
    source = f"GeoJSON {start_key} ({start.unit})"
    if end is not None:
        source += f", {end_key} ({end.unit})"
    return bounds(start, end), source, used


# --- places -------------------------------------------------------------------------------------


def _points(geometry) -> tuple[list[tuple[float, float]], str]:
    """The (lon, lat) points of a geometry, and what else it held (for a problem)."""
    if not isinstance(geometry, dict):
        return [], ""
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Point":
        return ([tuple(coords[:2])], "") if _is_point(coords) else ([], "a Point without two "
                                                                       "numbers")  # fmt: skip
    if kind == "MultiPoint" and isinstance(coords, list):
        good = [tuple(c[:2]) for c in coords if _is_point(c)]
        return good, "" if len(good) == len(coords) else "a MultiPoint with bad points"
    if kind == "GeometryCollection":
        points, other = [], []
        for g in geometry.get("geometries") or []:
            found, why = _points(g)
            points += found
            if why:
                other.append(why)
        return points, "; ".join(other)
    return [], f"a {kind} (not a point)"


def _is_point(coords) -> bool:
    return (
        isinstance(coords, list | tuple)
        and len(coords) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in coords[:2])
        and -180 <= coords[0] <= 180
        and -90 <= coords[1] <= 90
    )


def _first(props: dict, keys, lower: dict) -> tuple[str, str]:
    for k in keys:
        key = lower.get(k)
        if key is not None and props[key] not in (None, "") and isinstance(props[key], str):
            return key, props[key].strip()
    return "", ""


def _country(props: dict, lower: dict) -> tuple[str, str]:
    key, value = _first(props, COUNTRY_KEYS, lower)
    if len(value) == 2 and value.isalpha():
        return key, value.upper()
    codes = props.get(lower.get("ccodes", ""), None)
    if isinstance(codes, list) and len(codes) == 1 and isinstance(codes[0], str):
        return lower["ccodes"], codes[0].upper()
    return "", ""


# --- one feature ---------------------------------------------------------------------------------


def map_feature(c: Collector, n: int, feature: dict) -> None:
    c.rows_in += 1
    where = f"record {n}: "
    props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    lower = {k.lower(): k for k in props}
    when = feature.get("when")
    if when is None and isinstance(props.get(lower.get("when", "")), dict):
        when = props[lower["when"]]  # a Linked Places when put inside properties
    if when is None and isinstance(feature.get("geometry"), dict):
        # Linked Places may scope time on the point itself (the v1.2.2 sample does).
        geoms = feature["geometry"].get("geometries") or [feature["geometry"]]
        when = next((g["when"] for g in geoms if isinstance(g, dict) and g.get("when")), None)
    used: list[str] = []
    try:
        if when is not None:
            fields, source, note = time_from_when(when)
        else:
            fields, source, used = time_from_properties(props)
            note = ""
    except LookupError:
        c.problem(n, "properties", "", where + "has no time (a when, or a date, start, time ... "
                  "property); it cannot be put on the timeline", kept=False)  # fmt: skip
        return
    except BadTime as exc:
        column = "when" if when is not None else getattr(exc, "key", "properties")
        value = when if when is not None else props.get(column, "")
        c.problem(n, column, value, f"{where}{'when ' if when is not None else ''}{exc}",
                  kept=False)  # fmt: skip
        return
    title_key, title = _first(props, TITLE_KEYS, lower)
    if not title:
        title_key = next((k for k in props if isinstance(props[k], str) and props[k].strip()
                          and k.lower().endswith(("title", "name"))), "")  # fmt: skip
        title = props[title_key].strip() if title_key else ""
    summary_key, summary = _first(props, SUMMARY_KEYS, lower)
    category_key, category = _first(props, ("category",), lower)
    id_key = next((k for k in ID_KEYS if feature.get(k) not in (None, "")), None)
    event_id = str(feature[id_key]) if id_key else ""
    if not event_id:
        id_key, event_id = _first(props, ("id",), lower)
    place_key, place_name = _first(props, PLACE_KEYS, lower)
    country_key, country = _country(props, lower)
    taken = {title_key, summary_key, category_key, place_key, country_key, *used}
    if id_key in props:
        taken.add(id_key)
    extra = {k: v for k, v in props.items() if k not in taken}
    if when is not None:
        extra["when"] = when
    event = {
        "row": n,
        "id": event_id or f"feature-{n}",
        "title": title or summary[:80] or f"Feature {n}",
        "summary": summary,
        **fields,
        "time_precision_source": source,
        "time_note": note,
        "category": category,
        "extra": extra_fields(extra),
    }
    c.events.append(event)
    points, other = _points(feature.get("geometry"))
    kind = (feature.get("geometry") or {}).get("type", "") if isinstance(
        feature.get("geometry"), dict) else ""  # fmt: skip
    for lon, lat in points:
        c.place(event, name=place_name, lat=float(lat), lon=float(lon), precision="site",
                source=f"GeoJSON {kind} coordinates", country=country)  # fmt: skip
    if other:
        c.problem(n, "geometry", "", f"{where}geometry holds {other}; "
                  + ("only its points are placed" if points else "left off the map"),
                  kept=True)  # fmt: skip
    if not points and place_name:
        c.place(event, name=place_name, precision="town", country=country,
                source=f"GeoJSON {place_key} name (assumed a town)")  # fmt: skip


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    doc, found = read_json(data, file)
    c = Collector(file, NAME, problems=list(found))
    if doc is None:
        return c.intake()
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        c.problem(None, "features", "", "is not a GeoJSON FeatureCollection", kept=False)
        return c.intake()
    for n, feature in enumerate(doc["features"], start=1):
        if isinstance(feature, dict):
            map_feature(c, n, feature)
        else:
            c.rows_in += 1
            c.problem(n, "", feature, f"record {n}: is not a Feature object", kept=False)
    story = {}
    if isinstance(doc.get("name"), str) and doc["name"].strip():
        story["title"] = doc["name"].strip()
    elif isinstance(doc.get("title"), str) and doc["title"].strip():
        story["title"] = doc["title"].strip()
    return c.intake(story)


def _generator(data: bytes) -> str | None:
    """The top-level "generator" member, read whole when the file is small enough."""
    if len(data) <= 4_000_000:
        try:
            doc = loads_json(data)
        except (UnicodeDecodeError, JSONRefused):
            doc = None
        if isinstance(doc, dict):
            value = doc.get("generator")
            return value if isinstance(value, str) else None
    m = _GENERATOR.search(data[:8192].decode("utf-8", "ignore"))
    return m[1] if m else None


def sniff(data: bytes, name: str) -> str | None:
    head = data[:8192].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return "is not a JSON object"
    if not re.search(r'"type"\s*:\s*"(FeatureCollection|Feature)"', head):
        return "is not a GeoJSON FeatureCollection"
    if _generator(data) == OWN_GENERATOR:
        return f'is this tool\'s own GeoJSON export ("generator": "{OWN_GENERATOR}"), read by ' \
               "its own reader"  # fmt: skip
    return None


FORMAT = Format(NAME, "GeoJSON points with time (incl. Linked Places)", (".geojson", ".json"),
                sniff, read)  # fmt: skip
