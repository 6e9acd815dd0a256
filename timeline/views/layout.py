"""The page's words and looks that are not widgets: the count line, the problems as a reader
reads them at sidebar width, and the page's style and small behaviours.

Pure: text and HTML in, text and HTML out; the app renders them.
"""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd


def count_line(
    *,
    in_window: int,
    total: int,
    on_map: int,
    not_loaded: int = 0,
    hidden: int = 0,
    in_view: int | None = None,
) -> str:
    """'12 of 16 events in the window · 11 on the map · 5 in the map's view · 4 hidden by the
    filters · 3 rows not loaded' (Markdown: numbers in bold; parts with nothing to say left
    out)."""
    parts = [f"**{in_window:,} of {total:,} events** in the window", f"**{on_map:,}** on the map"]
    if in_view is not None:
        parts.append(f"**{in_view:,}** in the map's view")
    if hidden:
        parts.append(f"**{hidden:,}** hidden by the filters")
    if not_loaded:
        parts.append(f"**{not_loaded:,}** row{'s' if not_loaded != 1 else ''} not loaded")
    return " · ".join(parts)


def filters_words(filters, labels: dict[str, str] | None = None) -> str:
    """The filters in a sentence (a published page says what it holds): 'Category: Battles,
    Riots; Fatalities: at least 1; words: drone'. Plain text; '' with no filter."""
    labels = labels or {}
    parts = []
    for name, values in filters.facets:
        shown = ", ".join(sorted(v or "(none)" for v in values)) or "none"
        parts.append(f"{labels.get(name, name)}: {shown}")
    for name, low, high in filters.ranges:
        bounds = [f"at least {low:g}" if low is not None else "", f"at most {high:g}" if high
                  is not None else ""]  # fmt: skip
        parts.append(f"{labels.get(name, name)}: {' and '.join(b for b in bounds if b)}")
    if filters.text:
        parts.append(f"words: {filters.text}")
    return "; ".join(parts)


def map_summary(
    mode: str, *, events: int, placed: int, places: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
) -> str:  # fmt: skip
    """What the map shows, in words: its text alternative (a screen reader cannot read the
    canvas) and a reader's summary. Plain text."""
    head = f"Map of {events:,} events, {placed:,} of them placed"
    if mode == "detail" and places is not None and len(places):
        names = places[places["name"].astype("str") != ""].groupby("name")["event_id"].nunique()
        top = names.sort_values(ascending=False, kind="stable").head(5)
        listed = ", ".join(f"{name} ({n})" for name, n in top.items())
        return f"{head}, at {places['name'].nunique():,} places; most at {listed}."
    if mode == "cells" and cells is not None and len(cells):
        areas = cells.drop_duplicates(["cell_y", "cell_x"])
        per = areas.nlargest(3, "cell_count")
        busiest = "; ".join(
            f"{_degrees(r.lat, 'N', 'S')} {_degrees(r.lon, 'E', 'W')}: {r.cell_count:,}"
            for r in per.itertuples()
        )
        return f"{head}, counted in {len(areas):,} areas of the view; the busiest: {busiest}."
    return head + "."


def timeline_summary(bins: pd.DataFrame | None, events: int, window: tuple) -> str:
    """The timeline in words (its text alternative)."""
    lo, hi = window
    text = f"Timeline of {events:,} events from {_utc(lo)} to {_utc(hi)} (UTC)"
    if bins is not None and len(bins):
        per = bins.groupby("bin_start")["count"].sum()
        busiest = per.idxmax()
        text += f"; busiest from {_utc(busiest)}: {int(per.max()):,} events"
    return text + "."


def _degrees(value: float, plus: str, minus: str) -> str:
    return f"{abs(value):.1f}°{plus if value >= 0 else minus}"


def _utc(when: pd.Timestamp) -> str:
    return f"{when.day} {when.strftime('%b')} {when.year}, {when.hour:02d}:{when.minute:02d}"


def problems_view(problems: pd.DataFrame) -> pd.DataFrame:
    """Row, column and problem first (what a narrow table shows), then the value, whether the
    row was kept, and the file by its name only (a long absolute path hides everything)."""
    out = problems.copy()
    out["file"] = out["file"].astype("str").map(lambda f: PurePath(f).name if f else f)
    first = ["row", "column", "problem", "value", "kept", "file"]
    return out[[c for c in first if c in out] + [c for c in out if c not in first]]


PAGE_STYLE = """
<style>
  /* Streamlit's generous top padding pushes the map and card below the fold. */
  .block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; }
  h1 { font-size: 1.5rem !important; padding: 0 !important; }
  .event-card { font-size: 0.9rem; line-height: 1.35; }
  .event-card .card-title { font-size: 1.15rem; margin: 0 0 0.3rem 0; padding: 0; }
  .event-card .card-row { margin: 0.1rem 0; }
  .event-card .card-summary { margin: 0.3rem 0; }
  .event-card q { background: #fff3b0; }
</style>
"""

# Small behaviours of the page (ours and fixed): on a narrow screen the card is under the map,
# so a new selection scrolls it into view; opening the article scrolls its box to the sentence
# (a box inside a closed expander has no size, so the article's own scroll found nothing).
PAGE_SCRIPT = """
<script>
(function () {
  if (window.__tmPage) return;
  window.__tmPage = true;
  let shown = null;
  const scrollArticle = () => {
    const box = document.getElementById('article');
    const m = document.getElementById('quote-mark');
    if (box && m && box.clientHeight > 0) {
      box.scrollTop = m.offsetTop - box.offsetTop - box.clientHeight / 3;
    }
  };
  document.addEventListener('toggle', () => setTimeout(scrollArticle, 50), true);
  document.addEventListener('click', e => {
    if (e.target.closest && e.target.closest('details summary')) setTimeout(scrollArticle, 120);
  }, true);
  setInterval(() => {
    const card = document.querySelector('div.event-card');
    const id = card ? card.getAttribute('data-event-id') : null;
    if (id === shown) return;
    shown = id;
    if (!card || window.innerWidth >= 700) return;
    const r = card.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight * 0.6) {
      card.style.scrollMarginTop = '12px';
      card.scrollIntoView({block: 'start'});
    }
  }, 150);
})();
</script>
"""
