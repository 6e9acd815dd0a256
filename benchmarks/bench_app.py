"""The app at N synthetic ACLED-like events (default 1,000,000), beside the naive way.

    python benchmarks/bench_app.py [N] [--folder DIR]

Prints, as times and ratios, against the budgets of issue 9:
- first import of the CSV (read, check, place, store) and reopening the store, beside
  `pandas.read_csv` of the same file (budgets 20 s and 2 s);
- a rerun of the real script (Streamlit's AppTest: server time, no browser) after moving the
  window, for several windows including the whole table, with the bytes of its figures and of
  every element sent (budgets 150 ms and 1 MB), beside the naive view: `px.scatter_map` of
  every event in the window, serialised;
- a tick of Play (the window moved by one step: the fragment reruns the same view);
- resident memory with the table open and five sessions (budget 1 GB);
- the seed story's rerun, beside the app as it was before the store (the whole tree of the
  last commit before issue 9's engine, from `git archive`), which must not be faster.

The CSV and its store are kept in the folder (default /tmp/timeline-bench-N) so a second run
measures the same files; the first import is always timed into a fresh store folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import write_table  # noqa: E402

from timeline.app import state as S  # noqa: E402
from timeline.data.contract import Ask  # noqa: E402
from timeline.data.filters import Filters  # noqa: E402

#: The app before the engine (issue 9), for the seed comparison.
BEFORE = "dfd5628"
BUDGET_RERUN_S, BUDGET_BYTES = 0.150, 1_000_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def row(label: str, ours: float, naive: float | None = None, unit: str = "s") -> None:
    fmt = (lambda v: f"{v:10.3f} s") if unit == "s" else (lambda v: f"{v / 1e6:10.2f} MB")
    if naive is None:
        print(f"{label:<48} {fmt(ours)} {'-':>12} {'-':>8}")
    else:
        ratio = naive / ours if ours else float("inf")
        print(f"{label:<48} {fmt(ours)} {fmt(naive)} {ratio:7.1f}x")


def app_test(table: str | Path, app: Path):
    from streamlit.testing.v1 import AppTest

    os.environ["TIMELINE_MAP_TABLE"] = str(table)
    return AppTest.from_file(str(app), default_timeout=600)


def sent_bytes(at) -> tuple[int, int]:
    """(figure JSON bytes, every element's protobuf bytes) of the last run."""
    figures = sum(len(c.proto.spec) for c in at.get("plotly_chart"))
    total = 0
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return figures, total


def timed_moves(at, lo: pd.Timestamp, hi: pd.Timestamp, repeat: int = 3) -> float:
    """The median rerun after moving the window to (lo + i hours, hi), i = 1..repeat: a new
    window each time, as a reader's move is, so no answer kept for a window before is
    reused (the app keeps figures per session and query answers per process)."""
    times = []
    for i in range(1, repeat + 1):
        a = lo + pd.Timedelta(hours=i)
        times.append(timed(at, lambda v, a=a: S.move(v, a, hi)))
    return statistics.median(times)


def timed(at, transition) -> float:
    """One rerun after a transition of the reader's view, as a widget's callback makes it."""
    at.session_state["view"] = transition(at.session_state["view"])
    t0 = time.perf_counter()
    at.run()
    took = time.perf_counter() - t0
    assert not at.exception, at.exception
    return took


def naive_view(flat: pd.DataFrame, lo, hi) -> tuple[float, int]:
    """px.scatter_map of every event of the window, serialised: time and bytes."""
    import plotly.express as px

    t0 = time.perf_counter()
    w = flat[(flat["earliest"] < hi) & (flat["latest"] >= lo)]
    fig = px.scatter_map(w, lat="lat", lon="lon", color="category", hover_name="title")
    size = len(fig.to_json())
    return time.perf_counter() - t0, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--folder", default=None)
    parser.add_argument(
        "--naive-whole",
        action="store_true",
        help="also time the naive view of the whole table (about a minute)",
    )
    args = parser.parse_args()
    n = args.n
    folder = Path(args.folder or f"/tmp/timeline-bench-{n}")
    csv = write_table(n, folder / "table")
    store_root = folder / "store"
    os.environ["TIMELINE_MAP_CACHE_DIR"] = str(store_root)
    print(f"{n:,} synthetic ACLED-like events ({csv.stat().st_size / 1e6:.0f} MB CSV); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
    print(f"{'':<48} {'this app':>12} {'naive':>12} {'ratio':>8}")

    from timeline.data.engine import open_engine

    t0 = time.perf_counter()
    flat = pd.read_csv(csv)
    t_read = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(dir=folder) as fresh:
        t0 = time.perf_counter()
        open_engine(csv.parent, root=fresh)
        row("first import (read, check, place, store)", time.perf_counter() - t0, t_read)
        t0 = time.perf_counter()
        engine = open_engine(csv.parent, root=fresh)
        row("reopen (hash the CSV, open the store)", time.perf_counter() - t0, t_read)
        # The app's own store (the code's version is part of the key: one per version).
        shutil.rmtree(store_root, ignore_errors=True)
        shutil.copytree(engine.store.path, store_root / engine.store.key)
    engine = open_engine(csv.parent)
    print(f"{'  budgets: 20 s and 2 s':<48}")

    # The naive frame needs the window columns the app reads (a day known to the day).
    start = pd.to_datetime(flat["start"], utc=True, format="ISO8601")
    flat["earliest"] = start
    flat["latest"] = start + pd.to_timedelta(flat["time_precision"].eq("day").astype(int), "D")

    at = app_test(csv.parent, ROOT / "streamlit_app.py")
    t0 = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    row("first script run (opens the store)", time.perf_counter() - t0)
    lo = pd.Timestamp(engine.store.manifest["earliest"]).floor("D")
    windows = {
        "whole table": (lo, pd.Timestamp(engine.store.manifest["latest"]).ceil("D")),
        "one year": (pd.Timestamp("2022-01-01T00:00Z"), pd.Timestamp("2023-01-01T00:00Z")),
        "one month": (pd.Timestamp("2022-06-01T00:00Z"), pd.Timestamp("2022-07-01T00:00Z")),
        "one day": (pd.Timestamp("2022-06-01T00:00Z"), pd.Timestamp("2022-06-02T00:00Z")),
        "six hours": (pd.Timestamp("2022-06-01T06:00Z"), pd.Timestamp("2022-06-01T12:00Z")),
    }
    print()
    for label, (a, b) in windows.items():
        ours = timed_moves(at, a, b)
        figures, total = sent_bytes(at)
        count = engine.count(Ask(a, b))
        if label == "whole table" and not args.naive_whole:
            naive_t, naive_b = None, None
        else:
            naive_t, naive_b = naive_view(flat, a, b)
        row(f"rerun, {label} ({count:,} events)", ours, naive_t)
        row("  figures sent", figures, naive_b, unit="B")
        row("  every element sent", total, None, unit="B")
    print(f"{'  budgets: 150 ms and 1 MB per rerun':<48}")

    # A tick of Play: the window moves by one step (an hour) and the view reruns.
    a, b = windows["one month"]
    timed(at, lambda v: S.move(v, a, b))
    hour = pd.Timedelta(hours=1)
    ticks = [timed(at, lambda v, i=i: S.move(v, a + i * hour, b + i * hour)) for i in (1, 2, 3)]
    row("a tick of Play (one month window, +1 h)", statistics.median(ticks))

    # Filters (issue 14: a change costs at most 300 ms at a million events), on the whole
    # table's window: each a new question, answered for every view (count, map, histogram).
    timed(at, lambda v: S.move(v, *windows["whole table"]))
    print()
    changes = {
        "a category": Filters.of({"category": ["battles"]}),
        "two categories and a claim status": Filters.of(
            {"category": ["battles", "riots"], "claim_status": ["confirmed"]}),
        "a text search (title)": Filters.of(text="site 12"),
        "a country (places)": Filters.of({"country": [""]}),
    }  # fmt: skip
    for label, filters in changes.items():
        took = timed(at, lambda v, f=filters: S.filter_by(v, f))
        row(f"filter change: {label}", took)
        timed(at, lambda v: S.filter_by(v, Filters()))
    print(f"{'  budget: 300 ms per filter change':<48}")

    # A zoom step on the dense map: the browser reports the view, the server draws its cells.
    print()
    for label, box in (("a zoom into a region", (25.0, 44.0, 40.0, 52.0, 5.0)),
                       ("a zoom into a city", (31.5, 47.5, 32.5, 48.5, 9.0))):  # fmt: skip
        view = S.MapView(*box)
        took = timed(at, lambda v, m=view: S.zoom(v, m))
        figures, total = sent_bytes(at)
        row(f"rerun, {label}", took)
        row("  figures sent", figures, None, unit="B")
        timed(at, S.fit)

    del flat
    sessions = [at] + [app_test(csv.parent, ROOT / "streamlit_app.py") for _ in range(4)]
    for s in sessions[1:]:
        s.run()
    print(f"\n{'resident memory, table open, five sessions':<48} {rss_mb():10.0f} MB "
          f"(budget 1,024 MB)")  # fmt: skip

    seed_compare()


def seed_compare() -> None:
    """The seed story's rerun now and before the engine, each in its own process and each
    with its own code: the whole tree at `BEFORE` (its app alone over today's package would
    measure neither)."""
    before = Path(tempfile.mkdtemp())
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE], capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    times = {}
    for label, tree in (("now", ROOT), ("before", before)):
        move = (
            "    from timeline.app import state as S; import pandas as pd\n"
            "    v = at.session_state['view']\n"
            "    at.session_state['view'] = S.move(v, pd.Timestamp(lo).tz_localize('UTC')"
            " + pd.Timedelta(hours=i), v.window[1])\n"
            if label == "now"
            else "    at.session_state['window'] = (lo + timedelta(hours=i), hi)\n"
        )
        code = (
            "import sys, time, statistics; sys.path.insert(0, {!r})\n"
            "from streamlit.testing.v1 import AppTest\n"
            "import os; os.environ['TIMELINE_MAP_TABLE'] = {!r}\n"
            "at = AppTest.from_file({!r}, default_timeout=120); at.run()\n"
            "lo, hi = at.session_state['window']\n"
            "from datetime import timedelta\n"
            "t = []\n"
            "for i in range(1, 16):  # a new window each time, as a reader's move is\n"
            + move
            + "    t0 = time.perf_counter(); at.run(); t.append(time.perf_counter() - t0)\n"
            "assert not at.exception, at.exception\n"
            "print(statistics.median(t))\n"
        ).format(str(tree), str(tree / "seeds"), str(tree / "streamlit_app.py"))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=tree)  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"the seed app ({label}) failed:\n{out.stderr[-2000:]}")
        times[label] = float(out.stdout.strip().splitlines()[-1])

    shutil.rmtree(before, ignore_errors=True)
    print(f"\n{'':<48} {'now':>12} {'before':>12} {'ratio':>8}")
    row("seed story (16 events): a rerun", times["now"], times["before"])


if __name__ == "__main__":
    main()
