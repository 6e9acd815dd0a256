"""Workbooks (.xlsx) to cells, in the shape `_cells.read_cells` gives for a CSV table.

Each sheet becomes a frame of stripped text cells whose index is the spreadsheet row (the
header is row 1; blank rows are dropped after numbering, so the rows after them keep their
numbers). A date in a cell becomes ISO text ("2024-03-01", or "2024-03-01T14:30" when it has a
time of day): the reader parses text alike whether it came from a CSV or a workbook, and a
date is never turned into a serial number or a midnight instant. Formulas give their cached
values (what the spreadsheet last showed). Nothing here raises for bad data.

A workbook is a zip of XML, and a zip can hold a bomb (4 MB that inflate to 4 GB).
`workbook_refusal` reads only the zip's directory: the parts' declared sizes, which zipfile
also holds every part to while inflating it (a part that inflates past its declared size fails
its check), so they bound what can be read. Reading then stops at `WORKBOOK_MAX_CELLS` cells
and `MAX_COLUMNS` columns, with a problem for what was left out.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html import unescape

import pandas as pd

from timeline.ingest.readers._cells import tidy, too_many_columns
from timeline.model import problems as P
from timeline.model.limits import (
    MAX_COLUMNS,
    WORKBOOK_EXPANSION,
    WORKBOOK_MAX_BYTES,
    WORKBOOK_MAX_CELLS,
    size_text,
)

#: The first bytes of every zip file, and so of every .xlsx workbook.
ZIP_MAGIC = b"PK\x03\x04"
_SHEET_NAME = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"')


def is_workbook(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def workbook_refusal(data: bytes) -> str | None:
    """Why a workbook is not read at all (its parts would inflate past the bounds), or None.

    Reads the zip's central directory only; a file that is not a readable zip is left to the
    reader, which says so."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None
    bound = min(WORKBOOK_MAX_BYTES, WORKBOOK_EXPANSION * len(data))
    if inflated <= bound:
        return None
    return (
        f"is a workbook whose parts would inflate to {size_text(inflated)} "
        f"({inflated / max(len(data), 1):,.0f} times its {size_text(len(data))}); at most "
        f"{WORKBOOK_EXPANSION} times the file and {size_text(WORKBOOK_MAX_BYTES)} in all are read. "
        "Nothing was loaded: save the sheet as CSV UTF-8 and open that"
    )


def sheet_names(data: bytes) -> list[str] | None:
    """The names of a workbook's sheets, read from its small `xl/workbook.xml` alone (cheap
    enough for sniffing), or None when the data is not an .xlsx workbook (or one too large
    to read: `workbook_refusal`)."""
    if not is_workbook(data) or workbook_refusal(data) is not None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    return [unescape(m.decode("utf-8", "replace")) for m in _SHEET_NAME.findall(xml)]


def read_sheets(
    data: bytes, file: str, *, only: tuple[str, ...] | None = None, max_rows: int | None = None
) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame]]:
    """Every sheet (or those named in `only`) as cells; and the problems met.

    `max_rows` stops each sheet after that many spreadsheet rows (for sniffing a header).
    A file that is not a workbook gives no sheets and one problem for the file.
    """
    try:
        import openpyxl
    except ImportError:  # a dependency, but say so plainly rather than with a traceback
        return {}, [P.file_problem(file, "needs the openpyxl package to read .xlsx workbooks")]
    if not is_workbook(data):
        return {}, [P.file_problem(file, "is not an .xlsx workbook (it is not a zip archive)")]
    if (refused := workbook_refusal(data)) is not None:
        return {}, [P.file_problem(file, refused)]
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign zip
        return {}, [P.file_problem(file, f"is not a readable .xlsx workbook: {exc}")]
    sheets, found = {}, []
    budget = [WORKBOOK_MAX_CELLS]
    try:
        for sheet in book.worksheets:
            if only is not None and sheet.title not in only:
                continue
            where = f"{file} [{sheet.title}]"
            try:
                frame, cut, widest = _sheet_cells(sheet, max_rows, budget)
            except Exception as exc:  # one damaged sheet must not hide the others
                found.append(P.file_problem(file, f"sheet {sheet.title!r} is unreadable: {exc}"))
                continue
            if widest > MAX_COLUMNS:
                found.append(too_many_columns(where, widest))
                frame = frame.iloc[:, :MAX_COLUMNS]
            if cut is not None:
                found.append(
                    P.file_problem(
                        where,
                        f"reading stopped at row {cut:,}: the workbook holds more than "
                        f"{WORKBOOK_MAX_CELLS:,} cells; the rows from {cut:,} on are left out. "
                        "Save the sheet as CSV UTF-8 to read it whole",
                        row=cut,
                    )
                )
            frame, sheet_found = tidy(frame, where, [])
            sheets[sheet.title] = frame
            found.extend(sheet_found)
    finally:
        book.close()
    return sheets, found


def _sheet_cells(
    sheet, max_rows: int | None, budget: list[int]
) -> tuple[pd.DataFrame, int | None, int]:
    """The sheet's cells, the row where reading stopped for the cell budget (or None), and
    the widest row's cells (only `MAX_COLUMNS` + 1 of them are kept).

    `budget` holds the cells still to be read in this workbook (shared by its sheets); a row
    costs its cells, at least one, whether empty or not."""
    # A writer may record wrong dimensions; without them openpyxl measures the data itself.
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    rows, cut, widest = [], None, 0
    # openpyxl's read-only rows come in order from row 1, with empty rows filled in, so the
    # position is the spreadsheet row number.
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if max_rows is not None and number > max_rows:
            break
        budget[0] -= max(len(values), 1)
        widest = max(widest, len(values))
        if budget[0] < 0:
            cut = number
            break
        rows.append([cell_text(v) for v in values[: MAX_COLUMNS + 1]])
    if not rows:
        return pd.DataFrame(dtype="str"), cut, widest
    width = max(len(r) for r in rows)
    header = rows[0] + [""] * (width - len(rows[0]))
    body = [r + [""] * (width - len(r)) for r in rows[1:]]
    index = pd.Index(range(P.FIRST_DATA_ROW, P.FIRST_DATA_ROW + len(body)), dtype="int64")
    frame = pd.DataFrame(body, index=index, columns=range(width), dtype="str")
    frame.columns = header
    return frame, cut, widest


def cell_text(value) -> str:
    """A cell's value as the text a CSV export of the sheet would hold, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
        return value.isoformat(timespec=spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
        return value.isoformat(timespec=spec)
    if isinstance(value, float):
        # Excel keeps every number as a float: a whole number reads as "3", not "3.0".
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value).strip()


__all__ = ["cell_text", "is_workbook", "read_sheets", "sheet_names", "workbook_refusal"]
