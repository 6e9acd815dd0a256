"""The card: every field of the event on it, only our own tags as HTML, and sources a reader
can follow (outlets and headlines, http(s) links, GeoNames records; no dead references)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pandas as pd
import pytest

from timeline.ingest.files import parse_events, read_events
from timeline.model.story import story_for_table
from timeline.model.vocab import CLAIM_STATUSES, TIME_PRECISIONS
from timeline.views import describe
from timeline.views.card import PLACE_PRECISION_WORDS, card_html

#: The only tags and attributes the card itself writes.
TAGS = {
    "div": {"class", "data-event-id"},
    "span": {"class", "style"},
    "h3": {"class"},
    "p": {"class"},
    "ul": {"style"},
    "li": set(),
    "q": {"class"},
    "small": {"class"},
    "cite": set(),
    "a": {"href", "target", "rel"},
    "table": {"class", "style"},
    "tr": set(),
    "th": {"style"},
    "td": set(),
}


BLOCKS = {"div", "h3", "p", "ul", "li", "table", "tr", "th", "td"}


class Structure(HTMLParser):
    """Every tag, attribute and text run of a card, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in BLOCKS:
            self.text.append(" ")  # a block starts a new line, as in a browser

    def handle_data(self, data):
        self.text.append(data)


def parse(card: str) -> Structure:
    s = Structure()
    s.feed(card)
    s.close()
    return s


def visible_text(card: str) -> str:
    return " ".join("".join(parse(card).text).split())


@pytest.fixture(scope="module")
def seed():
    return read_events("seeds/events.csv")


@pytest.fixture(scope="module")
def cards(seed):
    """Every seed event's card, as the app builds it."""
    story = story_for_table("seeds/events.csv", seed.events)
    return {
        row["id"]: card_html(
            row,
            seed.places[seed.places["event_id"] == row["id"]],
            categories=story.categories,
        )
        for _, row in seed.events.iterrows()
    }


