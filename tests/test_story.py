"""story.toml: every key read, every bad value reported (never raised), defaults from the data."""

from __future__ import annotations

import json
import re
import tomllib
import zlib
from pathlib import Path

import pandas as pd
import pytest

from timeline.ingest.files import read_events
from timeline.model.problems import format_problem
from timeline.model.schema import PROBLEMS
from timeline.model.story import (
    KEYS,
    PALETTE,
    category_colour,
    category_styles,
    default_story,
    parse_story,
    read_story,
    story_for_table,
)
from timeline.model.vocab import Category

ROOT = Path(__file__).resolve().parent.parent
T = pd.Timestamp


@pytest.fixture(scope="module")
def events():
    return read_events(ROOT / "seeds/events.csv").events


def story(text: str, events: pd.DataFrame | None):
    return parse_story(text, file="story.toml", folder=ROOT / "seeds", events=events)


EVERY_KEY = """
title = "A story"
table = "events.csv"
article = "000_2931e19d335c2529.txt"
start = "2025-03-11T00:00+00:00"
end = 2025-03-26T02:00:00+02:00
anchor = "sumy-hospital"

[[presets]]
label = "A day"
start = "2025-03-18T00:00+00:00"
end = "2025-03-19T00:00+00:00"

[[narratives]]
id = "short"
title = "Two steps"
events = ["sumy-hospital", "riyadh-talks"]

[categories.diplomacy]
label = "Talks"
colour = "#abc"
order = 2

[categories.military]
label = "Fighting"
colour = "#112233"
order = 1

[[bands]]
event = "energy-pause"
label = "Pause"
colour = "#00ff00"
highlight = ["strike_energy"]

[[bands]]
label = "A fixed span"
start = "2025-03-12T00:00+00:00"
end = "2025-03-13T00:00+00:00"

[[facets]]
field = "actors"
label = "Who acted"
kind = "values"
"""


def key_paths(data: dict, prefix: str = "") -> set[str]:
    """The keys of a parsed story file in the form of `KEYS`: `presets[].label`, ..."""
    out = set()
    for key, value in data.items():
        path = prefix + ("ID" if prefix == "categories." else key)
        if isinstance(value, dict):
            out |= key_paths(value, path + ".")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                out |= key_paths(item, path + "[].")
        else:
            out.add(path)
    return out


def test_the_test_file_sets_every_key():
    assert key_paths(tomllib.loads(EVERY_KEY)) == set(KEYS)


def test_every_key_is_read(events):
    s = story(EVERY_KEY, events)
    assert s.problems.empty, s.problems.to_dict("records")
    assert s.title == "A story"
    assert s.table == ROOT / "seeds/events.csv"
    assert s.article == "000_2931e19d335c2529.txt"
    assert (s.whole.start, s.whole.end) == (T("2025-03-11T00:00Z"), T("2025-03-26T00:00Z"))
    assert s.anchor == "sumy-hospital"
    assert [(w.label, w.start) for w in s.presets] == [("A day", T("2025-03-18T00:00Z"))]
    assert [(f.field, f.label, f.kind) for f in s.facets] == [("actors", "Who acted", "values")]
    assert s.narratives[0].id == "short" and s.narratives[0].title == "Two steps"
    assert s.narratives[0].event_ids == ("sumy-hospital", "riyadh-talks")
    # Declared first, by `order`; then the table's other categories by frequency.
    assert list(s.categories)[:3] == ["military", "diplomacy", "statement"]
    assert s.categories["diplomacy"] == Category("Talks", "#AABBCC")
    assert s.categories["strike_energy"].label == "strike_energy"
    pause, fixed = s.bands
    assert (pause.label, pause.colour, pause.highlight) == ("Pause", "#00FF00", ("strike_energy",))
    assert (pause.start, pause.end) == (T("2025-03-18T14:00Z"), T("2025-04-18T00:00Z"))
    assert (fixed.start, fixed.end) == (T("2025-03-12T00:00Z"), T("2025-03-13T00:00Z"))
    assert fixed.colour == "#888888" and fixed.highlight == ()


