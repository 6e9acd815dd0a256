"""The table of the window's events, a page at a time: what each column says, read as the card
reads it (the time in the source's own clock, the category's label, the claim in words).

Pure: the page's rows in (`Engine.rows(ask, sort=..., limit=..., offset=...)`), the frame the
app shows out. Every cell is text; Streamlit's table never renders it as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from timeline.model.vocab import CLAIM_STATUSES, Category
from timeline.views.describe import when_listed

#: Rows per page of the table.
PAGE_ROWS = 25
#: The table's own columns a reader can sort by, with their labels; a story's facets add theirs.
SORTS: dict[str, str] = {
    "": "Time",
    "title": "Title",
    "category": "Category",
    "claim_status": "Claim status",
    "latest": "End",
}


def sort_options(facets: Sequence) -> dict[str, str]:
    """Field -> label of every sort the table offers: its own, then the story's facets."""
    return SORTS | {f.field: f.label for f in facets if f.field not in SORTS}


def table_page(
    rows: pd.DataFrame,
    categories: Mapping[str, Category],
    extra_columns: Mapping[str, str] = {},  # noqa: B006 (read only)
) -> pd.DataFrame:
    """The page as the reader reads it: When, Title, Category, Claim, then the fields asked
    for (`extra_columns`: field -> label), indexed by the event's id."""
    claims = {k: v.label for k, v in CLAIM_STATUSES.items()}
    frame = pd.DataFrame(
        {
            "When (as the source gives it)": when_listed(rows) if len(rows) else [],
            "Title": rows["title"].astype("str").to_numpy(),
            "Category": [categories[c].label if c in categories else c for c in rows["category"]],
            "Claim": [claims.get(c, "not stated") for c in rows["claim_status"]],
        },
        index=pd.Index(rows["id"].astype("str"), name="id"),
    )
    for field, label in extra_columns.items():
        if field in rows.columns:
            frame[label] = rows[field].astype("str").to_numpy()
    return frame


def page_count(total: int, rows: int = PAGE_ROWS) -> int:
    return max(-(-total // rows), 1)
