"""Shared first steps of the readers: bytes to text, CSV text to cells with their row numbers.

Rows are numbered as a spreadsheet numbers them: the header is row 1, a blank line is a row
too, and a quoted cell with line breaks inside stays one row. Nothing here raises for bad
data: a file that cannot be read at all comes back as None with its problems.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings

import numpy as np
import pandas as pd

from timeline.model import problems as P
from timeline.model.limits import MAX_COLUMNS, MAX_TABLE_BYTES

BOM = "\ufeff"
# The csv module refuses a cell past 131,072 characters by default, and with it the whole
# file; a cell is bounded by the file's own size limit instead. (Process-wide: the module
# keeps one limit, and no reader of ours wants a smaller one.)
csv.field_size_limit(max(csv.field_size_limit(), MAX_TABLE_BYTES))
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """The name "UTF-16" or "UTF-32" when the bytes are text in one of those (by its BOM,
    or, without one, by a NUL beside every ASCII character), else None."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:4000]
    if len(head) >= 8 and head.count(0) * 2 >= len(head) * 0.9:
        if head[1::4].count(0) == len(head[1::4]) and head[2::4].count(0) == len(head[2::4]):
            return "UTF-32"
        if head[0::2].count(0) == len(head[0::2]) or head[1::2].count(0) == len(head[1::2]):
            return "UTF-16"
    return None


def wide_text_problem(file: str, encoding: str) -> pd.DataFrame:
    return P.file_problem(
        file,
        f"is {encoding} text; this tool reads UTF-8: save it as UTF-8 (in a spreadsheet: "
        "CSV UTF-8) and open it again; nothing was loaded",
    )


def decode(data: bytes | str, file: str) -> tuple[str | None, list[pd.DataFrame]]:
    """UTF-8 text without a byte-order mark, or None and why (naming the row of a bad byte).

    A file that is not UTF-8 is refused whole rather than guessed: a quote decoded in the
    wrong code page would be a wrong fact on every card.
    """
    if isinstance(data, bytes):
        if (wide := wide_encoding(data)) is not None:
            return None, [wide_text_problem(file, wide)]
        # Excel writes a byte-order mark; it would glue itself to the first column's name. Cut
        # off through a view: a slice of the bytes, or of the text, would copy the whole file.
        skip = 3 if data.startswith(BOM.encode("utf-8")) else 0
        try:
            text = codecs.decode(memoryview(data)[skip:], "utf-8")
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start + skip) + 1
            return None, [
                P.file_problem(
                    file,
                    f"is not UTF-8 (byte 0x{data[exc.start + skip]:02x} at row {row}); nothing was "
                    "loaded. Save it as UTF-8 (in a spreadsheet: CSV UTF-8)",
                )
            ]
    else:
        text = data.removeprefix(BOM)
    if text.count("\x00") * 20 > len(text):
        return None, [P.file_problem(file, "is a binary file (NUL bytes), not a text table")]
    if not text or text.isspace():  # (not strip(): a copy of the whole text)
        return None, [P.file_problem(file, "the file is empty")]
    return text, []


