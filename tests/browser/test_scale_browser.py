"""Issue 9 in chromium: a large table (200,000 synthetic ACLED-like events) opens on its
whole-table view drawn as map cells and a stacked histogram, and a click on a cell lists its
events, each a button to its card.

`TIMELINE_MAP_SCALE_N=1000000` runs it on a million events (about two minutes more, most of
it writing and importing the table); the suite keeps 200,000 so CI stays short.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    ROOT,
    assert_no_exception,
    click_map_point,
    open_app,
    plotly_figure_json,
    screenshot,
    script_runs,
    wait_for_app,
)

N = int(os.environ.get("TIMELINE_MAP_SCALE_N", 200_000))


@pytest.fixture(scope="module")
def large_url(start_app, tmp_path_factory) -> str:
    """The app on a table of N events, stored before the server starts (as a first start
    would store it: the test is about the views, not the import)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import write_table

    from timeline.data.engine import open_engine

    folder = tmp_path_factory.mktemp("large")
    table = write_table(N, folder / "table")
    store = folder / "store"
    open_engine(table.parent, root=store)
    return start_app(
        env={"TIMELINE_MAP_TABLE": str(table.parent), "TIMELINE_MAP_CACHE_DIR": str(store)}
    )


def _cells(figure: dict) -> list[dict]:
    """(lon, lat, count, pick) of each cell of the map figure."""
    trace = next(t for t in figure["data"] if t.get("name") == "cells")
    return [
        {"lon": lon, "lat": lat, "count": int(text.split(" events")[0][3:].replace(",", "")),
         "pick": pick[0]}
        for lon, lat, text, pick in zip(
            trace["lon"], trace["lat"], trace["text"], trace["customdata"], strict=True
        )
    ]  # fmt: skip


def test_the_whole_table_draws_cells_and_a_histogram_and_a_cell_lists_its_events(
    page: Page, large_url: str
):
    page.set_viewport_size({"width": 1440, "height": 900})
    open_app(page, large_url, timeout=120_000)
    assert_no_exception(page)
    expect(page.get_by_text(f"{N:,} of {N:,} events")).to_be_visible()
    # Once drawn, the browser reports the map's view and the server draws that view's cells.
    expect(page.get_by_text("in the map's view")).to_be_visible(timeout=60_000)
    wait_for_app(page, timeout=60_000, settle=600)
    # Then the page rests: a redrawn map reports the same view and nothing reruns. (A new
    # MapLibre map of the redrawn figure was fitted again, reported a new view, and the page
    # reran about once a second for as long as it was open.) Waiting is the point here.
    runs = script_runs(page)
    before = (runs.full, runs.fragment)
    page.wait_for_timeout(4000)
    assert (runs.full, runs.fragment) == before, "the page kept rerunning with no reader action"

    cells = _cells(plotly_figure_json(page, 0))
    assert 20 < len(cells) < 5_000
    # One place per event: every event of the map's view is in a cell (the browser reports the
    # fitted view once it is drawn; its edges may leave a few events out of it).
    line = page.get_by_text("events in the window").first.inner_text()
    found = re.search(r"([\d,]+) in the map's view", line)
    shown = int(found[1].replace(",", "")) if found else N
    assert sum(c["count"] for c in cells) in (shown, N)
    assert shown > 0.95 * N
    timeline = plotly_figure_json(page, 1)
    bars = [t for t in timeline["data"] if t["type"] == "bar"]
    assert len(bars) == 6 and timeline["layout"]["barmode"] == "stack"
    screenshot(page, "scale-whole-table")

    # The busiest cell, clicked where MapLibre draws it.
    busiest = max(cells, key=lambda c: c["count"])
    click_map_point(page, busiest["lon"], busiest["lat"], fragment=True, timeout=60_000)
    assert_no_exception(page)
    expect(page.get_by_text(f"{busiest['count']:,} events in this cell")).to_be_visible(
        timeout=30_000
    )
    listed = page.locator('[class*="st-key-cell-ev-"] button')
    assert listed.count() == 15
    screenshot(page, "scale-cell-listed")

    # Each listed event opens its card.
    first = listed.first.inner_text()
    listed.first.click()
    card = page.locator("div.event-card")
    expect(card).to_be_visible(timeout=60_000)
    title = first.split(" · ", 1)[1]
    expect(card.locator(".card-title")).to_contain_text(title)
    screenshot(page, "scale-cell-card")


def test_a_click_on_a_time_bin_makes_it_the_window(page: Page, large_url: str):
    """A bar of the histogram becomes the window (the URL says so)."""
    open_app(page, large_url, timeout=120_000)
    timeline = page.locator(".js-plotly-plot").nth(1)
    timeline.scroll_into_view_if_needed()
    bar = timeline.locator("g.point path").nth(40)
    box = bar.bounding_box()
    assert box is not None
    before = page.url
    bar.click(position={"x": box["width"] / 2, "y": max(box["height"] - 2, 1)}, force=True)
    page.wait_for_function("(u) => location.href !== u", arg=before, timeout=60_000)
    assert_no_exception(page)
    assert "from=" in page.url and page.url != before
    Path(ROOT / "test-artifacts").mkdir(exist_ok=True)
    screenshot(page, "scale-bin-window")
