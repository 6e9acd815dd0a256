"""Our own JSON export, read back with nothing lost: the same cells as our curated CSV, and
the places with their coordinates, sources and zones as exported.

A file is ours when its top-level `generator` is "timeline-map" (see `timeline.export.tables`).
Records are numbered from 1 in messages ("row" 3 is the third event).
"""

from __future__ import annotations

import pandas as pd

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._json import read_json
from timeline.ingest.readers.curated import COLUMNS, events_from_cells, links_from_cells
from timeline.model import extras
from timeline.model import problems as P
from timeline.model.schema import INTAKE_EVENTS, INTAKE_LINKS, INTAKE_PLACES, JSON_PLACE_FIELDS
from timeline.model.tables import Intake, conform

GENERATOR = "timeline-map"
_PLACE_KEYS = tuple(k for k in JSON_PLACE_FIELDS if not k.startswith("geo_precision"))


def sniff_ours(data: bytes, kind: str) -> str | None:
    head = data[:2000].decode("utf-8", errors="replace")
    if f'"generator": "{GENERATOR}"' not in head:
        return f'has no top-level "generator": "{GENERATOR}"'
    is_geojson = '"FeatureCollection"' in head
    if (kind == "geojson") != is_geojson:
        return "is our GeoJSON, not our JSON" if is_geojson else "is our JSON, not our GeoJSON"
    return None


def records_to_intake(records: list, file: str, fmt: str, story: dict) -> Intake:
    """Intake of our exported event records (dicts), whatever wraps them."""
    found = []
    cells, places, fields = [], [], []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            found.append(P.file_problem(file, "record is not an object; skipped", row=number))
            continue
        row = {c: _text(record.get(c)) for c in COLUMNS}
        for key in ("links", "places"):
            if record.get(key) is not None and not isinstance(record[key], list):
                found.append(
                    P.file_problem(
                        file, f'"{key}" of record {number} is not a list; left out', row=number
                    ).assign(column=key, kept=True)
                )
        links = record.get("links")
        row["related"] = ";".join(
            f"{link.get('relation', '')}:{link.get('target_id', '')}"
            for link in (links if isinstance(links, list) else [])
            if isinstance(link, dict)
        )
        extra = record.get("extra")
        fields.append(extra if isinstance(extra, dict) else {"extra": extra} if extra else None)
        cells.append((number, row))
        places_given = record.get("places")
        for order, place in enumerate(places_given if isinstance(places_given, list) else []):
            if isinstance(place, dict):
                places.append(
                    {"row": number, "event_id": row["id"], "order": order}
                    | {k: place.get(k) for k in _PLACE_KEYS}
                    | {
                        "precision": _text(place.get("geo_precision")),
                        "precision_source": _text(place.get("geo_precision_source")),
                    }
                )
    raw = pd.DataFrame([c for _, c in cells], columns=list(COLUMNS), dtype="str")
    raw.index = pd.Index([n for n, _ in cells], dtype="int64")
    events, dropped = events_from_cells(raw, file, found)
    fields, left_out = extras.from_records(fields, raw.index)
    found += extras.left_out_problem(file, left_out)
    events = events.join(fields)
    links = links_from_cells(raw, events["id"])
    frame = pd.DataFrame(
        places, columns=["row", "event_id", "order", *_PLACE_KEYS, "precision", "precision_source"]
    )
    for column in ("lat", "lon"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    keep = ~raw.index.isin(dropped)
    return Intake(
        events=conform(events[keep].reset_index(drop=True), INTAKE_EVENTS),
        places=conform(frame[~frame["row"].isin(dropped)].fillna({"name": ""}), INTAKE_PLACES),
        links=conform(links[~links["row"].isin(dropped)], INTAKE_LINKS),
        problems=P.combine(found),
        file=file,
        format=fmt,
        rows_in=len(records),
        story=story,
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def load_json(data: bytes, file: str) -> tuple[dict | None, list]:
    document, found = read_json(data, file)
    if document is None:
        return None, found
    if not isinstance(document, dict):
        return None, [P.file_problem(file, "is not a JSON object at the top level")]
    return document, found


def _read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    document, found = load_json(data, file)
    if document is None:
        return Intake.failed(file, "json", P.combine(found))
    events = document.get("events")
    if not isinstance(events, list):
        return Intake.failed(file, "json", P.file_problem(file, 'has no "events" list'))
    return records_to_intake(events, file, "json", {})


FORMAT = Format(
    name="json",
    label="our JSON export",
    extensions=(".json",),
    sniff=lambda data, name: sniff_ours(data, "json"),
    read=_read,
)
