"""Issue 15 in chromium: the published page opened from `file://` with every request that is not
file:, data: or blob: aborted (and none attempted). The seed story's page and a 6,650-event
monitor's page (a CSV with a mapping file, 44 categories, points over Ukraine) each draw (the
MapLibre canvas and the timeline), open a card from a marker with its source sentence, move the
window with a preset, open the view a fragment link names, and read on a phone (390x844)."""

from __future__ import annotations

import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import HOSTILE_TEXTS as HOSTILE
from hostile import hostile_events_csv
from playwright.sync_api import Browser, Page, expect

from timeline.export.page import page_html
from timeline.ingest.files import open_table, parse_events
from timeline.ingest.readers import ReadOptions
from timeline.model.story import story_for_table

from .helpers import ROOT, SCREENSHOT_DIR, NetworkLog, screenshot

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCAL = ("file:", "data:", "blob:")
SUMY = (34.7981, 50.9077)
QUOTE_START = "He criticized Putin for refusing a comprehensive ceasefire"
MONITOR_N = 6_650


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory) -> Path:
    table = open_table(ROOT / "seeds")
    story = story_for_table(ROOT / "seeds" / "events.csv", table.events)
    path = tmp_path_factory.mktemp("published") / "story.html"
    path.write_text(page_html(table, story), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def monitor_page(tmp_path_factory) -> Path:
    """A civilian-harm monitor's table of 6,650 incidents, read through its mapping file."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import monitor_csv

    folder = tmp_path_factory.mktemp("monitor")
    (folder / "incidents.csv").write_text(monitor_csv(MONITOR_N), encoding="utf-8")
    mapping = ROOT / "tests" / "data" / "formats" / "harm_monitor.toml"
    options = ReadOptions(mapping=tomllib.loads(mapping.read_text("utf-8")),
                          mapping_file=str(mapping))  # fmt: skip
    table = open_table(folder / "incidents.csv", options=options)
    assert len(table.events) == MONITOR_N, table.problems
    story = story_for_table(folder / "incidents.csv", table.events)
    assert len(story.categories) == 44
    path = folder / "monitor.html"
    path.write_text(page_html(table, story), encoding="utf-8")
    return path


@pytest.fixture
def offline(browser: Browser) -> Iterator:
    """`open(path, fragment="", viewport=LAPTOP) -> page`: the page from file://, offline. Any
    request that is not file:, data: or blob: is aborted and recorded; the test fails if one
    was attempted."""
    log = NetworkLog()
    contexts = []

    def open_page(
        path: Path, fragment: str = "", viewport: dict = LAPTOP, *, ready: bool = True
    ) -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        context.set_default_timeout(30_000)
        context.on("request", lambda request: log.record(request.url))
        context.route(lambda url: not url.startswith(LOCAL), lambda route: route.abort())
        context.route_web_socket(lambda url: True, lambda ws: (log.record(ws.url), ws.close()))
        page = context.new_page()
        started = time.monotonic()
        page.goto(path.as_uri() + fragment)
        if ready:
            page.wait_for_selector("body[data-tm-ready=true]", state="attached", timeout=60_000)
        page.load_seconds = time.monotonic() - started
        return page

    yield open_page
    for context in contexts:
        context.close()
    outside = [u for u in log.urls if not u.startswith(LOCAL)]
    assert not outside, f"the page asked for {outside}"


_MAP_IDLE_JS = """() => {
  const gd = document.getElementById('tm-map');
  const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  return !!m && m.loaded() && !m.isMoving();
}"""

_MAP_XY_JS = """([lon, lat]) => {
  const m = document.getElementById('tm-map')._fullLayout.map._subplot.map;
  const r = m.getCanvas().getBoundingClientRect();
  const q = m.project([lon, lat]);
  return [r.left + q.x, r.top + q.y];
}"""


_TIMELINE_XY_JS = """(id) => {
  const gd = document.getElementById('tm-timeline');
  gd.scrollIntoView({block: 'center'});
  const k = gd.data.findIndex(t => t.name === 'events');
  const p = gd.calcdata[k].find(p => (Array.isArray(p.data) ? p.data[0] : p.data) === id);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const r = gd.getBoundingClientRect();
  return [r.left + xa._offset + xa.c2p(p.x), r.top + ya._offset + ya.c2p(p.y)];
}"""


def click_map(page: Page, lon: float, lat: float) -> None:
    """Click the map at (lon, lat) once MapLibre has loaded and stopped moving."""
    page.locator("#tm-map").scroll_into_view_if_needed()
    deadline = time.monotonic() + 20
    while not page.evaluate(_MAP_IDLE_JS):
        assert time.monotonic() < deadline, "the map did not load (offline?)"
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # the overlay's late fits, should the box have changed size
    x, y = page.evaluate(_MAP_XY_JS, [lon, lat])
    page.mouse.click(x, y)


def drawn(page: Page) -> dict:
    return page.evaluate("""() => {
      const map = document.getElementById('tm-map');
      const timeline = document.getElementById('tm-timeline');
      return {
        canvas: !!map.querySelector('canvas.maplibregl-canvas'),
        // Events with a marker drawn (a marker per place; rings and hollow dots share ids).
        markers: new Set(map.data.filter(t => t.customdata).flatMap(
          t => t.customdata.filter((c, j) => t.lat[j] !== null).map(c => c[0]))).size,
        traces: timeline.data.map(t => t.name || t.type),
        bars: timeline.data.filter(t => t.type === 'bar').length,
        labels: document.querySelectorAll('.tm-country-label, .tm-place-label').length,
      };
    }""")


def whole_page(page: Page, name: str) -> None:
    """The whole page as it scrolls, without resizing the viewport (the helper's `screenshot`
    makes the viewport as tall as a Streamlit page, and plotly then redraws mid-shot)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def in_view(page: Page, selector: str) -> None:
    """The element is shown and fits the viewport's width (nothing cut off at the side)."""
    box = page.locator(selector).first
    expect(box).to_be_visible()
    box.scroll_into_view_if_needed()
    b = box.bounding_box()
    width = page.viewport_size["width"]
    assert b and b["x"] >= 0 and b["x"] + b["width"] <= width + 1, (selector, b, width)


# --- the seed story --------------------------------------------------------------------------


def test_the_seed_page_draws_offline_and_a_marker_opens_its_card(offline, seed_page):
    page = offline(seed_page)
    print(f"seed page: {seed_page.stat().st_size / 1e6:.2f} MB, ready in {page.load_seconds:.1f} s")
    shown = drawn(page)
    assert shown["canvas"] and shown["markers"] == 12 and "events" in shown["traces"]
    assert shown["labels"] > 0  # the overlay's names, from the page's own files
    expect(page.locator("#tm-count")).to_contain_text("16 of 16 events")
    whole_page(page, "publish-seed-laptop")

    click_map(page, *SUMY)
    expect(page.locator("#tm-card h2")).to_have_text("Russian drone hits a hospital in Sumy")
    expect(page.locator("#tm-card q.tm-quote")).to_contain_text(QUOTE_START)
    expect(page.locator("#tm-card")).to_contain_text("precision: to about an hour")
    expect(page.locator("#tm-card")).to_contain_text("Sumy (EET, UTC+2): 18 March 2025")
    assert "event=sumy-hospital" in page.evaluate("location.hash")
    # Linked both ways: the timeline rings the selected event.
    expect(page.locator("#tm-timeline .tm-timeline-ring")).to_have_count(1)
    page.locator("#tm-card details.tm-source summary").click()
    expect(page.locator("#tm-article mark")).to_contain_text(QUOTE_START)
    screenshot(page, "publish-seed-card-laptop", full_page=False)


def test_a_preset_moves_the_window_and_a_timeline_event_opens_its_card(offline, seed_page):
    page = offline(seed_page)
    page.get_by_role("button", name="Night after the call").click()
    expect(page.locator("#tm-window")).to_have_text("18 Mar 2025, 17:00 – 19 Mar 2025, 06:00 UTC")
    expect(page.locator("#tm-count")).to_contain_text("11 of 16 events")
    assert "from=2025-03-18T17:00Z&to=2025-03-19T06:00Z" in page.evaluate("location.hash")
    expect(page.get_by_role("button", name="Night after the call")).to_have_attribute(
        "aria-pressed", "true"
    )
    # The map shows only the window's events.
    deadline = time.monotonic() + 10
    while drawn(page)["markers"] != 8:  # the call ended before the night began
        assert time.monotonic() < deadline, drawn(page)
        page.wait_for_timeout(100)
    # A click on an event of the timeline opens its card.
    page.mouse.click(*page.evaluate(_TIMELINE_XY_JS, "kavkazskaya-depot"))
    expect(page.locator("#tm-card h2")).to_contain_text("oil depot near Kavkazskaya")
    # Next steps to the following event, Play moves the window on.
    title = page.locator("#tm-card h2").inner_text()
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator("#tm-card h2")).not_to_have_text(title)
    before = page.locator("#tm-window").inner_text()
    page.get_by_role("button", name="▶ Play").click()
    expect(page.locator("#tm-window")).not_to_have_text(before, timeout=5_000)
    page.get_by_role("button", name="❚❚ Pause").click()