def test_a_band_given_by_an_event_takes_its_categorys_colour_by_default(events):
    s = story('[[bands]]\nevent = "energy-pause"\nlabel = "P"\n', events)
    assert s.bands[0].colour == s.categories["ceasefire"].colour


AFTER = 'start = "2025-03-11T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n'
PRESET = '[[presets]]\nlabel = "{label}"\nstart = "{start}"\nend = "{end}"\n'
DAY = {"start": "2025-03-18T00:00+00:00", "end": "2025-03-19T00:00+00:00"}


@pytest.mark.parametrize(
    ("text", "column", "words", "kept"),
    [
        ('start = ["2025-03-11T00:00+00:00"]\nend = "2025-03-26T00:00+00:00"', "start",
         "is a list, not a time", False),
        ('start = 2025\nend = "2025-03-26T00:00+00:00"', "start", "is a number, not a time",
         False),
        ('start = {a = 1}\nend = "2025-03-26T00:00+00:00"', "start", "is a table, not a time",
         False),
        ('start = 2025-03-11T00:00:00\nend = "2025-03-26T00:00+00:00"', "start",
         "TOML date-time without a UTC offset", False),
        ('start = 2025-03-11\nend = "2025-03-26T00:00+00:00"', "start", "TOML date", False),
        ('start = 10:00:00\nend = "2025-03-26T00:00+00:00"', "start", "TOML time of day",
         False),
        ('start = "2025-03-11"\nend = "2025-03-26T00:00+00:00"', "start", "needs a UTC offset",
         False),
        ('start = "soon"\nend = "2025-03-26T00:00+00:00"', "start", "is not an ISO 8601 time",
         False),
        ('start = "0000-01-01T00:00+00:00"\nend = "2025-03-26T00:00+00:00"', "start",
         "outside the years 1 to 9999", False),
        ('start = "2025-03-11T00:00+00:00"\nend = "+10000-01-01T00:00+00:00"', "end",
         "outside the years 1 to 9999", False),
        ('start = "2025-03-26T00:00+00:00"\nend = "2025-03-11T00:00+00:00"', "end",
         "is not after the start", False),
        ("title = 3", "title", "is a number, not text", False),
        ('title = ""', "title", "is empty", False),
        ("presets = 3", "presets", "is a number, not an array of tables", False),
        ('presets = "day"', "presets", "is str, not an array of tables", False),
        (AFTER + PRESET.format(label="Day", **DAY) * 2, "presets[2].label",
         "another preset has this label", False),
        (AFTER + PRESET.format(label="Whole story", **DAY), "presets[1].label",
         "another preset has this label", False),
        (AFTER + PRESET.format(label="Back", start=DAY["end"], end=DAY["start"]),
         "presets[1].end", "is not after the start", False),
        (AFTER + PRESET.format(label="Later", start="2026-01-01T00:00+00:00",
                               end="2026-01-02T00:00+00:00"),
         "presets[1].start", "outside the whole window", False),
        (AFTER + PRESET.format(label="Wide", start="2025-03-01T00:00+00:00", end=DAY["end"]),
         "presets[1].start", "reaches outside the whole window; cut to it", True),
        ('[[presets]]\nstart = "2025-03-18T00:00+00:00"\nend = "2025-03-19T00:00+00:00"',
         "presets[1].label", "a preset needs a label", False),
        ('[[presets]]\nlabel = "Day"\nstart = [1]\nend = "2025-03-19T00:00+00:00"',
         "presets[1].start", "is a list, not a time", False),
        ('anchor = "no-such-event"', "anchor", "no event has this id", False),
        ('anchor = ["sumy-hospital"]', "anchor", "is a list, not text", False),
        ('[[bands]]\nevent = "no-such-event"\nlabel = "X"', "bands[1].event",
         "no event has this id; the band is left out", False),
        ('[[bands]]\nevent = "energy-pause"\nlabel = "X"\nstart = "2025-03-12T00:00+00:00"',
         "bands[1].event", "not both; the event is used", True),
        ('[[bands]]\nlabel = "X"', "bands[1]", "a band needs an event, or a start and an end",
         False),
        ('[[bands]]\nevent = "energy-pause"', "bands[1].label", "a band needs a label", True),
        ('[[bands]]\nevent = "energy-pause"\nlabel = "X"\nhighlight = "strike_energy"',
         "bands[1].highlight", "is str, not a list of texts", False),
        ('[[bands]]\nevent = "energy-pause"\nlabel = "X"\nhighlight = ["nothing"]',
         "bands[1].highlight[1]", "no event has this category", True),
        ('[[bands]]\nevent = "energy-pause"\nlabel = "X"\ncolour = "red"',
         "bands[1].colour", "is not a colour written #rrggbb", False),
        ('[[narratives]]\nid = "n"\ntitle = "N"\nevents = ["sumy-hospital", "nope"]',
         "narratives[1].events[2]", "no event has this id", False),
        ('[[narratives]]\nid = "n"\ntitle = "N"\nevents = ["nope"]',
         "narratives[1].events", "names no event of the table", False),
        ('[[narratives]]\nid = "n"\ntitle = "N"\nevents = "sumy-hospital"',
         "narratives[1].events", "is str, not a list of texts", False),
        ('[categories.x]\ncolour = "javascript:alert(1)"', "categories.x.colour",
         "is not a colour written #rrggbb", False),
        ('[categories.x]\norder = "first"', "categories.x.order", "is str, not a number", False),
        ("categories = [1]", "categories", "is a list, not a table of categories", False),
        ("[categories]\nx = 1", "categories.x", "is a number, not a table", False),
        ('pause = "energy-pause"', "pause", "is not a story.toml key", True),
        ('[[presets]]\nlabel = "Day"\nfrom = 1', "presets[1].from", "is not a story.toml key",
         True),
    ],
)  # fmt: skip
def test_a_bad_value_is_reported_by_its_key_and_never_raised(events, text, column, words, kept):
    s = story(text, events)
    hits = s.problems[s.problems["column"] == column]
    assert len(hits) == 1, s.problems.to_dict("records")
    problem = hits.iloc[0]
    assert words in problem["problem"]
    assert bool(problem["kept"]) is kept
    assert problem["file"] == "story.toml" and pd.isna(problem["row"])
    assert tuple(s.problems.columns) == PROBLEMS.names


