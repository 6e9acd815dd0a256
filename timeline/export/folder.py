"""The story folder `python -m timeline import` writes: a table our readers read back, its story
file, a gazetteer stub of the names not found, and the problems.

    events.csv | events.parquet   our table: CSV a curator edits in a spreadsheet, or, past
                                  `PARQUET_FROM` rows (or `--table parquet`), the same columns
                                  as Parquet: a million rows that nobody edits by hand open in
                                  seconds instead of minutes, a tenth of the size
    story.toml                    its title, and what the file said of its story (categories,
                                  narratives, bands, the fields worth filtering on)
    places.csv                    one row per place name not found, to fill in (lat, lon): it is
                                  the story's own gazetteer, searched first; rows left empty are
                                  reported as still to place, never refused
    problems.csv                  what `validate` would say of the source file
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from geodata.gazetteer import COLUMNS as GAZETTEER_COLUMNS
from geodata.gazetteer import OPTIONAL_COLUMNS as GAZETTEER_OPTIONAL
from geodata.untrusted import escape_controls
from timeline.export.tables import CsvWriter, curated_cells, iter_csv, neutralise_formulas
from timeline.model.tables import EventTable

#: Past this many events `import` writes our table as Parquet unless told otherwise.
PARQUET_FROM = 100_000
STORY_FILE = "story.toml"
PLACES_FILE = "places.csv"
PROBLEMS_FILE = "problems.csv"


def write_story_folder(
    table: EventTable, source: Path, out: Path, *, table_format: str | None = None
) -> list[str]:
    """Write the folder; the names of the files written, for the summary."""
    out.mkdir(parents=True, exist_ok=True)
    if table_format is None:
        table_format = "parquet" if len(table.events) > PARQUET_FROM else "csv"
    table_file = f"events.{table_format}"
    if table_format == "parquet":
        write_parquet(table, out / table_file)
    else:
        with open(out / table_file, "w", encoding="utf-8", newline="") as f:
            for piece in iter_csv(table):
                f.write(piece)
    (out / STORY_FILE).write_text(story_toml(table.story or {}, source, table_file), "utf-8")
    to_place = write_places_stub(table, out / PLACES_FILE)
    write_problems(table, out / PROBLEMS_FILE)
    return [table_file, STORY_FILE, f"{PLACES_FILE} ({to_place} names to place)", PROBLEMS_FILE]


def write_parquet(table: EventTable, path: Path) -> None:
    """Our table as Parquet: the same cells as our CSV (text), the source's own fields as
    `extra.KEY` columns rather than one JSON cell, written a chunk at a time."""
    writer = None
    try:
        for cells in curated_cells(table, extra_as_columns=True):
            batch = pa.Table.from_pandas(cells.astype("str"), preserve_index=False)
            batch = batch.replace_schema_metadata(None)
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema, compression="zstd")
            writer.write_table(batch.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()


def write_problems(table: EventTable, path: Path) -> None:
    """The problems as CSV a spreadsheet opens safely and any CSV reader reads back."""
    problems = table.problems.astype({"row": "str"}).fillna("")
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = CsvWriter(f)
        writer.writerow(problems.columns)
        writer.write_frame(neutralise_formulas(problems))


def write_places_stub(table: EventTable, path: Path) -> int:
    """One row per distinct place not found (name, country, region), coordinates to fill in."""
    lost = table.places[table.places["lat"].isna() | table.places["lon"].isna()]
    lost = lost[lost["name"] != ""][["name", "country", "region"]].drop_duplicates()
    lost = lost.sort_values(["name", "country", "region"])
    columns = [*GAZETTEER_COLUMNS, *GAZETTEER_OPTIONAL]
    lost = neutralise_formulas(lost)  # the gazetteer takes the apostrophe off again
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = CsvWriter(f)
        writer.writerow(columns)
        for name, country, region in lost.itertuples(index=False):
            row = dict.fromkeys(columns, "")
            row |= {"name": name, "country": country, "region": region, "precision": "town",
                    "note": "not found: fill in lat and lon"}  # fmt: skip
            writer.writerow(row[c] for c in columns)
    return len(lost)


def story_toml(story: dict, source: Path, table_file: str) -> str:
    lines = [
        # A comment holds no control character: a file name's are written as escapes.
        f"# Made by `python -m timeline import` from {escape_controls(source.name)}; edit freely.",
        f"title = {_toml(story.get('title') or source.stem)}",
        f"table = {_toml(table_file)}",
    ]
    for key in ("narratives", "bands", "facets"):
        for item in story.get(key) or []:
            lines += ["", f"[[{key}]]"]
            lines += [f"{k} = {_toml(v)}" for k, v in item.items() if v not in (None, "")]
    for cid, spec in (story.get("categories") or {}).items():
        lines += ["", f"[categories.{_toml(str(cid))}]"]
        lines += [f"{k} = {_toml(v)}" for k, v in spec.items() if v not in (None, "")]
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    # TOML's basic strings hold no control character but the tab: C0 and DEL as escapes.
    escaped = "".join(
        f"\\u{ord(c):04x}" if (c < " " and c != "\t") or c == "\x7f" else c for c in escaped
    )
    return f'"{escaped}"'
