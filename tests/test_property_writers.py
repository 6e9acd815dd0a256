"""Everything we write reads back (issue 16, class 5): random text (CR, LF, CRLF, quotes,
controls, formulas, apostrophes, bidirectional and invisible characters, very long cells)
written through every writer we have and read again by our own readers (or, for the side
files, by any CSV or TOML reader), unchanged where the format can hold it.

What a format cannot hold, said once here rather than hidden in the comparisons:
- every reader of ours trims a cell's or a field's leading and trailing whitespace (a curator's
  stray space is no part of a fact), so the text is compared trimmed;
- our CSV and Parquet tables leave out a row with a NUL in a cell (a damaged file), so NUL is
  written only through JSON, GeoJSON and the side files;
- TimelineJS renders its texts as HTML: whitespace runs fold to one space, so its titles are
  compared with whitespace folded.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tomllib
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geodata.gazetteer import Gazetteer
from timeline.export.folder import story_toml, write_story_folder
from timeline.export.tables import to_csv, to_geojson, to_json
from timeline.export.timelinejs import iter_timelinejs
from timeline.ingest.files import open_table, parse_events
from timeline.model.tables import EventTable

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 12,
)
T0 = "2025-03-18T14:00+00:00"
#: The characters that broke a writer or a reader once, or could.
HOSTILE = [
    "\r", "\n", "\r\n", '"', "'", ",", ";", "=", "+", "-", "@", "\t", "\x1b", "\x7f", "\x85",
    "\u2028", "\u202e", "\u2066", "\u200b", "\u200e", "\u3164", "\ufeff", "\\", "<", "&", "é",
    "\U0001f600", "{", "}", "[", "]", ":", "#", " ",
]  # fmt: skip
LONG = "x" * 140_000  # past the csv module's old cell limit (131,072)


def texts(*, nul: bool = False, semicolon: bool = True):
    picks = [c for c in HOSTILE if semicolon or c != ";"] + (["\x00"] if nul else [])
    any_char = st.characters(exclude_categories=("Cs",), exclude_characters="" if nul else "\x00")
    char = st.one_of(st.sampled_from(picks), any_char)
    pieces = st.lists(st.one_of(char, st.text(any_char, max_size=5)), max_size=12).map("".join)
    return pieces.filter(lambda t: semicolon or ";" not in t)


def fields(nul: bool):
    return st.fixed_dictionaries(
        {
            "title": texts(nul=nul),
            "summary": texts(nul=nul),
            "notes": texts(nul=nul),
            "actors": texts(nul=nul),
            "category": texts(nul=nul),
            "extra": texts(nul=nul),
            "place": texts(nul=nul, semicolon=False),
        }
    )


def table_of(rows: list[dict]) -> EventTable:
    """The rows as our JSON holds them (json.dumps escapes anything), read by our reader."""
    events = []
    for i, row in enumerate(rows):
        events.append(
            {
                "id": f"e{i}",
                "title": "T" + row["title"],  # a title that is only space is a bad row
                "summary": row["summary"],
                "notes": row["notes"],
                "actors": row["actors"],
                "category": row["category"],
                "start": T0,
                "time_precision": "minute",
                "extra": {"note": row["extra"]} if row["extra"].strip() else {},
                "places": [{"name": "Zq" + row["place"], "country": "UA"}],
            }
        )
    doc = json.dumps({"generator": "timeline-map", "version": 1, "events": events})
    table = parse_events(doc, file="in.json", fmt="json")
    assert len(table.events) == len(rows), table.problems.to_string()
    return table


TEXT = ["title", "summary", "notes", "actors", "category"]


def facts(table: EventTable) -> dict:
    """What must come back: each event's texts and extra, its place names, by id."""
    events = table.events.set_index("id").sort_index()
    out = {}
    for event_id, event in events.iterrows():
        values = {c: event[c] for c in TEXT}
        values["extra"] = event.get("extra.note", "") if "extra.note" in events else ""
        if isinstance(values["extra"], float):
            values["extra"] = ""
        names = table.places[table.places["event_id"] == event_id]["name"]
        values["places"] = [name.strip() for name in names]  # a CSV list cell trims each
        out[event_id] = values
    return out


rows_strategy = st.lists(fields(nul=False), min_size=1, max_size=4)


@SETTINGS
@given(rows_strategy)
@example([{"title": LONG + "\r", "summary": "a\rb", "notes": "'=1+1", "actors": "''@x",
           "category": "-", "extra": "=\r\n", "place": "\r"}])  # fmt: skip
