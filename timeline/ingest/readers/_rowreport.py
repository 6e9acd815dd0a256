"""What the tabular readers (ACLED, UCDP, a mapped spreadsheet) share once their cells are read:
counting the records, reporting cells by their spreadsheet row, and leaving out refused rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.model import extras
from timeline.model import problems as P
from timeline.model.schema import INTAKE_EVENTS, INTAKE_PLACES
from timeline.model.tables import Intake, conform


def records_in(cells: pd.DataFrame, found: list[pd.DataFrame]) -> int:
    """Records read: the rows kept as cells plus those skipped and reported on their row
    (more cells than the header), so that rows in = loaded + reported."""
    skipped = set()
    for p in found:
        rows = p.loc[~p["kept"].astype(bool) & p["row"].notna(), "row"]
        skipped.update(int(r) for r in rows if r > 1)
    return len(cells) + len(skipped - set(cells.index))


class RowReport:
    """Problems of cells in `cells` (index = spreadsheet row); refused rows are remembered."""

    def __init__(self, file: str, cells: pd.DataFrame, found: list[pd.DataFrame]):
        self.file, self.cells, self.found = file, cells, found
        self.dropped: set[int] = set()

    def __call__(self, mask, column: str, values, problem, *, kept: bool) -> None:
        mask = np.asarray(mask, dtype=bool)
        rows = self.cells.index[mask]
        if not len(rows):
            return
        values = values[mask].to_numpy() if isinstance(values, pd.Series) else values
        problem = problem[mask].to_numpy() if isinstance(problem, pd.Series) else problem
        self.found.append(P.cell_problems(self.file, rows, column, values, problem, kept=kept))
        if not kept:
            self.dropped.update(int(r) for r in rows)

    def intake(
        self,
        events: pd.DataFrame,
        places: pd.DataFrame,
        links: pd.DataFrame,
        *,
        fmt: str,
        rows_in: int,
        story: dict | None = None,
    ) -> Intake:
        from timeline.model.schema import INTAKE_LINKS

        keep = ~events["row"].isin(self.dropped)
        return Intake(
            events=conform(events[keep].reset_index(drop=True), INTAKE_EVENTS),
            places=conform(
                places[~places["row"].isin(self.dropped)].reset_index(drop=True),
                INTAKE_PLACES,
            ),
            links=conform(links, INTAKE_LINKS),
            problems=P.combine(self.found),
            file=self.file,
            format=fmt,
            rows_in=rows_in,
            story=story or {},
        )


def with_extras(events: pd.DataFrame, cells: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The events with the named cells as their `extra.*` columns (the source's own fields,
    kept as written: `timeline.model.extras`)."""
    return events.join(extras.from_columns(cells, columns))


def join_cells(cells: pd.DataFrame, columns: tuple[str, ...], sep: str = "; ") -> pd.Series:
    """The non-empty cells of `columns` joined with `sep`, column by column (no loop per row)."""
    out = pd.Series("", index=cells.index, dtype="str")
    for column in columns:
        value = cells[column].astype("str")
        glue = pd.Series(np.where((out != "") & (value != ""), sep, ""), index=cells.index)
        out = out + glue + value
    return out


def coordinates(lat_text: pd.Series, lon_text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Decimal degrees, and the rows where a cell was given but is not a usable coordinate."""
    lat = pd.to_numeric(lat_text, errors="coerce")
    lon = pd.to_numeric(lon_text, errors="coerce")
    given = (lat_text != "") | (lon_text != "")
    bad = given & (lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180))
    return lat.where(~bad), lon.where(~bad), bad


def header_columns(data: bytes, delimiter: str = ",") -> set[str]:
    """The names in a text table's first line (cheap: for sniffing)."""
    head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head.strip() else ""
    return {c.strip().strip('"') for c in first.split(delimiter)}


__all__ = ["RowReport", "coordinates", "header_columns", "join_cells", "records_in", "with_extras"]
