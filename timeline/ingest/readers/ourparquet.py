"""Our table as Parquet: the columns of our curated CSV, text, with the source's own fields as
`extra.KEY` columns (what `python -m timeline import` writes past a size, and
`import --table parquet`). Read exactly as our CSV is, cell for cell; rows are numbered as the
CSV's would be (the first record is row 2).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import tidy
from timeline.ingest.readers.curated import REQUIRED_COLUMNS, intake_from_cells
from timeline.model import problems as P
from timeline.model.tables import Intake

NAME = "parquet"
MAGIC = b"PAR1"


def _schema(data: bytes) -> pa.Schema | str:
    if not (data[:4] == MAGIC and data[-4:] == MAGIC):
        return "is not a Parquet file"
    try:
        return pq.read_schema(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"is a damaged Parquet file ({exc})"


def sniff(data: bytes, name: str) -> str | None:
    schema = _schema(data)
    if isinstance(schema, str):
        return schema
    missing = [c for c in REQUIRED_COLUMNS if c not in schema.names]
    return f"has no column {', '.join(missing)}" if missing else None


def read(data: bytes, *, file: str, options: ReadOptions) -> Intake:
    schema = _schema(data)
    if isinstance(schema, str):
        return Intake.failed(file, NAME, P.file_problem(file, schema))
    try:
        table = pq.read_table(pa.BufferReader(data))
        table = table.cast(pa.schema([pa.field(n, pa.large_string()) for n in table.schema.names]))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return Intake.failed(file, NAME, P.file_problem(file, f"cannot be read as text ({exc})"))
    raw = table.to_pandas().fillna("").astype("str")
    raw.index = pd.RangeIndex(P.FIRST_DATA_ROW, P.FIRST_DATA_ROW + len(raw))
    raw, found = tidy(raw, file, [])
    return intake_from_cells(raw, file, found, fmt=NAME)


FORMAT = Format(
    name=NAME,
    label="our table as Parquet",
    extensions=(".parquet",),
    sniff=sniff,
    read=read,
)
