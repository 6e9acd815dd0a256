"""The card of each event as plain text fields, for a page that builds its cards in the browser.

The app's card (`timeline.views.card.card_html`) is HTML made on the server; the published page
has no server, so its script makes each card from these fields with `textContent` and
`createElement`, and no text from the data is ever parsed as HTML. The words are the app's:
the times from `timeline.views.describe`, the places' precision from `card.PLACE_PRECISION_WORDS`,
the claim statuses from the vocabulary. A link is a field of its own, made only of an http(s)
URL or a GeoNames id, as on the app's card. Empty fields are left out, to keep the page small.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from timeline.model import extras
from timeline.model.vocab import (
    CLAIM_STATUSES,
    LIST_SEPARATOR,
    PLACE_RADIUS_KM,
    RELATIONS,
    TIME_PRECISIONS,
    Category,
)
from timeline.views import describe
from timeline.views.card import GEONAMES, PLACE_PRECISION_WORDS, URL


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _items(cell: object) -> list[str]:
    return [x.strip() for x in _text(cell).split(LIST_SEPARATOR) if x.strip()]


def source_link(text: str) -> dict:
    """A further source: {"url"} for an http(s) URL, {"outlet", "headline"} for 'Outlet:
    headline', else {"text"}."""
    if URL.match(text):
        return {"url": text}
    outlet, sep, headline = text.partition(": ")
    if sep and headline:
        return {"outlet": outlet, "headline": headline}
    return {"text": text}


def _point_source(source: str) -> dict:
    """Where a place's point comes from; a GeoNames id links to its record."""
    found = GEONAMES.match(source)
    if found:
        return {"text": source, "url": f"https://www.geonames.org/{found.group(1)}"}
    if URL.match(source):
        return {"text": source, "url": source}
    return {"text": source or "not stated"}


def place_fields(place: Mapping) -> dict:
    """'Sudzha, Kursk Oblast (RU)', known to 'the town, within about 5 km', its point's source."""
    where = ", ".join(x for x in (_text(place["name"]), _text(place["region"])) if x)
    country = _text(place["country"])
    precision = _text(place["geo_precision"])
    words = PLACE_PRECISION_WORDS.get(precision, precision or "not stated")
    radius = PLACE_RADIUS_KM.get(precision)
    if radius:
        words += f", within about {radius:g} km"
    out = {
        "name": where + (f" ({country})" if country else ""),
        "known": words,
        "point": _point_source(_text(place["source"])),
    }
    for key in ("credit", "note"):
        if _text(place.get(key, "")):
            out[key] = _text(place[key])
    return out


#: The columns an event's words for its time are read from (`describe`).
TIME_COLUMNS = (
    "earliest", "start_latest", "end_earliest", "latest", "start", "time_precision",
    "timezone", "start_offset_min",
)  # fmt: skip


class TimeWords:
    """`describe`'s words for an event's time, kept by what they are read from: many events of
    a large table share a day and a place's zone, and the words cost a millisecond each."""

    def __init__(self) -> None:
        self.kept: dict[tuple, tuple[str, str, list[str]]] = {}

    def __call__(self, event: Mapping, places: list[Mapping]) -> tuple[str, str, list[str]]:
        """(as given, in UTC, each place's local reading)."""
        key = tuple(event[c] for c in TIME_COLUMNS) + tuple(
            (p["name"], p["timezone"]) for p in places
        )
        if key not in self.kept:
            frame = pd.DataFrame(places, columns=["name", "timezone"])
            self.kept[key] = (
                describe.as_given(event),
                describe.in_utc(event),
                describe.local_times(event, frame),
            )
        return self.kept[key]


def _extra(event: Mapping) -> list[list[str]] | None:
    """The source's own fields (its `extra.*` columns) as [name, value] pairs."""
    return [[k, v] for k, v in extras.record(event).items()] or None


def card_fields(
    event: Mapping,
    places: list[Mapping],
    *,
    categories: Mapping[str, Category],
    relative: str | None = None,
    links: list[dict] | None = None,
    words: TimeWords | None = None,
) -> dict:
    """Every field of the event's card, as text (see the module's docstring).

    `event` is a row of `EventTable.events` (a Series or a dict), `places` its places' rows in
    order. `relative`: the time from the story's anchor, in words; `links`: the linked events
    as {"id", "words"} ("responds to → TITLE", "← TITLE (responds to this)")."""
    precision = _text(event["time_precision"])
    spec = TIME_PRECISIONS.get(precision)
    given, utc, local = (words or TimeWords())(event, places)
    status = CLAIM_STATUSES.get(_text(event["claim_status"]))
    category = _text(event["category"])
    style = categories.get(category)
    quote, source_file = _text(event["quote"]), _text(event["source_file"])
    fields = {
        "title": _text(event["title"]),
        "when": given,
        "precision": spec.label if spec else precision,
        "utc": "the same" if utc == given else utc,
        "local": local,
        "relative": relative,
        "timeNote": _text(event["time_note"]),
        "places": [place_fields(p) for p in places],
        "summary": _text(event["summary"]),
        "category": style.label if style else category or "not stated",
        "actors": _items(event["actors"]),
        "reportedBy": _items(event["reported_by"]),
        "status": f"{status.label}: {status.description}" if status else "not stated",
        "quote": quote,
        "sourceFile": source_file if quote else "",
        "quoteFound": bool(event.get("quote_verified", False)) if quote else None,
        "sources": [source_link(s) for s in _items(event["further_sources"])],
        "notes": _text(event["notes"]),
        "extra": _extra(event),
        "links": links,
    }
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


def link_words(links: pd.DataFrame, titles: Mapping[str, str]) -> dict[str, list[dict]]:
    """For each event, its links either way: {"id", "words"}, where words read 'responds to
    → TITLE' from the source and '← TITLE (responds to this)' from the target."""
    out: dict[str, list[dict]] = {}
    for link in links.itertuples(index=False):
        verb = RELATIONS.get(link.relation, link.relation.replace("_", " "))
        there, back = titles.get(link.target_id), titles.get(link.source_id)
        if there is None or back is None:
            continue
        out.setdefault(link.source_id, []).append(
            {"id": link.target_id, "words": f"{verb} → {there}"}
        )
        out.setdefault(link.target_id, []).append(
            {"id": link.source_id, "words": f"← {back} ({verb} this)"}
        )
    return out


def card_records(
    events: pd.DataFrame,
    places: pd.DataFrame,
    links: pd.DataFrame,
    *,
    categories: Mapping[str, Category],
    anchor: pd.Series | None = None,
) -> list[dict]:
    """`card_fields` of every event, in the order of `events` (rows read as dicts: a pandas
    row per event cost more than its words)."""
    by_event: dict[str, list[dict]] = {}
    for place in places.sort_values("order", kind="stable").to_dict("records"):
        by_event.setdefault(place["event_id"], []).append(place)
    titles = dict(zip(events["id"], events["title"].astype("str"), strict=True))
    linked = link_words(links, titles)
    words = TimeWords()
    out = []
    for event in events.to_dict("records"):
        relative = None
        if anchor is not None and anchor["id"] != event["id"]:
            relative = f"{describe.relative_to(event, anchor)} from the start of: {anchor['title']}"
        out.append(
            card_fields(
                event,
                by_event.get(event["id"], []),
                categories=categories,
                relative=relative,
                links=linked.get(event["id"]),
                words=words,
            )
        )
    return out