def read_cells(
    text: str, file: str, *, delimiter: str = ",", header: bool = True
) -> tuple[pd.DataFrame | None, list[pd.DataFrame]]:
    """Every cell as stripped text; the index is each record's spreadsheet row number.

    Blank rows are dropped (after numbering, so the rows after them keep their numbers). A
    row with more cells than the header is skipped and reported; one with fewer is padded.
    Duplicate or empty header names are reported, the later copy renamed so nothing is lost.
    Columns past `MAX_COLUMNS` are left out, with one problem: every column costs the checks
    and the store milliseconds, whatever its rows.
    """
    width = _header_width(text, delimiter)
    wide = [too_many_columns(file, width)] if width > MAX_COLUMNS else []
    if text.count("\r") != text.count("\r\n"):  # (counted: a replace would copy the text)
        # A lone carriage return: the C parser splits a quoted cell there, the csv module
        # (and every spreadsheet) reads it as part of the cell.
        cells, found = _read_cells_csv_module(text, file, delimiter=delimiter, header=header)
        return cells, wide + found
    if len(text) > ARROW_FROM and not wide:
        raw = _read_cells_arrow(text, delimiter=delimiter)
        if raw is not None:
            if header:
                raw.columns = list(raw.iloc[0]) if len(raw) else []
                raw = raw.iloc[1:]
            return tidy(raw, file, [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            raw = pd.read_csv(
                io.StringIO(text),
                dtype="str",
                sep=delimiter,
                header=None,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                engine="c",
                usecols=range(MAX_COLUMNS) if wide else None,
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            return None, [P.file_problem(file, f"is not a readable CSV table: {exc}")]
    skipped = {int(m[1]): m[2] for w in caught for m in _SKIPPED_LINE.finditer(str(w.message))}
    numbers = np.arange(1, 1 + len(raw) + len(skipped), dtype="int64")
    if skipped:
        numbers = numbers[~np.isin(numbers, list(skipped))]
    raw.index = pd.Index(numbers, dtype="int64")
    if header:
        # Named here rather than by pandas, which would rename a repeated name silently.
        raw.columns = list(raw.iloc[0]) if len(raw) else []
        raw = raw.iloc[1:]
    found = wide + [
        P.file_problem(file, f"has more cells than the header ({reason})", row=row)
        for row, reason in sorted(skipped.items())
    ]
    return tidy(raw, file, found)


#: Texts longer than this are read by pyarrow's CSV reader (both cores, cells kept as Arrow
#: strings: a million-row ACLED export in seconds, where pandas' C parser makes a Python
#: object of every cell first). Shorter ones, and any file with a row pyarrow will not take
#: as it is, go the C parser's way, which reports such rows by number.
ARROW_FROM = 1_000_000
#: Bytes per block pyarrow parses at once; a quoted cell may not straddle more than two.
ARROW_BLOCK = 1 << 24
#: Characters of the text its header is looked for in.
HEADER_CHARS = 1 << 20


class _Encoded(io.RawIOBase):
    """The text's UTF-8 bytes as a stream, encoded a piece at a time: a whole encoded copy of
    a half-gigabyte file would sit beside the text for the whole read."""

    PIECE = 1 << 22  # characters

    def __init__(self, text: str) -> None:
        self._text, self._at, self._pending = text, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and self._at < len(self._text):
            self._pending = self._text[self._at : self._at + self.PIECE].encode("utf-8")
            self._at += self.PIECE
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _read_cells_arrow(text: str, *, delimiter: str) -> pd.DataFrame | None:
    """The cells of a well-formed table (header included as the first row), numbered as a
    spreadsheet numbers rows; None for a table with any row of more or fewer cells than the
    first, or one pyarrow cannot parse (the caller then reads it the C parser's way)."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    # The header from the head of the text (a StringIO of the whole would copy it; a header
    # cut short here gives a ragged table, which the C parser's way then reads).
    head = text[:HEADER_CHARS]
    try:
        first = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return None
    if not first:
        return None
    ragged: list[object] = []

    def refuse(row) -> str:
        ragged.append(row)
        return "skip"

    names = [f"f{i}" for i in range(len(first))]
    try:
        table = pa_csv.read_csv(
            _Encoded(text),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=ARROW_BLOCK),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,  # a blank line is a row, numbered as the others
                invalid_row_handler=refuse,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if ragged:
        return None
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    raw = table.to_pandas(types_mapper={pa.string(): text_dtype}.get)
    raw.index = pd.RangeIndex(1, 1 + len(raw))
    return raw


def _header_width(text: str, delimiter: str) -> int:
    """Cells in the first record (the header), read alone from the text's head (a StringIO of
    the whole text would copy it)."""
    try:
        head = io.StringIO(text[:HEADER_CHARS], newline="")
        return len(next(csv.reader(head, delimiter=delimiter), []))
    except csv.Error:
        return 0


def too_many_columns(file: str, width: int) -> pd.DataFrame:
    problem = P.file_problem(
        file,
        f"has {width:,} columns; only the first {MAX_COLUMNS:,} are read, the other "
        f"{width - MAX_COLUMNS:,} are left out (every row is still loaded)",
        row=1,
    )
    problem["kept"] = True
    return problem


def _read_cells_csv_module(
    text: str, file: str, *, delimiter: str, header: bool
) -> tuple[pd.DataFrame | None, list[pd.DataFrame]]:
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return None, [P.file_problem(file, f"is not a readable CSV table: {exc}")]
    if not records:
        return None, [P.file_problem(file, "the file is empty")]
    records = [cells[:MAX_COLUMNS] if len(cells) > MAX_COLUMNS else cells for cells in records]
    names = records[0] if header else [str(i) for i in range(max(map(len, records)))]
    body = records[1:] if header else records
    first = P.FIRST_DATA_ROW if header else 1
    found, kept, index = [], [], []
    for number, cells in enumerate(body, start=first):
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            found.append(
                P.file_problem(
                    file,
                    f"has more cells than the header (expected {len(names)} fields, "
                    f"saw {len(cells)})",
                    row=number,
                )
            )
            continue
        kept.append((cells + [""] * len(names))[: len(names)] if cells else [""] * len(names))
        index.append(number)
    raw = pd.DataFrame(kept, columns=names, index=pd.Index(index, dtype="int64"), dtype="str")
    return tidy(raw, file, found)


def tidy(
    raw: pd.DataFrame, file: str, found: list[pd.DataFrame]
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    names, seen = [], {}
    for position, name in enumerate(str(c).strip() for c in raw.columns):
        if not name or name.startswith("Unnamed: "):
            name = f"column_{position + 1}"
        if name in seen:
            found.append(
                P.file_problem(
                    file,
                    f"has a second column named {name!r}; it is read as {name}_{seen[name] + 1}",
                    row=1,
                    column=name,
                )
            )
            found[-1]["kept"] = True
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    raw.columns = names
    for column in raw.columns:
        raw[column] = raw[column].fillna("").astype("str").str.strip()
    blank = (raw == "").all(axis=1)
    raw = raw[~blank]
    # A NUL byte in a cell (a damaged file): that row is left out and said, the rest load.
    # Looked for cell by cell only when some column holds one at all.
    damaged = len(raw) and any(raw[c].str.contains("\x00", regex=False).any() for c in raw)
    nul = raw.apply(lambda c: c.str.contains("\x00", regex=False)) if damaged else raw
    if damaged and nul.to_numpy().any():
        bad = nul.any(axis=1)
        first = nul[bad].idxmax(axis=1)
        found.append(
            P.cell_problems(
                file,
                first.index,
                "",
                "",
                [f"holds a NUL byte in column {c}: a damaged cell" for c in first],
                kept=False,
            ).assign(column=first.to_numpy())
        )
        raw = raw[~bad]
    return raw, found


def row_problems(
    file: str, rows: pd.Index, column: str, values: pd.Series | str, problem, *, kept: bool
) -> pd.DataFrame:
    """Problems for cells given by their spreadsheet row numbers (the index of `read_cells`)."""
    return P.rows_problems(
        file, pd.Index(rows) - P.FIRST_DATA_ROW, column, _shift(values), _shift(problem), kept=kept
    )


def _shift(values):
    if isinstance(values, pd.Series):
        return pd.Series(values.to_numpy(), index=values.index - P.FIRST_DATA_ROW)
    return values
