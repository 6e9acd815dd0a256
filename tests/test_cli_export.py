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

from timeline.data.store import CACHE_MAX_ENV, CACHE_MAX_GB
from timeline.export.tables import neutralise_formulas, to_csv
from timeline.ingest.files import parse_events
from timeline.ingest.readers import READERS
from timeline.ingest.readers.curated import COLUMNS
from timeline.model import limits

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "timeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_passes_on_the_seed_story():
    done = cli("validate")
    assert done.returncode == 0, done.stderr
    assert "16 rows in, 16 events loaded, 0 rows not loaded, 0 problems" in done.stderr
    assert "12 events on the map" in done.stderr


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
    assert "2 rows in, 1 events loaded, 1 rows not loaded" in done.stderr


def test_validate_checks_the_story_file_too(tmp_path):
    seed = (ROOT / "seeds/events.csv").read_text("utf-8")
    (tmp_path / "events.csv").write_text(seed, "utf-8")
    (tmp_path / "story.toml").write_text('title = "T"\nanchor = "no-such-event"\n', "utf-8")
    done = cli("validate", str(tmp_path))
    assert done.returncode == 1
    assert "story.toml" in done.stderr and "anchor" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_json_keeps_the_source_clock_bounds_places_and_links():
    done = cli("export", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["generator"] == "timeline-map"
    events = {e["id"]: e for e in document["events"]}
    sudzha = events["sudzha-retaken"]
    assert sudzha["start"] == "2025-03-13T00:00:00+03:00"  # 13 March stays 13 March
    assert sudzha["time_precision"] == "day"
    call = events["trump-putin-call"]
    assert (call["start"], call["end_earliest"], call["end"]) == (
        "2025-03-18T14:00:00+00:00",
        "2025-03-18T15:30:00+00:00",
        "2025-03-18T16:30:00+00:00",
    )
    assert [p["name"] for p in call["places"]] == ["White House, Washington", "Moscow"]
    moscow = call["places"][1]
    assert (moscow["lat"], moscow["lon"], moscow["geo_precision"]) == (55.75204, 37.61781, "town")
    assert (moscow["source"], moscow["credit"]) == ("GeoNames 524901", "GeoNames (CC BY 4.0)")
    assert moscow["timezone"] == "Europe/Moscow"
    assert {"relation": "after", "target_id": "jeddah-talks"} in call["links"]
    assert events["hockey-matches"]["places"] == []


def test_export_geojson_has_one_feature_per_event_with_its_places_in_order():
    done = cli("export", "--format", "geojson")
    features = json.loads(done.stdout)["features"]
    assert len(features) == 16
    call = next(f for f in features if f["id"] == "trump-putin-call")
    assert call["geometry"] == {
        "type": "MultiPoint",
        "coordinates": [[-77.0365, 38.8977], [37.61781, 55.75204]],
    }
    hockey = next(f for f in features if f["id"] == "hockey-matches")
    assert hockey["geometry"] is None


def test_export_csv_neutralises_formulas_but_not_numbers_and_reads_back_as_written():
    text = "\n".join(
        [
            "id,title,summary,start,time_precision,category",
            'a,=HYPERLINK("http://x"),@SUM(1),2025-03-18T14:00+00:00,minute,military',
        ]
    )
    out = to_csv(parse_events(text))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["summary"] == "'@SUM(1)"
    again = parse_events(out).events.iloc[0]
    assert (again["title"], again["summary"]) == ('=HYPERLINK("http://x")', "@SUM(1)")
    frame = neutralise_formulas(
        __import__("pandas").DataFrame({"lon": ["-77.03637;37.6"], "t": ["-x"]})
    )
    assert frame.to_dict("records") == [{"lon": "-77.03637;37.6", "t": "'-x"}]
    # A chunk of a larger table keeps its own row labels.
    chunk = __import__("pandas").DataFrame({"t": ["=1+1", "ok"]}, index=[20_000, 20_001])
    assert neutralise_formulas(chunk)["t"].to_dict() == {20_000: "'=1+1", 20_001: "ok"}


def test_export_csv_is_our_table_with_every_column():
    done = cli("export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 16 and list(rows[0]) == list(COLUMNS)
    call = next(r for r in rows if r["id"] == "trump-putin-call")
    assert call["lon"] == "-77.0365;37.61781"
    assert call["end_earliest"] == "2025-03-18T15:30:00+00:00"


def test_import_writes_a_story_folder_that_validates(tmp_path):
    done = cli("import", "tests/data/formats/acled_current.csv", "--out", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(r"7 rows in, 5 events loaded, 2 rows not loaded", done.stderr)
    for name in ("events.csv", "story.toml", "places.csv", "problems.csv"):
        assert (tmp_path / "s" / name).is_file()
    again = cli("validate", str(tmp_path / "s"))
    assert again.returncode == 0, again.stderr
    assert "5 events loaded" in again.stderr


def test_a_forced_format_that_does_not_fit_says_why():
    done = cli("validate", "seeds/events.csv", "--from", "acled")
    assert done.returncode == 1
    assert "read as" in done.stderr and "does not fit" in done.stderr
    assert "Traceback" not in done.stderr


README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("column", COLUMNS)
def test_every_table_column_is_described_in_the_readme(column):
    assert re.search(rf"^\| `{column}` \|", README, re.MULTILINE)


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_every_reader_is_described_in_the_readme(fmt):
    assert re.search(rf"^\| `{fmt}` \|", README, re.MULTILINE)


@pytest.mark.parametrize(
    "command",
    [
        "python -m timeline validate",
        "python -m timeline export",
        "python -m timeline import",
        "python -m timeline publish",
        "python -m geodata lookup",
    ],
)
def test_every_command_is_described_in_the_readme(command):
    assert command in README


def _limits_section() -> str:
    return README.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("name", [n for n in limits.__all__ if n not in ("size_text",)])
def test_every_bound_is_in_the_readmes_limits_with_its_value(name):
    value = getattr(limits, name)
    sizes = name.endswith("_BYTES") or name == "SIDE_FILE_LIMIT"
    shown = limits.size_text(value).replace(".0 ", " ") if sizes else f"{value:,}"  # "1 GB"
    row = next((line for line in _limits_section().splitlines() if f"`{name}`" in line), "")
    assert shown in row, (name, shown, row)


def test_the_store_cache_bound_is_in_the_readmes_limits():
    row = next(line for line in _limits_section().splitlines() if CACHE_MAX_ENV in line)
    assert f"{CACHE_MAX_GB:g} GB" in row


def test_the_ci_script_runs_the_readme_test_command():
    test_command = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)[1]
    assert test_command in (ROOT / ".ci/run").read_text("utf-8")
