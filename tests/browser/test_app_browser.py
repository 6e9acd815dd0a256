"""The real app in chromium: map and timeline clicks, presets, play, shared links, issue-4 drawing.

One server (``app_url``) for the whole file; every test saves a screenshot of its main state.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from timeline.ingest.files import open_table
from timeline.model.story import read_story

from .helpers import (
    ROOT,
    assert_no_exception,
    expect_rerun,
    map_point_xy,
    open_app,
    plotly_figure_json,
    screenshot,
    wait_for_app,
)

MAP, TIMELINE = 0, 1
NIGHT = {"from": "2025-03-18T17:00Z", "to": "2025-03-19T06:00Z"}
SUMY = (34.79906, 50.91741)
# The map's marker traces are named by the story's category labels.
MARKER_TRACES = {
    c.label for c in read_story(ROOT / "seeds" / "story.toml", events=None).categories.values()
}


# --- small helpers of this file ------------------------------------------------------------------


def map_marker_ids(page: Page) -> list[str]:
    """Event ids of every marker drawn on the map (one per event and place)."""
    figure = plotly_figure_json(page, MAP)
    return [
        row[0]
        for trace in figure["data"]
        if trace.get("name") in MARKER_TRACES
        for row in trace.get("customdata") or []
    ]


def traces(page: Page, chart: int, name: str) -> list[dict]:
    return [t for t in plotly_figure_json(page, chart)["data"] if t.get("name") == name]


def query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def wait_for_query(
    page: Page, key: str, value: str | None = None, *, differs_from=None, timeout=None
) -> None:
    """Wait until the URL's ``key`` equals ``value`` (or differs from ``differs_from``)."""
    if value is not None:
        page.wait_for_function(
            "([k, v]) => new URLSearchParams(location.search).get(k) === v",
            arg=[key, value],
            timeout=timeout,
        )
    else:
        page.wait_for_function(
            "([k, v]) => new URLSearchParams(location.search).get(k) !== v",
            arg=[key, differs_from],
            timeout=timeout,
        )


def card(page: Page, event_id: str):
    return page.locator(f'div.event-card[data-event-id="{event_id}"]')


def count_line(page: Page) -> str:
    return page.get_by_text("events in the window").first.inner_text()


def click_preset(page: Page, label: str) -> None:
    """Presets are one segmented control: its options are radio buttons."""
    with expect_rerun(page, fragment=True):
        page.get_by_role("radio", name=label, exact=True).click()


def click_button(page: Page, key: str, *, fragment: bool = True) -> None:
    """Click the Streamlit button of widget ``key`` and wait for the (fragment) rerun it causes."""
    with expect_rerun(page, fragment=fragment):
        page.locator(f".st-key-{key} button").first.click()


_TIMELINE_POINT_JS = """
([chart, eventId]) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[chart];
  const trace = gd.data.findIndex(t => t.name === 'events');
  // calcdata holds the decoded points (gd.data may keep plotly's base64 arrays).
  const point = gd.calcdata[trace].find(
    p => (Array.isArray(p.data) ? p.data[0] : p.data) === eventId);
  if (!point) return null;
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  const r = gd.getBoundingClientRect();
  return {x: r.left + xa._offset + xa.c2p(point.x), y: r.top + ya._offset + ya.c2p(point.y)};
}
"""


def click_map(page: Page, lon: float, lat: float) -> None:
    """click_map_point, but the map lives in an st.fragment: its click reruns only the fragment."""
    x, y = map_point_xy(page, lon, lat, MAP)
    with expect_rerun(page, fragment=True):
        page.mouse.move(x, y)
        page.mouse.click(x, y)


def click_timeline_event(page: Page, event_id: str) -> None:
    page.locator(".js-plotly-plot").nth(TIMELINE).scroll_into_view_if_needed()
    where = page.evaluate(_TIMELINE_POINT_JS, [TIMELINE, event_id])
    assert where is not None, f"{event_id} is not among the timeline's events"
    with expect_rerun(page, fragment=True):
        page.mouse.move(where["x"], where["y"])
        page.mouse.click(where["x"], where["y"])


# --- tests ---------------------------------------------------------------------------------------


def test_opens_offline_with_one_marker_per_placed_event(page, app_url, network_log):
    open_app(page, app_url)
    assert_no_exception(page)

    seed = open_table(ROOT / "seeds")
    ids = map_marker_ids(page)
    assert len(ids) == len(seed.places)  # one marker per event and place
    assert set(ids) == set(seed.places["event_id"])
    assert f"{len(set(ids))} on the map" in count_line(page)
    assert f"{len(seed.events)} of {len(seed.events)} events" in count_line(page)
    screenshot(page, "app-whole-story")
    # the page fixture fails the test if any request left 127.0.0.1


