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


def from_records(records: Iterable[Mapping | None], index: pd.Index) -> pd.DataFrame:
    """`extra.KEY` columns from one dict per row (None or {} where a row has none)."""
    rows = [dict(r) if r else {} for r in records]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    data = {PREFIX + str(k): [as_text(r.get(k)) for r in rows] for k in keys}
    return pd.DataFrame(data, index=index, dtype="str") if keys else pd.DataFrame(index=index)


def from_json_cells(cells: pd.Series) -> tuple[pd.DataFrame, pd.Index]:
    """`extra.KEY` columns from JSON object cells ("" for none), and the rows whose cell is not
    a JSON object (kept whole under `extra.extra`, so nothing is lost)."""
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
    return from_records(records, cells.index), pd.Index(bad, dtype="int64")


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
