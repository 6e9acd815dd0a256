"""The query contract at N events (default 1,000,000) on each engine that keeps it, beside the
naive way: what chose the app's engine.

    python benchmarks/bench_store.py [N]

The model is synthetic and ACLED-like: a table of N events over five years, mostly known to the
day, one place each from about 10,000 sites (a tenth placed only to a region or a country),
six categories, four claim statuses, a numeric field of the source (`extra.fatalities`). Each
question of the contract is timed warm (the median of a few runs, each on a new question so
no answer kept for a question before is reused) on:

- memory: `timeline.data.memory` (NumPy over the store's columns, what the app uses);
- duckdb: `timeline.data.queries` through Ibis on DuckDB over the store's Parquet files;
- naive: what a script would do without a store: `pandas.read_csv` of the same data as one
  flat CSV, then a boolean mask (or a groupby) per question.

Ratios are each engine's time over the memory engine's.
"""

from __future__ import annotations

import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from timeline.data.contract import Ask, bin_width, cell_size
from timeline.data.filters import Filters
from timeline.data.memory import MemoryBackend
from timeline.data.queries import IbisBackend, duckdb_tables
from timeline.data.store import open_store, save_store, store_key

CATEGORIES = ["battles", "explosions", "violence_civilians", "protests", "riots", "strategic"]
CLAIMS = ["confirmed", "claimed", "disputed", ""]
TS = "datetime64[us, UTC]"


