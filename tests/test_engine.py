"""The engine: the app's table through its store, the same answers from memory and from DuckDB,
and the dense views' figures (cells, histogram) and their clicks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from timeline.data import engine as E
from timeline.data.contract import Ask
from timeline.data.filters import Filters
from timeline.data.memory import MemoryBackend
from timeline.ingest.files import open_table
from timeline.views.dense import (
    DETAIL_LIMIT,
    cells_figure,
    default_cell_deg,
    histogram_figure,
    parse_pick,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import synthetic_csv  # noqa: E402

T = pd.Timestamp
DAY = (T("2025-03-18T00:00Z"), T("2025-03-19T00:00Z"))
WHOLE = (T("2025-03-01T00:00Z"), T("2025-04-01T00:00Z"))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def memory(root):
    return E.open_engine(SEEDS, root=root)


@pytest.fixture(scope="module")
def duck(root, memory):
    """The same stored seed, answered by DuckDB as a table past the memory limit would be."""
    return E.Engine(memory.store, E._PooledIbis(memory.store))


def ask(window, claims=None) -> Ask:
    return Ask(*window, Filters.of({"claim_status": claims} if claims else None))


def test_the_stored_seed_gives_the_table_as_read(memory):
    table = open_table(SEEDS)
    assert isinstance(memory.backend, MemoryBackend)
    whole = memory.rows(Ask(T("2025-01-01T00:00Z"), T("2026-01-01T00:00Z")), columns=None)
    columns = [c for c in table.events.columns]
    assert_frame_equal(whole[columns], table.events.reset_index(drop=True))
    assert memory.sources == table.sources  # the card's article view reads them
    assert memory.rows_not_loaded == table.rows_not_loaded


def test_a_second_open_reads_the_store_not_the_table(root, memory, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the table was read again")

    # the engine imports the reader only when it must read a table: refuse it at its source
    monkeypatch.setattr("timeline.ingest.files.open_table", refuse)
    again = E.open_engine(SEEDS, root=root)
    assert again.store.key == memory.store.key


def test_an_edited_source_text_makes_a_new_key(tmp_path):
    for f in SEEDS.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    key = E.table_key(tmp_path, online=False)
    assert key == E.table_key(SEEDS, online=False)  # a moved table keeps its store
    assert key != E.table_key(SEEDS, online=True)
    (tmp_path / "story.toml").write_text((SEEDS / "story.toml").read_text() + "\n")
    assert E.table_key(tmp_path, online=False) == key  # the story is not in the model
    article = next(tmp_path.glob("*.txt"))
    article.write_text(article.read_text() + " ")
    assert E.table_key(tmp_path, online=False) != key


@pytest.mark.parametrize("window", [DAY, WHOLE, (T("2025-03-18T14:00Z"), T("2025-03-18T15:00Z"))])
@pytest.mark.parametrize("claims", [None, ["confirmed"]])
def test_memory_and_duckdb_agree(memory, duck, window, claims):
    question = ask(window, claims)
    ours, theirs = memory.rows(question), duck.rows(question)
    assert list(ours["id"]) == list(theirs["id"])
    assert memory.count(question) == duck.count(question) == len(ours)
    assert list(memory.places(question)["event_id"]) == list(duck.places(question)["event_id"])
    assert memory.count_placed(question) == duck.count_placed(question)


def test_a_question_asked_again_is_answered_once_for_every_session(duck, monkeypatch):
    asked = []
    backend = duck.backend

    class Counting:
        total = backend.total

        def __getattr__(self, name):
            asked.append(name)
            return getattr(backend, name)

    monkeypatch.setattr(duck, "backend", Counting())
    question = Ask(T("2025-03-17T00:00Z"), T("2025-03-17T06:00Z"))  # no other test asks it
    first = duck.cells(question, cell_deg=1.0)
    assert duck.cells(question, cell_deg=1.0).equals(first) and len(asked) == 1
    assert duck.count(question) == duck.count(question) and len(asked) == 2
    # Another filter is another question.
    duck.count(ask((question.lo, question.hi), ["confirmed"]))
    assert len(asked) == 3
    # A reader who changes the answer changes their copy only (pandas copies on write).
    first.loc[:, "cell_count"] = -1
    assert (duck.cells(question, cell_deg=1.0)["cell_count"] >= 0).all() and len(asked) == 3
    monkeypatch.setattr(E, "SHARED_ANSWERS", 1)
    duck.bins(question)
    assert len(duck._answers) == 1


@pytest.mark.parametrize("direction", [1, -1])
def test_stepping_agrees(memory, duck, direction):
    call = memory.event("trump-putin-call")
    mine = memory.neighbour(call["start"], "trump-putin-call", direction, Filters())
    theirs = duck.neighbour(call["start"], "trump-putin-call", direction, Filters())
    assert mine["id"] == theirs["id"]


def test_single_events_agree(memory, duck):
    assert memory.event("sumy-hospital")["title"] == duck.event("sumy-hospital")["title"]
    assert memory.event("no-such") is None and duck.event("no-such") is None
    assert list(memory.event_places("sudzha-retaken")["name"]) == list(
        duck.event_places("sudzha-retaken")["name"]
    )
    assert memory.known(["no-such", "sumy-hospital"]) == duck.known(["no-such", "sumy-hospital"])
    assert memory.titles(["sumy-hospital"]) == duck.titles(["sumy-hospital"])
    assert len(memory.event_links("riyadh-talks")) == len(duck.event_links("riyadh-talks")) > 0


def test_a_window_exports_as_a_table_of_its_own(memory, duck):
    for engine in (memory, duck):
        table = engine.subtable(ask(DAY), limit=5)
        assert len(table.events) == 5 and set(table.places["event_id"]) <= set(table.events["id"])
        assert "ordinal" not in table.events.columns


def test_a_large_table_lists_no_titles(memory, monkeypatch):
    monkeypatch.setattr(E, "PICK_LIMIT", 3)
    with pytest.raises(ValueError, match="search"):
        memory.all_titles()
    assert "sumy-hospital" in set(memory.search("SUMY")["id"])


@pytest.fixture(scope="module")
def dense(tmp_path_factory, root):
    folder = tmp_path_factory.mktemp("dense")
    (folder / "events.csv").write_text(synthetic_csv(3_000))
    return E.open_engine(folder, root=root)


LONG = Ask(T("2019-12-01T00:00Z"), T("2025-02-01T00:00Z"))


def test_dense_counts_add_up(dense):
    total = dense.count(LONG)
    assert total == 3_000 > DETAIL_LIMIT
    assert dense.bins(LONG)["count"].sum() == total
    cells = dense.cells(LONG, cell_deg=default_cell_deg(dense.extent))
    assert cells["count"].sum() == total  # one place per event
    cell = cells.sort_values("cell_count").iloc[-1]
    page = dense.cell_rows(LONG, (int(cell["cell_y"]), int(cell["cell_x"])),
                           cell_deg=default_cell_deg(dense.extent), limit=10)  # fmt: skip
    assert 0 < len(page) <= 10
    assert list(page["earliest"]) == sorted(page["earliest"])


def test_the_cells_figure_is_one_disc_per_cell_with_its_mix(dense):
    cells = dense.cells(LONG, cell_deg=default_cell_deg(dense.extent))
    fig = cells_figure(cells)
    trace = fig.data[0]
    n = cells[["cell_y", "cell_x"]].drop_duplicates().shape[0]
    assert len(trace.lat) == n
    assert all(parse_pick(c)[0] == "cell" for c in trace.customdata)
    biggest = max(trace.text, key=lambda t: int(t.split(" events")[0][3:].replace(",", "")))
    assert "placed only to a region or country" in biggest
    assert "known only to a day or coarser" in biggest
    assert "%" in biggest.split("<br>")[1]  # the category mix
    assert len(fig.to_json()) < 300_000
    # Faint = placed coarsely, in the colour: a click's selection dims no disc.
    scale = [colour for _, colour in trace.marker.colorscale]
    shares = cells_coarse_share(cells)
    for pick, number in zip(trace.customdata[:, 0], trace.marker.color, strict=True):
        alpha = float(scale[2 * number].rsplit(",", 1)[1].rstrip(")"))
        assert alpha == pytest.approx(0.85 - 0.45 * shares[pick], abs=0.06)
    assert trace.unselected.marker.opacity == trace.selected.marker.opacity == 1.0


def cells_coarse_share(cells):
    """Each cell's share of events placed only to a region or a country, by its pick."""
    one = cells.drop_duplicates(["cell_y", "cell_x"])
    picks = "cell|" + one["cell_y"].astype("str") + "|" + one["cell_x"].astype("str")
    return dict(zip(picks, one["place_coarse_share"], strict=True))


