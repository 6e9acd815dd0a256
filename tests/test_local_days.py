"""Dates as the reader reads them: a date-only event is its own local day everywhere the app,
the exports and the published page show it, never the UTC date that a conversion gives.

Kiritimati is UTC+14: its 2 January 2022 runs from 1 January, 10:00 UTC. Honolulu is UTC−10:
its 2 January is 2 January 10:00 to 3 January 10:00 UTC. Every surface must say 2 January.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from timeline.app import state as S
from timeline.data.contract import Ask
from timeline.export.card_data import card_records
from timeline.export.tables import to_csv, to_json
from timeline.export.timelinejs import iter_timelinejs
from timeline.ingest.files import parse_events
from timeline.model.story import default_story
from timeline.views.card import card_html
from timeline.views.describe import when_listed
from timeline.views.figures import map_figure, timeline_figure
from timeline.views.table import table_page

ROOT = Path(__file__).resolve().parent.parent
HEADER = "id,title,start,time_precision,places,countries,lat,lon,category"
ROWS = [
    "kiritimati,Market fire in London village,2022-01-02,day,London,KI,1.98,-157.47,fire",
    "honolulu,Protest at the capitol,2022-01-02,day,Honolulu,US,21.307,-157.858,protest",
]
DAY = "2 January 2022"


@pytest.fixture(scope="module")
def table():
    t = parse_events("\n".join([HEADER, *ROWS]) + "\n")
    assert t.problems.empty, t.problems.to_string()
    return t


def test_the_zones_are_the_places_own(table):
    zones = table.places.set_index("event_id")["timezone"]
    assert zones["kiritimati"] == "Pacific/Kiritimati" and zones["honolulu"] == "Pacific/Honolulu"
    first = table.events.set_index("id")["earliest"]
    assert first["kiritimati"] == pd.Timestamp("2022-01-01T10:00Z")  # the UTC date is the 1st
    assert first["honolulu"] == pd.Timestamp("2022-01-02T10:00Z")


def test_lists_hovers_and_the_table_say_the_local_day(table):
    for words in when_listed(table.events):
        assert DAY in words and "1 January" not in words and "3 January" not in words
    page = table_page(table.events, {})
    assert all(DAY in w for w in page["When (as the source gives it)"])
    hovers = map_figure(table.events, table.places).to_dict()["data"]
    texts = [t for trace in hovers for t in _texts(trace, "text")]
    assert texts and all(DAY in t for t in texts)
    window = (pd.Timestamp("2021-12-31T00:00Z"), pd.Timestamp("2022-01-04T00:00Z"))
    timeline = timeline_figure(table.events, window, window).to_dict()["data"]
    hovertexts = [t for trace in timeline for t in _texts(trace, "hovertext")]
    assert hovertexts and all(DAY in t for t in hovertexts)


def _texts(trace: dict, key: str) -> list[str]:
    value = trace.get(key)
    if value is None or isinstance(value, str):
        return []
    return [v for v in list(value) if isinstance(v, str)]


def test_the_card_and_the_published_card_say_the_local_day(table):
    for event_id in ("kiritimati", "honolulu"):
        event = table.events.set_index("id", drop=False).loc[event_id]
        places = table.places[table.places["event_id"] == event_id]
        assert DAY in card_html(event, places)
    cards = card_records(table.events, table.places, table.links, categories={})
    assert all(DAY in json.dumps(card, ensure_ascii=False) for card in cards)


def test_exports_write_the_local_day(table):
    csv = to_csv(table)
    assert "2022-01-02T00:00:00+14:00" in csv and "2022-01-02T00:00:00-10:00" in csv
    records = json.loads(to_json(table))["events"]
    assert {r["start"][:10] for r in records} == {"2022-01-02"}
    story = default_story(Path("events.csv"), table.events)
    slides = json.loads("".join(iter_timelinejs(table, story=story)))["events"]
    days = {tuple(str(s["start_date"][k]) for k in ("year", "month", "day")) for s in slides}
    assert days == {("2022", "1", "2")}


def test_the_apps_card_and_a_cells_list_say_the_local_day(tmp_path, monkeypatch):
    """Dense enough for cells: a cell's list of these events, and the card one opens."""
    rows = [r.replace("kiritimati,", f"k{i},", 1) for i in range(300) for r in ROWS[:1]]
    rows += [r.replace("honolulu,", f"h{i},", 1) for i in range(300) for r in ROWS[1:]]
    (tmp_path / "events.csv").write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(tmp_path))
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    spec = json.loads(next(c for c in at.get("plotly_chart") if "map" in c.proto.id).proto.spec)
    pick = spec["data"][0]["customdata"][0][0]
    _, y, x = pick.split("|")
    at.session_state["view"] = S.pick_cell(at.session_state["view"], (int(y), int(x)))
    at.run()
    listed = [b for b in at.button if b.key and b.key.startswith("cell-ev")]
    assert listed and all(DAY in b.label for b in listed)
    listed[0].click().run()
    html = " ".join(h.proto.body for h in at.get("html"))
    assert DAY in html
    window = at.session_state["view"].window
    assert Ask(*window).lo <= pd.Timestamp("2022-01-01T10:00Z")