def test_click_sumy_marker_shows_card_and_quote_in_view(page, app_url):
    open_app(page, app_url, NIGHT)
    assert "sumy-hospital" in map_marker_ids(page)

    click_map(page, *SUMY)
    expect(card(page, "sumy-hospital")).to_be_visible()
    wait_for_query(page, "event", "sumy-hospital")

    # The whole source is one click away, in an expander under the card.
    page.get_by_text("Read the source, the sentence highlighted").click()
    article = page.locator("#article")
    mark = article.locator("mark#quote-mark")
    expect(mark).to_have_count(1)
    expect(mark).to_be_visible()
    page.wait_for_function(
        """() => {
             const a = document.querySelector('#article').getBoundingClientRect();
             const m = document.querySelector('mark#quote-mark').getBoundingClientRect();
             return m.height > 0 && m.top >= a.top - 1 && m.bottom <= a.bottom + 1
                 && m.left >= a.left - 1 && m.right <= a.right + 1;
           }"""
    )
    assert_no_exception(page)
    screenshot(page, "sumy-card-quote")


_RING_JS = """
(chart) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[chart];
  const ring = gd.querySelector('svg.tm-timeline-overlay circle.tm-timeline-ring');
  if (!ring) return null;
  const r = ring.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2,
          links: gd.querySelectorAll('svg.tm-timeline-overlay line').length,
          redraws: gd.__tmTestRedraws || 0};
}
"""
_COUNT_REDRAWS_JS = """
(chart) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[chart];
  gd.__tmTestRedraws = 0;
  gd.on('plotly_afterplot', () => { gd.__tmTestRedraws += 1; });
}
"""


def ring_on(page: Page, event_id: str) -> dict:
    """The timeline's selection ring, once it sits on `event_id`'s point (within 2 px)."""
    point = page.evaluate(_TIMELINE_POINT_JS, [TIMELINE, event_id])
    page.wait_for_function(
        f"""([chart, x, y]) => {{
              const ring = ({_RING_JS})(chart);
              return ring && Math.abs(ring.x - x) < 2 && Math.abs(ring.y - y) < 2;
            }}""",
        arg=[TIMELINE, point["x"], point["y"]],
        timeout=10_000,
    )
    return page.evaluate(_RING_JS, TIMELINE)


def test_click_timeline_event_selects_it(page, app_url):
    open_app(page, app_url)
    click_timeline_event(page, "sloviansk-power")
    expect(card(page, "sloviansk-power")).to_be_visible()
    wait_for_query(page, "event", "sloviansk-power")
    ring_on(page, "sloviansk-power")

    # A click that only selects moves the ring and leaves plotly's timeline alone.
    page.evaluate(_COUNT_REDRAWS_JS, TIMELINE)
    click_timeline_event(page, "riyadh-talks")
    expect(card(page, "riyadh-talks")).to_be_visible()
    wait_for_query(page, "event", "riyadh-talks")
    expect(card(page, "sloviansk-power")).to_have_count(0)
    ring = ring_on(page, "riyadh-talks")
    assert ring["redraws"] == 0, "the timeline was redrawn for a click that only selects"
    assert ring["links"] >= 1, "the Riyadh talks' links are not drawn darker"
    assert_no_exception(page)
    screenshot(page, "timeline-click-riyadh")


def test_night_preset_changes_count_and_markers(page, app_url):
    open_app(page, app_url)
    before_line, before_ids = count_line(page), map_marker_ids(page)
    click_preset(page, "Night after the call")
    wait_for_query(page, "from", NIGHT["from"])
    after_line, after_ids = count_line(page), map_marker_ids(page)
    assert after_line != before_line
    assert len(after_ids) < len(before_ids)
    assert f"{len(set(after_ids))} on the map" in after_line
    assert "sumy-hospital" in after_ids and "riyadh-talks" not in after_ids
    assert_no_exception(page)
    screenshot(page, "preset-night")


def test_play_moves_the_window_and_pause_stops_it(page, app_url):
    open_app(page, app_url, NIGHT)
    # Play and Pause rerun the whole page: that is what gives the view's fragment its timer.
    click_button(page, "play", fragment=False)
    expect(page.locator(".st-key-play button")).to_contain_text("Pause")
    page.wait_for_timeout(3000)  # play ticks once a second: a fixed wait is the point here
    screenshot(page, "playing")
    wait_for_query(page, "from", differs_from=NIGHT["from"], timeout=5000)
    # Streamlit disables every widget while its websocket reconnects. In CI, with the whole suite
    # on two cores, the page once lost it mid-play and Pause stayed disabled past the click's
    # 20 s: wait for the reconnect, then Pause must still be there (the session kept playing).
    pause = page.locator(".st-key-play button").first
    expect(pause).to_be_enabled(timeout=90_000)
    expect(pause).to_contain_text("Pause")
    click_button(page, "play", fragment=False)
    expect(page.locator(".st-key-play button")).to_contain_text("Play", timeout=30_000)
    wait_for_app(page)
    paused_at = query(page)["from"]
    page.wait_for_timeout(2500)
    assert query(page)["from"] == paused_at
    assert_no_exception(page)


