"""Forensic Architecture's TimeMap: the datasheet-server workbook (.xlsx).

The workbook has sheets Events, Sources, Associations, Categories and Sites (and EXPORT_*
copies of them, which datasheet-server serves; the plain sheet is read when both exist). As
datasheet-server does, numbered columns (`association1`, `association2`, ...) are one list
(`associations`), empty cells left out. The mapping of one Events row, shared with the CSV
reader (`timemap_csv`), is `map_events`:

- `id` -> id (else `row-N`); `description` -> summary, and its first sentence -> title (TimeMap
  has no title); `category` -> category; `time_display` -> time_note; `comments` -> notes.
- `date` (MM/DD/YYYY, or an ISO date from a workbook's date cell) and `time` (HH:mm, no zone):
  with a time, that minute; without, the local day (precision "day", never midnight "to the
  minute", though TimeMap itself draws it at 00:00). `time_precision` (which TimeMap accepts
  but never uses) is kept in extra and in time_precision_source.
- `latitude`/`longitude` (both or neither; a decimal comma is read as TimeMap does) -> a place
  of precision "site" named `location`; with a location but no coordinates, the Sites sheet is
  the gazetteer (its point, "site"), else the name is looked up later ("town" assumed). An
  event with no location stays on the timeline only.
- `sources` (ids) -> further_sources, joined from the Sources sheet ("title (url)"); the ids
  and `associations` and every other column -> extra.
- Associations with mode NARRATIVE -> story narratives (their events in time order);
  Categories -> story categories (label, order, colour if it has one).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._parts import (
    BadTime,
    Collector,
    bounds,
    extra_fields,
    interval,
    iso_interval,
    short_title,
)
from timeline.ingest.readers._sheets import read_sheets, sheet_names
from timeline.model.tables import Intake

NAME = "timemap-xlsx"
#: The fields a TimeMap reader filters on besides its category: the event's type.
FACETS = [{"field": "extra.type", "label": "Type"}]
_NUMBERED = re.compile(r"(.*?)[0-9]+$")
_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/([+-]?\d+)")
_HM = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
#: Columns with a place in the model (or used to build one); the rest go to extra.
_MAPPED = {"id", "description", "date", "time", "location", "latitude", "longitude"}
_MAPPED |= {"category", "time_display", "comments", "sources"}


# --- cells to records ------------------------------------------------------------------------


def deep_rows(cells: pd.DataFrame) -> list[tuple[int, dict]]:
    """(spreadsheet row, {column: text or list}) per row, as datasheet-server's `deeprows`:
    names lower-cased, numbered columns gathered into one list named with an "s"."""
    groups: dict[str, list[str]] = {}
    flat: list[str] = []
    for column in cells.columns:
        m = _NUMBERED.fullmatch(column)
        if m and m[1]:
            groups.setdefault(m[1].lower() + "s", []).append(column)
        else:
            flat.append(column)
    out = []
    for row, record in zip(cells.index, cells.to_dict("records"), strict=True):
        deep = {c.lower(): record[c] for c in flat}
        for name, columns in groups.items():
            items = [record[c] for c in columns if record[c]]
            # A plain `sources` column beside source1... (rare) keeps both.
            deep[name] = _split(deep.get(name, "")) + items if name in deep else items
        out.append((int(row), deep))
    return out


def _split(value) -> list[str]:
    """A list cell: a list already, or text with items separated by commas."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


# --- dates -----------------------------------------------------------------------------------


