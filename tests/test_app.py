"""What runs on the server: loading, filtering, selection and URL state (AppTest, no browser)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from timeline.app import state as S
from timeline.ingest.files import read_events

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SEED = read_events(ROOT / "seeds/events.csv")
N = len(SEED.events)


def run(query: dict[str, str] | None = None, env_table: str | None = None, monkeypatch=None):
    if env_table is not None:
        monkeypatch.setenv("TIMELINE_MAP_TABLE", env_table)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def figure(at: AppTest, key: str) -> dict:
    charts = {c.proto.id: c for c in at.get("plotly_chart")}
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    assert charts
    return json.loads(chart.proto.spec)


def map_event_ids(at: AppTest) -> set[str]:
    spec = figure(at, "map")
    ids = set()
    for trace in spec["data"]:
        if trace.get("mode") == "markers" and trace.get("customdata"):
            ids |= {row[0] for row in trace["customdata"]}
    return ids


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "in the window" in m.value)


def test_the_app_opens_on_the_whole_story_with_no_exception():
    at = run()
    assert not at.exception
    assert count_line(at).startswith(f"**{N} of {N} events**")
    assert len(map_event_ids(at)) == SEED.places["event_id"].nunique()
    assert at.query_params["from"] == "2025-03-11T00:00Z"


def test_the_night_preset_filters_the_map():
    at = run()
    presets = at.segmented_control(key="preset")
    assert presets.options == ["Whole story", "Day of the call", "Night after the call"]
    assert presets.value == 0  # the window it opens on is marked
    presets.set_value(2).run()
    assert not at.exception
    assert at.segmented_control(key="preset").value == 2
    assert at.query_params["from"] == "2025-03-18T17:00Z"
    assert at.query_params["to"] == "2025-03-19T06:00Z"
    ids = map_event_ids(at)
    assert {"sumy-hospital", "kavkazskaya-depot", "sloviansk-power"} <= ids
    assert "jeddah-talks" not in ids and "riyadh-talks" not in ids


def test_a_shared_link_restores_the_window_and_the_selection():
    at = run({"from": "2025-03-18T14:00Z", "to": "2025-03-19T06:00Z", "event": "sumy-hospital"})
    assert not at.exception
    assert at.slider(key="window").value[0].isoformat() == "2025-03-18T14:00:00"
    assert "sumy-hospital" in map_event_ids(at)
    html = " ".join(h.proto.body for h in at.get("html"))
    assert 'data-event-id="sumy-hospital"' in html
    assert '<mark id="quote-mark">He criticized Putin' in html


@pytest.mark.parametrize(
    "query", [{"from": "nonsense", "to": "2025-03-19T06:00Z"}, {"event": "no-such-event"}]
)
def test_a_bad_link_shows_a_notice_and_the_default_view(query):
    at = run(query)
    assert not at.exception
    assert len(at.warning) == 1
    assert count_line(at).startswith(f"**{N} of {N} events**")


def test_previous_and_next_step_through_events_that_start_together():
    at = run({"event": "trump-putin-call", "from": "2025-03-18T14:00Z", "to": "2025-03-18T15:00Z"})
    at.button(key="prev-event").click().run()  # three events start at 14:00 UTC
    assert at.query_params["event"] == "hockey-matches"
    at.button(key="prev-event").click().run()
    assert at.query_params["event"] == "energy-pause"
    for _ in range(3):
        at.button(key="next-event").click().run()
    assert not at.exception
    assert at.query_params["event"] == "zelensky-helsinki"  # 15:30, after the 14:00 three
    # The window moved to show it.
    assert at.query_params["to"] > "2025-03-18T15:00Z"


def test_a_linked_event_button_moves_there():
    at = run({"event": "riyadh-talks"})
    link = next(b for b in at.button if b.key and "witkoff" in b.key)
    link.click().run()
    assert at.query_params["event"] == "witkoff-jeddah"


def test_hiding_claims_removes_hollow_events():
    at = run()
    at.session_state["panel-filters"] = True  # the reader opens the filter panel
    at.run()
    at.pills(key="claims-shown").set_value(["Confirmed"]).run()
    ids = map_event_ids(at)
    assert "kavkazskaya-depot" not in ids and "sudzha-retaken" not in ids
    assert "sumy-hospital" in ids
    assert "hidden by the filters" in count_line(at)
    assert at.query_params["f.claim_status"] == "confirmed"


def test_a_table_with_bad_rows_still_opens_and_lists_its_problems(tmp_path, monkeypatch):
    seed = Path("seeds/events.csv").read_text("utf-8").splitlines()
    bad = seed[1].replace("2025-03-11T00:00+03:00", "11 March", 1)
    table = tmp_path / "events.csv"
    table.write_text("\n".join([seed[0], bad, *seed[2:]]) + "\n", "utf-8")
    at = run(env_table=str(table), monkeypatch=monkeypatch)
    assert not at.exception
    assert any("problems in the table" in e.label for e in at.expander)
    assert count_line(at).startswith(f"**{N - 1} of {N - 1} events**")


def test_a_table_with_no_good_rows_says_so(tmp_path, monkeypatch):
    table = tmp_path / "events.csv"
    table.write_bytes(b"")
    at = run(env_table=str(table), monkeypatch=monkeypatch)
    assert not at.exception
    assert "no event that could be loaded" in at.error[0].value


def test_a_broken_story_file_still_shows_the_events(tmp_path, monkeypatch):
    for name in ("events.csv", "000_2931e19d335c2529.txt"):
        (tmp_path / name).write_bytes((Path("seeds") / name).read_bytes())
    (tmp_path / "story.toml").write_text('title = "unfinished\n', "utf-8")
    at = run(env_table=str(tmp_path / "events.csv"), monkeypatch=monkeypatch)
    assert not at.exception
    assert "story file could not be used" in at.warning[0].value
    assert any("1 problems in the story file" in e.label for e in at.expander)
    assert count_line(at).startswith(f"**{N} of {N} events**")


def seed_folder(tmp_path: Path, story: str) -> str:
    for name in ("events.csv", "000_2931e19d335c2529.txt"):
        (tmp_path / name).write_bytes((Path("seeds") / name).read_bytes())
    (tmp_path / "story.toml").write_text(story, "utf-8")
    return str(tmp_path / "events.csv")


WINDOW = 'start = "2025-03-11T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n'


def preset(label: str, day: int) -> str:
    return (
        f'[[presets]]\nlabel = "{label}"\n'
        f'start = "2025-03-{day}T00:00+00:00"\nend = "2025-03-{day + 1}T00:00+00:00"\n'
    )


def test_any_number_of_presets_and_a_duplicate_label_do_not_break_the_app(tmp_path, monkeypatch):
    story = WINDOW + "".join(preset(f"Day {d}", d) for d in range(12, 20)) + preset("Day 12", 20)
    at = run(env_table=seed_folder(tmp_path, story), monkeypatch=monkeypatch)
    assert not at.exception
    presets = at.segmented_control(key="preset")
    assert presets.options == ["Whole story"] + [f"Day {d}" for d in range(12, 20)]
    presets.set_value(8).run()
    assert at.query_params["from"] == "2025-03-19T00:00Z"
    assert "1 problems" in at.warning[0].value
    assert any("1 problems in the story file" in e.label for e in at.expander)


def test_the_title_and_preset_labels_are_text_never_markdown(tmp_path, monkeypatch):
    image = "![x](http://127.0.0.1:9/pixel.png)"
    story = f'title = "{image} **bold**"\n' + WINDOW + preset(f"{image} day", 18)
    at = run(env_table=seed_folder(tmp_path, story), monkeypatch=monkeypatch)
    assert not at.exception
    assert at.text[0].value == f"{image} **bold**"  # st.text: no Markdown at all
    assert not any(image in m.value for m in [*at.markdown, *at.caption])
    label = at.segmented_control(key="preset").options[1]
    assert "![" not in label and "](" not in label  # Markdown escaped: shown as typed


def test_bad_story_values_give_a_notice_not_an_error_page(tmp_path, monkeypatch):
    story = (
        'title = ["a list"]\nstart = 3\nend = 10:00:00\nanchor = "nope"\n'
        '[[presets]]\nlabel = "Back"\nstart = "2025-03-19T00:00+00:00"\n'
        'end = "2025-03-18T00:00+00:00"\n'
        '[[narratives]]\nid = "n"\ntitle = "N"\n'
        'events = ["sumy-hospital", "riyadh-talks", "sumy-hospital", "jeddah-talks"]\n'
        '[[bands]]\nevent = "nope"\nlabel = "B"\n'
    )
    at = run(env_table=seed_folder(tmp_path, story), monkeypatch=monkeypatch)
    assert not at.exception
    assert "problems" in at.warning[0].value
    assert at.segmented_control(key="preset").options == ["Whole story"]
    # The narrative lost its repeated id, so story mode reaches its last step.
    at.toggle(key="story_mode").set_value(True).run()
    for _ in range(3):
        at.button(key="story-next").click().run()
    assert at.query_params["event"] == "jeddah-talks"
    assert not at.exception


def test_without_a_story_file_the_table_makes_its_own(tmp_path, monkeypatch):
    (tmp_path / "events.csv").write_bytes(Path("seeds/events.csv").read_bytes())
    at = run(env_table=str(tmp_path / "events.csv"), monkeypatch=monkeypatch)
    assert not at.exception
    assert at.text[0].value == "events"
    # Labels reach the browser as Markdown with every special character escaped.
    shown = [re.sub(r"\\(.)", r"\1", o) for o in at.segmented_control(key="preset").options]
    assert [o.split(" (")[0] for o in shown] == ["Whole story", "Busiest week", "Busiest day"]
    assert count_line(at).startswith(f"**{N} of {N} events**")


def test_a_story_before_1684_slides_over_stops(tmp_path, monkeypatch):
    """Streamlit's datetime slider holds about 1684 to 2255; the year 1000 must still open."""
    story = 'start = "1000-01-01T00:00+00:00"\nend = "2025-03-26T00:00+00:00"\n' + (
        '[[presets]]\nlabel = "A day"\n'
        'start = "1000-01-01T00:00+00:00"\nend = "1000-01-02T00:00+00:00"\n'
    )
    at = run(env_table=seed_folder(tmp_path, story), monkeypatch=monkeypatch)
    assert not at.exception and not at.warning
    (stops,) = at.select_slider
    assert stops.options[0] == "1 Jan 1000, 00:00" and stops.options[-1] == "26 Mar 2025, 00:00"
    at.segmented_control(key="preset").set_value(1).run()
    assert count_line(at).startswith(f"**0 of {N} events**")
    assert at.select_slider[0].value == (datetime(1000, 1, 1), datetime(1000, 1, 2))
    at.select_slider[0].set_range(datetime(1000, 1, 1), datetime(2025, 3, 26)).run()
    assert not at.exception
    assert count_line(at).startswith(f"**{N} of {N} events**")
    assert at.query_params["from"] == "1000-01-01T00:00Z"


