"""Exports and side files that do not read back (issue 16, class 5): a lone CR in a cell, a cell
that starts like a formula (or with apostrophes before one), a long cell beside a lone CR, and
hostile names in import's places.csv, problems.csv and story.toml. The property test that
writes random text through every writer is tests/test_property_writers.py."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tomllib

import pytest
from hostile import ROOT, cli

from timeline.export.folder import write_story_folder
from timeline.export.tables import to_csv
from timeline.ingest.files import open_table, parse_events

T0 = "2025-03-18T14:00+00:00"


def source(tmp_path, *events: dict):
    doc = {"generator": "timeline-map", "version": 1, "events": list(events)}
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def event(i: str, **fields) -> dict:
    return {"id": i, "title": f"T{i}", "start": T0, "time_precision": "minute"} | fields


def test_export_csv_quotes_a_lone_cr_so_the_row_does_not_split(tmp_path):
    path = source(tmp_path, event("a", summary="one\rtwo"), event("b", notes="x\ry\r"))
    done = subprocess.run(
        [sys.executable, "-m", "timeline", "export", str(path), "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )  # bytes: a text pipe would turn the CR into a line end itself
    out = done.stdout.decode("utf-8")
    assert '"one\rtwo"' in out
    again = parse_events(out)
    assert list(again.events["id"]) == ["a", "b"]
    assert again.events.set_index("id").loc["a", "summary"] == "one\rtwo"
    assert again.problems.empty


def test_import_writes_an_events_csv_that_reads_back_row_for_row(tmp_path):
    path = source(tmp_path, event("a", summary="one\rtwo", notes="x" * 140_000), event("b"))
    out = tmp_path / "story"
    run = cli("import", path, "--out", out)
    assert run.code == 0, run.err
    table = open_table(out)
    assert list(table.events["id"]) == ["a", "b"]
    assert table.events.set_index("id").loc["a", "notes"] == "x" * 140_000


@pytest.mark.parametrize("cell", ["=1+1", "'=1+1", "''@SUM(A1)", "-x", "+x", "'plain", "''"])
def test_formula_cells_and_apostrophes_before_them_come_back_as_written(cell):
    doc = {"generator": "timeline-map", "events": [event("a", notes=cell)]}
    table = parse_events(json.dumps(doc), fmt="json")
    written = to_csv(table)
    assert "\n=" not in written and ",=" not in written  # no cell a spreadsheet would run
    assert parse_events(written).events.iloc[0]["notes"] == cell


def test_import_s_side_files_hold_formulas_crs_and_controls_safely(tmp_path):
    name = '=HYPERLINK("http://x","y")\rtown'
    path = source(
        tmp_path,
        event("a", places=[{"name": name, "country": "UA"}]),
        event("b", start="not a date @x"),
    )
    out = tmp_path / "story"
    table = open_table(path)
    write_story_folder(table, path.with_name("in\n\x7f\x1b.json"), out)
    with open(out / "places.csv", encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["name"] == "'" + name  # the apostrophe: text, not a formula; the CR quoted
    with open(out / "problems.csv", encoding="utf-8", newline="") as f:
        problems = list(csv.DictReader(f))
    assert len(problems) == len(table.problems)
    assert all(not p["value"].startswith(("=", "+", "-", "@")) for p in problems)
    story = tomllib.loads((out / "story.toml").read_text("utf-8"))  # a name cannot break it
    assert story["table"] == "events.csv"
    again = open_table(out)
    assert list(again.events["id"]) == ["a"]
    assert again.places.iloc[0]["name"] == name


def test_story_toml_escapes_del_and_every_control(tmp_path):
    from timeline.export.folder import story_toml

    text = story_toml({"title": "a\x7fb\x00c\x1bd\re"}, tmp_path / "x.json", "events.csv")
    assert tomllib.loads(text)["title"] == "a\x7fb\x00c\x1bd\re"