def parse_date(date: str, time: str = ""):
    """The Interval of a TimeMap date (MM/DD/YYYY; M/D/YYYY; or ISO from a workbook cell)
    and optional time (HH:mm, no zone). Raises BadTime."""
    m = _MDY.fullmatch(date)
    if m:
        month, day, year = int(m[1]), int(m[2]), int(m[3])
        base = (year, month, day)
    else:
        try:
            found = iso_interval(date)
        except BadTime:
            raise BadTime("is not a date in the form MM/DD/YYYY") from None
        if found.unit not in ("day", "minute", "hour") or not time:
            return found
        day = found.lo.astype("datetime64[D]").item()
        base = (day.year, day.month, day.day)
    if not time:
        return interval(*base)
    t = _HM.fullmatch(time)
    if not t:
        t = re.fullmatch(r"\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::(\d{2}))?", time)
    if not t:
        raise BadTime("is not a time in the form HH:mm")
    return interval(*base, int(t[1]), int(t[2]), int(t[3]) if t[3] else None)


# --- one Events table to events ----------------------------------------------------------------


def map_events(
    rows: list[tuple[int, dict]],
    c: Collector,
    *,
    sources: dict[str, dict] | None = None,
    sites: dict[str, dict] | None = None,
    label: str = "TimeMap",
    sheet: str = "",
    records: bool = False,
) -> list[tuple[dict, list[str]]]:
    """Append each row's event (and place) to the collector; return (event, associations).

    `records`: the rows are JSON records (messages say "record N"); their `sources` may be
    objects `{id, path, description}` (Bellingcat's JSON), kept whole in extra.
    """
    sources, sites = dict(sources or {}), sites or {}
    out = []
    for row, rec in rows:
        c.rows_in += 1
        where = f"record {row}: " if records else f"(sheet {sheet}) " if sheet else ""
        original_sources = rec.get("sources")
        if isinstance(original_sources, list) and any(
            isinstance(s, dict) for s in original_sources
        ):
            rec = {**rec, "sources": _inline_sources(original_sources, sources)}
        date, time = _text(rec.get("date")), _text(rec.get("time"))
        if not date:
            c.problem(row, "date", "", where + "has no date; TimeMap drops it too", kept=False)
            continue
        try:
            when = parse_date(date, time)
        except BadTime as exc:
            # A good date with a bad time keeps its day; a bad date cannot be drawn.
            try:
                when = parse_date(date)
            except BadTime:
                c.problem(row, "date", date, f"{where}{exc}", kept=False)
                continue
            c.problem(row, "time", time, f"{where}{exc}; the day alone is kept", kept=True)
        event_id = _text(rec.get("id")) or f"row-{row}"
        description = _text(rec.get("description"))
        associations = _split(rec.get("associations"))
        source_ids = _split(rec.get("sources"))
        code = "date and time" if when.unit == "minute" else "date only"
        precision_source = f"{label} {code}"
        if _text(rec.get("time_precision")):
            precision_source += f"; time_precision {rec['time_precision']!r}"
        extra = {k: v for k, v in rec.items() if k not in _MAPPED and k != "associations"}
        extra = {"associations": associations, **extra, "sources": original_sources}
        if not isinstance(original_sources, list):
            extra["sources"] = source_ids
        event = {
            "row": row,
            "id": event_id,
            "title": short_title(description)
            or ", ".join(x for x in (_text(rec.get("category")), _text(rec.get("location"))) if x)
            or f"Event {event_id}",
            "summary": description,
            **bounds(when, None),
            "time_precision_source": precision_source,
            "time_note": _text(rec.get("time_display")),
            "category": _text(rec.get("category")),
            "further_sources": "; ".join(_source_text(s, sources) for s in source_ids),
            "notes": _text(rec.get("comments")),
            "extra": extra_fields(extra),
        }
        c.events.append(event)
        _place(event, rec, c, sites, label, where)
        out.append((event, associations))
    return out


def _has_objects(items: list) -> bool:
    return any(isinstance(s, dict) for s in items)