def test_a_dense_window_draws_cells_and_a_histogram_and_lists_a_cell(tmp_path, monkeypatch):
    """Past the detail limit: cells on the map, a stacked histogram, a cell's events paged,
    each opening its card; the anchor is searched, not listed."""
    import sys

    from timeline.data import engine as E

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import synthetic_csv

    (tmp_path / "events.csv").write_text(synthetic_csv(2_500))
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path / "store"))
    monkeypatch.setattr(E, "PICK_LIMIT", 100)
    at = run(env_table=str(tmp_path), monkeypatch=monkeypatch)
    assert not at.exception
    assert count_line(at).startswith("**2,500 of 2,500 events**")
    cells = figure(at, "map")["data"][0]
    assert all(c[0].startswith("cell|") for c in cells["customdata"])
    bars = [t for t in figure(at, "timeline")["data"] if t["type"] == "bar"]
    assert len(bars) == 6  # one per category, stacked
    # A click on the busiest cell (as the chart's selection would report it) lists its events.
    counts = [
        int(t.split(" events")[0].removeprefix("<b>").replace(",", "")) for t in cells["text"]
    ]
    busiest = max(zip(counts, cells["customdata"], strict=True))[1][0]
    _, y, x = busiest.split("|")
    at.session_state["view"] = S.pick_cell(at.session_state["view"], (int(y), int(x)))
    at.run()
    listed = [b for b in at.button if b.key and b.key.startswith("cell-ev")]
    assert 0 < len(listed) <= 15
    assert any("events in this cell" in m.value for m in at.markdown)
    listed[0].click().run()
    assert not at.exception
    chosen = listed[0].key.removeprefix("cell-ev-")
    assert at.query_params["event"] == chosen
    html = " ".join(h.proto.body for h in at.get("html"))
    assert f'data-event-id="{chosen}"' in html
    # The anchor picker: a search box, and only its hits as options.
    assert at.text_input(key="anchor_search") is not None
    at.text_input(key="anchor_search").input("Site 12").run()
    options = at.sidebar.selectbox[0].options
    assert 0 < len(options) <= 20 and all("Site 12" in o for o in options)


