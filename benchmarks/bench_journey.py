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

BUDGETS = {"import": 20.0, "first open": 30.0, "later open": 2.0}
PEAK_BUDGET_MB = 2048

OPEN = (
    "import sys; from timeline.data.engine import open_engine; "
    "e = open_engine(sys.argv[1]); print(e.total)"
)


# Runs a step (`-m module args` or `-c code args`) and writes its own peak resident memory
# (VmHWM: this process's, from its exec on) to the file named first. The rusage of a child
# will not do: Linux carries the parent's high-water mark over fork and exec, so every step
# would report at least the benchmark's own peak.
MEASURED = """
import runpy, sys
out, kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
code = 0
try:
    if kind == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(target, "<step>", "exec"), {"__name__": "__main__"})
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(peak)
sys.exit(code)
"""


def run(args: list[str], env: dict[str, str], work: Path) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and standard output of one step, in its own process.
    `args`: the interpreter, then `-m module ...` or `-c code ...`."""
    peak_file = work / "peak-kib"
    start = time.perf_counter()
    process = subprocess.run(
        [args[0], "-c", MEASURED, str(peak_file), *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:4])} failed ({process.returncode})")
    return wall, int(peak_file.read_text()) / 1024, process.stdout.decode()


def journey(n: int, fmt: str, work: Path) -> list[tuple[str, float, float]]:
    source = work / f"{fmt}-{n}.csv"
    if not source.exists():  # made by a process of its own: this one stays small
        make = (
            f"import sys; from synthetic import {fmt}_csv as make; "
            f"open(sys.argv[1], 'w', encoding='utf-8').write(make({n}))"
        )
        subprocess.run([sys.executable, "-c", make, str(source)], cwd=HERE, check=True)
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
        wall, peak, _ = run(args, env, work)
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
