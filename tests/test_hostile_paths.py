"""Paths that leave the story folder (issue 16, class 3): a story folder is a boundary. Nothing
it names or links outside itself is read, hashed or shown (story.toml's table as `..` or an
absolute path, an events.csv, places.csv or source text that links out, a link to /proc/self/mem
beside the table), each with a message that says what was refused; the rest loads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hostile import APP, cli, lines
from streamlit.testing.v1 import AppTest

from timeline.data.engine import open_engine, table_files, table_key
from timeline.ingest.files import open_table, resolve_table
from timeline.model.boundary import inside
from timeline.model.limits import MAX_TABLE_BYTES
from timeline.model.story import read_story

T0 = "2025-03-18T10:00+00:00"
SECRET = "private-secret-title"


@pytest.fixture
def tree(tmp_path) -> Path:
    """tmp/elsewhere/private.csv (a table nobody shared) and tmp/story/ (the shared folder)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.csv").write_text(f"id,title,start\nsecret,{SECRET},{T0}\n", "utf-8")
    (elsewhere / "places.csv").write_text(
        "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"
        "Secretville,,UA,50.1,30.1,town,,private notes,,\n",
        "utf-8",
    )
    (elsewhere / "article.txt").write_text("He said so.", "utf-8")
    story = tmp_path / "story"
    story.mkdir()
    return story


def story_toml(story: Path, table: str) -> None:
    (story / "story.toml").write_text(f"title = 'S'\ntable = {table!r}\n", "utf-8")


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("../elsewhere/private.csv", "climbs out of the folder"),
        ("sub/../../elsewhere/private.csv", "climbs out of the folder"),
        ("ABSOLUTE", "is an absolute path"),
        ("link.csv", "is a link to a file outside the folder"),
    ],
)
def test_a_story_toml_naming_a_table_outside_its_folder_is_refused(tree, table, words):
    (tree / "sub").mkdir()
    os.symlink(tree.parent / "elsewhere" / "private.csv", tree / "link.csv")
    table = str(tree.parent / "elsewhere" / "private.csv") if table == "ABSOLUTE" else table
    story_toml(tree, table)
    path, why = resolve_table(tree)
    assert path == tree and words in why and "refused" in why
    opened = open_table(tree)
    assert opened.events.empty
    assert words in lines(opened)[0]
    run = cli("export", tree, "--format", "csv")
    assert SECRET not in run.out + run.err
    assert words in run.err
    assert table_files(tree) == [] and table_key(tree, online=False) is None
    story = read_story(tree / "story.toml", events=None)
    assert words in " ".join(story.problems["problem"])


def test_a_table_in_a_subfolder_of_the_story_is_fine(tree):
    (tree / "data").mkdir()
    (tree / "data" / "events.csv").write_text(f"id,title,start\na,A,{T0}\n", "utf-8")
    story_toml(tree, "data/events.csv")
    assert resolve_table(tree) == (tree / "data" / "events.csv", None)
    assert list(open_table(tree).events["id"]) == ["a"]


def test_an_events_csv_that_links_out_is_refused(tree):
    os.symlink(tree.parent / "elsewhere" / "private.csv", tree / "events.csv")
    table = open_table(tree)
    assert table.events.empty
    assert "has an events.csv that is a link to a file outside the folder" in lines(table)[0]


def test_a_named_table_is_read_where_it_is_but_its_neighbours_are_held_to_its_folder(tree):
    # Naming a file yourself is no boundary: the operator chose it.
    assert len(open_table(tree.parent / "elsewhere" / "private.csv").events) == 1


def good_story(tree: Path) -> None:
    (tree / "events.csv").write_text(
        "id,title,start,places,source_file,quote\n"
        f"a,A,{T0},Secretville,article.txt,He said so.\n"
        f"b,B,{T0},Kyiv,,\n",
        "utf-8",
    )


@pytest.mark.parametrize("target", ["/etc/passwd", "ELSEWHERE"])
def test_a_places_csv_that_links_out_is_not_read_and_the_table_loads(tree, target):
    good_story(tree)
    target = tree.parent / "elsewhere" / "places.csv" if target == "ELSEWHERE" else target
    os.symlink(target, tree / "places.csv")
    table = open_table(tree)
    assert set(table.events["id"]) == {"a", "b"}
    said = "\n".join(lines(table))
    assert f"{tree / 'places.csv'}: is a link to a file outside the folder" in said
    assert "root:" not in said and "private notes" not in said
    assert "Secretville" not in set(table.located["name"])  # the outside gazetteer is unused
    run = cli("validate", tree)
    assert "root:" not in run.err and "unknown column" not in run.err


def test_a_source_text_that_links_out_is_not_read(tree):
    good_story(tree)
    os.symlink(tree.parent / "elsewhere" / "article.txt", tree / "article.txt")
    table = open_table(tree)
    assert not table.events.set_index("id").loc["a", "quote_verified"]
    assert "is a link to a file outside the folder" in " ".join(lines(table))
    assert "article.txt" not in table.sources


def test_links_to_proc_and_devices_beside_the_table_are_never_hashed_or_read(tree, tmp_path):
    good_story(tree)
    os.symlink("/proc/self/mem", tree / "mem.txt")
    os.symlink("/dev/zero", tree / "zero.txt")
    os.symlink("/proc/self/pagemap", tree / "pagemap.csv")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "pipe.txt")
    assert table_files(tree) == [tree / "events.csv"]
    started = time.monotonic()
    engine = open_engine(tree, root=tmp_path / "store")
    assert time.monotonic() - started < 30
    assert engine.total == 2


def test_proc_files_as_the_table_end_in_a_message_not_a_crash(tmp_path, monkeypatch):
    for path in ("/proc/self/environ", "/proc/self/mem"):
        engine = open_engine(path, root=tmp_path / "store")
        assert engine.total == 0 and len(engine.problems)
    monkeypatch.setenv("TIMELINE_MAP_TABLE", "/proc/self/environ")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("size", [MAX_TABLE_BYTES + 1, 5 * 10**9], ids=["just-past", "5-GB"])
def test_a_table_past_the_size_bound_is_refused_before_a_byte_is_hashed(tmp_path, size):
    path = tmp_path / "events.csv"
    with open(path, "wb") as fp:  # sparse: no disk used, and slow to hash were it read
        fp.truncate(size)
    started = time.monotonic()
    assert table_key(path, online=False) is None
    table = open_table(path)
    assert time.monotonic() - started < 2
    assert "is larger than 1 GB, the most a table file may be" in lines(table)[0]


@pytest.mark.parametrize("case", ["story-toml", "places-link"])
def test_the_app_refuses_without_an_exception(tree, monkeypatch, case):
    if case == "story-toml":
        story_toml(tree, "../elsewhere/private.csv")
    else:
        good_story(tree)
        os.symlink("/etc/passwd", tree / "places.csv")
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(tree))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.text, *at.caption])
    assert SECRET not in shown and "root:" not in shown


@pytest.mark.parametrize(
    ("name", "ok"),
    [("events.csv", True), ("a/b.csv", True), ("a/../b.csv", True), ("../b.csv", False),
     ("/etc/passwd", False), ("a\x00b", False), ("", False)],
)  # fmt: skip
def test_inside(tmp_path, name, ok):
    assert (inside(tmp_path, name)[0] is not None) == ok