def synthetic_model(n: int, seed: int = 1) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    sites = 10_000
    site_lat = np.concatenate([rng.normal(c, 4, sites // 4) for c in (48, 33, 5, 15)])
    site_lon = np.concatenate([rng.normal(c, 6, sites // 4) for c in (32, 40, 20, 100)])
    site = rng.integers(0, sites, n)
    day = pd.Timestamp("2020-01-01T00:00Z") + pd.to_timedelta(rng.integers(0, 5 * 365, n), "D")
    precision = rng.choice(
        ["day", "hour", "minute", "range", "span"], n, p=[0.8, 0.1, 0.05, 0.03, 0.02]
    )
    minute = pd.to_timedelta(rng.integers(0, 1440, n), "min")
    start = pd.Series(day.where(np.isin(precision, ["day", "range", "span"]), day + minute))
    length = pd.to_timedelta(np.select(
        [precision == "day", precision == "range", precision == "span"], [1, 7, 3], 0
    ), "D")  # fmt: skip
    half = pd.to_timedelta(np.where(precision == "hour", 30, 0), "min")
    end = (start + length).where(np.isin(precision, ["range", "span"]))
    category = rng.choice(CATEGORIES, n)
    place = pd.Series(site).map("Site {}".format)
    events = pd.DataFrame(
        {
            "id": [f"ev{i:07d}" for i in range(n)],
            "title": pd.Series(category).str.replace("_", " ").str.capitalize() + " near " + place,
            "summary": "Clashes were reported near " + place + " involving two armed groups.",
            "start": start.astype(TS),
            "end": end.astype(TS),
            "earliest": (start - half).astype(TS),
            "latest": (start + length + half).astype(TS),
            "time_precision": precision,
            "category": category,
            "actors": "Group A; Group B",
            "claim_status": rng.choice(CLAIMS, n, p=[0.6, 0.25, 0.1, 0.05]),
            "source_file": "acled.csv",
            "row": np.arange(2, n + 2),
            "extra.fatalities": pd.Series(rng.integers(0, 20, n)).astype("str"),
        }
    )
    places = pd.DataFrame(
        {
            "event_id": events["id"],
            "order": 0,
            "name": place,
            "country": "XX",
            "lat": site_lat[site].round(4),
            "lon": site_lon[site].round(4),
            "geo_precision": rng.choice(
                ["site", "town", "region", "country"], n, p=[0.6, 0.3, 0.07, 0.03]
            ),
        }
    )
    # A reader hands its events sorted by earliest, their places in the same order.
    order = np.argsort(events["earliest"].to_numpy(), kind="stable")
    events = events.iloc[order].reset_index(drop=True)
    places = places.iloc[order].reset_index(drop=True)
    links = pd.DataFrame({"source_id": events["id"][:1000], "relation": "reported_with"})
    links["target_id"] = events["id"][1:1001].to_numpy()
    problems = pd.DataFrame({"file": ["acled.csv"], "problem": ["an example problem"]})
    return SimpleNamespace(events=events, places=places, links=links, problems=problems)


def flat_csv(model: SimpleNamespace) -> str:
    """The same data as one flat CSV, one row per event with its place: ACLED's own shape."""
    flat = model.events.merge(
        model.places.drop(columns="order"), left_on="id", right_on="event_id"
    ).drop(columns="event_id")
    out = io.StringIO()
    flat.to_csv(out, index=False)
    return out.getvalue()


def timed(func, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def naive_queries(flat: pd.DataFrame, lo, hi, day_lo, day_hi, cell_deg, probe, needle, some_id):
    """The same questions as masks and groupbys over the whole frame in memory."""

    def window(a, b):
        return flat[(flat["earliest"] < b) & ((flat["latest"] > a) | (flat["earliest"] == a))]

    def bins(a, b):
        width = bin_width(a, b, max_bins=120)
        w = window(a, b)
        return w.groupby([w["start"].dt.floor(width), "category"]).size()

    def cells(a, b):
        w = window(a, b)
        keys = [np.floor(w["lat"] / cell_deg), np.floor(w["lon"] / cell_deg), w["category"]]
        return w.groupby(keys).size()

    def page(a, b):
        w = window(a, b)
        inside = (np.floor(w["lat"] / cell_deg) == probe[0]) & (
            np.floor(w["lon"] / cell_deg) == probe[1]
        )
        return w[inside].sort_values("earliest").iloc[:50]

    def text(a, b, words):
        w = window(a, b)
        hay = (w["title"] + " " + w["summary"]).str.lower()
        return w[hay.str.contains(words, regex=False)]

    return {
        "count, whole table": lambda i: len(window(lo + i, hi)),
        "first 1,000 rows, whole table": lambda i: window(lo + i, hi).iloc[:1000],
        "rows, one day": lambda i: window(day_lo + i, day_hi),
        "bins, whole table": lambda i: bins(lo + i, hi),
        "bins, one day": lambda i: bins(day_lo + i, day_hi),
        "cells, whole table": lambda i: cells(lo + i, hi),
        "page of a cell, whole table": lambda i: page(lo + i, hi),
        "filter: a category, whole table": lambda i: len(
            window(lo + i, hi).query("category == 'battles'")),
        "filter: fatalities >= 10, whole table": lambda i: len(
            window(lo + i, hi).query("`extra.fatalities` >= 10")),
        "filter: a text search, whole table": lambda i: len(text(lo + i, hi, needle)),
        "facet counts: category, whole table": lambda i: window(lo + i, hi)[
            "category"].value_counts(),
        "event by id": lambda i: flat[flat["id"] == some_id],
    }  # fmt: skip


def _n(step: pd.Timedelta) -> int:
    return int(step.total_seconds())


def contract_queries(engine, lo, hi, day_lo, day_hi, cell_deg, probe, needle, some_id):
    """The same questions through the contract (`i`: a step that makes each question new)."""

    def ask(a, b, i, **facets):
        text = facets.pop("text", "")
        ranges = facets.pop("ranges", None)
        return Ask(a + i, b, Filters.of(facets or None, ranges, text))

    return {
        "count, whole table": lambda i: engine.count(ask(lo, hi, i)),
        "first 1,000 rows, whole table": lambda i: engine.rows(ask(lo, hi, i), limit=1000),
        "rows, one day": lambda i: engine.rows(ask(day_lo, day_hi, i)),
        "bins, whole table": lambda i: engine.bins(ask(lo, hi, i)),
        "bins, one day": lambda i: engine.bins(ask(day_lo, day_hi, i)),
        "cells, whole table": lambda i: engine.cells(ask(lo, hi, i), cell_deg=cell_deg),
        "page of a cell, whole table": lambda i: engine.cell_rows(
            ask(lo, hi, i), cell_deg=cell_deg, cell=probe, limit=50),
        # A new filter each time (a filter's mask is kept once made: the first costs).
        "filter: a category, whole table": lambda i: engine.count(
            ask(lo, hi, i, category=[CATEGORIES[_n(i) % 6], CATEGORIES[(_n(i) + 1) % 6]])),
        "filter: fatalities >= 10, whole table": lambda i: engine.count(
            ask(lo, hi, i, ranges={"extra.fatalities": (10 + _n(i), None)})),
        "filter: a text search, whole table": lambda i: engine.count(
            ask(lo, hi, i, text=f"site {4240 + _n(i)}")),
        "facet counts: category, whole table": lambda i: engine.facet(ask(lo, hi, i), "category"),
        "event by id": lambda i: engine.event(some_id),
    }  # fmt: skip


def row(label: str, ours: float, *others: float | None) -> None:
    cells = "".join(
        f"{'-':>12} {'-':>8}" if o is None else f"{o:10.4f} s {o / ours if ours else 0:7.1f}x"
        for o in others
    )
    print(f"{label:<40} {ours:10.4f} s {cells}")


def main(n: int) -> None:
    print(f"{n:,} synthetic ACLED-like events; times in seconds; ratio = engine / memory\n")
    t0 = time.perf_counter()
    model = synthetic_model(n)
    text = flat_csv(model)
    print(f"(made the model and a {len(text) / 1e6:.0f} MB CSV in "
          f"{time.perf_counter() - t0:.1f} s)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        csv = root / "acled.csv"
        csv.write_text(text)
        del text
        t_key, key = timed(lambda: store_key([csv], format="acled"))
        t_read, flat = timed(
            lambda: pd.read_csv(csv, parse_dates=["start", "end", "earliest", "latest"])
        )
        t_save, _ = timed(
            lambda: save_store(key, model, root=root / "store", sources=[csv], format="acled")
        )
        size = sum(f.stat().st_size for f in (root / "store" / key).iterdir())
        print(f"key (hash of the CSV) {t_key:.2f} s; save (check, sort, write Parquet) "
              f"{t_save:.2f} s; Parquet {size / 1e6:.0f} MB beside the CSV's "
              f"{csv.stat().st_size / 1e6:.0f} MB; read_csv {t_read:.2f} s")  # fmt: skip
        store = open_store(key, root=root / "store")
        t_mem, memory = timed(lambda: MemoryBackend(store))
        t_duck, duck = timed(lambda: IbisBackend(duckdb_tables(store),
                                                 fields=store.manifest["fields"]))  # fmt: skip
        print(f"open: memory {t_mem:.2f} s (held: {rss_mb():.0f} MB resident in all), "
              f"duckdb {t_duck:.2f} s\n")  # fmt: skip

        lo = pd.Timestamp(store.manifest["earliest"])
        hi = pd.Timestamp(store.manifest["latest"]) + pd.Timedelta("1s")
        day_lo = pd.Timestamp("2022-06-01T00:00Z")
        day_hi = day_lo + pd.Timedelta("1D")
        cell_deg = cell_size(3)
        probe = (int(np.floor(48.0 / cell_deg)), int(np.floor(32.0 / cell_deg)))
        some_id = model.events["id"].iloc[n // 2]
        args = (lo, hi, day_lo, day_hi, cell_deg, probe, "site 4242", some_id)
        engines = {"memory": contract_queries(memory, *args),
                   "duckdb": contract_queries(duck, *args)}  # fmt: skip
        naive = naive_queries(flat, *args)
        print(f"{'':<40} {'memory':>12} {'duckdb':>12} {'ratio':>8} {'naive':>12} {'ratio':>8}")
        step = pd.Timedelta(seconds=1)
        totals = {"memory": 0.0, "duckdb": 0.0, "naive": 0.0}
        for label in engines["memory"]:
            t_memory = new_questions(engines["memory"][label], step, 5)
            t_duckdb = new_questions(engines["duckdb"][label], step, 3)
            t_naive = new_questions(naive[label], step, 2)
            row(label, t_memory, t_duckdb, t_naive)
            if "whole table" in label and label.startswith(("count", "bins", "cells", "first")):
                for k, v in (("memory", t_memory), ("duckdb", t_duckdb), ("naive", t_naive)):
                    totals[k] += v
        # What a rerun of the whole-table view asks of its engine: the count, the histogram,
        # the map's cells and the first rows (the budget is 150 ms of server time in all).
        row("a whole-table rerun (count, bins, cells, rows)", totals["memory"],
            totals["duckdb"], totals["naive"])  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"\npeak resident memory of this process (all engines and the CSV): {peak:.0f} MB")
        print(f"load average while it ran (2 cores): {os.getloadavg()[0]:.1f}")


def new_questions(query, step: pd.Timedelta, repeat: int) -> float:
    """The median time of `query(i * step)`: a new question each time."""
    times = []
    for i in range(1, repeat + 1):
        t0 = time.perf_counter()
        query(i * step)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