def test_a_problem_prints_as_file_key_what_is_wrong(events):
    s = story(AFTER + PRESET.format(label="Day", **DAY) * 2, events)
    (line,) = [format_problem(p) for _, p in s.problems.iterrows()]
    assert line.startswith("story.toml:presets[2].label: another preset has this label")
    assert "(got 'Day')" in line


def test_bad_values_fall_back_to_their_defaults(events):
    s = story('title = 3\nstart = "2025-03-26T00:00+00:00"\nend = "2025-03-11T00:00+00:00"', events)
    fallback = default_story(ROOT / "seeds/events.csv", events)
    assert s.title == "events" and s.whole == fallback.whole
    assert s.source is not None  # the rest of the file is still used


def test_a_narrative_listing_an_id_twice_keeps_the_first(events):
    text = '[[narratives]]\nid = "n"\ntitle = "N"\nevents = ["a", "sumy-hospital", "b"]\n'
    ids = ["riyadh-talks", "sumy-hospital", "riyadh-talks", "jeddah-talks", "sumy-hospital"]
    text = text.replace('["a", "sumy-hospital", "b"]', str(ids).replace("'", '"'))
    s = story(text, events)
    assert s.narratives[0].event_ids == ("riyadh-talks", "sumy-hospital", "jeddah-talks")
    assert list(s.problems["column"]) == ["narratives[1].events[3]", "narratives[1].events[5]"]


def test_a_toml_datetime_with_an_offset_is_accepted(events):
    s = story("start = 2025-03-11T03:00:00+03:00\nend = 2025-03-26T00:00:00Z", events)
    assert s.problems.empty
    assert s.whole.start == T("2025-03-11T00:00Z")


