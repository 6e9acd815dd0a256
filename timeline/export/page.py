"""A story as one self-contained HTML page: the map, the timeline and the cards, offline.

The page holds everything it needs: its data, the offline base map and labels, plotly.js, its
own script and style. It fetches nothing: a Content-Security-Policy lets only its own scripts
(by their hashes) run and lets nothing load from anywhere but `data:` and `blob:` (MapLibre's
worker), so even a title written as an image tag or a script could not load or run anything;
the card is built with `textContent` in any case. It opens from `file://`, in an iframe, and
on a phone.

    html = page_html(table, story, window=(lo, hi), filters_note="claimed events hidden")
    Path("story.html").write_text(html, encoding="utf-8")

`page_html` is pure: the app's "Download this story as a page" button calls it with the
events its filters keep (`event_ids`) and its window; `python -m timeline publish` with a
table's every event. Past `PAGE_LIMIT` events it raises `PageTooLarge`, whose message offers
a window.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from timeline.data.contract import meets
from timeline.errors import PageTooLarge
from timeline.export.page_data import page_data, styles_of
from timeline.model.story import Story, Window
from timeline.model.tables import EventTable, member
from timeline.views.basemap import BASEMAPS
from timeline.views.legend import legend_html
from timeline.views.overlay import overlay_function

#: Past this many events a page is refused (`PageTooLarge`). Measured (benchmarks/
#: bench_publish.py): a monitor's event costs about 0.64 KB (its card, its marker, its place)
#: over 6.6 MB of fixed weight (plotly.js, the base map); 6,650 events make 10.9 MB that headless
#: chromium opens from a file in about 6 s, 20,000 events 19 MB in 6-8 s (two shared cores,
#: software WebGL). Past that a page nears the 20-25 MB mail services take and opens slowly;
#: a larger table is better published a window at a time.
PAGE_LIMIT = 20_000
ASSETS = files("timeline.export") / "page"
ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
BASEMAP_FILES = ("land.geojson", "lakes.geojson", "countries.geojson", "disputed.geojson")
LABEL_FILES = {"cities": "cities.json", "countries": "countries.json"}
_TOKEN = re.compile(r"__([A-Z]+)__")


@dataclass(frozen=True)
class Part:
    """One named part of the page and its size, for `page_stats`."""

    name: str
    text: str


def json_script(value) -> str:
    """JSON that is safe inside <script>: `<`, `>` and `&` escaped as \\u003c..., so `</script>`
    and `<!--` in the data cannot end or bend the element; U+2028/2029 escaped too (ASCII)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    text = get_plotlyjs()
    if re.search(r"</script|<!--", text, re.IGNORECASE):  # would end the inline element
        raise RuntimeError("plotly.js holds '</script' or '<!--': it cannot be inlined as is")
    return text


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


@cache
def _static_json(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def offline_files() -> tuple[dict, dict]:
    """(base map layers by file name, labels): the offline map the app serves from `static/`."""
    basemap = {name: json.loads(_static_json(STATIC / "basemap" / name)) for name in BASEMAP_FILES}
    labels = {k: json.loads(_static_json(STATIC / "labels" / f)) for k, f in LABEL_FILES.items()}
    return basemap, labels


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def content_policy(scripts: Collection[str]) -> str:
    """Only these inline scripts run; nothing loads but data: and blob: (MapLibre's worker)."""
    hashes = " ".join(_sha256(s) for s in scripts)
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; connect-src data: blob:; "
        "worker-src blob:; child-src blob:; "
        "base-uri 'none'; form-action 'none'"
    )


def _subset(table: EventTable, event_ids: Collection[str] | None) -> EventTable:
    if event_ids is None:
        return table
    ids = pd.Series(list(event_ids), dtype="str")
    events = table.events[member(table.events["id"], ids)]
    keep = events["id"]
    links = table.links
    links = links[member(links["source_id"], keep) & member(links["target_id"], keep)]
    return EventTable(
        events,
        table.places[member(table.places["event_id"], keep)],
        links,
        table.problems,
        sources=table.sources,
        format=table.format,
        rows_in=table.rows_in,
        story=table.story,
    )


