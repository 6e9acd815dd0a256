"""One schema: every table's columns are declared once, and what reads or writes them follows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from timeline.export.tables import to_csv, to_json
from timeline.ingest.files import open_table
from timeline.model.schema import (
    CURATED,
    EVENTS,
    INTAKE_EVENTS,
    JSON_EVENT_FIELDS,
    JSON_PLACE_FIELDS,
    LINKS,
    PLACES,
    PROBLEMS,
)

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_table_of_columns_is_the_schema():
    done = subprocess.run(
        [sys.executable, "scripts/build_docs.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stdout.decode()


def test_the_model_has_exactly_the_declared_columns_and_types():
    table = open_table(ROOT / "seeds")
    for frame, declared in (
        (table.events, EVENTS),
        (table.places, PLACES),
        (table.links, LINKS),
        (table.problems, PROBLEMS),
    ):
        assert tuple(frame.columns) == declared.names
        assert {c: str(frame[c].dtype) for c in frame.columns} == {
            c.name: c.dtype for c in declared.columns
        }


def test_our_files_carry_the_declared_fields():
    table = open_table(ROOT / "seeds")
    header = to_csv(table).splitlines()[0].split(",")
    assert tuple(header) == CURATED.names
    record = json.loads(to_json(table))["events"][0]
    assert tuple(k for k in record if k not in ("places", "links")) == JSON_EVENT_FIELDS
    assert tuple(record["places"][0]) == JSON_PLACE_FIELDS


def test_the_intake_shares_the_model_columns_it_passes_through():
    for name in ("time_precision", "category", "quote"):
        assert INTAKE_EVENTS[name] == EVENTS[name]