def only_our_tags(card: str) -> None:
    for tag, attrs in parse(card).tags:
        assert tag in TAGS, tag
        assert set(attrs) <= TAGS[tag], (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith(("https://", "http://")), attrs
            assert attrs["rel"] == "noopener noreferrer"


# --- every field, for every seed event ----------------------------------------------------------


def items(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(";") if x.strip()]


def test_every_field_of_every_seed_event_is_on_its_card(seed, cards):
    for _, event in seed.events.iterrows():
        text = visible_text(cards[event["id"]])
        places = seed.places[seed.places["event_id"] == event["id"]]

        def has(value: str, text=text, event=event) -> None:
            assert " ".join(value.split()) in text, (event["id"], value)

        has(event["title"])
        has(describe.as_given(event))
        has(TIME_PRECISIONS[event["time_precision"]].label)
        utc = describe.in_utc(event)
        has("In UTC " + ("the same" if utc == describe.as_given(event) else utc))
        for line in describe.local_times(event, places):
            has(line)
        for place in places.itertuples(index=False):
            has(place.name)
            has(PLACE_PRECISION_WORDS[place.geo_precision])
            has(place.source)
            if place.region:
                has(place.region)
        for column in ("summary", "time_note", "quote", "notes", "source_file"):
            if event[column]:
                has(event[column])
        for column in ("actors", "reported_by", "further_sources"):
            for item in items(event[column]):
                has(item)
        status = CLAIM_STATUSES[event["claim_status"]]
        has(f"{status.label}: {status.description}")


def test_the_call_shows_its_bounds_and_both_local_clocks(cards):
    text = visible_text(cards["trump-putin-call"])
    assert "18 March 2025, 14:00 UTC; ended between 15:30 and 16:30 UTC" in text
    assert "(precision: to the minute)" in text
    assert "White House, Washington (EDT, UTC−4): 18 March 2025, 10:00; ended between" in text
    assert "Moscow (MSK, UTC+3): 18 March 2025, 17:00; ended between 18:30 and 19:30" in text


@pytest.mark.parametrize(
    ("event_id", "words"),
    [
        ("zelensky-helsinki", "Helsinki (EET, UTC+2): some time between 17:30 and 24:00"),
        ("sudzha-retaken", "Sudzha (MSK, UTC+3): 13 March 2025"),
        ("scholz-berlin", "Berlin (CET, UTC+1): evening of 18 March 2025"),
        ("starmer-zelensky-call", "Helsinki (EET, UTC+2): night of 18 to 19 March 2025"),
        ("riyadh-talks", "Ritz-Carlton, Riyadh (UTC+3): throughout 23–25 March 2025"),
    ],
)
def test_local_time_is_on_the_card_for_every_precision(cards, event_id, words):
    assert words in visible_text(cards[event_id])


# --- sources a reader can follow -------------------------------------------------------------


def test_no_card_cites_a_file_that_is_not_in_the_repository(cards):
    for event_id, card in cards.items():
        text = visible_text(card).lower()
        assert "fact sheet" not in text, event_id
        assert "research/" not in text and ".md" not in text, event_id


def test_every_link_on_a_seed_card_is_http_and_geonames_ids_link_to_their_record(seed, cards):
    for card in cards.values():
        only_our_tags(card)
    moscow = parse(cards["trump-putin-call"])
    hrefs = [a["href"] for tag, a in moscow.tags if tag == "a"]
    assert hrefs == ["https://www.geonames.org/524901"]


def test_a_curated_site_says_where_its_point_comes_from(cards):
    text = visible_text(cards["zelensky-stubb-helsinki"])
    assert "site coordinates from the curators' research notes; not in GeoNames" in text
    assert "known to the exact site" in text


def test_further_sources_are_outlet_and_headline_or_a_link():
    t = parse_events(
        "id,title,start,time_precision,further_sources\n"
        'a,A,2025-03-18T14:00+00:00,minute,"AP: Russia says it has retaken Sudzha;'
        'https://example.org/a?b=1&c=2;javascript:alert(1);http://x.org/<b>;CGTN, 12 Mar 2025"\n'
    )
    card = card_html(t.events.iloc[0], t.places)
    only_our_tags(card)
    s = parse(card)
    assert [a["href"] for tag, a in s.tags if tag == "a"] == ["https://example.org/a?b=1&c=2"]
    text = visible_text(card)
    assert "AP: Russia says it has retaken Sudzha" in text
    assert "<cite>Russia says it has retaken Sudzha</cite>" in card
    assert "javascript:alert(1)" in text and "http://x.org/<b>" in text  # shown, never linked
    assert "CGTN, 12 Mar 2025" in text


# --- escaping ---------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&amp;"


def hostile_table():
    cells = {
        "id": "a",
        "title": HOSTILE,
        "summary": HOSTILE,
        "start": "2025-03-18T14:00+00:00",
        "time_precision": "minute",
        "time_note": HOSTILE,
        "places": "Moscow",
        "countries": "RU",
        "category": HOSTILE,
        "actors": HOSTILE,
        "reported_by": HOSTILE,
        "claim_status": "claimed",
        "quote": HOSTILE,
        "source_file": HOSTILE,
        "further_sources": HOSTILE + ": " + HOSTILE,
        "notes": HOSTILE,
    }
    header = ",".join(cells)
    row = ",".join('"' + v.replace('"', '""') + '"' for v in cells.values())
    return parse_events(header + "\n" + row + "\n")


def test_every_value_from_the_data_is_text_never_html():
    t = hostile_table()
    event = t.events.iloc[0].copy()
    event["extra.<b>k</b>"] = HOSTILE
    places = t.places.assign(
        name=HOSTILE, region=HOSTILE, source=HOSTILE, credit=HOSTILE, note=HOSTILE
    )
    card = card_html(event, places, relative=HOSTILE)
    only_our_tags(card)
    assert "<script" not in card and "<img" not in card
    # Each hostile value reads back as exactly its characters.
    text = "".join(parse(card).text)
    assert text.count(HOSTILE) >= 14
    assert "<b>k</b>" in text


def test_a_missing_text_value_is_empty_not_nan(seed):
    event = seed.events.iloc[0].copy()
    for column in ("summary", "time_note", "notes", "actors", "reported_by", "quote"):
        event[column] = float("nan")
    card = card_html(event, seed.places.iloc[:0])
    assert "nan" not in visible_text(card).lower().split()
    assert "Reported by not stated" in visible_text(card)


def test_the_old_call_still_works(seed):
    """streamlit_app.py calls card_html(event, places, relative, categories=...)."""
    event = seed.events.set_index("id", drop=False).loc["sumy-hospital"]
    places = seed.places[seed.places["event_id"] == "sumy-hospital"]
    card = card_html(event, places, "about +6 h 30 min from the start of: the call")
    assert "Relative about +6 h 30 min" in visible_text(card)
    assert card.startswith('<div class="event-card" data-event-id="sumy-hospital">')
    assert html.unescape(card).count("Sumy") >= 2  # the place and its local time


def test_a_place_known_to_a_region_says_so_with_its_radius(seed):
    places = seed.places[seed.places["event_id"] == "sudzha-retaken"].assign(region="Kursk Oblast")
    event = seed.events.set_index("id", drop=False).loc["sudzha-retaken"]
    text = visible_text(card_html(event, places))
    assert "Sudzha, Kursk Oblast (RU); known to the town, within about 5 km" in text
    assert "known to the region only, within about 100 km" in text
    assert "representative point of ISO 3166-2 RU-KRS" in text


def test_an_event_without_places_says_so(seed):
    event = seed.events.set_index("id", drop=False).loc["energy-pause"]
    text = visible_text(card_html(event, seed.places.iloc[:0]))
    assert "Where no place on the map (timeline only)" in text
    assert "Local time" not in text


def test_places_frame_columns_are_the_models(seed):
    """The card reads the model's place columns; a renamed column would fail here first."""
    assert {"name", "region", "country", "geo_precision", "source", "credit", "note"} <= set(
        seed.places.columns
    )
    assert isinstance(seed.places, pd.DataFrame)