def _inline_sources(items: list, table: dict[str, dict]) -> list[str]:
    """Ids of sources given whole in the record, each added to `table` for the join."""
    ids = []
    for n, s in enumerate(items, start=1):
        if not isinstance(s, dict):
            ids.append(_text(s))
            continue
        key = _text(s.get("id")) or _text(s.get("path")) or f"source-{n}"
        table.setdefault(key, {"title": _text(s.get("description")), "url": _text(s.get("path"))})
        ids.append(key)
    return [i for i in ids if i]


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _source_text(source_id: str, sources: dict[str, dict]) -> str:
    s = sources.get(source_id)
    if not s:
        return source_id.replace(";", ",")
    link = s.get("url") or next(iter(s.get("paths") or []), "")
    title = s.get("title") or s.get("description") or ""
    text = f"{title} ({link})" if title and link else title or link or source_id
    return text.replace(";", ",")


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if np.isfinite(value) and -limit <= value <= limit else None


def _place(event: dict, rec: dict, c: Collector, sites, label: str, where: str) -> None:
    row, location = event["row"], _text(rec.get("location"))
    lat_text, lon_text = _text(rec.get("latitude")), _text(rec.get("longitude"))
    if lat_text or lon_text:
        lat, lon = _coordinate(lat_text, 90), _coordinate(lon_text, 180)
        if lat is not None and lon is not None:
            c.place(
                event,
                name=location,
                lat=lat,
                lon=lon,
                precision="site",
                source=f"{label} latitude/longitude",
            )
            return
        if not lat_text or not lon_text:
            column, why = ("longitude", "has a latitude but no longitude")
            if not lat_text:
                column, why = ("latitude", "has a longitude but no latitude")
        else:
            bad = "latitude" if lat is None else "longitude"
            column, why = bad, f"{bad} is not a number in range"
        value = rec.get(column, "")
        rest = "; the location name is looked up instead" if location else "; left off the map"
        c.problem(row, column, value, f"{where}{why}{rest}", kept=True)
    if not location:
        return  # on the timeline only, as in TimeMap
    site = sites.get(location.lower())
    if site is not None:
        c.place(
            event,
            name=location,
            lat=site["lat"],
            lon=site["lon"],
            precision="site",
            source=f"{label} Sites sheet ({site['name']})",
        )
        return
    c.place(
        event, name=location, precision="town", source=f"{label} location name (assumed a town)"
    )


# --- the workbook ----------------------------------------------------------------------------


def _pick(sheets: dict[str, pd.DataFrame], name: str) -> tuple[str, pd.DataFrame | None]:
    """The sheet `name` (any case), else its EXPORT_ copy; the plain one is the one edited."""
    by_lower = {k.lower(): k for k in sheets}
    found = [by_lower[k] for k in (name.lower(), "export_" + name.lower()) if k in by_lower]
    found = [k for k in found if len(sheets[k].columns)]
    # An empty plain sheet beside a filled EXPORT_ one: the filled one holds the data.
    found.sort(key=lambda k: len(sheets[k]) == 0)
    return (found[0], sheets[found[0]]) if found else ("", None)


def sources_table(cells: pd.DataFrame | None) -> dict[str, dict]:
    if cells is None:
        return {}
    return {r["id"]: r for _, r in deep_rows(cells) if _text(r.get("id"))}


#: What a Sites sheet calls a site's name and its coordinates. The datasheet-server example
#: workbook heads them `Location`, `Lat`, `Long`; other sheets `site`, `latitude`, `longitude`.
SITE_NAMES = ("site", "location", "name", "title")
SITE_LATS = ("latitude", "lat")
SITE_LONS = ("longitude", "long", "lon", "lng")


def _first(rec: dict, keys: tuple[str, ...]) -> tuple[str, str]:
    """The first of `keys` the record fills (and its text); else the first it has, or the
    first of `keys`, with ''."""
    for key in keys:
        if _text(rec.get(key)):
            return key, _text(rec.get(key))
    return next((k for k in keys if k in rec), keys[0]), ""


