"""Issue 10 in chromium: a story folder with a bad table, a bad story file and hostile text opens
with a notice, its problems and every good row; nothing is injected, nothing leaves 127.0.0.1."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import assert_no_exception, open_app, screenshot

TABLE = """id,title,start,category,places,related
ok-1,First <b>bold</b> [link](https://example.invalid),2025-03-18T10:00+00:00,talks,Berlin,after:ok-1
ok-2,Second,2025-03-18T12:00+00:00,talks,Moscow,after:ok-1;after:ok-1
bad-1,No time,,talks,Berlin,
bad-2,Bad time,18 March,talks,Berlin,
"""
STORY = """title = "A story ![x](https://example.invalid/t.png)"
anchor = "no-such-event"
start = "2025-03-20T00:00+00:00"
end = "2025-03-10T00:00+00:00"

[[presets]]
label = "Twice"
start = "2025-03-18T00:00+00:00"
end = "2025-03-19T00:00+00:00"

[[presets]]
label = "Twice"
start = "2025-03-18T06:00+00:00"
end = "2025-03-19T00:00+00:00"
"""


def test_a_bad_story_folder_keeps_serving_with_notices_and_every_good_row(
    page, start_app, tmp_path
):
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "events.csv").write_text(TABLE, "utf-8")
    (folder / "story.toml").write_text(STORY, "utf-8")
    url = start_app(env={"TIMELINE_MAP_TABLE": str(folder)})
    page.set_viewport_size({"width": 1440, "height": 900})
    open_app(page, url, {"event": "[Log in again](https://example.invalid)"})
    assert_no_exception(page)
    body = page.locator("body").inner_text()
    # The good rows are there, and the count says what was not loaded.
    assert "of 2 events" in body and "2 rows not loaded" in body, body[:1500]
    # The story file's problems are said, and the story still opens.
    expect(page.get_by_text("problems", exact=False).first).to_be_visible()
    # Text from data and from the URL is shown as text: no link, image or tag is made of it.
    links = page.locator('a[href^="https://example.invalid"]')
    assert links.count() == 0, [
        links.nth(i).evaluate("a => a.closest('[data-testid]')?.outerHTML.slice(0, 600)")
        for i in range(links.count())
    ]
    assert page.locator('img[src^="https://example.invalid"]').count() == 0
    assert page.locator("b", has_text="bold").count() == 0
    assert "A story ![x](https://example.invalid/t.png)" in body
    page.wait_for_timeout(1500)  # let the map draw its outlines before the picture
    screenshot(page, "bad-story-folder", full_page=False)
    # (The page fixture fails the test if any request left 127.0.0.1: the image URLs above.)
