"""TimeMap events as CSV: the workbook's Events sheet saved as CSV, and Bellingcat's download.

Both are one table of events with TimeMap's own columns (`id, date, time, location, latitude,
longitude, description, category, association1..., source1...`); the mapping is the
workbook's (`timemap.map_events`). Bellingcat's ukraine-timemap download
(`id, date, latitude, longitude, location, description, sources, associations`) writes dates
as M/D/YYYY, `sources` as the first path (a URL) of each source joined by commas, and
`associations` as `key=value` filter paths joined by commas: the sources become
further_sources and the associations stay in extra. Without the Sources sheet a source id is
kept as written.
"""

from __future__ import annotations

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import decode, read_cells
from timeline.ingest.readers._parts import Collector
from timeline.ingest.readers._rowreport import records_in
from timeline.ingest.readers.timemap import FACETS, deep_rows, map_events
from timeline.model.tables import Intake

NAME = "timemap-csv"
#: Bellingcat's download, column for column: told apart from FA's sheet for the label.
BELLINGCAT = ["id", "date", "latitude", "longitude", "location", "description", "sources",
              "associations"]  # fmt: skip
_TIMEMAP_HINTS = {"location", "latitude", "time", "category", "associations", "sources", "type"}


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
    # Rows the CSV parser skipped (more cells than the header) were records too.
    # Rows the cell reader left out and reported (more cells than the header, a damaged
    # cell) were records too.
    c.rows_in += records_in(cells, found) - len(cells)
    names = [n.lower() for n in cells.columns]
    label = "Bellingcat TimeMap CSV" if names == BELLINGCAT else "TimeMap CSV"
    map_events(deep_rows(cells), c, label=label)
    return c.intake({"facets": FACETS})


def sniff(data: bytes, name: str) -> str | None:
    text, _ = decode(data[:8192], name)
    if text is None:
        # A cut in the middle of a UTF-8 character is not a reason to say no.
        text, _ = decode(data[:8192].decode("utf-8", "ignore").encode(), name)
        if text is None or data[:4] == b"PK\x03\x04" or b"\x00" in data[:8192]:
            return "is not UTF-8 text"
    header = text.splitlines()[0] if text.splitlines() else ""
    cells, _ = read_cells(header + "\n", name)
    columns = {c.lower() for c in (cells.columns if cells is not None else [])}
    columns |= {c.lower().rstrip("0123456789") + "s" for c in columns if c[-1:].isdigit()}
    if "description" not in columns:
        return "has no column description"
    if "date" not in columns:
        return "has no column date"
    # TimeMap events have no title and write latitude/longitude in full: a table with a title
    # or lat/lon columns is someone else's spreadsheet (read it with a mapping file).
    if "title" in columns:
        return "has a title column, which TimeMap events have not"
    if columns & {"lat", "lon", "lng"}:
        return "has lat/lon columns where TimeMap writes latitude/longitude"
    if not columns & _TIMEMAP_HINTS:
        return "has none of TimeMap's columns location, latitude, time, category, associations"
    return None


FORMAT = Format(NAME, "TimeMap events CSV (Events sheet or Bellingcat download)", (".csv",),
                sniff, read)  # fmt: skip