def sites_table(cells: pd.DataFrame | None, c: Collector, sheet: str) -> dict[str, dict]:
    """Sites by name and by id (lower case): TimeMap's own gazetteer of the story."""
    out: dict[str, dict] = {}
    if cells is None:
        return out
    for row, rec in deep_rows(cells):
        site = _first(rec, SITE_NAMES)[1]
        name = site or _text(rec.get("id"))
        lat_column, lat_text = _first(rec, SITE_LATS)
        lon_column, lon_text = _first(rec, SITE_LONS)
        lat, lon = _coordinate(lat_text, 90), _coordinate(lon_text, 180)
        if lat is None or lon is None:
            c.problem(
                row,
                lat_column if lat is None else lon_column,
                f"{lat_text}, {lon_text}",
                f"(sheet {sheet}) site {name!r} has no usable {lat_column}/{lon_column}; not "
                "used as a gazetteer entry",
                kept=True,
            )
            continue
        entry = {"name": name, "lat": lat, "lon": lon}
        for key in (site, _text(rec.get("id"))):
            if key:
                out.setdefault(key.lower(), entry)
    return out


def story_from(
    mapped: list[tuple[dict, list[str]]],
    associations: pd.DataFrame | None,
    categories: pd.DataFrame | None,
) -> dict:
    story: dict = {}
    if associations is not None:
        narratives = []
        for _, a in deep_rows(associations):
            if _text(a.get("mode")).upper() != "NARRATIVE" or not _text(a.get("id")):
                continue
            steps = sorted(
                (e["start_lo"], e["row"], e["id"]) for e, ids in mapped if a["id"] in ids
            )
            events = list(dict.fromkeys(step[2] for step in steps))
            if events:
                title = _text(a.get("title")) or a["id"]
                narratives.append({"id": a["id"], "title": title, "events": events})
        if narratives:
            story["narratives"] = narratives
    if categories is not None:
        found = {}
        for order, (_, cat) in enumerate(deep_rows(categories), start=1):
            name = _text(cat.get("category"))
            if not name or name in found:
                continue
            entry = {"label": name, "order": order}
            colour = _text(cat.get("colour") or cat.get("color"))
            if _COLOUR.fullmatch(colour):
                entry["colour"] = colour
            found[name] = entry
        if found:
            story["categories"] = found
    return story


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    sheets, found = read_sheets(data, file)
    c = Collector(file, NAME, problems=list(found))
    events_sheet, events = _pick(sheets, "events")
    if events is None:
        c.problem(None, "", "", "has no sheet Events (nor EXPORT_EVENTS)", kept=False)
        return c.intake()
    if "description" not in {col.lower() for col in events.columns}:
        c.problem(1, "description", "", f"sheet {events_sheet} has no column description",
                  kept=False)  # fmt: skip
        return c.intake()
    sources_sheet, source_cells = _pick(sheets, "sources")
    sites_sheet, site_cells = _pick(sheets, "sites")
    sites = sites_table(site_cells, c, sites_sheet)
    mapped = map_events(
        deep_rows(events),
        c,
        sources=sources_table(source_cells),
        sites=sites,
        label=f"TimeMap {events_sheet}",
        sheet=events_sheet,
    )
    story = story_from(mapped, _pick(sheets, "associations")[1], _pick(sheets, "categories")[1])
    return c.intake({**(story or {}), "facets": FACETS})


def sniff(data: bytes, name: str) -> str | None:
    names = sheet_names(data)
    if names is None:
        return "is not an .xlsx workbook"
    lower = {n.lower(): n for n in names}
    sheet = lower.get("events") or lower.get("export_events")
    if sheet is None:
        return f"has no sheet Events or EXPORT_EVENTS (sheets: {', '.join(names[:8])})"
    head, _ = read_sheets(data, name, only=(sheet,), max_rows=1)
    columns = {c.lower() for c in head.get(sheet, pd.DataFrame()).columns}
    if "description" not in columns:
        return f"sheet {sheet} has no column description"
    if not columns & {"date", "latitude"}:
        return f"sheet {sheet} has neither a date nor a latitude column"
    return None


FORMAT = Format(NAME, "TimeMap workbook (datasheet-server .xlsx)", (".xlsx",), sniff, read)
