"""The TimelineJS CSV template (Knight Lab's Google Sheet, saved as CSV).

Columns: `Year, Month, Day, Time, End Year, End Month, End Day, End Time, Display Date,
Headline, Text, Media, Media Credit, Media Caption, Media Thumbnail, Type, Group, Background`.
Each row is a slide, mapped as a JSON slide is (`timelinejs.map_slide`): the date parts give
the precision (a Time of "14:30" gives the minute, "2 PM" the hour), Headline -> title,
Text (HTML) -> plain summary with the HTML kept in extra, Group -> category, Display Date ->
time_note; Media..., Background and Type stay in extra under their column names. A row of Type
"title" is the story's title and one of Type "era" a story band: neither is an event. There is
no id column: a row's id is `row-N` (its spreadsheet row).
"""

from __future__ import annotations

import re

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells
from timeline.ingest.readers._parts import BadTime, Collector, extra_fields, html_to_text
from timeline.ingest.readers._rowreport import records_in
from timeline.ingest.readers.timelinejs import band, map_slide
from timeline.model.tables import Intake

NAME = "timelinejs-csv"
COLUMNS = ("Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time",
           "Display Date", "Headline", "Text", "Media", "Media Credit", "Media Caption",
           "Media Thumbnail", "Type", "Group", "Background")  # fmt: skip
_REQUIRED = ("Year", "Headline", "Text")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")
_MAPPED = {"Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time",
           "Display Date", "Headline", "Text", "Group"}  # fmt: skip


def _time_parts(text: str) -> dict:
    """{"hour", "minute", "second"} of a Time cell ("14:30", "2:30 PM", "2 PM"). Raises."""
    if not text:
        return {}
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise BadTime("is not a time of day such as 14:30 or 2:30 PM")
    hour = int(m[1])
    if m[4]:
        if not 1 <= hour <= 12:
            raise BadTime("has an hour outside 1 to 12 with AM/PM")
        hour = hour % 12 + (12 if m[4][0] in "Pp" else 0)
    if hour > 23 or int(m[2] or 0) > 59 or int(m[3] or 0) > 59:
        raise BadTime("is not a time of day (hours 0 to 23, minutes and seconds 0 to 59)")
    parts = {"hour": hour}
    if m[2]:
        parts["minute"] = int(m[2])
    if m[3]:
        parts["second"] = int(m[3])
    return parts


def _date(cells: dict, prefix: str) -> dict | str:
    """A slide date object of the row's Year/Month/Day/Time (or End ...), or why not."""
    date = {k: cells.get(f"{prefix}{k.title()}", "") for k in ("year", "month", "day")}
    date = {k: v for k, v in date.items() if v}
    try:
        date |= _time_parts(cells.get(f"{prefix}Time", ""))
    except BadTime as exc:
        return f"{prefix}Time {exc}"
    return date


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    text, found = decode(data, file)
    c = Collector(file, NAME, problems=list(found))
    if text is None:
        return c.intake()
    cells, found = read_cells(text, file)
    del text  # read: its half gigabyte (a million rows) is freed for the steps to come
    c.problems.extend(found)
    if cells is None:
        return c.intake()
    # Rows the cell reader left out and reported (more cells than the header, a damaged
    # cell) were records too.
    c.rows_in += records_in(cells, found) - len(cells)
    missing = [name for name in _REQUIRED if name not in cells.columns]
    if missing:
        c.problem(1, missing[0], "", f"has no column {', '.join(missing)}", kept=False)
        return c.intake()
    story: dict = {}
    bands = []
    for row, rec in zip(cells.index, cells.to_dict("records"), strict=True):
        row = int(row)
        kind = rec.get("Type", "").strip().lower()
        slide = {
            "text": {"headline": rec.get("Headline", ""), "text": rec.get("Text", "")},
            "display_date": rec.get("Display Date", ""),
            "group": rec.get("Group", ""),
        }
        if kind == "title":
            story.setdefault("title", html_to_text(rec.get("Headline", "")))
            continue
        start, end = _date(rec, ""), _date(rec, "End ")
        if isinstance(start, str) or isinstance(end, str):
            c.rows_in += kind != "era"
            why = start if isinstance(start, str) else end
            column = "Time" if isinstance(start, str) else "End Time"
            c.problem(row, column, rec.get(column, ""), why, kept=kind == "era")
            continue
        slide["start_date"] = start
        if end:
            slide["end_date"] = end
        if kind == "era":
            found_band = band(c, row, slide, label="TimelineJS CSV")
            if found_band:
                bands.append(found_band)
            continue
        event = map_slide(c, row, slide, label="TimelineJS CSV", noun="")
        if event is None:
            continue
        # Extra under the template's own column names, not the JSON slide's keys.
        extra = {k: v for k, v in rec.items() if k not in _MAPPED}
        if rec.get("Text", "") != event["summary"]:
            extra["Text"] = rec["Text"]
        if rec.get("Headline", "") != event["title"]:
            extra["Headline"] = rec["Headline"]
        event["extra"] = extra_fields(extra)
        event["id"] = f"row-{row}"
    if bands:
        story["bands"] = bands
    for problem in c.problems:  # JSON paths read better as the template's column names
        problem["column"] = problem["column"].replace(
            {"start_date": "Year", "end_date": "End Year"}
        )
    return c.intake(story)


def sniff(data: bytes, name: str) -> str | None:
    text, _ = decode(data[:8192].decode("utf-8", "ignore").encode(), name)
    if text is None or data[:4] == b"PK\x03\x04":
        return "is not UTF-8 text"
    lines = text.splitlines()
    cells, _ = read_cells((lines[0] if lines else "") + "\n", name)
    columns = set(cells.columns) if cells is not None else set()
    missing = [c for c in ("Year", "Headline", "Text", "Display Date") if c not in columns]
    if missing:
        return f"has no column {', '.join(missing)}"
    return None


FORMAT = Format(NAME, "TimelineJS CSV template", (".csv",), sniff, read)
