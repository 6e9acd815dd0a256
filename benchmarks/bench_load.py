"""Print how long the data path takes on a synthetic table of N events (default 1,000,000).

    python benchmarks/bench_load.py [N]

The table looks like ACLED-style data: given coordinates, about 10,000 distinct place names,
day precision, four categories. Figures printed side by side with the naive baseline
(`pandas.read_csv` of the same text): CSV size, load time (read, check, place, zones), the
store save and the two together (a first import, issue 9: at most 20 s for a million rows),
peak resident memory, a window filter, and the map figure for a one-day window.
"""

from __future__ import annotations

import io
import resource
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from timeline.data.store import save_store
from timeline.data.window import events_in_window
from timeline.ingest.files import parse_events
from timeline.views.figures import Highlights, map_figure


def synthetic_csv(n: int, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01T00:00Z") + pd.to_timedelta(
        rng.integers(0, 5 * 365, n), unit="D"
    )
    names = rng.integers(0, 10_000, n)
    frame = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(n)],
            "title": "event",
            "start": start.strftime("%Y-%m-%dT00:00+00:00"),
            "time_precision": "day",
            "places": pd.Series(names).map("site {}".format),
            "lat": rng.uniform(44, 52, n).round(5),
            "lon": rng.uniform(22, 40, n).round(5),
            "category": rng.choice(["battle", "strike", "protest", "agreement"], n),
            "claim_status": "confirmed",
        }
    )
    return frame.to_csv(index=False)


def timed(label: str, func):
    t0 = time.perf_counter()
    result = func()
    print(f"{label:<40} {time.perf_counter() - t0:8.3f} s")
    return result


def main(n: int) -> None:
    text = timed(f"make a synthetic CSV of {n:,} events", lambda: synthetic_csv(n))
    print(f"{'CSV size':<40} {len(text) / 1e6:8.1f} MB")
    t0 = time.perf_counter()
    pd.read_csv(io.StringIO(text), dtype="str")
    naive = time.perf_counter() - t0
    print(f"{'naive: pandas.read_csv of the same text':<40} {naive:8.3f} s")
    t0 = time.perf_counter()
    table = parse_events(text)
    ours = time.perf_counter() - t0
    print(f"{'load (read, check, place, zones)':<40} {ours:8.3f} s  ({ours / naive:.1f}x naive)")
    # The budget is a first import: the load and the store it is saved in.
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        save_store("bench", table, format=table.format, root=root)
        saved = time.perf_counter() - t0
    print(f"{'store save (Parquet)':<40} {saved:8.3f} s")
    first = ours + saved
    print(f"{'first import (load + save)':<40} {first:8.3f} s  ({first / naive:.1f}x naive)")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'peak resident memory of the process':<40} {peak_kib / 1e3:8.1f} MB")
    print(f"{'events loaded / problems':<40} {len(table.events):,} / {len(table.problems):,}")
    lo, hi = pd.Timestamp("2022-06-01T00:00Z"), pd.Timestamp("2022-06-02T00:00Z")
    visible = timed("filter a one-day window", lambda: events_in_window(table.events, lo, hi))
    placed = table.places[table.places["event_id"].isin(visible["id"])]
    fig = timed(
        f"map figure of the window ({len(placed):,} points)",
        lambda: map_figure(visible, placed, Highlights()),
    )
    size = timed("figure to JSON", lambda: len(fig.to_json()))
    print(f"{'figure JSON size':<40} {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
