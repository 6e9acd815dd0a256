"""The seed table says what the fact sheet says: dates, places and precision are the product."""

from __future__ import annotations

import pandas as pd
import pytest

from timeline.ingest.files import read_events
from timeline.model.story import read_story

SEEDS = "seeds/events.csv"


@pytest.fixture(scope="module")
def seed():
    return read_events(SEEDS)


def test_the_seed_table_is_clean(seed):
    assert seed.problems.empty, seed.problems.to_string()
    assert len(seed.events) >= 14
    assert seed.events["quote_verified"].all()


@pytest.mark.parametrize(
    ("event_id", "start_utc", "precision"),
    [
        ("jeddah-talks", "2025-03-10T21:00Z", "day"),  # 11 March in Jeddah (UTC+3)
        ("sudzha-retaken", "2025-03-12T21:00Z", "day"),
        ("trump-putin-call", "2025-03-18T14:00Z", "minute"),
        ("sumy-hospital", "2025-03-18T20:30Z", "hour"),
        ("kavkazskaya-depot", "2025-03-18T23:08Z", "hour"),
        ("sloviansk-power", "2025-03-18T17:00Z", "range"),
        ("riyadh-talks", "2025-03-22T21:00Z", "span"),  # 23 March in Riyadh
    ],
)
def test_dates_and_precision_follow_the_fact_sheet(seed, event_id, start_utc, precision):
    event = seed.events.set_index("id").loc[event_id]
    assert event["start"] == pd.Timestamp(start_utc)
    assert event["time_precision"] == precision


def test_the_call_has_two_places_and_the_depot_is_near_kavkazskaya(seed):
    places = seed.places.groupby("event_id")["name"].apply(list)
    assert places["trump-putin-call"] == ["White House, Washington", "Moscow"]
    depot = seed.places.set_index("event_id").loc["kavkazskaya-depot"]
    assert (depot["name"], str(depot["geo_precision"])) == ("Kavkazskaya", "near")
    assert (depot["lat"], depot["lon"]) == (45.44392, 40.66703)


def test_the_follow_up_talks_were_held_in_riyadh_23_to_25_march(seed):
    riyadh = seed.events.set_index("id").loc["riyadh-talks"]
    assert riyadh["end"] == pd.Timestamp("2025-03-25T21:00Z")  # end of 25 March, Riyadh
    assert seed.places.set_index("event_id").loc["riyadh-talks", "name"] == "Ritz-Carlton, Riyadh"


def test_the_call_began_at_14_utc_and_ended_between_15_30_and_16_30(seed):
    call = seed.events.set_index("id").loc["trump-putin-call"]
    assert call["earliest"] == call["start_latest"] == pd.Timestamp("2025-03-18T14:00Z")
    assert call["end_earliest"] == pd.Timestamp("2025-03-18T15:30Z")
    assert call["latest"] == pd.Timestamp("2025-03-18T16:30Z")


def test_the_drone_count_is_ukraines_claim_not_a_dispute(seed):
    assert seed.events.set_index("id").loc["drones-after-call", "claim_status"] == "claimed"


def test_zelensky_spoke_in_helsinki_on_the_18th_and_met_stubb_on_the_19th(seed):
    e = seed.events.set_index("id")
    places = seed.places.set_index("event_id")
    briefing, talks = e.loc["zelensky-helsinki"], e.loc["zelensky-stubb-helsinki"]
    # After the call's earliest end, before midnight in Helsinki (UTC+2).
    assert briefing["earliest"] == pd.Timestamp("2025-03-18T15:30Z")
    assert briefing["latest"] == pd.Timestamp("2025-03-18T22:00Z")
    assert places.loc["zelensky-helsinki", "geo_precision"] == "town"
    assert (talks["earliest"], talks["latest"]) == (
        pd.Timestamp("2025-03-18T22:00Z"),
        pd.Timestamp("2025-03-19T22:00Z"),
    )
    assert places.loc["zelensky-stubb-helsinki", "name"] == "Presidential Palace, Helsinki"


def test_strikes_after_the_call_are_linked_as_after_not_as_caused(seed):
    links = seed.links.set_index("source_id")
    for strike in ("sumy-hospital", "sloviansk-power", "drones-after-call", "kavkazskaya-depot"):
        relations = set(links.loc[[strike], "relation"])
        assert "follows_from" not in relations and "after" in relations
    breaches = links[links["relation"] == "alleged_breach_of"]
    assert set(breaches.index) == {"sloviansk-power", "kavkazskaya-depot"}
    assert set(breaches["target_id"]) == {"energy-pause"}


def test_the_story_names_only_events_of_the_table(seed):
    story = read_story("seeds/story.toml", events=seed.events)
    ids = set(seed.events["id"])
    assert story.problems.empty, story.problems.to_string()
    assert story.anchor in ids
    for narrative in story.narratives:
        assert set(narrative.event_ids) <= ids
    assert story.narratives[0].id == "article"
    assert set(story.narratives[0].event_ids) == ids


def test_a_cause_is_claimed_only_where_a_source_gives_one(seed):
    """`follows_from` says "caused by": only the pause and the technical talks, both agreed in
    the call (the article), follow from it; the rest came after."""
    causes = seed.links[seed.links["relation"] == "follows_from"]
    assert set(zip(causes["source_id"], causes["target_id"], strict=True)) == {
        ("energy-pause", "trump-putin-call"),
        ("riyadh-talks", "trump-putin-call"),
    }


def test_each_alleged_breach_says_who_alleges_it(seed):
    events = seed.events.set_index("id")
    assert "Ukraine's allegation" in events.loc["sloviansk-power", "notes"]
    assert "Russia's allegation" in events.loc["kavkazskaya-depot", "notes"]


@pytest.mark.parametrize(
    ("event_id", "who"),
    [
        ("drones-after-call", "Zelensky: "),
        ("kavkazskaya-depot", "Krasnodar officials: "),
        ("hockey-matches", "Kremlin: "),
    ],
)
def test_a_title_says_whose_claim_it_is(seed, event_id, who):
    event = seed.events.set_index("id").loc[event_id]
    assert event["claim_status"] == "claimed" and event["title"].startswith(who)


def test_the_drone_count_is_worded_as_the_sources_word_it(seed):
    drones = seed.events.set_index("id").loc["drones-after-call"]
    assert "over 40" in drones["title"] and "around 40" in drones["summary"]
    assert "did not contest" not in drones["notes"]


def test_the_pause_is_worded_no_finer_than_it_is_known(seed):
    """Agreed during the call (14:00 to 16:30 UTC at the latest); 30 days on is 17 April, a day
    computed here, not a time announced."""
    pause = seed.events.set_index("id").loc["energy-pause"]
    assert (pause["earliest"], pause["start_latest"]) == (
        pd.Timestamp("2025-03-18T14:00Z"), pd.Timestamp("2025-03-18T16:30Z"))  # fmt: skip
    assert (pause["end_earliest"], pause["latest"]) == (
        pd.Timestamp("2025-04-17T00:00Z"), pd.Timestamp("2025-04-18T00:00Z"))  # fmt: skip
    assert "computed here, not announced" in pause["time_note"]


def test_the_night_after_the_call_starts_after_it(seed):
    story = read_story("seeds/story.toml", events=seed.events)
    night = next(w for w in story.presets if w.label == "Night after the call")
    call = seed.events.set_index("id").loc["trump-putin-call"]
    assert night.start >= call["latest"]
