"""Hostile story files (issue 10, "The story file"): `validate` reports each bad value as
`story.toml:key: ...` and exits 1 with no traceback; the app opens on each, shows a notice and
still draws every event."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hostile import APP, ROOT
from streamlit.testing.v1 import AppTest

from timeline.cli import main
from timeline.ingest.files import open_table
from timeline.model.story import story_for_table

EVENTS = """id,title,start,category
a,Talks open,2025-03-18T10:00+00:00,diplomacy
b,The call,2025-03-18T14:00+00:00,diplomacy
c,Strike on a depot,2025-03-19T02:00+00:00,strike
d,Talks resume,2025-03-24T09:00+00:00,diplomacy
"""
N = 4
WHOLE = 'start = "2025-03-17T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n'

#: name -> (story.toml, the key the problem names, words of the problem)
BAD_STORIES: dict[str, tuple[str, str, str]] = {
    "start-is-a-list": (
        'start = ["2025-03-17T00:00+00:00"]\nend = "2025-03-26T00:00+00:00"\n',
        "start",
        "is a list, not a time",
    ),
    "end-is-a-number": ('start = "2025-03-17T00:00+00:00"\nend = 20250326\n', "end", "a number"),
    "preset-start-is-a-table": (
        WHOLE + '[[presets]]\nlabel = "P"\nend = "2025-03-19T00:00+00:00"\n'
        "[presets.start]\nx = 1\n",
        "presets[1].start",
        "is a table, not a time",
    ),
    "presets-is-a-number": (WHOLE + "presets = 3\n", "presets", "not an array of tables"),
    "categories-is-a-list": (WHOLE + "categories = [1, 2]\n", "categories", "is a list"),
    "narratives-is-text": (WHOLE + 'narratives = "a, b"\n', "narratives", "not an array"),
    "a-toml-time": ('start = 14:00:00\nend = "2025-03-26T00:00+00:00"\n', "start", "time of day"),
    "a-toml-date": ("start = 2025-03-17\nend = 2025-03-26\n", "start", "TOML date"),
    "a-toml-local-datetime": (
        'start = 2025-03-17T00:00:00\nend = "2025-03-26T00:00+00:00"\n',
        "start",
        "without a UTC offset",
    ),
    "two-presets-one-label": (
        WHOLE + '[[presets]]\nlabel = "Night"\nstart = "2025-03-18T14:00+00:00"\n'
        'end = "2025-03-19T06:00+00:00"\n'
        '[[presets]]\nlabel = "Night"\nstart = "2025-03-19T14:00+00:00"\n'
        'end = "2025-03-20T06:00+00:00"\n',
        "presets[2].label",
        "another preset has this label",
    ),
    "start-after-end": (
        'start = "2025-03-26T00:00+00:00"\nend = "2025-03-17T00:00+00:00"\n',
        "end",
        "is not after the start",
    ),
    "year-0": (
        'start = "0000-01-01T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n',
        "start",
        "outside the years 1 to 9999",
    ),  # fmt: skip
    "narrative-names-missing-ids": (
        WHOLE + '[[narratives]]\nid = "n"\ntitle = "N"\nevents = ["a", "zz", "b"]\n',
        "narratives[1].events[2]",
        "no event has this id",
    ),
    "anchor-names-a-missing-id": (WHOLE + 'anchor = "nope"\n', "anchor", "no event has this id"),
    "narrative-lists-an-id-twice": (
        WHOLE + '[[narratives]]\nid = "n"\ntitle = "N"\nevents = ["a", "b", "a", "c"]\n',
        "narratives[1].events[3]",
        "is listed before",
    ),
    "band-ends-before-it-starts": (
        WHOLE + '[[bands]]\nlabel = "Pause"\nstart = "2025-03-20T00:00+00:00"\n'
        'end = "2025-03-19T00:00+00:00"\n',
        "bands[1].end",
        "is not after the start",
    ),
    "not-toml": ('title = "unclosed\n', "", "is not valid TOML"),
}


def story_folder(tmp_path, toml: str):
    folder = tmp_path / "story"
    folder.mkdir(exist_ok=True)
    (folder / "events.csv").write_text(EVENTS, "utf-8")
    (folder / "story.toml").write_text(toml, "utf-8")
    return folder


@pytest.mark.parametrize("case", list(BAD_STORIES))
def test_validate_reports_a_bad_story_value_as_file_key(tmp_path, capsys, case):
    toml, key, words = BAD_STORIES[case]
    folder = story_folder(tmp_path, toml)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    where = f"{folder / 'story.toml'}:{key}: " if key else f"{folder / 'story.toml'}: "
    hits = [line for line in err.splitlines() if line.startswith(where)]
    assert any(words in line for line in hits), err
    # the table itself is clean and whole
    table = open_table(folder)
    assert len(table.events) == N and table.problems.empty


def test_validate_on_every_bad_story_has_no_traceback(tmp_path):
    """The real command, in one subprocess for all the files (one each would cost a minute)."""
    for case, (toml, _, _) in BAD_STORIES.items():
        (tmp_path / case).mkdir()
        story_folder(tmp_path / case, toml)
    script = (
        "import sys, pathlib\nfrom timeline.cli import main\n"
        "for f in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    print('EXIT', f.name, main(['validate', str(f / 'story')]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    codes = {w[1]: w[2] for w in map(str.split, done.stderr.splitlines()) if w[:1] == ["EXIT"]}
    assert codes == dict.fromkeys(BAD_STORIES, "1"), codes


def test_a_window_starting_in_the_year_1000_is_valid_and_covers_the_events(tmp_path):
    folder = story_folder(tmp_path, 'start = "1000-01-01T00:00+00:00"\n'
                                    'end = "2025-03-26T00:00+00:00"\n')  # fmt: skip
    table = open_table(folder)
    story = story_for_table(folder / "events.csv", table.events)
    assert story.problems.empty
    assert story.whole.start.year == 1000


# --- the app on each --------------------------------------------------------------------------


def open_app(folder, monkeypatch, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(folder))  # before from_file: read at import
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "in the window" in m.value)


def assert_serves_every_event(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert count_line(at).startswith(f"**{N} of {N} events**"), count_line(at)


@pytest.mark.parametrize("case", list(BAD_STORIES))
def test_the_app_opens_on_a_bad_story_with_a_notice_and_every_event(tmp_path, monkeypatch, case):
    folder = story_folder(tmp_path, BAD_STORIES[case][0])
    at = open_app(folder, monkeypatch)
    assert_serves_every_event(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "story file" in warnings, warnings
    problems = [e for e in at.sidebar.expander if "problems in the story file" in e.label]
    assert problems, [e.label for e in at.sidebar.expander]


def test_the_app_opens_on_a_window_starting_in_the_year_1000(tmp_path, monkeypatch):
    folder = story_folder(tmp_path, 'start = "1000-01-01T00:00+00:00"\n'
                                    'end = "2025-03-26T00:00+00:00"\n')  # fmt: skip
    at = open_app(folder, monkeypatch)
    assert_serves_every_event(at)
    # Streamlit's datetime slider cannot hold the year 1000: the window is a select slider
    assert not at.slider and at.select_slider


def test_story_mode_reaches_every_step_of_a_narrative_listing_an_id_twice(tmp_path, monkeypatch):
    folder = story_folder(tmp_path, BAD_STORIES["narrative-lists-an-id-twice"][0])
    at = open_app(folder, monkeypatch)
    at.toggle(key="story_mode").set_value(True).run()
    assert not at.exception

    def step() -> int:
        line = next(m.value for m in at.markdown if m.value.startswith("Story step"))
        assert line.endswith(" of 3**"), line  # the repeated id is listed once
        return int(line.split("**")[1].split()[0])

    seen = [step()]
    for _ in range(4):
        next(b for b in at.button if b.key == "story-next" or "Next step" in b.label).click().run()
        assert not at.exception
        seen.append(step())
    # every step is reached in order, and the last one holds (no loop back to 1)
    assert sorted(set(seen)) == [1, 2, 3] and seen == sorted(seen) and seen[-1] == 3, seen