def test_a_fragment_link_opens_the_same_view(offline, seed_page):
    fragment = "#from=2025-03-18T14:00Z&to=2025-03-19T06:00Z&event=kavkazskaya-depot&story=article"
    page = offline(seed_page, fragment)
    expect(page.locator("#tm-card h2")).to_contain_text("oil depot near Kavkazskaya")
    expect(page.locator("#tm-window")).to_have_text("18 Mar 2025, 14:00 – 19 Mar 2025, 06:00 UTC")
    expect(page.locator("#tm-step-count")).to_have_text("Step 12 of 16")
    assert page.evaluate("location.hash") == fragment
    # A link to an event the page does not hold says so, as text, and opens the story.
    page.evaluate("location.hash = '#event=%3Cimg%20src%3Dx%3E'")
    expect(page.locator("#tm-filters")).to_contain_text("not in this page (<img src=x>)")
    assert page.locator("#tm-filters img").count() == 0


def test_the_window_slider_moves_the_window(offline, seed_page):
    page = offline(seed_page)
    page.locator("#tm-to").focus()
    for _ in range(24):  # a step is an hour on a story of a fortnight
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#tm-window")).to_have_text("11 Mar 2025, 00:00 – 25 Mar 2025, 00:00 UTC")
    assert "to=2025-03-25T00:00Z" in page.evaluate("location.hash")


