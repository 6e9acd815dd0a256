"""The card of the selected event, as HTML built from escaped text.

Every value from the data passes through `html.escape`, so a title like `<script>` shows as
those characters. Only our own tags are HTML. Links are made only of http(s) URLs.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

import pandas as pd

from timeline import describe
from timeline.vocab import CLAIM_STATUSES, LIST_SEPARATOR, TIME_PRECISIONS, Category

e = html.escape


def _items(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(LIST_SEPARATOR) if x.strip()]


def _source_item(text: str) -> str:
    if text.startswith(("https://", "http://")) and " " not in text:
        return f'<a href="{e(text)}" target="_blank" rel="noopener noreferrer">{e(text)}</a>'
    return e(text)


def _row(label: str, value_html: str) -> str:
    return (
        f'<div class="card-row"><span class="card-label" style="font-weight:600">'
        f"{label}</span> {value_html}</div>"
    )


def _extra_html(extra: object) -> str:
    """The source's own fields kept with the event (a JSON object), as a small table."""
    if not isinstance(extra, str) or not extra.strip():
        return ""
    try:
        fields = json.loads(extra)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return _row("Source fields", e(extra))
    if not fields:
        return ""
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:0.8rem">{e(str(k))}</th>'
        f"<td>{e(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))}</td></tr>"
        for k, v in fields.items()
    )
    return _row(
        "Source fields", f'<table class="card-extra" style="font-size:0.85rem">{cells}</table>'
    )


def card_html(
    event: pd.Series,
    places: pd.DataFrame,
    relative: str | None = None,
    *,
    categories: Mapping[str, Category] | None = None,
) -> str:
    """Title, time (as given, UTC, local), place, summary, actors, claims, sources, and the
    source's own fields. `categories` (the story's) labels the category; a category it does
    not name shows as its own text."""
    precision = TIME_PRECISIONS[event["time_precision"]].label
    rows = [
        f'<h3 class="card-title">{e(event["title"])}</h3>',
        _row(
            "When",
            f'{e(describe.as_given(event))} <span class="card-precision">'
            f"(precision: {e(precision)})</span>",
        ),
        _row("In UTC", e(describe.in_utc(event))),
    ]
    local = describe.local_times(event, places)
    if local:
        rows.append(_row("Local time", "; ".join(e(x) for x in local)))
    if relative:
        rows.append(_row("Relative", e(relative)))
    if event["time_note"]:
        rows.append(_row("About the time", e(event["time_note"])))
    if places.empty:
        rows.append(_row("Where", "no place on the map (timeline only)"))
    else:
        where = "; ".join(
            f"{e(p.name)} ({e(p.country or '')}, {e(str(p.geo_precision))} precision; "
            f"{e(p.source)})"
            for p in places.itertuples(index=False)
        )
        rows.append(_row("Where", where))
    rows.append(f'<p class="card-summary">{e(event["summary"])}</p>')
    category = "" if pd.isna(event["category"]) else str(event["category"])
    style = (categories or {}).get(category)
    rows.append(_row("Category", e(style.label if style else category or "not stated")))
    if event["actors"]:
        rows.append(_row("Actors", ", ".join(e(a) for a in _items(event["actors"]))))
    status = event["claim_status"]
    claim = (
        f"{e(CLAIM_STATUSES[status].label)}: {e(CLAIM_STATUSES[status].description)}"
        if status in CLAIM_STATUSES  # "" or missing: not stated
        else "not stated"
    )
    rows.append(
        _row("Reported by", ", ".join(e(a) for a in _items(event["reported_by"])) or "not stated")
    )
    rows.append(_row("Status", claim))
    if event["quote"]:
        mark = "" if event["quote_verified"] else " (not found verbatim in the source)"
        rows.append(
            _row(
                "Source sentence",
                f"<q>{e(event['quote'])}</q> <small>{e(event['source_file'])}{mark}</small>",
            )
        )
    sources = _items(event["further_sources"])
    if sources:
        rows.append(
            _row(
                "Further sources",
                "<ul>" + "".join(f"<li>{_source_item(s)}</li>" for s in sources) + "</ul>",
            )
        )
    if event["notes"]:
        rows.append(_row("Notes", e(event["notes"])))
    rows.append(_extra_html(event.get("extra", "")))
    return f'<div class="event-card" data-event-id="{e(event["id"])}">{"".join(rows)}</div>'


ARTICLE_STYLE = (
    "max-height:340px;overflow-y:auto;padding:0.6rem 0.8rem;border:1px solid #ddd;"
    "border-radius:6px;white-space:pre-wrap;font-size:0.9rem;line-height:1.45"
)


def article_html(text: str, quote: str, box_id: str = "article") -> str:
    """The article with the supporting sentence in <mark>, and a script that scrolls to it.

    The script is ours and fixed; the text is escaped. It scrolls only the article box, so
    the page itself stays where the reader is.
    """
    at = text.find(quote) if quote else -1
    if at < 0:
        body = e(text)
    else:
        body = (
            e(text[:at])
            + '<mark id="quote-mark">'
            + e(quote)
            + "</mark>"
            + e(text[at + len(quote) :])
        )
    script = (
        "<script>(function(){const box=document.getElementById('" + box_id + "');"
        "const m=document.getElementById('quote-mark');"
        "if(box&&m){box.scrollTop=m.offsetTop-box.offsetTop-box.clientHeight/3;}})();</script>"
    )
    return f'<div id="{box_id}" class="article" style="{ARTICLE_STYLE}">{body}</div>{script}'