def test_a_window_in_the_year_1000_is_a_window(events):
    s = story('start = "1000-01-01T00:00+00:00"\nend = "1000-02-01T00:00+00:00"', events)
    assert s.problems.empty and s.whole.start.year == 1000


def test_without_events_the_file_alone_is_checked():
    s = story('anchor = "anything"\n[[bands]]\nevent = "x"\nlabel = "X"', None)
    assert s.problems.empty
    assert s.anchor == "anything" and s.bands[0].start is None


def test_a_file_that_is_not_toml_gives_the_tables_story(events, tmp_path):
    s = story('title = "unfinished\n', events)
    assert s.source is None and s.title == "events"
    assert "is not valid TOML" in s.problems.iloc[0]["problem"]
    bad = tmp_path / "story.toml"
    bad.write_bytes(b'title = "\xff"\n')
    s = read_story(bad, events=events)
    assert "is not UTF-8" in s.problems.iloc[0]["problem"] and s.source is None


def test_story_for_table_falls_back_with_the_files_problems(events, tmp_path):
    table = tmp_path / "mine.csv"
    (tmp_path / "story.toml").write_text('title = "x', "utf-8")
    s = story_for_table(table, events)
    assert s.table == table and s.title == "mine" and len(s.problems) == 1
    # A story file written for another table of the folder is not this table's story.
    (tmp_path / "story.toml").write_text('title = "Other"\ntable = "other.csv"\n', "utf-8")
    s = story_for_table(table, events)
    assert s.title == "mine" and s.problems.empty


def test_the_seed_story_is_clean_and_owns_its_words(events):
    s = story_for_table(ROOT / "seeds/events.csv", events)
    assert s.problems.empty, s.problems.to_dict("records")
    assert s.source == ROOT / "seeds/story.toml"
    (pause,) = s.bands
    assert pause.event == "energy-pause" and pause.highlight == ("strike_energy",)
    assert [w.label for w in s.windows] == [
        "Whole story",
        "Day of the call",
        "Night after the call",
    ]


# --- defaults from the data --------------------------------------------------------------------


def test_without_a_story_file_everything_comes_from_the_table(events):
    s = story_for_table(Path("elsewhere/my_events.csv"), events)
    assert s.title == "my_events" and s.source is None and s.problems.empty
    assert s.whole.start == events["earliest"].min().floor("D")
    assert s.whole.end == events["latest"].max().floor("D") + pd.Timedelta(days=1)
    # The pause runs to mid-April, so the window spans 39 days: the busiest week, then day.
    assert [w.label.split(" (")[0] for w in s.presets] == ["Busiest week", "Busiest day"]
    day = s.presets[1]
    assert (day.start, day.end) == (T("2025-03-18T00:00Z"), T("2025-03-19T00:00Z"))
    for w in s.presets:  # the count in the label is the events that begin in the window
        begin = events["earliest"].dt.floor("D")
        n = ((begin >= w.start) & (begin < w.end)).sum()
        assert w.label.endswith(f"({n} events)")
    counts = events["category"].astype("str").value_counts()
    assert list(s.categories) == sorted(counts.index, key=lambda c: (-counts[c], c))
    assert s.categories["diplomacy"].label == "diplomacy"
    assert s.anchor is None and s.narratives == () and s.bands == ()


def test_the_busiest_scales_follow_the_length_of_the_data():
    times = pd.Series(pd.to_datetime(["1990-05-01", "1995-05-01", "1995-05-02"], utc=True))
    frame = pd.DataFrame({"earliest": times, "latest": times, "category": ["a", "b", "b"]})
    s = default_story("x.csv", frame)
    assert [w.label.split(" (")[0] for w in s.presets] == [
        "Busiest year", "Busiest 30 days", "Busiest week"
    ]  # fmt: skip
    assert s.presets[0].start == T("1995-05-01T00:00Z")


