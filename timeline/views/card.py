"""The card of the selected event, as HTML built from escaped text.

Every value from the data passes through `html.escape`, so a title like `<script>` shows as
those characters. Only our own tags are HTML. Links are made only of http(s) URLs, and of
GeoNames ids (a place's source "GeoNames 524901" links to that record), so every source the
card names is one a reader can follow or search for: outlets with their headlines, URLs, the
story's own source text, GeoNames records.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import pandas as pd

from timeline.model import extras
from timeline.model.vocab import (
    CLAIM_STATUSES,
    LIST_SEPARATOR,
    PLACE_RADIUS_KM,
    TIME_PRECISIONS,
    Category,
)
from timeline.views import describe

e = html.escape

#: How precisely a place is known, in the card's words; the radius is the map's circle.
PLACE_PRECISION_WORDS: dict[str, str] = {
    "site": "the exact site",
    "town": "the town",
    "near": "near the town",
    "region": "the region only",
    "country": "the country only",
}
assert set(PLACE_PRECISION_WORDS) == set(PLACE_RADIUS_KM)

URL = re.compile(r"https?://[^\s<>\"']+\Z")
GEONAMES = re.compile(r"GeoNames (\d+)\Z")


def _items(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(LIST_SEPARATOR) if x.strip()]


def _link(url: str, text: str) -> str:
    return f'<a href="{e(url)}" target="_blank" rel="noopener noreferrer">{e(text)}</a>'


def source_item(text: str) -> str:
    """A further source: a link if it is an http(s) URL, else 'Outlet: headline' with the
    headline cited (what a reader searches for), else the text as written."""
    if URL.match(text):
        return _link(text, text)
    outlet, sep, headline = text.partition(": ")
    if sep and headline:
        return f'<span class="card-outlet">{e(outlet)}</span>: <cite>{e(headline)}</cite>'
    return e(text)


def _place_source(source: str) -> str:
    """Where a place's point comes from: a GeoNames id links to its record."""
    found = GEONAMES.match(source)
    if found:
        return _link(f"https://www.geonames.org/{found.group(1)}", source)
    if URL.match(source):
        return _link(source, source)
    return e(source) if source else "not stated"


def _row(label: str, value_html: str) -> str:
    return (
        f'<div class="card-row"><span class="card-label" style="font-weight:600">'
        f"{label}</span> {value_html}</div>"
    )


def _list(items: list[str]) -> str:
    """An HTML list of items that are already HTML."""
    return (
        '<ul style="margin:0.1rem 0 0.3rem 1.1rem;padding:0">'
        + "".join(f"<li>{x}</li>" for x in items)
        + "</ul>"
    )


def _text(value: object) -> str:
    """A cell as text: a missing value (NaN from a reader) is empty, never 'nan'."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _extra_html(fields: dict[str, str]) -> str:
    """The source's own fields kept with the event (its `extra.*` columns), as a small table."""
    if not fields:
        return ""
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:0.8rem">{e(k)}</th><td>{e(v)}</td></tr>'
        for k, v in fields.items()
    )
    return _row(
        "Source fields", f'<table class="card-extra" style="font-size:0.85rem">{cells}</table>'
    )


def _when_rows(event: pd.Series, places: pd.DataFrame, relative: str | None) -> list[str]:
    """The time as given with its precision, the UTC bounds, each place's local reading."""
    precision = event["time_precision"]
    spec = TIME_PRECISIONS.get(precision)
    label = spec.label if spec else precision
    given, utc = describe.as_given(event), describe.in_utc(event)
    rows = [
        _row(
            "When",
            f'{e(given)} <span class="card-precision">(precision: {e(label)})</span>',
        )
    ]
    # The UTC bounds are what the map and timeline filter by: said even when they read the same.
    rows.append(_row("In UTC", "the same" if utc == given else e(utc)))
    local = describe.local_times(event, places)
    if local:
        rows.append(_row("Local time", _list([e(x) for x in local])))
    if relative:
        rows.append(_row("Relative", e(relative)))
    if _text(event.get("time_note")):
        rows.append(_row("About the time", e(_text(event["time_note"]))))
    return rows


