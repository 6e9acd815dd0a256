"""The curators' command line, the exports, and the README that documents them."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from timeline.export import neutralise_formulas, to_csv
from timeline.table import parse_events
from timeline.vocab import COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "timeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_passes_on_the_seed_table():
    done = cli("validate")
    assert done.returncode == 0, done.stderr
    assert "15 events loaded, 11 on the map, 0 problems" in done.stdout


def test_validate_names_file_row_and_column_and_fails(tmp_path):
    seed = (ROOT / "seeds/events.csv").read_text("utf-8").splitlines()
    bad = seed[2].replace(",day,", ",decade,", 1)
    (tmp_path / "events.csv").write_text("\n".join([seed[0], seed[1], bad]) + "\n", "utf-8")
    done = cli("validate", str(tmp_path / "events.csv"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert re.search(
        r"events\.csv:3:time_precision: is not one of: .* \[row not loaded\]", done.stderr
    )
    # The article is not beside this copy: the rows stay, their quotes are unverified.
    assert "events.csv:2:source_file: is missing" in done.stderr


def test_export_json_has_the_documented_fields_and_keeps_the_source_clock():
    done = cli("export", "--format", "json")
    assert done.returncode == 0, done.stderr
    events = {e["id"]: e for e in json.loads(done.stdout)}
    sudzha = events["sudzha-retaken"]
    assert {
        "id",
        "title",
        "start",
        "end",
        "time_precision",
        "category",
        "places",
        "quote",
        "source",
    } <= set(sudzha)
    assert sudzha["start"] == "2025-03-13T00:00:00+03:00"  # 13 March stays 13 March
    call = events["trump-putin-call"]
    assert [p["name"] for p in call["places"]] == ["White House, Washington", "Moscow"]
    assert call["places"][1] == {
        "name": "Moscow",
        "country": "RU",
        "lat": 55.75204,
        "lon": 37.61781,
        "geo_precision": "town",
        "source": "GeoNames 524901",
        "credit": "GeoNames (CC BY 4.0)",
    }
    assert events["hockey-matches"]["places"] == []


def test_export_geojson_has_one_feature_per_event_and_place():
    done = cli("export", "--format", "geojson")
    features = json.loads(done.stdout)["features"]
    assert len(features) == 14  # 11 placed events, three of them with two places
    call = [f for f in features if f["properties"]["id"] == "trump-putin-call"]
    assert [f["geometry"]["coordinates"] for f in call] == [
        [-77.0365, 38.8977],
        [37.61781, 55.75204],
    ]


def test_export_csv_neutralises_formulas_but_not_numbers():
    text = "\n".join(
        [
            "id,title,summary,start,time_precision,category",
            'a,=HYPERLINK("http://x"),@SUM(1),2025-03-18T14:00+00:00,minute,military',
        ]
    )
    rows = list(csv.DictReader(io.StringIO(to_csv(parse_events(text)))))
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["summary"] == "'@SUM(1)"
    frame = neutralise_formulas(
        __import__("pandas").DataFrame({"lon": ["-77.03637;37.6"], "t": ["-x"]})
    )
    assert frame.to_dict("records") == [{"lon": "-77.03637;37.6", "t": "'-x"}]


def test_export_csv_of_the_seed_table_round_trips():
    done = cli("export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 15
    call = next(r for r in rows if r["id"] == "trump-putin-call")
    assert call["lon"] == "-77.03650;37.61781"


README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("column", COLUMNS)
def test_every_table_column_is_described_in_the_readme(column):
    assert re.search(rf"^\| `{column}` \|", README, re.MULTILINE)


@pytest.mark.parametrize(
    "command",
    ["python -m timeline validate", "python -m timeline export", "python -m geodata lookup"],
)
def test_every_command_is_described_in_the_readme(command):
    assert command in README


def test_the_ci_script_runs_the_readme_test_command():
    test_command = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)[1]
    assert test_command in (ROOT / ".ci/run").read_text("utf-8")
