"""Time the store and the view queries at N events (default 1,000,000), beside the naive way.

    python benchmarks/bench_store.py [N]

The model is synthetic and ACLED-like: a table of N events over five years, mostly known to the
day, one place each from about 10,000 sites (a tenth placed only to a region or a country),
six categories, four claim statuses. The naive way is what a script would do without a store:
`pandas.read_csv` of the same data as one flat CSV, then a boolean mask (or a groupby) per
question. Each query is timed warm, the median of a few runs; the store's side runs through
`timeline.data.queries` on DuckDB over the Parquet files, exactly as the app would.
"""

from __future__ import annotations

import io
import json
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

from timeline.data import queries as Q
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
            "extra": pd.Series(rng.integers(0, 20, n)).map('{{"fatalities": {}}}'.format),
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
        return flat[(flat["earliest"] < b) & (flat["latest"] >= a)]

    def bins(a, b):
        width = Q.bin_width(a, b)
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

    return {
        "window, whole table: count": lambda: len(window(lo, hi)),
        "window, whole table: first 1,000": lambda: window(lo, hi).sort_values("earliest")[:1000],
        "window, one day: events": lambda: window(day_lo, day_hi),
        "bins, whole table": lambda: bins(lo, hi),
        "bins, one day": lambda: bins(day_lo, day_hi),
        "cells, whole table (zoom 3)": lambda: cells(lo, hi),
        "page of a cell, whole table": lambda: page(lo, hi),
        "event by id": lambda: flat[flat["id"] == some_id],
        "search a title (20)": lambda: flat[
            flat["title"].str.contains(needle, case=False, regex=False)
        ][:20],
    }


def store_queries(t: Q.Tables, lo, hi, day_lo, day_hi, cell_deg, probe, needle, some_id):
    return {
        "window, whole table: count": lambda: Q.count_in_window(t, lo, hi),
        "window, whole table: first 1,000": lambda: Q.events_in_window(t, lo, hi, limit=1000),
        "window, one day: events": lambda: Q.events_in_window(t, day_lo, day_hi),
        "bins, whole table": lambda: Q.counts_per_bin(t, lo, hi),
        "bins, one day": lambda: Q.counts_per_bin(t, day_lo, day_hi),
        "cells, whole table (zoom 3)": lambda: Q.counts_per_cell(t, lo, hi, cell_deg=cell_deg),
        "page of a cell, whole table": lambda: Q.events_in_cell(
            t, lo, hi, cell_deg=cell_deg, cell=probe, limit=50
        ),
        "event by id": lambda: Q.event_by_id(t, some_id),
        "search a title (20)": lambda: Q.search_titles(t, needle, limit=20),
    }


def row(label: str, ours: float, naive: float | None) -> None:
    if naive is None:
        print(f"{label:<36} {ours:10.4f} s {'-':>12} {'-':>9}")
        return
    ratio = naive / ours if ours else float("inf")
    print(f"{label:<36} {ours:10.4f} s {naive:10.4f} s {ratio:8.1f}x")


def main(n: int) -> None:
    print(f"{n:,} synthetic ACLED-like events; times in seconds; ratio = naive / store\n")
    t0 = time.perf_counter()
    model = synthetic_model(n)
    text = flat_csv(model)
    print(
        f"(made the model and a {len(text) / 1e6:.0f} MB CSV in {time.perf_counter() - t0:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        csv = root / "acled.csv"
        csv.write_text(text)
        del text
        print(f"\n{'':<36} {'store':>12} {'naive':>12} {'ratio':>9}")
        t_key, key = timed(lambda: store_key([csv], format="acled"))
        row("key: hash of the CSV's bytes", t_key, None)
        t_read, flat = timed(
            lambda: pd.read_csv(csv, parse_dates=["start", "end", "earliest", "latest"])
        )
        t_save, _ = timed(
            lambda: save_store(key, model, root=root / "store", sources=[csv], format="acled")
        )
        row("save (check, sort, write Parquet)", t_save, None)
        size = sum(f.stat().st_size for f in (root / "store" / key).iterdir())
        print(f"{'  Parquet size':<36} {size / 1e6:10.1f} MB {csv.stat().st_size / 1e6:10.1f} MB")

        def reopen():
            store = open_store(key, root=root / "store")
            tables = Q.duckdb_tables(store)
            Q.count_in_window(
                tables, pd.Timestamp("2022-01-01T00:00Z"), pd.Timestamp("2022-01-02T00:00Z")
            )
            return store, tables

        t_open, (store, tables) = timed(reopen)
        row("reopen + first query vs read_csv", t_open, t_read)
        t_frame, _ = timed(lambda: store.frame("events"))
        row("  all events into pandas", t_frame, t_read)

        lo = pd.Timestamp(store.manifest["earliest"])
        hi = pd.Timestamp(store.manifest["latest"]) + pd.Timedelta("1s")
        day_lo = pd.Timestamp("2022-06-01T00:00Z")
        day_hi = day_lo + pd.Timedelta("1D")
        cell_deg = Q.cell_size(3)
        probe = (int(np.floor(48.0 / cell_deg)), int(np.floor(32.0 / cell_deg)))
        some_id = model.events["id"].iloc[n // 2]
        args = (lo, hi, day_lo, day_hi, cell_deg, probe, "site 4242", some_id)
        ours = store_queries(tables, *args)
        naive = naive_queries(flat, *args)
        sizes, measured = {}, {}
        for label, query in ours.items():
            t_ours, result = timed(query, repeat=5)
            t_naive, _ = timed(naive[label], repeat=3)
            row(label, t_ours, t_naive)
            measured[label] = (t_ours, t_naive)
            sizes[label] = result if isinstance(result, int) else len(result)
        # What a rerun of the whole-table view asks: the count, the histogram, the map's cells
        # and the first page of the list (the budget is 150 ms of server time in all).
        rerun = [
            "window, whole table: count",
            "bins, whole table",
            "cells, whole table (zoom 3)",
            "window, whole table: first 1,000",
        ]
        row(
            "a whole-table rerun (the 4 above)",
            sum(measured[k][0] for k in rerun),
            sum(measured[k][1] for k in rerun),
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"\nresult sizes: {json.dumps(sizes)}")
        print(f"peak resident memory of this process (both sides, and the CSV): {peak:.0f} MB")
        print(f"load average while it ran (2 cores): {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
