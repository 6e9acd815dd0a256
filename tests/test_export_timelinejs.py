"""`export --format timelinejs`: TimelineJS 3 JSON that TimelineJS reads, and that our own
TimelineJS reader reads back to the same events: ids, titles, categories, and the days and times
the dates name at their precision (written again, the round-tripped events give the very same
date objects)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from hostile import cli

from timeline.export.tables import FORMATS
from timeline.export.timelinejs import slide_dates, to_timelinejs
from timeline.ingest.files import open_table, parse_events
from timeline.model.story import story_for_table

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&amp;"


@pytest.fixture(scope="module")
def seed():
    table = open_table(SEEDS)
    return table, story_for_table(SEEDS / "events.csv", table.events)


@pytest.fixture(scope="module")
def exported(seed) -> dict:
    table, story = seed
    return json.loads(to_timelinejs(table, story=story))


@pytest.fixture(scope="module")
def reread(exported, tmp_path_factory):
    path = tmp_path_factory.mktemp("tjs") / "story.json"
    path.write_text(json.dumps(exported), "utf-8")
    return open_table(path)


def test_timelinejs_is_a_format_of_export():
    assert "timelinejs" in FORMATS


def test_every_slide_has_what_timelinejs_needs(exported, seed):
    table, story = seed
    assert exported["title"]["text"]["headline"] == story.title
    assert len(exported["events"]) == len(table.events)
    for slide in exported["events"]:
        assert isinstance(slide["start_date"]["year"], int)
        assert set(slide["start_date"]) <= {"year", "month", "day", "hour", "minute", "second"}
        assert slide["text"]["headline"] and slide["display_date"]
        assert slide["group"] in {c.label for c in story.categories.values()}
    assert [e["text"]["headline"] for e in exported["eras"]] == [b.label for b in story.bands]


def test_dates_carry_the_precision_and_display_date_words_the_uncertainty(exported):
    slides = {s["unique_id"]: s for s in exported["events"]}
    # A day in the source's own clock stays that day (13 March in Moscow, not the 12th).
    assert slides["sudzha-retaken"]["start_date"] == {"year": 2025, "month": 3, "day": 13}
    assert "end_date" not in slides["sudzha-retaken"]
    call = slides["trump-putin-call"]
    assert call["start_date"] == {"year": 2025, "month": 3, "day": 18, "hour": 14, "minute": 0}
    assert call["end_date"]["hour"] == 16 and call["end_date"]["minute"] == 30
    assert call["display_date"] == "18 March 2025, 14:00 UTC; ended between 15:30 and 16:30 UTC"
    # About an hour: the hour itself; the display date says the minute.
    assert slides["sumy-hospital"]["start_date"] == {
        "year": 2025,
        "month": 3,
        "day": 18,
        "hour": 22,
    }
    assert "about 22:30" in slides["sumy-hospital"]["display_date"]
    # An evening: its hours, the last hour inside it as the end.
    assert slides["scholz-berlin"]["start_date"]["hour"] == 18
    assert slides["scholz-berlin"]["end_date"]["hour"] == 23
    # A span of whole days ends on its last day.
    assert slides["riyadh-talks"]["end_date"] == {"year": 2025, "month": 3, "day": 25}


def test_the_text_holds_the_source_sentence_and_the_first_place_is_kept(exported, seed):
    table, _ = seed
    quote = table.events.set_index("id").loc["sumy-hospital", "quote"]
    slide = next(s for s in exported["events"] if s["unique_id"] == "sumy-hospital")
    assert f"<blockquote>{html.escape(quote)}" in slide["text"]["text"]
    assert slide["location"]["name"] == "Sumy"


def test_our_reader_reads_back_the_same_events(seed, reread):
    table, story = seed
    assert reread.format == "timelinejs"
    assert len(reread.events) == len(table.events)
    before = table.events.set_index("id")
    after = reread.events.set_index("id")
    assert set(after.index) == set(before.index)
    assert (after.loc[before.index, "title"] == before["title"]).all()
    label_to_id = {c.label: cid for cid, c in story.categories.items()}
    assert (after.loc[before.index, "category"].map(label_to_id) == before["category"]).all()
    assert [b["label"] for b in reread.story["bands"]] == [b.label for b in story.bands]
    assert reread.story["title"] == story.title


def test_round_tripped_events_name_the_same_days_and_times(exported, reread):
    """Written again, every event gives the very same date objects: the dates' fields at their
    precision survived (TimelineJS names no zone: our reader reads them in the first place's)."""
    again = {e["id"]: slide_dates(e) for _, e in reread.events.iterrows()}
    for slide in exported["events"]:
        dates = {k: v for k, v in slide.items() if k in ("start_date", "end_date")}
        assert again[slide["unique_id"]] == dates, slide["unique_id"]


def test_every_text_from_the_data_is_escaped():
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["id", "title", "summary", "start", "time_precision", "category", "reported_by",
               "quote", "further_sources", "notes", "time_note"]  # fmt: skip
    sources = f"{HOSTILE}: {HOSTILE};javascript:alert(1);https://example.org/a?b=1&c=2"
    writer.writerow(columns)
    writer.writerow(["a", HOSTILE, HOSTILE, "2025-03-18T14:00+00:00", "minute", HOSTILE, HOSTILE,
                     HOSTILE, sources, HOSTILE, HOSTILE])  # fmt: skip
    table = parse_events(out.getvalue())
    assert len(table.events) == 1, table.problems
    slide = json.loads(to_timelinejs(table))["events"][0]
    texts = [slide["text"]["headline"], slide["text"]["text"], slide["group"]]
    for text in texts:
        assert "<script" not in text and "<img" not in text, text
    assert slide["text"]["headline"] == html.escape(HOSTILE)
    assert slide["text"]["text"].count(html.escape(HOSTILE)) >= 5
    # Only our tags, and links only to http(s) URLs.
    assert set(re.findall(r"</?([a-z]+)", slide["text"]["text"])) <= {
        "p", "blockquote", "cite", "span", "a"
    }  # fmt: skip
    assert re.findall(r'href="([^"]*)"', slide["text"]["text"]) == [
        "https://example.org/a?b=1&amp;c=2"
    ]
    assert slide["media"]["url"] == "https://example.org/a?b=1&c=2"


def test_export_command_writes_timelinejs():
    done = cli("export", "--format", "timelinejs", "seeds")
    assert done.code == 0, done.err
    doc = json.loads(done.out)
    assert len(doc["events"]) == 16 and doc["eras"]
