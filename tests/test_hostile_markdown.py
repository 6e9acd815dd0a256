"""Text from data and from the URL is shown as text, never as Markdown or HTML (issue 10).

Streamlit renders a warning, a caption, a widget's label and the options of a segmented
control or a radio as Markdown. A story title or a preset label holding `![x](http://...)`
would make every reader's browser fetch an outside URL; `?event=[Log in again](https://...)`
would put a link inside the app's own warning. AppTest gives each element's body as the string
Streamlit sends to the browser; parsing it with a CommonMark parser (markdown-it, what the
browser's react-markdown follows) tells whether a link, an image or raw HTML would be made.
"""

from __future__ import annotations

import re

import pytest
from hostile import APP
from streamlit.testing.v1 import AppTest

markdown_it = pytest.importorskip("markdown_it")

IMAGE = "![x](http://example.invalid/a.png)"
TAG = '<img src="http://example.invalid/b.png">'
LINK = "[Log in again](https://example.invalid)"
HOSTILE = f"{IMAGE} {TAG} {LINK}"
MARK = "example.invalid"

EVENTS = f"""id,title,start,category
a,Talks open,2025-03-18T10:00+00:00,diplomacy
b,"Said {LINK}",2025-03-18T14:00+00:00,diplomacy
c,Strike,2025-03-19T02:00+00:00,strike
"""
#: Element types whose body Streamlit renders as Markdown.
MARKDOWN_BODIES = {"markdown", "caption", "warning", "info", "error", "success", "title", "header",
                   "subheader", "exception"}  # fmt: skip
#: Widget types whose options Streamlit renders as Markdown.
MARKDOWN_OPTIONS = {"button_group", "radio"}

_MD = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def made(text: str) -> set[str]:
    """Token types a Markdown renderer makes of `text` (link_open, image, html_inline...)."""
    found = set()
    for token in _MD.parse(text):
        found.add(token.type)
        found |= {child.type for child in token.children or ()}
    return found


def shown(text: str) -> str:
    """The text a reader sees once `text` is rendered as Markdown."""
    out = []
    for token in _MD.parse(text):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append("\n")
    # The app puts an invisible word joiner inside URLs so that no autolink is made of them.
    return "".join(out).replace("\u2060", "")


def rendered(at: AppTest) -> list[tuple[str, str]]:
    """(element type, string rendered as Markdown) for every element of the page."""
    out = []

    def walk(node):
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else ():
            kind = getattr(child, "type", "")
            value = getattr(child, "value", None)
            if kind in MARKDOWN_BODIES and isinstance(value, str):
                out.append((kind, value))
            label = getattr(child, "label", None)
            if isinstance(label, str):
                out.append((f"{kind} label", label))
            if kind in MARKDOWN_OPTIONS:
                out.extend((f"{kind} option", str(o)) for o in getattr(child, "options", []))
            walk(child)

    walk(at._tree)
    return out


def assert_nothing_injected(at: AppTest) -> list[tuple[str, str]]:
    """No Markdown body of the page makes a link, an image or raw HTML from hostile text."""
    assert not at.exception, [e.value for e in at.exception]
    hostile = [(k, v) for k, v in rendered(at) if MARK in v or MARK in shown(v)]
    for kind, value in hostile:
        tokens = made(value)
        assert not tokens & {"link_open", "image", "html_inline", "html_block"}, (kind, value)
        # no bare "https://" for a GFM renderer to turn into a link
        assert not re.search(r"[^\\]://", value), (kind, value)
    return hostile


def open_app(tmp_path, monkeypatch, story: str, query: dict | None = None, places: str = ""):
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "events.csv").write_text(EVENTS, "utf-8")
    (folder / "story.toml").write_text(story, "utf-8")
    if places:
        (folder / "places.csv").write_text(places, "utf-8")
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(folder))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def toml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


WHOLE = 'start = "2025-03-17T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n'


def test_a_story_title_with_an_image_and_a_tag_is_shown_as_typed(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, f"title = {toml_text(HOSTILE)}\n" + WHOLE)
    assert_nothing_injected(at)
    assert HOSTILE in [t.value for t in at.text]  # st.text: never Markdown


def test_a_preset_label_with_an_image_and_a_link_is_shown_as_typed(tmp_path, monkeypatch):
    story = (
        WHOLE + f"[[presets]]\nlabel = {toml_text(HOSTILE)}\n"
        'start = "2025-03-18T00:00+00:00"\nend = "2025-03-19T00:00+00:00"\n'
    )
    at = open_app(tmp_path, monkeypatch, story)
    hostile = assert_nothing_injected(at)
    options = [v for k, v in hostile if k.endswith("option")]
    assert options, rendered(at)
    assert [shown(v) for v in options] == [HOSTILE]


def test_a_link_in_the_url_event_is_echoed_as_plain_text(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, WHOLE, {"event": LINK})
    hostile = assert_nothing_injected(at)
    warnings = [v for k, v in hostile if k == "warning"]
    assert len(warnings) == 1, hostile
    assert LINK in shown(warnings[0])
    assert "not in the table" in shown(warnings[0])
    assert "event" not in at.query_params or at.query_params["event"] != LINK


def test_an_image_in_the_url_window_gives_a_plain_notice(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, WHOLE, {"from": IMAGE, "to": TAG})
    assert_nothing_injected(at)
    assert at.warning, "a bad window in the link must give a notice"


def test_an_event_title_with_a_link_is_a_plain_button_label(tmp_path, monkeypatch):
    at = open_app(tmp_path, monkeypatch, WHOLE, {"event": "b"})
    hostile = assert_nothing_injected(at)
    assert any(shown(v) == f"Said {LINK}" for k, v in hostile if k.endswith("label")), hostile


def test_narrative_and_category_labels_are_plain(tmp_path, monkeypatch):
    story = (
        WHOLE + f'[[narratives]]\nid = "n"\ntitle = {toml_text(HOSTILE)}\nevents = ["a", "b"]\n'
        f'[categories.diplomacy]\nlabel = {toml_text(HOSTILE)}\ncolour = "#0072B2"\n'
    )
    at = open_app(tmp_path, monkeypatch, story)
    assert_nothing_injected(at)
    at.toggle(key="story_mode").set_value(True).run()
    assert_nothing_injected(at)
    # The legend is HTML built by us: the label must arrive escaped, never as a tag.
    html = " ".join(h.proto.body for h in at.get("html"))
    assert '<img src="http://example.invalid' not in html
    assert "&lt;img src=&quot;http://example.invalid/b.png&quot;&gt;" in html


def test_a_place_credit_with_a_link_is_a_plain_caption(tmp_path, monkeypatch):
    places = (
        "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"
        f'Testville,,UA,50.9,34.8,town,Europe/Kyiv,here,"{LINK} {IMAGE}",\n'
    )
    events = EVENTS.replace("category\n", "category,places\n").replace(
        "diplomacy\n", "diplomacy,Testville\n", 1
    )
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "events.csv").write_text(events, "utf-8")
    (folder / "story.toml").write_text(WHOLE, "utf-8")
    (folder / "places.csv").write_text(places, "utf-8")
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(folder))
    at = AppTest.from_file(APP, default_timeout=60).run()
    hostile = [(k, v) for k, v in rendered(at) if MARK in v or MARK in shown(v)]
    assert any(k == "caption" for k, _ in hostile), rendered(at)  # the credit is shown
    assert_nothing_injected(at)
