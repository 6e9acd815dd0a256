"""The journeys the README tells a user to walk, end to end, with files shaped like the real ones
(every column of an ACLED export and of UCDP GED), run as a user runs them: the command line in
a subprocess, then the folder opened as the app opens it (`open_engine`, a store on disk).

- import -> open the folder -> click (an event by id) -> export -> re-import: the same events;
- import of a file with unknown places -> the folder opens (they are on the timeline only, the
  stub lists them to place) -> fill the stub -> the folder opens with them on the map;
- a large import writes our table as Parquet and it opens, validates and exports like the CSV.

Offline: places come from the coordinates of the export or the packaged gazetteers.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import ACLED_COLUMNS, UCDP_COLUMNS, acled_csv, ucdp_csv  # noqa: E402

from timeline.data.contract import Ask  # noqa: E402
from timeline.data.engine import open_engine  # noqa: E402
from timeline.ingest.files import open_table  # noqa: E402

YEAR = Ask(pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2025-01-01", tz="UTC"))


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "timeline", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize(
    ("name", "make", "columns", "table"),
    [
        ("acled.csv", acled_csv, ACLED_COLUMNS, "events.csv"),
        ("ged.csv", ucdp_csv, UCDP_COLUMNS, "events.csv"),
        ("acled-big.csv", acled_csv, ACLED_COLUMNS, "events.parquet"),
    ],
)
def test_import_open_click_export_and_import_again(tmp_path, cache, name, make, columns, table):
    source = tmp_path / name
    source.write_text(make(1_500), "utf-8")
    assert next(csv.reader(io.StringIO(source.read_text("utf-8-sig"))))[: len(columns)] == columns
    folder = tmp_path / "story"
    extra = ["--table", "parquet"] if table.endswith(".parquet") else []
    done = cli("import", str(source), "--out", str(folder), *extra)
    assert done.returncode == 0, done.stderr
    assert (folder / table).is_file() and (folder / "story.toml").is_file()
    assert f'table = "{table}"' in (folder / "story.toml").read_text("utf-8")

    direct = open_table(source)
    engine = open_engine(folder)
    assert engine.total == len(direct.events) == 1_500
    assert engine.rows_not_loaded == 0
    # A click: one event, whole, with its places and its source's own fields.
    some = direct.events.iloc[700]
    clicked = engine.event(some["id"])
    assert clicked["title"] == some["title"] and clicked["earliest"] == some["earliest"]
    kept = [c for c in direct.events.columns if c.startswith("extra.")]
    assert kept and all(clicked[c] == some[c] for c in kept)
    assert len(engine.event_places(some["id"])) == 1
    # A second open reads the store.
    assert open_engine(folder).total == 1_500

    done = cli("validate", str(folder))
    assert done.returncode == 0, done.stderr
    exported = tmp_path / "exported.csv"
    done = cli("export", str(folder), "--format", "csv")
    assert done.returncode == 0, done.stderr
    exported.write_text(done.stdout, "utf-8")
    again = open_table(exported)
    assert again.problems.empty, again.problems.head().to_string()
    columns = ["id", "title", "earliest", "latest", "time_precision", "category", *kept]
    pd.testing.assert_frame_equal(
        direct.events.sort_values("id")[columns].reset_index(drop=True),
        again.events.sort_values("id")[columns].reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        direct.located.sort_values("event_id")[["event_id", "lat", "lon"]].reset_index(drop=True),
        again.located.sort_values("event_id")[["event_id", "lat", "lon"]].reset_index(drop=True),
    )


def test_unknown_places_open_before_and_after_the_stub_is_filled(tmp_path, cache):
    source = tmp_path / "monitor.csv"
    source.write_text(
        "id,title,start,places,countries,regions\n"
        "a,Shelling of the depot,2024-05-01,Nowhereville,UA,Kharkiv Oblast\n"
        "b,Statement in Kyiv,2024-05-02,Kyiv,UA,\n"
        'c,"Strike near =SUM(A1)",2024-05-03,=SUM(A1),UA,\n',
        "utf-8",
    )
    folder = tmp_path / "story"
    assert cli("import", str(source), "--out", str(folder)).returncode == 0
    stub = list(csv.DictReader((folder / "places.csv").open(encoding="utf-8")))
    # A name a spreadsheet would run as a formula is written with an apostrophe before it,
    # which the gazetteer takes off again.
    assert [(r["name"], r["country"], r["region"]) for r in stub] == [
        ("'=SUM(A1)", "UA", ""),
        ("Nowhereville", "UA", "Kharkiv Oblast"),
    ]
    # Before: every event opens; the unknown places are named on the card, not on the map.
    engine = open_engine(folder)
    assert engine.total == 3
    assert engine.count_placed(YEAR) == 1
    assert list(engine.event_places("a")["name"]) == ["Nowhereville"]
    for command in (["validate"], ["export", "--format", "json"]):
        done = cli(*command, str(folder))
        assert done.returncode in (0, 1), done.stderr  # never refused (2)
        assert "has no coordinates yet" in done.stderr
    # After: the curator fills one name in; the folder opens with it on the map.
    text = (folder / "places.csv").read_text("utf-8")
    text = text.replace("Nowhereville,,UA,,,", "Nowhereville,,UA,49.99,36.23,")
    text = text.replace("'=SUM(A1),,UA,,,", "'=SUM(A1),,UA,50.1,36.1,")
    (folder / "places.csv").write_text(text, "utf-8")
    engine = open_engine(folder)
    assert engine.count_placed(YEAR) == 3
    place = engine.event_places("a").iloc[0]
    assert (place["lat"], place["lon"]) == (49.99, 36.23)
    assert place["timezone"] == "Europe/Kyiv"