def test_the_histogram_stacks_categories_and_names_its_bins(dense):
    bins = dense.bins(LONG)
    fig = histogram_figure(bins, (LONG.lo, LONG.hi), (LONG.lo, LONG.hi))
    assert fig.layout.barmode == "stack"
    assert sum(sum(t.y) for t in fig.data) == 3_000
    kind, (start, end) = parse_pick(fig.data[0].customdata[0])
    assert kind == "bin" and start < end
    assert json.loads(fig.to_json())  # serialisable


@pytest.mark.parametrize(
    "value, expected",
    [
        ("cell|3|-7", ("cell", (3, -7))),
        (["cell|0|0"], ("cell", (0, 0))),
        (
            "bin|2022-01-01T00:00:00Z|2022-01-08T00:00:00Z",
            ("bin", (T("2022-01-01T00:00Z"), T("2022-01-08T00:00Z"))),
        ),  # fmt: skip
        ("sumy-hospital", None),
        ("cell|x|1", None),
        (None, None),
        (7, None),
    ],
)
def test_parse_pick(value, expected):
    assert parse_pick(value) == expected


def test_two_tables_in_one_folder_have_their_own_stores(tmp_path):
    """The side files are shared, the table is not: each must open its own events."""
    from timeline.data.engine import table_key

    (tmp_path / "a.csv").write_text("title,start\nA,2025-03-18T14:00Z\n", "utf-8")
    (tmp_path / "b.csv").write_text("title,start\nB,2025-03-18T14:00Z\nC,2025-03-19T14:00Z\n")
    assert table_key(tmp_path / "a.csv", online=False) != table_key(
        tmp_path / "b.csv", online=False
    )


