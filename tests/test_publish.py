"""The published page (issue 15): one self-contained HTML file that fetches nothing, whose data
cannot break out of its script element, whose texts stay texts, within its size budget; and
`python -m timeline publish`, which says where the bytes go and refuses what a page cannot hold.

The page in a real browser, offline, is tested in tests/browser/test_publish_browser.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile import HOSTILE_TEXTS as HOSTILE
from hostile import cli, hostile_events_csv

from timeline.errors import PageTooLarge, TimelineError
from timeline.export.page import (
    PAGE_LIMIT,
    json_script,
    page_html,
    page_parts,
    page_stats,
    size_words,
    story_in,
    windows_that_fit,
)
from timeline.export.page_data import shared_strings
from timeline.ingest.files import open_table, parse_events
from timeline.model.story import story_for_table
from timeline.views.geometry import CIRCLE_POINTS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MADE = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
MAX_SEED_BYTES = 8_000_000


@pytest.fixture(scope="module")
def seed():
    table = open_table(SEEDS)
    return table, story_for_table(SEEDS / "events.csv", table.events)


@pytest.fixture(scope="module")
def seed_parts(seed):
    table, story = seed
    return page_parts(table, story, made_at=MADE)


@pytest.fixture(scope="module")
def seed_page(seed_parts) -> str:
    return "".join(p.text for p in seed_parts)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.bodies: list[tuple[str, dict, str]] = []
        self._open: tuple[str, dict] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs))

    def handle_data(self, data):
        if self._open:
            self.bodies.append((*self._open, data))

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            self._open = None


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    return tags


def data_of(html: str, element_id: str = "tm-data") -> dict:
    body = next(b for t, a, b in parse(html).bodies if a.get("id") == element_id)
    return json.loads(body)


# --- what the page holds and fetches -------------------------------------------------------------


def test_the_seed_page_is_within_its_size_budget(seed_page, seed_parts):
    size = len(seed_page.encode("utf-8"))
    assert size < MAX_SEED_BYTES, size
    stats = page_stats(seed_parts)
    assert stats["total"] == size
    # Where the bytes go: plotly.js first, then the offline base map; the story itself is small.
    assert list(stats)[:2] == ["plotly", "basemap"]
    assert stats["data"] < 300_000
    assert size_words(stats).startswith(f"{size / 1e6:.2f} MB: plotly.js 4.")


def test_the_page_fetches_nothing(seed_page):
    tags = parse(seed_page)
    for tag, attrs in tags.tags:
        assert "src" not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed", "base", "form"), tag
        assert not any(v and "http" in v for k, v in attrs.items() if k != "content"), attrs
    scripts = [(a, b) for t, a, b in tags.bodies if t == "script"]
    assert [a.get("type") for a, _ in scripts] == [
        "application/json", "application/json", None, None, None, None
    ]  # fmt: skip
    styles = "".join(b for t, a, b in tags.bodies if t == "style")
    assert all(u.startswith("data:") for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", styles))
    assert "@import" not in styles and "@font-face" not in styles


def test_the_content_policy_runs_only_the_pages_own_scripts_and_loads_nothing(seed_page):
    tags = parse(seed_page)
    policy = next(
        a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    rules = dict(r.strip().split(" ", 1) for r in policy.split(";"))
    assert rules["default-src"] == "'none'"
    for directive in ("img-src", "font-src", "connect-src", "worker-src"):
        assert set(rules[directive].split()) <= {"data:", "blob:"}, directive
    code = [b for t, a, b in tags.bodies if t == "script" and "type" not in a]
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(c.encode()).digest()).decode() + "'"
        for c in code
    }
    assert set(rules["script-src"].split()) == hashes
    assert "unsafe-inline" not in rules["script-src"] and "unsafe-eval" not in rules["script-src"]


def test_the_page_holds_the_story_cards_articles_and_the_offline_map(seed_page, seed):
    table, story = seed
    data = data_of(seed_page)
    assert data["mode"] == "detailed"
    assert data["events"]["id"] == table.events["id"].tolist()
    assert data["about"]["title"] == story.title
    assert data["about"]["made"] == "1 December 2026, 09:30 UTC"
    assert [p[0] for p in data["story"]["presets"]] == [w.label for w in story.windows]
    assert [n["id"] for n in data["story"]["narratives"]] == [n.id for n in story.narratives]
    assert set(data["figures"]["map"]) == {"", "article"}
    assert story.article in data["articles"]
    offline = data_of(seed_page, "tm-basemap")
    assert set(offline["basemap"]) == {"land.geojson", "lakes.geojson", "countries.geojson",
                                       "disputed.geojson"}  # fmt: skip
    layers = data["figures"]["map"][""]["layout"]["map"]["layers"]
    assert {layer["source"] for layer in layers} == set(offline["basemap"])
    assert offline["labels"]["cities"] and offline["labels"]["countries"]


def test_a_card_says_time_place_claim_and_source(seed_page, seed):
    data = data_of(seed_page)
    strings = data["strings"]

    def text(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return strings[value]
        if isinstance(value, list):
            return [text(v) for v in value]
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        return value

    i = data["events"]["id"].index("sumy-hospital")
    card = text(data["cards"][i])
    assert card["title"] == "Russian drone hits a hospital in Sumy"
    assert card["when"] == "18 March 2025, about 22:30 UTC+2"
    assert card["precision"] == "to about an hour"
    assert card["local"] == ["Sumy (EET, UTC+2): 18 March 2025, about 22:30"]
    assert card["places"][0]["known"] == "the town, within about 5 km"
    assert card["places"][0]["point"]["url"].startswith("https://www.geonames.org/")
    assert card["status"].startswith("Confirmed: ")
    quote = seed[0].events.set_index("id").loc["sumy-hospital", "quote"]
    assert card["quote"] == quote and quote in data["articles"][card["sourceFile"]]


def test_circles_and_arcs_belong_to_the_events_whose_places_they_draw(seed_page, seed):
    """The page filters the map's circles and arcs by their owners (page_data.segment_owners):
    each circle is centred on a place of its owner, each arc joins two of its owner's places."""
    table, _ = seed
    data = data_of(seed_page)
    places = table.places
    fig, owners = data["figures"]["map"][""], data["figures"]["owners"][""]
    checked = 0
    for trace, owned in zip(fig["data"], owners, strict=True):
        if owned is None:
            continue
        runs, run = [], []
        for lat, lon in zip([*trace["lat"], None], [*trace["lon"], None], strict=True):
            if lat is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((lat, lon))
        assert len(runs) == len(owned)
        for points, event_id in zip(runs, owned, strict=True):
            mine = places[places["event_id"] == event_id][["lat", "lon"]].to_numpy()
            if len(points) == CIRCLE_POINTS + 1:  # a circle: north and south of its centre
                centre = ((points[0][0] + points[CIRCLE_POINTS // 2][0]) / 2, points[0][1])
                ends = [centre]
            else:
                ends = [points[0], points[-1]]
            for end in ends:
                assert np.abs(mine - np.array(end)).sum(axis=1).min() < 1e-3, (event_id, end)
            checked += 1
    assert checked >= 5


# --- texts stay texts --------------------------------------------------------------------------


def test_hostile_texts_end_up_as_text():
    table = parse_events(hostile_events_csv())
    assert len(table.events) == len(HOSTILE), table.problems
    story = story_for_table(Path("hostile/events.csv"), table.events, beside=False)
    story = replace(story, title=HOSTILE[0])
    html = page_html(table, story, filters_note=HOSTILE[1], made_at=MADE)
    # Nothing of the data is markup: no tag, comment or element end came from it.
    tags = parse(html)
    assert [t for t, _ in tags.tags if t == "script"] == ["script"] * 6
    assert not [t for t, _ in tags.tags if t in ("img", "a")]
    data_body = next(b for t, a, b in tags.bodies if a.get("id") == "tm-data")
    for bad in ("<", ">", "\u2028", "\u2029"):
        assert bad not in data_body
    # ... and every text is there, as it was written.
    data = data_of(html)
    strings = data["strings"]
    titles = [strings[c["title"]] if isinstance(c["title"], int) else c["title"]
              for c in data["cards"]]  # fmt: skip
    assert titles == HOSTILE
    assert data["about"]["filters"] == HOSTILE[1]
    assert f"<title>{'&lt;script&gt;alert(1)&lt;/script&gt;'}" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_json_script_cannot_end_its_element():
    text = json_script({"a": "</script><!-- \u2028 & >"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- \u2028 & >"}


def test_shared_strings_keep_every_text():
    records = [{"a": "the same long text", "b": ["short", "the same long text"]}, {"a": "x" * 9}]
    swapped, table = shared_strings(records)
    assert table == ["the same long text"]
    assert swapped == [{"a": 0, "b": ["short", 0]}, {"a": "x" * 9}]


# --- what the page holds, and its limit ----------------------------------------------------------


def test_the_apps_filters_make_a_page_of_their_events(seed):
    table, story = seed
    keep = table.events["id"].tolist()[:5]
    lo, hi = pd.Timestamp("2025-03-18T14:00Z"), pd.Timestamp("2025-03-19T06:00Z")
    html = page_html(table, story, event_ids=keep, window=(lo, hi), narrative_id="article",
                     filters_note="only what is confirmed", made_at=MADE)  # fmt: skip
    data = data_of(html)
    assert data["events"]["id"] == keep
    assert data["about"]["holds"].startswith("5 of 16 events")
    assert data["about"]["filters"] == "only what is confirmed"
    assert data["view"] == {"window": [int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)],
                            "narrative": "article"}  # fmt: skip


def test_past_its_limit_a_page_is_refused_with_windows_that_fit(seed):
    table, story = seed
    with pytest.raises(PageTooLarge) as raised:
        page_parts(table, story, limit=10)
    assert isinstance(raised.value, TimelineError) and isinstance(raised.value, ValueError)
    assert "16 events are more than a page can hold well (10)" in str(raised.value)
    assert "--from-time" in str(raised.value)
    fitting = windows_that_fit(table, story, limit=14)
    assert fitting and all(n <= 14 for _, n in fitting)
    assert PAGE_LIMIT == 20_000


def test_a_window_of_the_story_is_a_story_of_its_own(seed):
    _, story = seed
    lo, hi = pd.Timestamp("2025-03-18T12:00Z"), pd.Timestamp("2025-03-19T12:00Z")
    cut = story_in(story, lo, hi)
    assert (cut.whole.start, cut.whole.end) == (lo, hi)
    assert all(lo <= w.start and w.end <= hi for w in cut.presets)


def test_past_the_detail_limit_the_timeline_is_binned_in_the_browser(tmp_path):
    rows = ["id,title,start,time_precision,places,lat,lon,category"]
    for i in range(600):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=7 * i)
        rows.append(f"e{i},Event {i},{day.isoformat()}+00:00,hour,Kyiv,50.45,30.52,c{i % 7}")
    table = parse_events("\n".join(rows))
    story = story_for_table(tmp_path / "events.csv", table.events)
    data = data_of(page_html(table, story, made_at=MADE))
    assert data["mode"] == "large"
    assert list(data["figures"]["timeline"]) == [""]
    assert data["figures"]["timeline"][""]["data"] == []  # bars come from the browser
    assert len(data["events"]["id"]) == 600


# --- the command ---------------------------------------------------------------------------------


def test_publish_writes_the_page_and_says_where_the_bytes_go(tmp_path):
    out = tmp_path / "story.html"
    done = cli("publish", "seeds", "--out", out)
    assert done.code == 0, done.err
    assert f"wrote {out}: " in done.err
    assert re.search(r"MB: plotly\.js 4\.\d\d MB, base map and labels 1\.\d\d MB, events and "
                     r"cards 0\.\d\d MB", done.err)  # fmt: skip
    assert out.stat().st_size < MAX_SEED_BYTES
    assert data_of(out.read_text("utf-8"))["about"]["holds"] == "16 events, 12 on the map"


def test_publish_a_window(tmp_path):
    out = tmp_path / "night.html"
    done = cli("publish", "seeds", "--out", out, "--from-time", "2025-03-18T14:00Z",
               "--to-time", "2025-03-19T06:00+00:00")  # fmt: skip
    assert done.code == 0, done.err
    data = data_of(out.read_text("utf-8"))
    assert data["about"]["holds"].startswith("13 of 16 events")
    assert data["story"]["whole"] == [1742306400000, 1742364000000]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--from-time", "yesterday"], "--from-time: 'yesterday' is not an ISO 8601 time"),
        (["--from-time", "2025-03-19T00:00Z", "--to-time", "2025-03-18T00:00Z"],
         "--to-time is not after --from-time"),
    ],
)  # fmt: skip
def test_publish_says_what_is_wrong_with_a_window(tmp_path, args, says):
    done = cli("publish", "seeds", "--out", tmp_path / "x.html", *args)
    assert done.code == 2
    assert says in done.err
    assert not (tmp_path / "x.html").exists()


def test_the_apps_page_holds_what_the_reader_sees(tmp_path):
    """The app's "Download this story as a page": the events the filters keep, opening on the
    reader's window, the filters said in the header."""
    from timeline.data.engine import open_engine
    from timeline.data.filters import Filters
    from timeline.export.page import page_of_view
    from timeline.model.story import story_for_table

    engine = open_engine(ROOT / "seeds", root=tmp_path)
    story = story_for_table(ROOT / "seeds" / "events.csv", engine.story_events())
    window = (pd.Timestamp("2025-03-18T17:00Z"), pd.Timestamp("2025-03-19T06:00Z"))
    filters = Filters.of({"category": ["strike_energy"]})
    html = page_of_view(engine, story, window, filters, filters_note="Category: strike_energy")
    data = data_of(html)
    assert set(data["events"]["id"]) == {"sloviansk-power", "kavkazskaya-depot"}
    assert "Category: strike_energy" in html
    assert "Krasnodar officials" in html  # the card's title, in the page's data
