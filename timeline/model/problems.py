"""One table of problems found in an event table: file, row, column, value, what is wrong.

Rows are counted as a spreadsheet counts them: the header is row 1, the first event row 2.
`kept` says whether the row still loaded (a place that cannot be geocoded leaves its event on
the timeline) or was left out (a start that does not parse cannot be drawn anywhere).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.model.schema import PROBLEMS, empty

#: Spreadsheet row of the record at position 0 (row 1 is the header).
FIRST_DATA_ROW = 2


def empty_problems() -> pd.DataFrame:
    return empty(PROBLEMS)


def file_problem(
    file: str, problem: str, *, row: int | None = None, column: str = ""
) -> pd.DataFrame:
    """A problem with the file as a whole (encoding, header, emptiness)."""
    return pd.DataFrame(
        {
            "file": [file],
            "row": pd.array([row], dtype="Int64"),
            "column": [column],
            "value": [""],
            "problem": [problem],
            "kept": [False],
        }
    )


def rows_problems(
    file: str,
    positions: pd.Index,
    column: str,
    values: pd.Series | str,
    problem: pd.Series | str,
    *,
    kept: bool,
) -> pd.DataFrame:
    """Problems for many rows at once; `positions` are 0-based record positions."""
    n = len(positions)
    if isinstance(values, pd.Series):
        values = values.loc[positions].astype("str").to_numpy()
    if isinstance(problem, pd.Series):
        problem = problem.loc[positions].astype("str").to_numpy()
    return pd.DataFrame(
        {
            "file": [file] * n,
            "row": pd.array(positions.to_numpy() + FIRST_DATA_ROW, dtype="Int64"),
            "column": [column] * n,
            "value": values,
            "problem": problem,
            "kept": [kept] * n,
        }
    )


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_problems()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["file", "row"], kind="stable", na_position="first").reset_index(
        drop=True
    )


def format_problems(problems: pd.DataFrame) -> list[str]:
    """`format_problem` of every row, column-wise: a million problems in seconds, where one
    call per row took minutes."""
    if problems.empty:
        return []
    p = problems.reset_index(drop=True)
    row = p["row"].astype("Int64")
    has_row = row.notna().to_numpy()
    where = p["file"].astype("str")
    where = where.where(~has_row, where + ":" + row.astype("str"))
    column = p["column"].astype("str")
    where = where.where(column == "", where + ":" + column)
    text = where + ": " + p["problem"].astype("str")
    value = p["value"].astype("str")
    given = (value != "").to_numpy()
    if given.any():
        shown = value[given]
        shown = shown.where(shown.str.len() <= 80, shown.str.slice(0, 77) + "...")
        text[given] = text[given] + " (got " + shown.map(repr).astype("str") + ")"
    lost = ~p["kept"].astype(bool).to_numpy() & has_row
    text[lost] = text[lost] + " [row not loaded]"
    return text.tolist()


def format_problem(p: pd.Series) -> str:
    """`file:row:column: problem (got 'value')`, the form an editor can jump to."""
    where = p["file"]
    if not pd.isna(p["row"]):
        where += f":{p['row']}"
    if p["column"]:
        where += f":{p['column']}"
    text = f"{where}: {p['problem']}"
    if p["value"]:
        value = p["value"] if len(p["value"]) <= 80 else p["value"][:77] + "..."
        text += f" (got {value!r})"
    # A problem with no row (a story key, a whole file) says so in its own words.
    text += "" if p["kept"] or pd.isna(p["row"]) else " [row not loaded]"
    return text


def cell_problems(file: str, rows, column: str, values, problem, *, kept: bool) -> pd.DataFrame:
    """Problems for cells given by their spreadsheet rows (repeats allowed), values aligned."""
    rows = np.asarray(rows, dtype="int64")
    n = len(rows)
    values = np.broadcast_to(np.asarray(values, dtype=object), (n,)) if n else []
    problem = np.broadcast_to(np.asarray(problem, dtype=object), (n,)) if n else []
    return pd.DataFrame(
        {
            "file": [file] * n,
            "row": pd.array(rows, dtype="Int64"),
            "column": [column] * n,
            "value": pd.Series(list(values), dtype="str"),
            "problem": pd.Series(list(problem), dtype="str"),
            "kept": [kept] * n,
        }
    )