def test_an_empty_table_still_has_a_window():
    empty = pd.DataFrame({"earliest": [], "latest": [], "category": []})
    s = default_story("x.csv", empty)
    assert s.whole.end > s.whole.start and s.presets == () and s.categories == {}


def test_a_window_reaching_year_9999_stops_at_its_last_second():
    t = pd.Series(pd.to_datetime(["9999-12-31T12:00Z"], utc=True))
    s = default_story("x.csv", pd.DataFrame({"earliest": t, "latest": t, "category": ["a"]}))
    assert s.whole.end.year == 9999 and s.whole.end.to_pydatetime()


def test_an_undeclared_category_gets_a_fixed_colour_and_is_never_dropped():
    declared = {"protest": Category("Protests", PALETTE[0])}
    data = ["riot", "protest", "riot", "", "battle"]
    styles = category_styles(data, declared)
    assert list(styles) == ["protest", "riot", "", "battle"]  # declared, then by frequency
    assert styles["riot"].label == "riot" and styles[""].label == "(no category)"
    colours = [c.colour for c in styles.values()]
    assert len(set(colours)) == len(colours)  # clear of the declared and of each other
    # The same text gives the same colour on every run (a checksum, not Python's hash).
    assert category_colour("riot") == PALETTE[zlib.crc32(b"riot") % len(PALETTE)]
    assert category_colour("riot", taken=[category_colour("riot")]) != category_colour("riot")


# --- the README -----------------------------------------------------------------------------


def test_the_readme_documents_every_story_key():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = re.search(r"^## story\.toml\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert section, "README has no '## story.toml' section"
    for key in KEYS:
        assert re.search(rf"^\| `{re.escape(key)}` \|", section.group(1), re.MULTILINE), key


# --- any story file: nothing escapes ------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCALARS = st.one_of(
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=12),
    st.sampled_from(["2025-03-18T00:00+00:00", "0001-01-01T00:00+00:00", "sumy-hospital",
                     "energy-pause", "#123456", "strike_energy", "9999-12-31T23:59+00:00"]),
    st.integers(-(2**40), 2**40),
    st.booleans(),
)  # fmt: skip
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string


TABLE_KEYS = {"presets": ["label", "start", "end"], "narratives": ["id", "title", "events"],
              "bands": ["label", "event", "start", "end", "colour", "highlight"]}  # fmt: skip


@st.composite
def story_files(draw) -> str:
    top = ["title", "table", "article", "start", "end", "anchor"]
    lines = [f"{k} = {toml_value(draw(VALUES))}" for k in draw(st.sets(st.sampled_from(top)))]
    for name, keys in TABLE_KEYS.items():
        for _ in range(draw(st.integers(0, 2))):
            lines.append(f"[[{name}]]")
            lines += [
                f"{k} = {toml_value(draw(VALUES))}" for k in draw(st.sets(st.sampled_from(keys)))
            ]
    for cid in draw(st.sets(st.sampled_from(["military", "x y", "strike_energy"]), max_size=2)):
        lines.append(f"[categories.{json.dumps(cid)}]")
        for k in draw(st.sets(st.sampled_from(["label", "colour", "order"]))):
            lines.append(f"{k} = {toml_value(draw(VALUES))}")
    return "\n".join(lines) + "\n"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=story_files())
def test_no_story_file_raises_and_every_window_is_usable(events, text):
    tomllib.loads(text)  # the generator writes valid TOML: the checks, not the parser, are tested
    s = story(text, events)
    assert tuple(s.problems.columns) == PROBLEMS.names
    for w in s.windows:
        assert s.whole.start <= w.start < w.end <= s.whole.end
    assert len({w.label for w in s.windows}) == len(s.windows)
    for n in s.narratives:
        assert len(set(n.event_ids)) == len(n.event_ids) and set(n.event_ids) <= set(events["id"])
    assert s.anchor is None or s.anchor in set(events["id"])
    assert all(b.start is not None and b.start <= b.end for b in s.bands)
    assert all(re.fullmatch("#[0-9A-Fa-f]{6}", c.colour) for c in s.categories.values())
