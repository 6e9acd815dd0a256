"""Our table as Parquet: the columns of our curated CSV, text, with the source's own fields as
`extra.KEY` columns (what `python -m timeline import` writes past a size, and
`import --table parquet`). Read exactly as our CSV is, cell for cell; rows are numbered as the
CSV's would be (the first record is row 2).

Parquet compresses, and dictionary-encodes a repeated value once: 0.4 MB can decode to 2 GB of
text. The text a file would decode to is measured before it is decoded (the pages' declared
sizes, then each dictionary column's lengths taken by its indices) and held to
`MAX_TABLE_BYTES`, the bound of a CSV table; only the first `MAX_COLUMNS` columns are read.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from timeline.ingest.readers import Format, ReadOptions
from timeline.ingest.readers._cells import tidy, too_many_columns
from timeline.ingest.readers.curated import REQUIRED_COLUMNS, intake_from_cells
from timeline.model import problems as P
from timeline.model.extras import is_extra
from timeline.model.limits import MAX_COLUMNS, MAX_TABLE_BYTES, size_text
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
    found = [too_many_columns(file, len(schema.names))] if len(schema.names) > MAX_COLUMNS else []
    names = schema.names[:MAX_COLUMNS]
    try:
        refused = _refusal(data, names)
        if refused:
            return Intake.failed(file, NAME, P.file_problem(file, refused))
        table = pq.read_table(pa.BufferReader(data), columns=names)
        table = table.cast(pa.schema([pa.field(n, pa.large_string()) for n in table.schema.names]))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return Intake.failed(file, NAME, P.file_problem(file, f"cannot be read as text ({exc})"))
    raw = table.to_pandas().fillna("").astype("str")
    raw.index = pd.RangeIndex(P.FIRST_DATA_ROW, P.FIRST_DATA_ROW + len(raw))
    # The source's own fields are kept as written (as our CSV's extra cell and JSON keep
    # them); tidy trims the model's cells only.
    fields = {c: raw[c] for c in raw.columns if is_extra(c)}
    raw, found = tidy(raw, file, found)
    for column, values in fields.items():
        if column in raw.columns:
            raw[column] = values.loc[raw.index]
    return intake_from_cells(raw, file, found, fmt=NAME)


def _refusal(data: bytes, names: list[str]) -> str:
    """Why the columns would decode past the bound ("" when they would not)."""
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    wanted = set(names)
    declared = sum(
        chunk.total_uncompressed_size
        for i in range(meta.num_row_groups)
        for j in range(meta.num_columns)
        if (chunk := meta.row_group(i).column(j)).path_in_schema in wanted
    )
    if declared <= MAX_TABLE_BYTES:
        # Read as dictionaries (no value repeated yet): what decoding them would make.
        table = pq.read_table(pa.BufferReader(data), columns=names, read_dictionary=names)
        declared = sum(_decoded_bytes(column) for column in table.columns)
    if declared <= MAX_TABLE_BYTES:
        return ""
    return (
        f"would decode to {size_text(declared)} of text from {size_text(len(data))}; at most "
        f"{size_text(MAX_TABLE_BYTES)}, the bound of a table file, is read. Nothing was loaded"
    )


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary.cast(pa.large_string()))
            total += int(pc.sum(lengths.take(chunk.indices)).as_py() or 0)
        else:
            total += chunk.nbytes
    return total


FORMAT = Format(
    name=NAME,
    label="our table as Parquet",
    extensions=(".parquet",),
    sniff=sniff,
    read=read,
)