def too_large(n: int, limit: int = PAGE_LIMIT) -> str:
    return (
        f"{n:,} events are more than a page can hold well ({limit:,}): publish a window of "
        "them (--from-time and --to-time), or filter the table first"
    )


def _when(ts: pd.Timestamp) -> str:
    return ts.tz_convert("UTC").strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def _about(
    table: EventTable,
    story: Story,
    window: tuple[pd.Timestamp, pd.Timestamp],
    filters_note: str,
    made_at: dt.datetime,
    total: int,
) -> dict:
    """The header's words: what the page holds, from when, made when."""
    n = len(table.events)
    held = f"{n:,} events" if n == total else f"{n:,} of {total:,} events"
    placed = table.places["event_id"].nunique()
    return {
        "title": story.title,
        "holds": f"{held}, {placed:,} on the map",
        "story": f"{_when(story.whole.start)} – {_when(story.whole.end)}",
        "window": f"{_when(window[0])} – {_when(window[1])}",
        "filters": filters_note or "none",
        "made": made_at.strftime("%d %B %Y, %H:%M UTC").lstrip("0"),
        "credit": "; ".join(
            sorted(
                {BASEMAPS["offline"].attribution, *table.places["credit"].loc[lambda c: c != ""]}
            )
        ),
    }


def page_parts(
    table: EventTable,
    story: Story,
    *,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    event_ids: Collection[str] | None = None,
    narrative_id: str | None = None,
    filters_note: str = "",
    made_at: dt.datetime | None = None,
    limit: int = PAGE_LIMIT,
) -> list[Part]:
    """The page as its named parts, in order: `page_html` joins them, `page_stats` weighs them.
    Raises PageTooLarge past `limit` events."""
    total = len(table.events)
    table = _subset(table, event_ids)
    if len(table.events) > limit:
        raise PageTooLarge(too_large(len(table.events), limit))
    window = window or (story.whole.start, story.whole.end)
    made_at = made_at or dt.datetime.now(dt.UTC)
    if made_at.tzinfo is None:
        made_at = made_at.replace(tzinfo=dt.UTC)
    made_at = made_at.astimezone(dt.UTC)
    about = _about(table, story, window, filters_note, made_at, total)
    basemap, labels = offline_files()
    if narrative_id not in {n.id for n in story.narratives}:
        narrative_id = None
    data = page_data(
        table, story, window=window, narrative_id=narrative_id, about=about,
        basemap=basemap, labels=labels,
    )  # fmt: skip
    scripts = [
        _asset("file-worker.js"),
        plotly_js(),
        overlay_function("tmOverlay"),
        _asset("page.js"),
    ]
    values = {
        "CSP": content_policy(scripts),
        "TITLE": html.escape(story.title),
        "HOLDS": html.escape(f"{about['holds']} · window {about['window']} · made {about['made']}"),
        "LEGEND": legend_html(styles_of(story, table.events), story.bands),
        "CSS": _asset("page.css"),
        "DATA": json_script({k: v for k, v in data.items() if k not in ("basemap", "labels")}),
        "BASEMAP": json_script({"basemap": basemap, "labels": labels}),
        "WORKER": scripts[0],
        "PLOTLY": scripts[1],
        "OVERLAY": scripts[2],
        "JS": scripts[3],
    }
    # One pass over the template: a value is never searched for another placeholder.
    template = _asset("page.html")
    parts, at = [], 0
    for token in _TOKEN.finditer(template):
        parts.append(Part("page", template[at : token.start()]))
        parts.append(Part(token.group(1).lower(), values[token.group(1)]))
        at = token.end()
    parts.append(Part("page", template[at:]))
    return parts