def test_detail_follows_the_zoom_of_a_dense_map(tmp_path, monkeypatch):
    """A dense window draws cells; the reader's view, once the browser reports it, is drawn
    as the cells of that view, and each event once few enough are in it; the window, filters
    and selection stay."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import synthetic_csv

    (tmp_path / "events.csv").write_text(synthetic_csv(2_500))
    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path / "store"))
    at = run(env_table=str(tmp_path), monkeypatch=monkeypatch)
    whole = figure(at, "map")["data"][0]["customdata"]
    assert all(c[0].startswith("cell|") for c in whole)
    window = at.session_state["view"].window
    # The reader zooms into the middle of a busy area (as the map's view component reports
    # it): the synthetic table's sites gather around 48 N 32 E.
    box = {"west": 31.0, "south": 47.0, "east": 33.0, "north": 49.0, "zoom": 7.0,
           "lat": 48.01, "lon": 32.0}  # fmt: skip
    at.session_state["view"] = S.zoom(at.session_state["view"], S.MapView.from_report(box))
    at.run()
    assert not at.exception
    assert "in the map's view" in count_line(at)
    spec = figure(at, "map")
    assert spec["layout"]["map"]["zoom"] == 7.0  # the reader's view is kept, at its own centre
    assert spec["layout"]["map"]["center"] == {"lat": 48.01, "lon": 32.0}
    ids = map_event_ids(at)
    assert ids and not any(i.startswith("cell|") for i in ids)  # single events, in detail
    assert at.session_state["view"].window == window
