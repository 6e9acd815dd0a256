"""Our own GeoJSON export, read back: each Feature's properties are our JSON record."""

from __future__ import annotations

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers.ourjson import load_json, records_to_intake, sniff_ours
from timeline.model import problems as P
from timeline.model.tables import Intake


def _read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    document, found = load_json(data, file)
    if document is None:
        return Intake.failed(file, "timeline-geojson", P.combine(found))
    features = document.get("features")
    if not isinstance(features, list):
        return Intake.failed(
            file, "timeline-geojson", P.file_problem(file, 'has no "features" list')
        )
    records = [f.get("properties") if isinstance(f, dict) else None for f in features]
    return records_to_intake(records, file, "timeline-geojson", {})


FORMAT = Format(
    name="timeline-geojson",
    label="our GeoJSON export",
    extensions=(".geojson",),
    sniff=lambda data, name: sniff_ours(data, "geojson"),
    read=_read,
)