def test_hostile_texts_stay_text_in_the_browser(offline, tmp_path):
    """Titles, quotes, places and labels that would run script or load an image if parsed as
    HTML: the card shows them as written, nothing runs (no dialog), nothing loads (the guard)."""
    table = parse_events(hostile_events_csv())
    story = story_for_table(tmp_path / "events.csv", table.events, beside=False)
    path = tmp_path / "hostile.html"
    path.write_text(page_html(table, story, filters_note=HOSTILE[3]), encoding="utf-8")
    dialogs = []
    page = offline(path, "#event=ev-0")
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    expect(page.locator("#tm-card h2")).to_have_text(HOSTILE[0])
    expect(page.locator("#tm-card q.tm-quote")).to_have_text(HOSTILE[0])
    for n in range(1, len(HOSTILE)):
        page.evaluate(f"location.hash = '#event=ev-{n}'")
        expect(page.locator("#tm-card h2")).to_have_text(HOSTILE[n])
    assert page.locator("#tm-card img, #tm-card script, #tm-filters img").count() == 0
    assert page.locator("#tm-card a").evaluate_all("links => links.map(a => a.href)") == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert not dialogs


def test_the_seed_page_reads_on_a_phone(offline, seed_page):
    page = offline(seed_page, "#event=sumy-hospital", viewport=PHONE)
    in_view(page, "#tm-card h2")
    in_view(page, "#tm-card q.tm-quote")
    expect(page.locator("#tm-card q.tm-quote")).to_contain_text(QUOTE_START)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#tm-map").scroll_into_view_if_needed()
    screenshot(page, "publish-seed-phone-map", full_page=False)
    page.locator("#tm-card").scroll_into_view_if_needed()
    screenshot(page, "publish-seed-phone-card", full_page=False)
    page.locator("#tm-timeline").scroll_into_view_if_needed()
    screenshot(page, "publish-seed-phone-timeline", full_page=False)
    whole_page(page, "publish-seed-phone")


def test_the_page_works_inside_an_iframe(offline, seed_page):
    host = seed_page.parent / "embed.html"
    host.write_text(
        '<!DOCTYPE html><title>Embed</title><p>A story:</p><iframe src="story.html#event='
        'sumy-hospital" width="420" height="800" title="story"></iframe>',
        encoding="utf-8",
    )
    frame = offline(host, ready=False).frame_locator("iframe")
    expect(frame.locator("#tm-card h2")).to_have_text("Russian drone hits a hospital in Sumy",
                                                      timeout=60_000)  # fmt: skip
    expect(frame.locator("#tm-map canvas.maplibregl-canvas")).to_have_count(1)


# --- a monitor's 6,650 events --------------------------------------------------------------------


def test_a_large_table_draws_every_marker_and_a_binned_timeline(offline, monitor_page):
    page = offline(monitor_page)
    print(f"{MONITOR_N:,}-event page: {monitor_page.stat().st_size / 1e6:.2f} MB, "
          f"ready in {page.load_seconds:.1f} s")  # fmt: skip
    shown = drawn(page)
    assert shown["canvas"] and shown["markers"] >= MONITOR_N
    assert shown["bars"] > 10 and "events" not in shown["traces"]
    expect(page.locator("#tm-count")).to_contain_text("6,650 of 6,650 events")
    whole_page(page, "publish-monitor-laptop")

    page.get_by_role("button", name="Busiest week").click()
    expect(page.locator("#tm-count")).not_to_contain_text("6,650 of 6,650")
    count = page.locator("#tm-count strong").first.inner_text()
    n = int(count.split(" of ")[0].replace(",", ""))
    assert 0 < n < 200
    deadline = time.monotonic() + 10
    while drawn(page)["markers"] != n:
        assert time.monotonic() < deadline, drawn(page)
        page.wait_for_timeout(100)
    # A marker of the window opens its card.
    first = page.evaluate("""() => {
      const t = document.getElementById('tm-map').data.find(t => t.customdata
        && t.lat.some(v => v !== null));
      const j = t.lat.findIndex(v => v !== null);
      return [t.lon[j], t.lat[j]];
    }""")
    click_map(page, *first)
    expect(page.locator("#tm-card h2")).to_contain_text("site hit in")
    expect(page.locator("#tm-card")).to_contain_text("Reported by")
    screenshot(page, "publish-monitor-card-laptop", full_page=False)


def test_a_large_tables_fragment_link_and_phone(offline, monitor_page):
    page = offline(monitor_page, "#event=CIV03000", viewport=PHONE)
    in_view(page, "#tm-card h2")
    expect(page.locator("#tm-card h2")).to_contain_text("site hit in")
    assert "event=CIV03000" in page.evaluate("location.hash")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    whole_page(page, "publish-monitor-phone")