def test_the_seed_store_loads_into_an_in_memory_duckdb_and_answers_alike(memory):
    # Before: Ibis's own create_table failed here ("DROP VIEW IF EXISTS" without a name).
    import ibis

    from timeline.data import queries as Q

    fields = memory.store.manifest["fields"]
    loaded = Q.IbisBackend(Q.load_into(ibis.duckdb.connect(), memory.store), fields=fields)
    assert loaded.total == memory.total
    assert loaded.count(ask(WHOLE)) == memory.count(ask(WHOLE))
    assert_frame_equal(loaded.rows(ask(DAY)), memory.rows(ask(DAY)))


def _cut_short(path: Path) -> None:
    with open(path, "r+b") as fp:
        fp.truncate(path.stat().st_size // 2)


def _scribbled(path: Path) -> None:
    # The footer stays whole: the damage shows only when the data pages are read.
    data = bytearray(path.read_bytes())
    data[4 : len(data) // 2] = b"\xff" * (len(data) // 2 - 4)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("table", ["events", "places", "problems"])
@pytest.mark.parametrize("damage", [_cut_short, _scribbled], ids=["truncated", "scribbled"])
def test_a_damaged_store_is_set_aside_rebuilt_and_said(tmp_path, table, damage):
    # Before: the store was trusted because its files existed, and every start raised.
    first = E.open_engine(SEEDS, root=tmp_path)
    damaged = first.store.file(table)
    damage(damaged)
    again = E.open_engine(SEEDS, root=tmp_path)
    assert again.store.key == first.store.key
    assert again.total == first.total
    assert again.rows_not_loaded == first.rows_not_loaded
    notice = again.problems.iloc[0]
    assert notice["kept"] and str(first.store.path) in notice["file"]
    assert "stored copy of the table could not be read" in notice["problem"]
    assert "set aside and stored again" in notice["problem"]
    assert len(again.problems) == len(first.problems) + 1  # nothing of the table's own lost
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.store.key]  # no leftover
    third = E.open_engine(SEEDS, root=tmp_path)  # stored whole again: no notice any more
    assert_frame_equal(third.problems, first.problems)


def test_a_damaged_upload_store_is_rebuilt_too(tmp_path):
    table = open_table(SEEDS)
    first = E.Engine.from_table(table, key="upload", root=tmp_path)
    _cut_short(first.store.file("events"))
    again = E.Engine.from_table(table, key="upload", root=tmp_path)
    assert again.total == first.total
    assert "could not be read" in again.problems.iloc[0]["problem"]


def test_damage_the_footers_do_not_show_is_found_when_the_store_is_read(tmp_path, monkeypatch):
    first = E.open_engine(SEEDS, root=tmp_path)
    _scribbled(first.store.file("events"))
    monkeypatch.setattr(E, "damage", lambda store: None)  # every footer reads
    again = E.open_engine(SEEDS, root=tmp_path)
    assert again.total == first.total
    assert again.problems.iloc[0]["file"] == str(first.store.path)