def page_html(table: EventTable, story: Story, **options) -> str:
    """The story's page (see the module's docstring and `page_parts` for the options):

    - `window`: (lo, hi) UTC Timestamps the page opens on (default: the whole story);
    - `event_ids`: the events to hold (default: every event of the table);
    - `narrative_id`: a narrative of the story to open in;
    - `filters_note`: what filtered the events, in words, said in the page's header;
    - `made_at`: when it was made (default: now), said in the header.
    """
    return "".join(p.text for p in page_parts(table, story, **options))


def page_of_view(
    engine, story: Story, window, filters, *, narrative_id=None, filters_note: str = ""
) -> str:
    """The page of what a reader of the app sees: every event that passes the filters (only
    the window's when they are more than a page holds), opening on the window, in the story
    mode chosen. A page that cannot be made says why, as a page."""
    from timeline.data.contract import Ask

    ask, page_story = Ask(story.whole.start, story.whole.end, filters), story
    if engine.count(ask) > PAGE_LIMIT:
        ask, page_story = Ask(*window, filters), story_in(story, *window)
    table = engine.subtable(ask, limit=PAGE_LIMIT)
    try:
        return page_html(table, page_story, window=window, narrative_id=narrative_id,
                         filters_note=filters_note)  # fmt: skip
    except PageTooLarge as exc:
        return f"<!doctype html><meta charset=utf-8><p>{html.escape(str(exc))}</p>"


def page_stats(parts: list[Part]) -> dict[str, int]:
    """Bytes (UTF-8) per part of the page, largest first, and the total."""
    sizes: dict[str, int] = {}
    for p in parts:
        sizes[p.name] = sizes.get(p.name, 0) + len(p.text.encode("utf-8"))
    out = dict(sorted(sizes.items(), key=lambda kv: -kv[1]))
    out["total"] = sum(sizes.values())
    return out


#: How the parts of a page are called where its size is said.
PART_NAMES = {"plotly": "plotly.js", "basemap": "base map and labels", "data": "events and cards",
              "js": "page script", "css": "style"}  # fmt: skip


def size_words(stats: dict[str, int]) -> str:
    """Where the bytes go: '6.74 MB: plotly.js 4.82 MB, base map and labels 1.75 MB, events
    and cards 0.11 MB, page script 0.03 MB, style 0.01 MB, the rest 0.02 MB'."""

    def mb(n: int) -> str:
        return f"{n / 1e6:.2f} MB"

    named = [(PART_NAMES[k], v) for k, v in stats.items() if k in PART_NAMES]
    rest = stats["total"] - sum(v for _, v in named)
    words = [f"{name} {mb(v)}" for name, v in named] + [f"the rest {mb(rest)}"]
    return f"{mb(stats['total'])}: " + ", ".join(words)


def events_in(table: EventTable, lo: pd.Timestamp, hi: pd.Timestamp) -> list[str]:
    """Ids of the events of [lo, hi] (an event overlapping it is in), for a window's page."""
    return table.events.loc[meets(table.events, lo, hi), "id"].tolist()


def story_in(story: Story, lo: pd.Timestamp, hi: pd.Timestamp) -> Story:
    """The story cut to the window [lo, hi]: the page of one window of a large table slides
    over that window only, with the presets that fall in it."""
    whole = Window(story.whole.label, lo, hi)
    presets = tuple(
        Window(w.label, max(w.start, lo), min(w.end, hi))
        for w in story.presets
        if w.start < hi and w.end > lo
    )
    return replace(story, whole=whole, presets=presets)


def windows_that_fit(table: EventTable, story: Story, limit: int = PAGE_LIMIT) -> list[tuple]:
    """(window, events in it) of the story's windows that a page can hold, largest first: what
    `publish` offers when a table is too large."""
    out = []
    for w in story.windows:
        n = int(meets(table.events, w.start, w.end).sum())
        if 0 < n <= limit:
            out.append((w, n))
    return sorted(out, key=lambda wn: -wn[1])