def test_shared_link_restores_window_and_card_and_bad_link_warns(page, app_url):
    shared = {"from": "2025-03-22T00:00Z", "to": "2025-03-25T00:00Z", "event": "riyadh-talks"}
    open_app(page, app_url, shared)
    expect(card(page, "riyadh-talks")).to_be_visible()
    assert query(page) == shared
    slider = page.get_by_role("slider")
    expect(slider.first).to_have_attribute("aria-valuetext", "22 Mar 2025, 00:00")
    expect(slider.last).to_have_attribute("aria-valuetext", "25 Mar 2025, 00:00")
    assert_no_exception(page)
    screenshot(page, "shared-link-riyadh")

    open_app(page, app_url, {"event": "nope"})
    expect(page.locator('[data-testid="stAlert"]').first).to_be_visible()
    expect(page.locator("div.event-card")).to_have_count(0)
    assert_no_exception(page)
    screenshot(page, "bad-link-notice")


def test_issue4_span_circle_arc_and_link_click(page, app_url):
    open_app(page, app_url, {"event": "riyadh-talks"})
    intervals = traces(page, TIMELINE, "interval")
    assert any(t["line"]["width"] == 9 for t in intervals), "no span bar on the timeline"
    circles = traces(page, MAP, "Place uncertainty (radius)")
    assert circles and all(t["fill"] == "toself" for t in circles)
    assert traces(page, MAP, "Places of one event (great circle)"), "no arc for the call"
    assert "kavkazskaya-depot" in {
        row[0] for t in traces(page, MAP, "Hollow: claimed or disputed") for row in t["customdata"]
    }

    expect(page.get_by_text("Linked events", exact=True)).to_be_visible()
    # The card's link buttons (keys link-...), not the "Not on the map" button of the same event.
    link = page.locator('[class*="st-key-link-riyadh-talks-"] button').filter(has_text="Witkoff")
    expect(link).to_have_count(1)
    screenshot(page, "issue4-riyadh-linked")
    with expect_rerun(page, fragment=True):
        link.click()
    wait_for_query(page, "event", "witkoff-jeddah")
    expect(card(page, "witkoff-jeddah")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "issue4-link-followed")


def test_issue4_relative_axis_claim_filter_and_story_steps(page, app_url):
    open_app(page, app_url)
    sidebar = page.locator('[data-testid="stSidebar"]')

    with expect_rerun(page):
        sidebar.get_by_text("Timeline: time relative to the anchor").click()
    ticktext = plotly_figure_json(page, TIMELINE)["layout"]["xaxis"]["ticktext"]
    assert any(t.startswith("+") and "d" in t for t in ticktext), ticktext
    screenshot(page, "issue4-relative-axis")

    assert "kavkazskaya-depot" in map_marker_ids(page)
    page.get_by_text("Filters", exact=True).click()  # the filter panel opens
    for status in ("Claimed", "Disputed"):  # a claim status untouched: kept out
        with expect_rerun(page, fragment=True):
            page.get_by_role("button", name=status, exact=True).click()
    assert "kavkazskaya-depot" not in map_marker_ids(page)
    expect(page.get_by_text("hidden by the filters")).to_be_visible()
    screenshot(page, "issue4-claims-hidden")

    with expect_rerun(page):
        sidebar.get_by_text("Story mode").click()
    # The story starts at its first step, its controls beside the card.
    expect(page.get_by_text("Story step 1 of")).to_be_visible()
    expect(card(page, "trump-putin-call")).to_be_visible()
    click_button(page, "story-next")
    expect(page.get_by_text("Story step 2 of")).to_be_visible()
    assert traces(page, MAP, "Story route, step to step"), "no story route after two steps"
    assert_no_exception(page)
    screenshot(page, "issue4-story-step-2")


def test_a_file_dropped_on_the_upload_box_opens_with_its_events(page, app_url, network_log):
    # A reader's own file, by content alone: here a UCDP GED sample, in place of the story.
    sample = ROOT / "tests/data/formats/ucdp_ged.csv"
    loaded = len(open_table(sample).events)
    open_app(page, app_url)
    # Read, placed (the world gazetteer opens on first use) and checked: longer than a click.
    with expect_rerun(page, timeout=120_000):
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(sample)
    assert_no_exception(page)
    expect(page.get_by_text(f"{loaded:,} of {loaded:,} events")).to_be_visible()
    assert network_log.forbidden() == []  # read on this machine, sent nowhere
    screenshot(page, "upload-ucdp")