def _place_html(place) -> str:
    """'Sudzha, Kursk Oblast (RU): the town, within about 5 km; point: GeoNames 486816 ...'."""
    where = ", ".join(e(x) for x in (_text(place.name), _text(place.region)) if x)
    country = _text(place.country)
    precision = _text(place.geo_precision)
    words = PLACE_PRECISION_WORDS.get(precision, precision or "not stated")
    radius = PLACE_RADIUS_KM.get(precision)
    if radius:
        words += f", within about {radius:g} km"
    parts = [
        f"{where}" + (f" ({e(country)})" if country else ""),
        f"known to {e(words)}",
        f"point: {_place_source(_text(place.source))}",
    ]
    credit = _text(getattr(place, "credit", ""))
    if credit:
        parts[-1] += f" · {e(credit)}"
    note = _text(getattr(place, "note", ""))
    if note:
        parts.append(e(note))
    return "; ".join(parts)


def _claim_rows(event: pd.Series) -> list[str]:
    """Who says so, and how sure: the claim status with what it means."""
    reported = ", ".join(e(a) for a in _items(_text(event["reported_by"])))
    status = _text(event["claim_status"])
    claim = (
        f"{e(CLAIM_STATUSES[status].label)}: {e(CLAIM_STATUSES[status].description)}"
        if status in CLAIM_STATUSES  # "" or missing: not stated
        else "not stated"
    )
    return [_row("Reported by", reported or "not stated"), _row("Status", claim)]


def _quote_row(event: pd.Series) -> str:
    quote, file = _text(event["quote"]), _text(event["source_file"])
    if not quote:
        return ""
    found = bool(event.get("quote_verified", False))
    where = (
        f"from {e(file)}, the story's source text"
        + ("" if found else " (not found verbatim in it)")
        if file
        else "its source is not named"
    )
    return _row(
        "Source sentence",
        f'<q class="card-quote">{e(quote)}</q> <small class="card-quote-source">{where}</small>',
    )


def card_html(
    event: pd.Series,
    places: pd.DataFrame,
    relative: str | None = None,
    *,
    categories: Mapping[str, Category] | None = None,
) -> str:
    """Title; time as given with its precision, in UTC, and in each place's local time; each
    place with its precision, region and where its point comes from; summary, category,
    actors; who says so and how sure; the source sentence; further sources; the source's own
    fields. `categories` (the story's) labels the category; a category it does not name
    shows as its own text."""
    rows = [f'<h3 class="card-title">{e(_text(event["title"]))}</h3>']
    rows += _when_rows(event, places, relative)
    if places.empty:
        rows.append(_row("Where", "no place on the map (timeline only)"))
    else:
        rows.append(_row("Where", _list([_place_html(p) for p in places.itertuples(index=False)])))
    if _text(event["summary"]):
        rows.append(f'<p class="card-summary">{e(_text(event["summary"]))}</p>')
    category = _text(event["category"])
    style = (categories or {}).get(category)
    rows.append(_row("Category", e(style.label if style else category or "not stated")))
    actors = _items(_text(event["actors"]))
    if actors:
        rows.append(_row("Actors", ", ".join(e(a) for a in actors)))
    rows += _claim_rows(event)
    rows.append(_quote_row(event))
    sources = _items(_text(event["further_sources"]))
    if sources:
        rows.append(_row("Further sources", _list([source_item(s) for s in sources])))
    if _text(event["notes"]):
        rows.append(_row("Notes", e(_text(event["notes"]))))
    rows.append(_extra_html(extras.record(event)))
    return f'<div class="event-card" data-event-id="{e(_text(event["id"]))}">{"".join(rows)}</div>'


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
