"""The README's journey at size, timed step by step beside `pandas.read_csv` of the same file.

    python benchmarks/bench_journey.py [N ...] [--format acled|ucdp] [--keep DIR]

For each N (default 100,000 250,000 1,000,000) an export shaped like the real one (every column,
`synthetic.acled_csv`) is written, then each step runs in a fresh process, as a user runs it:

- `python -m timeline import FILE --out DIR`
- the folder's first open (what the app does on its first start: read, check, store)
- a later open (every later start, and every other session: the store)
- `python -m timeline export DIR --format csv`

Each line gives the wall time, the peak memory of that process, and the ratio to
`pandas.read_csv` of the same file; the budgets of issue 13 (import <= 20 s, first open <= 30 s,
later opens <= 2 s, peak <= 2 GB at a million rows) are printed beside them, and the per-row
cost across sizes shows whether it grows linearly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synthetic import acled_csv, ucdp_csv  # noqa: E402

BUDGETS = {"import": 20.0, "first open": 30.0, "later open": 2.0}
PEAK_BUDGET_MB = 2048

OPEN = (
    "import sys; from timeline.data.engine import open_engine; "
    "e = open_engine(sys.argv[1]); print(e.total)"
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and standard output of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    out = process.stdout.read().decode() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} failed ({process.returncode})")
    return wall, usage.ru_maxrss / 1024, out


def journey(n: int, fmt: str, work: Path) -> list[tuple[str, float, float]]:
    source = work / f"{fmt}-{n}.csv"
    source.write_text((acled_csv if fmt == "acled" else ucdp_csv)(n), "utf-8")
    folder = work / f"story-{n}"
    env = {**os.environ, "TIMELINE_MAP_CACHE_DIR": str(work / f"store-{n}")}
    py = sys.executable
    baseline = "import pandas, sys; pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False)"
    steps = [
        ("pandas.read_csv", [py, "-c", baseline, str(source)]),
        ("import", [py, "-m", "timeline", "import", str(source), "--out", str(folder)]),
        ("first open", [py, "-c", OPEN, str(folder)]),
        ("later open", [py, "-c", OPEN, str(folder)]),
        ("export csv", [py, "-m", "timeline", "export", str(folder), "--format", "csv"]),
    ]
    results = []
    for name, args in steps:
        wall, peak, _ = run(args, env)
        results.append((name, wall, peak))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 250_000, 1_000_000])
    parser.add_argument("--format", choices=("acled", "ucdp"), default="acled")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="journey-"))
    work.mkdir(parents=True, exist_ok=True)
    per_row: dict[str, list[tuple[int, float]]] = {}
    print(f"{'rows':>10} {'step':<16} {'seconds':>8} {'x read_csv':>10} {'peak MB':>8}  budget")
    for n in args.sizes:
        results = journey(n, args.format, work)
        base = results[0][1]
        for name, wall, peak in results:
            budget = ""
            if n >= 1_000_000 and name in BUDGETS:
                ok = wall <= BUDGETS[name] and peak <= PEAK_BUDGET_MB
                verdict = "met" if ok else "MISSED"
                budget = f"<= {BUDGETS[name]:g} s, <= {PEAK_BUDGET_MB} MB: {verdict}"
            print(f"{n:>10,} {name:<16} {wall:>8.2f} {wall / base:>10.1f} {peak:>8.0f}  {budget}")
            per_row.setdefault(name, []).append((n, wall))
    if len(args.sizes) > 1:
        print("\nmicroseconds per row (flat across sizes = linear):")
        for name, points in per_row.items():
            cells = "  ".join(f"{n:,}: {wall / n * 1e6:.1f}" for n, wall in points)
            print(f"  {name:<16} {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