def test_our_csv_json_and_geojson_read_back_unchanged(rows):
    table = table_of(rows)
    want = facts(table)
    for text, fmt in ((to_csv(table), "curated"), (to_json(table), "json"),
                      (to_geojson(table), "timeline-geojson")):  # fmt: skip
        again = parse_events(text, file=f"out.{fmt}", fmt=fmt)
        assert facts(again) == want, fmt
        assert (again.problems["kept"]).all(), again.problems.to_string()


@SETTINGS
@given(st.lists(fields(nul=True), min_size=1, max_size=3))
def test_json_and_geojson_hold_nul_and_every_control(rows):
    table = table_of(rows)
    want = facts(table)
    for text, fmt in ((to_json(table), "json"), (to_geojson(table), "timeline-geojson")):
        assert facts(parse_events(text, file=f"out.{fmt}", fmt=fmt)) == want, fmt


@SETTINGS
@given(rows_strategy)
def test_timelinejs_reads_back_its_ids_and_titles(rows):
    table = table_of(rows)
    text = "".join(iter_timelinejs(table))
    json.loads(text)  # valid JSON whatever the text
    again = parse_events(text, file="t.json", fmt="timelinejs")
    titles = {i: " ".join(t.split()) for i, t in zip(again.events["id"], again.events["title"],
                                                      strict=True)}  # fmt: skip
    assert titles == {i: " ".join(f["title"].split()) for i, f in facts(table).items()}


@SETTINGS
@given(rows_strategy, st.sampled_from(["csv", "parquet"]))
@example([{"title": "a\rb", "summary": LONG, "notes": "=cmd", "actors": "'+1", "category": "\r",
           "extra": "x", "place": "=HYPERLINK(\"x\")\r"}], "csv")  # fmt: skip
def test_import_s_story_folder_reads_back(tmp_path_factory, rows, table_format):
    table = table_of(rows)
    out = tmp_path_factory.mktemp("import")
    write_story_folder(table, Path("in.json"), out, table_format=table_format)
    again = open_table(out)
    assert facts(again) == facts(table)

    # places.csv: one row per name not found, which any CSV reader (and our gazetteer) reads
    with open(out / "places.csv", encoding="utf-8", newline="") as f:
        stub = list(csv.DictReader(f))
    unplaced = set(table.places.loc[table.places["lat"].isna(), "name"])
    assert {unneutral(r["name"]) for r in stub} == unplaced
    Gazetteer.from_path_keeping(out / "places.csv")  # never raises, whatever the names

    # problems.csv: the problems, cell for cell
    with open(out / "problems.csv", encoding="utf-8", newline="") as f:
        written = list(csv.DictReader(f))
    assert [unneutral(r["value"]) for r in written] == list(table.problems["value"])
    assert [unneutral(r["problem"]) for r in written] == list(table.problems["problem"])

    assert tomllib.loads((out / "story.toml").read_text("utf-8"))["table"].startswith("events.")


def unneutral(cell: str) -> str:
    """What a spreadsheet user reads in a cell we wrote: our apostrophe off."""
    return (
        cell[1:] if cell.startswith("'") and cell.lstrip("'")[:1] in tuple("=+-@\t\r\n") else cell
    )


@SETTINGS
@given(texts(nul=True), texts(nul=True), texts(nul=True), texts(nul=True))
def test_story_toml_holds_any_title_category_and_file_name(title, category, label, name):
    story = {
        "title": title,
        "categories": {category: {"label": label, "order": 1}},
        "narratives": [{"id": label, "title": title, "events": [title, label]}],
    }
    text = story_toml(story, Path(name or "x"), "events.csv")
    data = tomllib.loads(text)
    assert data["title"] == (title or Path(name or "x").stem)
    assert data["categories"][category]["label"] == label if label else True
    assert data["narratives"][0]["events"] == [title, label]


def test_a_lone_cr_with_a_long_cell_reads_back_whole(tmp_path):
    """One lone CR plus one cell over 131,072 characters refused the whole file."""
    text = f'id,title,start,summary\na,"one\rtwo",{T0},{LONG}\nb,B,{T0},short\n'
    table = parse_events(text)
    assert list(table.events["id"]) == ["a", "b"]
    assert table.events.set_index("id").loc["a", "summary"] == LONG
    written = to_csv(table)
    assert '"one\rtwo"' in written  # quoted: the row no longer splits there
    again = parse_events(written)
    assert again.events.set_index("id").loc["a", "title"] == "one\rtwo"
    pd.testing.assert_series_equal(
        again.events.set_index("id")["summary"], table.events.set_index("id")["summary"]
    )
    assert io.StringIO(written).read().count("\n") == 3
