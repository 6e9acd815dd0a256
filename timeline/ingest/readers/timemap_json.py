"""Bellingcat's TimeMap JSON download (ukraine-timemap's "Download JSON").

`[{id, date, latitude, longitude, location, description, sources: [{id, path, description}],
filters: [{key, value}]}]`, dates M/D/YYYY. Mapped as a TimeMap Events row
(`timemap.map_events`): sources -> further_sources ("description (path)") and kept whole in
extra with the filters. Rows are the 1-based record numbers ("record 3").
"""

from __future__ import annotations

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._json import first_value, read_json
from timeline.ingest.readers._parts import Collector
from timeline.ingest.readers.timemap import FACETS, map_events
from timeline.model.tables import Intake

NAME = "timemap-json"


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    records, found = read_json(data, file)
    c = Collector(file, NAME, problems=list(found))
    if records is None:
        return c.intake()
    if not isinstance(records, list):
        c.problem(None, "", "", "is not a JSON list of events", kept=False)
        return c.intake()
    rows = []
    for n, record in enumerate(records, start=1):
        if isinstance(record, dict):
            rows.append((n, record))
        else:
            c.rows_in += 1
            c.problem(n, "", record, f"record {n}: is not an object; skipped", kept=False)
    map_events(rows, c, label="Bellingcat TimeMap JSON", records=True)
    return c.intake({"facets": FACETS})


def sniff(data: bytes, name: str) -> str | None:
    head = data[:8192].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if not head.startswith("["):
        return "is not a JSON list"
    start = head.find("{")
    if start < 0:
        return "is not a JSON list of objects"
    first, why_not = first_value(head[start:])
    if "nested" in why_not:
        return f"its first record {why_not}"
    if first is None:
        return "its first record is not a JSON object (or is longer than 8 KB)"
    if not isinstance(first, dict):
        return "is not a JSON list of objects"
    keys = set(first)
    if not {"description", "date"} <= keys:
        return "its records have no description and date"
    if not keys & {"filters", "sources", "latitude", "location"}:
        return "its records have none of sources, filters, latitude, location"
    if keys & {"start", "summary", "start_date"}:
        return "its records have start/summary keys, which TimeMap's have not"
    return None


FORMAT = Format(NAME, "TimeMap JSON (Bellingcat download)", (".json",), sniff, read)
