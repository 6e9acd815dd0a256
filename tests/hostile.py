"""Shared helpers of the hostile-input tests (issue 10): run the CLI, account for every row.

Not a test module: the hostile tests import it. Nothing here mocks; the CLI runs as a real
subprocess so a traceback, a hang or a crash shows as it would to a curator.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from timeline.model import problems as P

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
HEADER = "id,title,start,source_file,quote,related,summary"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def cli(*args: str | Path, timeout: float = 120) -> Run:
    """`python -m timeline ARGS` in a subprocess, offline; fails the test on a traceback."""
    env = os.environ | {"PYTHONUTF8": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "timeline", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return Run(done.returncode, done.stdout, done.stderr)


def lines(table) -> list[str]:
    """The problems as `validate` prints them."""
    return [P.format_problem(p) for _, p in table.problems.iterrows()]


def not_loaded_rows(problems: pd.DataFrame) -> int:
    """Distinct rows reported as not loaded (kept False), counted here, not by the model."""
    return int(problems.loc[~problems["kept"].astype(bool), "row"].dropna().nunique())


def assert_accounted(table) -> None:
    """rows in = rows loaded + distinct rows reported as not loaded."""
    dropped = not_loaded_rows(table.problems)
    assert table.rows_in == len(table.events) + dropped, (
        f"rows_in {table.rows_in} != {len(table.events)} loaded + {dropped} not loaded\n"
        + "\n".join(lines(table))
    )


def find(table, column: str, row: int | None = None, *, text: str = "") -> pd.Series:
    """The one problem on this column (and row) whose wording holds `text`."""
    p = table.problems
    hit = p[(p["column"] == column) & p["problem"].str.contains(text, regex=False)]
    if row is not None:
        hit = hit[hit["row"] == row]
    assert len(hit), f"no problem on {column} row {row} with {text!r}:\n" + "\n".join(lines(table))
    return hit.iloc[0]


def assert_names(problem: pd.Series, file: str | Path, row: int, column: str) -> None:
    """The printed line starts `file:row:column:`, the form an editor jumps to."""
    line = P.format_problem(problem)
    assert line.startswith(f"{file}:{row}:{column}: "), line


#: Texts that would run script, load something or end the data's element if parsed as HTML.
HOSTILE_TEXTS = [
    "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&amp;",
    "</script><script>alert(3)</script>",
    "<!--<script>alert(4)//",
    '<img src="http://example.invalid/beacon.png">',
    "line\u2028separator\u2029paragraph",
    "%{y}<a href='https://example.invalid'>x</a>",
]


def hostile_events_csv() -> str:
    """Our curated CSV of one event per hostile text, the text in every text column (title,
    summary, place, category, actors, reporter, quote, sources, notes, time note, extra)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["id", "title", "summary", "start", "time_precision", "places", "lat", "lon",
               "category", "actors", "reported_by", "quote", "further_sources", "notes",
               "time_note", "extra"]  # fmt: skip
    writer.writerow(columns)
    for n, text in enumerate(HOSTILE_TEXTS):
        writer.writerow([f"ev-{n}", text, text, f"2025-03-18T1{n}:00+00:00", "minute", text,
                         "50.9", "34.8", text, text, text, text, f"{text}: {text}", text, text,
                         json.dumps({text: text})])  # fmt: skip
    return out.getvalue()
