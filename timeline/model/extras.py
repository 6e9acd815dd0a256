"""The source's own fields that the model has no column for, kept beside the model's columns.

Each is a text column of the events frame named `extra.KEY` (ACLED's `extra.sub_event_type`,
UCDP's `extra.best`), holding the value as the source wrote it, "" where a record has none; a
value that is a list or an object (a GeoJSON `when`, TimeMap's sources) is kept as its JSON
text. Columns rather than one JSON cell per row: a million rows are read, stored, filtered on
and counted without parsing a million JSON objects.

Our curated CSV writes them as one JSON object per row in its `extra` cell (`json_cells`) and
reads them back (`from_json_cells`); the store, the card, the filters and our other exports read
the columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geodata.untrusted import loads_json
from timeline.model.limits import MAX_COLUMNS
from timeline.model.problems import file_problem

PREFIX = "extra."


def is_extra(column: str) -> bool:
    return column.startswith(PREFIX) and len(column) > len(PREFIX)


def extra_columns(frame: pd.DataFrame) -> list[str]:
    """The frame's `extra.*` columns, in their order."""
    return [c for c in frame.columns if is_extra(c)]


def key(column: str) -> str:
    return column[len(PREFIX) :]


def as_text(value: object) -> str:
    """A source's value as the text kept: lists and objects as JSON, nothing as ""."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def from_columns(cells: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`extra.C` columns from the named text columns of a table, in their order (a column
    named `extra.C` already keeps its name)."""
    columns = list(columns)
    out = cells[columns].fillna("").astype("str")
    out.columns = [c if is_extra(c) else PREFIX + c for c in columns]
    return out


def from_records(
    records: Iterable[Mapping | None], index: pd.Index
) -> tuple[pd.DataFrame, list[str]]:
    """`extra.KEY` columns from one dict per row (None or {} where a row has none), and the
    keys left out: past `MAX_COLUMNS` distinct keys (in order of first use), the rest are not
    kept (`left_out_problem` says so), as a table's columns past it are not read."""
    rows = [dict(r) if r else {} for r in records]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    keys, left_out = keys[:MAX_COLUMNS], [str(k) for k in keys[MAX_COLUMNS:]]
    data = {PREFIX + str(k): [as_text(r.get(k)) for r in rows] for k in keys}
    frame = pd.DataFrame(data, index=index, dtype="str") if keys else pd.DataFrame(index=index)
    return frame, left_out


def left_out_problem(file: str, left_out: list[str]) -> list[pd.DataFrame]:
    """The one problem for fields left out past `MAX_COLUMNS` (none when none were)."""
    if not left_out:
        return []
    problem = file_problem(
        file,
        f"its records have more than {MAX_COLUMNS:,} fields; the first {MAX_COLUMNS:,} are "
        f"kept, the other {len(left_out):,} (from {left_out[0]!r} on) are left out (every "
        "record is still loaded)",
    )
    problem["kept"] = True
    return [problem]


def from_json_cells(cells: pd.Series) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """`extra.KEY` columns from JSON object cells ("" for none), the rows whose cell is not
    a JSON object (kept whole under `extra.extra`, so nothing is lost), and the keys left out
    past `MAX_COLUMNS`."""
    records, bad = [], []
    for row, cell in zip(cells.index, cells.to_numpy(dtype=object), strict=True):
        if not cell:
            records.append(None)
            continue
        try:
            value = loads_json(cell)
        except ValueError:  # not JSON, or nested past the bound
            value = None
        if not isinstance(value, dict):
            bad.append(row)
            value = {"extra": cell}
        records.append(value)
    frame, left_out = from_records(records, cells.index)
    return frame, pd.Index(bad, dtype="int64"), left_out


def merged(frames: Iterable[pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    """Extra columns of several sources for the same rows; a later source wins a shared key."""
    out = pd.DataFrame(index=index)
    for frame in frames:
        for column in frame.columns:
            if column in out.columns:
                later = frame[column]
                out[column] = later.where(later != "", out[column])
            else:
                out[column] = frame[column]
    return out


def record(row: Mapping) -> dict[str, str]:
    """The non-empty extras of one event (a Series or a dict), by key, in their order."""
    return {key(c): v for c, v in row.items() if is_extra(c) and isinstance(v, str) and v}


def json_cells(frame: pd.DataFrame) -> pd.Series:
    """One JSON object per row of the frame's extras ("" where it has none), built column-wise:
    a million rows in a second, where json.dumps per row takes ten."""
    columns = extra_columns(frame)
    joined = pd.Series("", index=frame.index, dtype="str")
    for column in columns:
        values = frame[column].fillna("").astype("str")
        given = values != ""
        if not given.any():
            continue
        pair = json.dumps(key(column), ensure_ascii=False) + ": " + _quoted(values)
        pair = pair.where(given, "")
        comma = np.where((joined != "") & given, ", ", "")
        joined = joined + comma + pair
    return ("{" + joined + "}").where(joined != "", "")


def _quoted(values: pd.Series) -> pd.Series:
    """JSON string literals of text values, vectorised; rows with rare control characters are
    left to json.dumps."""
    text = (
        values.str.replace("\\", "\\\\", regex=False)
        .str.replace('"', '\\"', regex=False)
        .str.replace("\n", "\\n", regex=False)
        .str.replace("\r", "\\r", regex=False)
        .str.replace("\t", "\\t", regex=False)
    )
    rare = values.str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", regex=True)
    out = '"' + text + '"'
    if rare.any():
        out[rare] = [json.dumps(v, ensure_ascii=False) for v in values[rare]]
    return out
