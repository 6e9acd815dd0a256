"""The store: keys that follow content and code, an exact round trip, atomic and shared builds."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from timeline.data import store as S
from timeline.model.schema import EVENTS


def _model(n: int = 5) -> SimpleNamespace:
    start = pd.Series(
        pd.date_range("2025-03-18T00:00Z", periods=n, freq="h")[::-1], dtype="datetime64[us, UTC]"
    )
    events = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(n)],
            "title": [f"Event {i}" for i in range(n)],
            "start": start,
            "end": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]"),
            # Copies: pandas 3.1.1 lets a `loc` write to one column reach another built from
            # the very same Series.
            "earliest": start.copy(),
            "latest": start.copy(),
            # What today's reader gives: categoricals, a missing claim status.
            "time_precision": pd.Categorical(["minute"] * n),
            "category": pd.Categorical(
                ["military", "diplomacy"] * (n // 2) + ["military"] * (n % 2)
            ),
            "claim_status": pd.Categorical([None] + ["confirmed"] * (n - 1)),
        }
    )
    places = pd.DataFrame(
        {
            "event_id": pd.Series(["e1", "e0", "e0"], dtype="object"),
            "order": pd.Series([0, 1, 0], dtype="object"),
            "lat": [50.0, 55.7, 50.4],
            "lon": [30.0, 37.6, 30.5],
        }
    )
    links = pd.DataFrame({"source_id": ["e1"], "relation": ["responds_to"], "target_id": ["e0"]})
    problems = pd.DataFrame(
        {
            "file": ["t.csv"],
            "row": pd.array([7], dtype="Int64"),
            "column": ["start"],
            "value": ["x"],
            "problem": ["is not a time"],
            "kept": [False],
        }
    )
    return SimpleNamespace(events=events, places=places, links=links, problems=problems)


# --- keys ------------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_key_follows_content_not_folder(tmp_path):
    a = _write(tmp_path / "a" / "events.csv", "id,title\nx,X\n")
    b = _write(tmp_path / "b" / "events.csv", "id,title\nx,X\n")
    edited = _write(tmp_path / "c" / "events.csv", "id,title\nx,Y\n")
    key = S.store_key([a], format="ours")
    assert S.store_key([b], format="ours") == key
    assert S.store_key([edited], format="ours") != key


def test_key_follows_every_source_the_format_options_and_code(tmp_path):
    table = _write(tmp_path / "events.csv", "id\nx\n")
    text = _write(tmp_path / "article.txt", "It happened.")
    renamed = _write(tmp_path / "other.csv", "id\nx\n")
    key = S.store_key([table, text], format="ours")
    assert S.store_key([text, table], format="ours") == key  # order of the list is not content
    different = [
        S.store_key([table], format="ours"),
        S.store_key([renamed, text], format="ours"),
        S.store_key([table, text], format="acled"),
        S.store_key([table, text], format="ours", options={"mapping": {"a": "b"}}),
        S.store_key([table, text], format="ours", code_version="another reader"),
    ]
    assert key not in different
    assert len(set(different)) == len(different)


def test_default_code_version_hashes_this_project_source():
    version = S.default_code_version()
    assert len(version) == 32
    files = {p.relative_to(S._ROOT).as_posix() for p in S.code_files()}
    # The readers, the checks and the gazetteer: a change to any makes new keys.
    assert {"timeline/ingest/enrich.py", "timeline/data/store.py", "geodata/gazetteer.csv"} <= files
    assert len(files) > 50
    assert S.store_key([], format="x") == S.store_key([], format="x", code_version=version)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(S.CACHE_ENV, str(tmp_path))
    assert S.cache_dir() == tmp_path
    monkeypatch.delenv(S.CACHE_ENV)
    assert S.cache_dir() == Path.home() / ".cache" / "timeline-map" / "store"


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_sorted_with_ordinals(tmp_path):
    store = S.save_store("k1", _model(), root=tmp_path, sources=["/x/t.csv"], format="ours")
    events = store.frame("events")
    assert events["id"].tolist() == ["e4", "e3", "e2", "e1", "e0"]  # by earliest
    assert events["ordinal"].tolist() == [0, 1, 2, 3, 4]
    assert list(events.columns) == ["ordinal", *EVENTS.names, "start_s"]
    assert events["start_s"].iloc[-1] == pd.Timestamp("2025-03-18T04:00Z").timestamp()
    assert str(events["start"].dtype) == "datetime64[us, UTC]"
    assert events["end"].isna().all()
    assert str(events["category"].dtype) == "str"
    assert events["claim_status"].tolist() == ["confirmed"] * 4 + [""]  # missing reads as ""
    assert not events["quote_verified"].any()
    places = store.frame("places")
    # In the events' order, each with its event's window columns: the map reads no join.
    assert places[["event_id", "order"]].values.tolist() == [["e1", 0], ["e0", 0], ["e0", 1]]
    assert places["order"].dtype == "int64" and places["lat"].tolist() == [50.0, 50.4, 55.7]
    assert places["event_ordinal"].tolist() == [3, 4, 4]
    by_id = events.set_index("id")
    for column in S.MARKER_COLUMNS:
        assert places[column].tolist() == by_id.loc[places["event_id"], column].tolist()
    pd.testing.assert_frame_equal(
        store.frame("problems"), _model().problems, check_dtype=False, check_index_type=False
    )
    assert store.frame("problems")["row"].dtype == "Int64"
    counts = {"events": 5, "places": 3, "links": 1, "problems": 1, "ids": 5}
    assert store.manifest["counts"] == counts
    ids = store.frame("ids")
    assert ids.values.tolist() == [["e0", 4], ["e1", 3], ["e2", 2], ["e3", 1], ["e4", 0]]
    assert store.manifest["sources"] == ["t.csv"] and store.manifest["format"] == "ours"
    assert store.manifest["max_span_seconds"] == 0.0


def test_reopen_gives_the_same_store(tmp_path):
    saved = S.save_store("k1", _model(), root=tmp_path)
    opened = S.open_store("k1", root=tmp_path)
    assert opened == saved
    pd.testing.assert_frame_equal(opened.frame("events"), saved.frame("events"))


def test_a_place_of_no_event_is_dropped(tmp_path):
    model = _model()
    model.places.loc[len(model.places)] = ["gone", 0, 1.0, 1.0]
    places = S.save_store("k1", model, root=tmp_path).frame("places")
    assert "gone" not in places["event_id"].tolist() and len(places) == 3


def test_row_groups_are_sized_for_range_scans(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(S, "ROW_GROUP_SIZE", 2)
    store = S.save_store("k1", _model(5), root=tmp_path)
    meta = pq.ParquetFile(store.file("events")).metadata
    assert meta.num_row_groups == 3
    # Each group's statistics bound its slice of time, so a window can skip the others.
    earliest = meta.schema.to_arrow_schema().get_field_index("earliest")
    bounds = [meta.row_group(g).column(earliest).statistics for g in range(3)]
    assert all(b.has_min_max for b in bounds)
    assert bounds[0].max <= bounds[1].min <= bounds[1].max <= bounds[2].min


def test_missing_required_columns_are_all_named(tmp_path):
    model = _model()
    model.events = model.events.drop(columns=["title", "latest"])
    model.places = model.places.drop(columns=["lat"])
    with pytest.raises(S.StoreError) as caught:
        S.save_store("k1", model, root=tmp_path)
    message = str(caught.value)
    for column in ("events.title", "events.latest", "places.lat"):
        assert column in message
    assert isinstance(caught.value, ValueError)
    assert S.open_store("k1", root=tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_repeated_ids_are_refused(tmp_path):
    model = _model()
    model.events.loc[3, "id"] = "e0"
    with pytest.raises(S.StoreError, match=r"events.id repeats \(e0\)"):
        S.save_store("k1", model, root=tmp_path)


def test_frames_with_gaps_in_their_index_and_ties_in_time(tmp_path):
    # What a reader gives after leaving rows out: an index with gaps; optional columns filled
    # along it, not misaligned into missing values. Ties in time keep the model's order.
    model = _model(6)
    model.events = model.events.iloc[[5, 3, 1]].assign(
        earliest=pd.Timestamp("2025-03-18T00:00Z").as_unit("us")
    )
    model.places = model.places.set_index(pd.Index([10, 20, 30])).assign(
        event_id=["e5", "e3", "e3"]
    )
    store = S.save_store("k1", model, root=tmp_path)
    events = store.frame("events")
    assert events["id"].tolist() == ["e5", "e3", "e1"]
    assert (events["summary"] == "").all() and (events["start_offset_min"] == 0).all()
    assert store.frame("places")["event_ordinal"].tolist() == [0, 1, 1]


def test_times_that_are_not_times_are_refused(tmp_path):
    model = _model()
    model.events["start"] = "2025-03-18"
    with pytest.raises(S.StoreError, match="events.start"):
        S.save_store("k1", model, root=tmp_path)


def test_a_missing_latest_reads_as_a_point(tmp_path):
    model = _model()
    model.events.loc[0, "latest"] = pd.NaT
    events = S.save_store("k1", model, root=tmp_path).frame("events").set_index("id")
    assert events.loc["e0", "latest"] == events.loc["e0", "earliest"]


# --- opening what is not (all) there ---------------------------------------------------------


def test_open_store_of_an_unknown_key_is_none(tmp_path):
    assert S.open_store("nope", root=tmp_path) is None


@pytest.mark.parametrize("key", ["", "../x", "a/b", ".tmp-x", "..", "a b"])
def test_a_key_names_one_folder_under_the_cache(tmp_path, key):
    with pytest.raises(S.StoreError, match="store key"):
        S.save_store(key, _model(), root=tmp_path / "cache")
    with pytest.raises(S.StoreError):
        S.open_store(key, root=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: (p / "manifest.json").unlink(),
        lambda p: (p / "places.parquet").unlink(),
        lambda p: (p / "manifest.json").write_text("{not json"),
        lambda p: (p / "manifest.json").write_text(
            json.dumps({**json.loads((p / "manifest.json").read_text()), "schema_version": "0"})
        ),
    ],
    ids=["no manifest", "no places", "bad manifest", "older schema"],
)
def test_a_damaged_or_older_store_is_not_opened_and_is_rebuilt(tmp_path, damage):
    S.save_store("k1", _model(), root=tmp_path)
    damage(tmp_path / "k1")
    assert S.open_store("k1", root=tmp_path) is None
    rebuilt = S.save_store("k1", _model(), root=tmp_path)
    assert rebuilt.counts["events"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1"]


def test_saving_an_existing_key_keeps_the_first_copy(tmp_path):
    first = S.save_store("k1", _model(5), root=tmp_path)
    stamp = first.file("events").stat().st_mtime_ns
    again = S.save_store("k1", _model(3), root=tmp_path)  # same key: same content by contract
    assert again.counts["events"] == 5
    assert first.file("events").stat().st_mtime_ns == stamp


def _build(root: str, barrier) -> str:
    model = _model(2_000)
    barrier.wait()  # every process checks, writes and renames at about the same moment
    store = S.save_store("shared", model, root=root)
    return f"{os.getpid()}:{store.counts['events']}:{len(store.frame('events'))}"


def test_two_processes_building_one_key_both_succeed(tmp_path):
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(3)
        with context.Pool(3) as pool:
            results = pool.starmap(_build, [(str(tmp_path), barrier)] * 3)
    assert [r.split(":")[1:] for r in results] == [["2000", "2000"]] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared"]  # no temp folder left
    assert S.open_store("shared", root=tmp_path).frame("events")["ordinal"].is_monotonic_increasing


class _Racing:
    """A model whose events, when first read, are stored under the same key by someone else:
    what another process finishing first between our existence check and our rename does."""

    def __init__(self, root: Path):
        self._model, self._root, self.raced = _model(4), root, False
        self.places, self.links, self.problems = (
            self._model.places,
            self._model.links,
            self._model.problems,
        )

    @property
    def events(self) -> pd.DataFrame:
        if not self.raced:
            self.raced = True
            S.save_store("k1", _model(4), root=self._root)
        return self._model.events


def test_losing_the_rename_opens_the_winners_copy(tmp_path):
    racing = _Racing(tmp_path)
    store = S.save_store("k1", racing, root=tmp_path)
    assert racing.raced
    assert store.counts["events"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1"]


def test_places_carry_uncertainty_flags(tmp_path):
    model = _model(5)
    hours = pd.to_timedelta([0, 0, 23, 24, 0], "h")
    model.events["time_precision"] = ["minute", "day", "range", "range", "month"]
    model.events["latest"] = model.events["earliest"] + hours
    model.places = pd.DataFrame(
        {
            "event_id": ["e0", "e1", "e2", "e3", "e4"],
            "lat": 1.0,
            "lon": 1.0,
            "geo_precision": ["site", "town", "near", "region", "country"],
        }
    )
    places = S.save_store("k1", model, root=tmp_path).frame("places").set_index("event_id")
    # A range under a day wide is not "known only to a day"; a day-wide one is.
    assert places["time_coarse"].sort_index().tolist() == [0, 1, 0, 1, 1]
    assert places["place_coarse"].sort_index().tolist() == [0, 0, 0, 1, 1]


# --- leftovers of interrupted saves ----------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: no process has this pid now
    return child.pid


def _folder(path: Path, *, age: float = 0.0) -> Path:
    path.mkdir()
    (path / "events.parquet").write_bytes(b"x" * 100)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_a_save_removes_what_interrupted_saves_left(tmp_path):
    # Before: a save killed between its mkdir and its rename left its folder for good.
    dead = _folder(tmp_path / f".tmp-k0-{_dead_pid()}-0badcafe")
    old = _folder(tmp_path / f".tmp-k0-{os.getpid()}-00000001", age=2 * 3600)
    running = _folder(tmp_path / f".tmp-k0-{os.getpid()}-00000002")  # a save in progress
    half_removed = _folder(tmp_path / ".damaged-k0-20260101T000000Z-12345678")
    odd = _folder(tmp_path / ".tmp-not-ours")  # no pid: kept until it is an hour old
    (tmp_path / "geocode.sqlite").write_bytes(b"")  # the cache folder is shared
    S.save_store("k1", _model(), root=tmp_path)
    assert not dead.exists() and not old.exists() and not half_removed.exists()
    assert running.exists() and odd.exists()
    assert (tmp_path / "geocode.sqlite").exists() and S.open_store("k1", root=tmp_path)
    os.utime(odd, (time.time() - 2 * 3600,) * 2)
    assert S.sweep_leftovers(tmp_path) == [odd]


# --- the size bound --------------------------------------------------------------------------


def _stores(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


def _used(root: Path, key: str, hours_ago: float) -> None:
    stamp = time.time() - hours_ago * 3600
    os.utime(root / key / "manifest.json", (stamp, stamp))


def test_past_the_bound_the_least_recently_opened_stores_go(tmp_path, monkeypatch):
    # Before: every edit and upload added a store and none was ever removed.
    for i, key in enumerate(["k1", "k2", "k3"]):
        S.save_store(key, _model(), root=tmp_path)
        _used(tmp_path, key, hours_ago=10 - i)  # k1 the oldest
    assert S.open_store("k1", root=tmp_path)  # opened now: the most recent
    size = S._size(tmp_path / "k1")
    (tmp_path / "geocode.sqlite").write_bytes(b"x" * 10 * size)  # not a store: never counted
    (tmp_path / "notes").mkdir()  # nor a folder without a manifest of its own key
    monkeypatch.setenv(S.CACHE_MAX_ENV, str(2.5 * size / 1e9))  # room for two
    S.save_store("k4", _model(), root=tmp_path)
    assert _stores(tmp_path) == ["geocode.sqlite", "k1", "k4", "notes"]


def test_the_store_just_saved_stays_past_any_bound(tmp_path, monkeypatch):
    S.save_store("k1", _model(), root=tmp_path)
    monkeypatch.setenv(S.CACHE_MAX_ENV, "0")
    store = S.save_store("k2", _model(), root=tmp_path)
    assert _stores(tmp_path) == ["k2"] and store.frame("events").shape[0] == 5


@pytest.mark.parametrize("given", ["", "  ", "two", "-1", "nan"])
def test_an_unreadable_bound_keeps_the_default(monkeypatch, given):
    monkeypatch.setenv(S.CACHE_MAX_ENV, given)
    if given.strip():
        with pytest.warns(UserWarning, match=f"{S.CACHE_MAX_ENV}=.* is not a number of gigabytes"):
            assert S.cache_bound() == S.CACHE_MAX_GB * 1e9
    else:
        assert S.cache_bound() == S.CACHE_MAX_GB * 1e9
