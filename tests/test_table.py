"""The event table: every kind of bad row is reported by file, row and column; good rows load."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from timeline.ingest.files import parse_events, read_events
from timeline.ingest.readers.curated import COLUMNS

ARTICLE = "Putin agreed to pause strikes. Zelensky was in Helsinki.\n"
HEADER = ",".join(COLUMNS)
GOOD = {
    "id": "call",
    "title": "The call",
    "start": "2025-03-18T14:00+00:00",
    "time_precision": "minute",
    "places": "Moscow",
    "countries": "RU",
    "category": "diplomacy",
    "claim_status": "confirmed",
    "quote": "Putin agreed to pause strikes.",
    "source_file": "article.txt",
}


def row(**changes: str) -> str:
    cells = {**GOOD, **changes}
    return ",".join(_cell(cells.get(c, "")) for c in COLUMNS)


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\n\r') else text


def table(tmp_path: Path, *rows: str, name: str = "events.csv"):
    (tmp_path / "article.txt").write_text(ARTICLE, "utf-8")
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    return read_events(path)


def only_problem(t, column: str) -> pd.Series:
    found = t.problems[t.problems["column"] == column]
    assert len(found) == 1, t.problems.to_string()
    return found.iloc[0]


def test_good_rows_load_with_utc_times_and_float_coordinates(tmp_path):
    t = table(tmp_path, row())
    assert t.problems.empty, t.problems.to_string()
    assert str(t.events["start"].dtype) == "datetime64[us, UTC]"
    assert t.events["start"].iloc[0] == pd.Timestamp("2025-03-18T14:00Z")
    assert t.places["lat"].dtype == "float64"
    assert t.places.iloc[0][["name", "country"]].tolist() == ["Moscow", "RU"]
    assert bool(t.events["quote_verified"].iloc[0])


@pytest.mark.parametrize(
    ("changes", "column", "words"),
    [
        ({"start": "18 March 2025"}, "start", "ISO 8601"),
        ({"start": ""}, "start", "empty"),
        ({"start": "2025-03-18T14:00+25:00"}, "start", "ISO 8601"),
        ({"start": "2025-02-30T14:00+00:00"}, "start", "ISO 8601"),
        ({"end": "soon"}, "end", "ISO 8601"),
        ({"end": "2025-03-18T13:00+00:00"}, "end", "before the start"),
        ({"time_precision": "decade"}, "time_precision", "minute, hour"),
        ({"time_precision": "range"}, "end", "required"),
        ({"title": ""}, "title", "empty"),
        (
            {"end_earliest": "2025-03-18T13:00+00:00", "end": "2025-03-18T15:00+00:00"},
            "end_earliest",
            "before the start",
        ),
    ],
)
def test_a_row_that_cannot_go_on_the_timeline_is_reported_and_left_out(
    tmp_path, changes, column, words
):
    t = table(tmp_path, row(id="good"), row(**{"id": "bad", **changes}))
    problem = only_problem(t, column)
    assert problem["row"] == 3
    assert problem["file"].endswith("events.csv")
    assert words in problem["problem"]
    assert not problem["kept"]
    assert t.events["id"].tolist() == ["good"]


def test_a_category_of_its_own_and_an_unknown_claim_status_keep_the_row(tmp_path):
    t = table(tmp_path, row(id="x", category="weather", claim_status="rumour"))
    assert t.events["category"].tolist() == ["weather"]
    assert t.events["claim_status"].tolist() == [""]
    problem = only_problem(t, "claim_status")
    assert problem["kept"] and problem["value"] == "rumour" and "confirmed" in problem["problem"]


@pytest.mark.parametrize(
    ("start", "precision", "earliest", "latest"),
    [
        # A bare date is the local day of the place (Moscow, UTC+3), never shifted a day;
        # in year 602 Moscow kept its local mean time (UTC+2:30:17), as the tz database says.
        ("2025-03-18", "day", "2025-03-17T21:00Z", "2025-03-18T21:00Z"),
        ("2025-03-18T14:00", "minute", "2025-03-18T11:00Z", "2025-03-18T11:00Z"),
        ("2025-03", "month", "2025-02-28T21:00Z", "2025-03-31T21:00Z"),
        ("0602", "year", "0601-12-31T21:29:43Z", "0602-12-31T21:29:43Z"),
    ],
)
def test_bare_times_are_local_to_the_place(tmp_path, start, precision, earliest, latest):
    t = table(tmp_path, row(start=start, time_precision=""))
    e = t.events.iloc[0]
    assert e["time_precision"] == precision
    assert e["timezone"] == "Europe/Moscow"
    assert e["earliest"] == pd.Timestamp(earliest)
    assert e["latest"] == pd.Timestamp(latest)


def test_the_tz_option_gives_the_zone_of_bare_times():
    text = "title,start\nA,2025-03-18T14:00\n"
    e = parse_events(text, tz="America/New_York").events.iloc[0]
    assert e["start"] == pd.Timestamp("2025-03-18T18:00Z")
    assert e["start_offset_min"] == -240


def test_an_end_known_only_between_two_times_keeps_both_bounds(tmp_path):
    t = table(
        tmp_path,
        row(end_earliest="2025-03-18T15:30+00:00", end="2025-03-18T16:30+00:00"),
    )
    e = t.events.iloc[0]
    assert (e["earliest"], e["start_latest"]) == (pd.Timestamp("2025-03-18T14:00Z"),) * 2
    assert e["end_earliest"] == pd.Timestamp("2025-03-18T15:30Z")
    assert e["latest"] == pd.Timestamp("2025-03-18T16:30Z")


def test_end_exactly_at_start_is_fine(tmp_path):
    t = table(tmp_path, row(end=GOOD["start"]))
    assert t.problems.empty


def test_a_duplicate_id_keeps_the_first_row(tmp_path):
    t = table(tmp_path, row(title="first"), row(title="second"))
    problem = only_problem(t, "id")
    assert (problem["row"], problem["value"]) == (3, "call")
    assert "duplicates" in problem["problem"]
    assert t.events["title"].tolist() == ["first"]


@pytest.mark.parametrize(
    ("place", "lat", "lon", "words"),
    [
        ("Moscow", "95.5", "37.6", "-90..90"),
        ("Moscow", "37.61781", "55.75204", "swapped"),  # Moscow written lon, lat
        ("Somewhere", "120.0", "45.0", "swapped"),  # only the swap is on Earth
        ("Somewhere", "45.0", "200.0", "-90..90"),
    ],
)
def test_bad_coordinates_are_reported_and_the_event_stays_unplaced(
    tmp_path, place, lat, lon, words
):
    t = table(tmp_path, row(places=place, lat=lat, lon=lon))
    problem = only_problem(t, "lat")
    assert words in problem["problem"] and problem["kept"] and problem["row"] == 2
    assert t.events["id"].tolist() == ["call"]
    assert t.located.empty
    # The place stays named, with no point: the card and our exports keep it.
    assert t.places["name"].tolist() == [place] and t.places["lat"].isna().all()
    assert t.unplaced["id"].tolist() == ["call"]


def test_unreadable_coordinates_give_way_to_the_name(tmp_path):
    t = table(tmp_path, row(places="Moscow", countries="RU", lat="north", lon="37.6"))
    problem = only_problem(t, "lat")
    assert "looked up by its name" in problem["problem"] and problem["kept"]
    assert t.located[["name", "lat"]].values.tolist() == [["Moscow", 55.75204]]


def test_given_coordinates_place_the_event(tmp_path):
    t = table(tmp_path, row(places="Kremlin gate", countries="RU", lat="55.7525", lon="37.6231"))
    assert t.problems.empty, t.problems.to_string()
    assert t.places[["name", "lat", "lon"]].iloc[0].tolist() == ["Kremlin gate", 55.7525, 37.6231]


def test_a_place_that_cannot_be_geocoded_leaves_the_event_on_the_timeline(tmp_path):
    t = table(tmp_path, row(places="Qwxzville", countries=""))
    problem = only_problem(t, "places")
    assert problem["value"] == "Qwxzville" and problem["kept"]
    assert "timeline only" in problem["problem"]
    assert t.unplaced["id"].tolist() == ["call"]


def test_the_country_decides_which_place_an_alias_means(tmp_path):
    t = table(tmp_path, row(places="Moscow", countries="UA"))
    assert "not found in UA" in only_problem(t, "places")["problem"]


def test_an_event_with_two_places_has_both(tmp_path):
    t = table(
        tmp_path,
        row(
            places="White House, Washington;Moscow", countries="US;RU", place_precision="site;town"
        ),
    )
    assert t.problems.empty, t.problems.to_string()
    assert t.places["name"].tolist() == ["White House, Washington", "Moscow"]
    assert t.places["geo_precision"].astype(str).tolist() == ["site", "town"]


def test_a_quote_not_in_the_source_is_reported_and_the_event_kept(tmp_path):
    t = table(tmp_path, row(quote="Putin refused everything."))
    problem = only_problem(t, "quote")
    assert "not found verbatim in article.txt" in problem["problem"] and problem["kept"]
    assert not t.events["quote_verified"].iloc[0]


def test_a_quote_with_straightened_quotes_gets_a_hint(tmp_path):
    (tmp_path / "curly.txt").write_text("He said “yes” to it.", "utf-8")
    t = table(tmp_path, row(quote='He said "yes" to it.', source_file="curly.txt"))
    assert "normalised" in only_problem(t, "quote")["problem"]


def test_a_missing_source_file_is_reported(tmp_path):
    t = table(tmp_path, row(source_file="gone.txt"))
    problem = only_problem(t, "source_file")
    assert "missing" in problem["problem"] and problem["kept"]


def test_a_source_outside_the_tables_folder_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text(ARTICLE, "utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "article.txt").write_text(ARTICLE, "utf-8")
    path = sub / "events.csv"
    path.write_text(HEADER + "\n" + row(source_file="../secret.txt") + "\n", "utf-8")
    t = read_events(path)
    assert "own folder" in only_problem(t, "source_file")["problem"]
    assert t.sources == {}


def test_unknown_link_targets_are_reported(tmp_path):
    t = table(tmp_path, row(related="responds_to:nowhere;likes:call"))
    found = t.problems[t.problems["column"] == "related"]
    assert sorted(found["value"]) == ["likes:call", "responds_to:nowhere"]
    assert t.links.empty


def test_links_between_events_load(tmp_path):
    t = table(tmp_path, row(), row(id="strike", related="follows_from:call"))
    assert t.links.to_dict("records") == [
        {"source_id": "strike", "relation": "follows_from", "target_id": "call"}
    ]


def test_rows_count_as_a_spreadsheet_counts_them_even_with_line_breaks_in_cells(tmp_path):
    t = table(tmp_path, row(summary="two\nlines"), row(id="x", claim_status="rumour"))
    assert only_problem(t, "claim_status")["row"] == 3


def test_blank_lines_and_lone_carriage_returns_keep_rows_as_a_spreadsheet_counts(tmp_path):
    t = table(tmp_path, row(summary="one\rcell"), "", row(id="x", claim_status="rumour"))
    assert only_problem(t, "claim_status")["row"] == 4
    assert t.events.set_index("id").loc["call", "summary"] == "one\rcell"


def test_a_file_with_a_byte_order_mark_loads(tmp_path):
    (tmp_path / "article.txt").write_text(ARTICLE, "utf-8")
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + row() + "\n").encode())
    t = read_events(path)
    assert t.problems.empty, t.problems.to_string()
    assert t.events["id"].tolist() == ["call"]


def test_a_file_that_is_not_utf8_names_the_row(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes((HEADER + "\n" + row() + "\n" + row(id="k", title="Kyïv")).encode("cp1252"))
    t = read_events(path)
    problem = t.problems.iloc[0]
    # The whole file is refused: the words name the row of the bad byte, the row column none.
    assert "not UTF-8" in problem["problem"] and "at row 3" in problem["problem"]
    assert pd.isna(problem["row"])
    assert t.events.empty


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (HEADER.encode() + b"\n", "no events"),
        (b"id,title,time_precision\na,b,day\n", "has no column start"),
    ],
)
def test_empty_or_headless_files_are_reported(tmp_path, content, words):
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    t = read_events(path)
    assert words in " ".join(t.problems["problem"])
    assert t.events.empty


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    t = read_events(tmp_path / "nope.csv")
    assert "cannot be read" in t.problems.iloc[0]["problem"]


def test_uncertain_times_give_the_interval_the_event_falls_in():
    text = "\n".join(
        [
            "id,title,start,end,time_precision,category",
            "a,A,2025-03-13T00:00+03:00,,day,military",
            "b,B,2025-03-18T22:30+02:00,,hour,strike_civilian",
            "c,C,2025-03-18T17:00+00:00,2025-03-18T22:00+00:00,range,strike_energy",
        ]
    )
    e = parse_events(text).events.set_index("id")
    assert e.loc["a", "earliest"] == pd.Timestamp("2025-03-12T21:00Z")
    assert e.loc["a", "latest"] == pd.Timestamp("2025-03-13T21:00Z")
    assert e.loc["a", "start_offset_min"] == 180
    assert e.loc["b", "earliest"] == pd.Timestamp("2025-03-18T20:00Z")
    assert e.loc["b", "latest"] == pd.Timestamp("2025-03-18T21:00Z")
    assert e.loc["c", "latest"] == pd.Timestamp("2025-03-18T22:00Z")


def test_a_row_with_too_many_cells_is_reported_and_later_rows_keep_their_numbers(tmp_path):
    extra = row(id="extra") + ",surplus"
    t = table(tmp_path, row(id="one"), extra, row(id="three", claim_status="rumour"))
    problems = t.problems.set_index("row")
    assert "more cells than the header" in problems.loc[3, "problem"]
    assert problems.loc[4, "column"] == "claim_status"  # still row 4, as in the spreadsheet
    assert t.events["id"].tolist() == ["one", "three"]


def test_a_place_not_found_online_says_so_not_that_lookup_is_off(tmp_path, monkeypatch):
    from geodata import make_geocoder
    from tests.nominatim_server import FakeNominatim

    monkeypatch.setenv("TIMELINE_MAP_CACHE_DIR", str(tmp_path / "cache"))
    with FakeNominatim() as server:
        geocoder = make_geocoder(
            online=True, base_url=server.url, user_agent="timeline-map tests (test@example.org)"
        )
        (tmp_path / "article.txt").write_text(ARTICLE, "utf-8")
        path = tmp_path / "events.csv"
        path.write_text(HEADER + "\n" + row(places="Qwxzville", countries="") + "\n", "utf-8")
        t = read_events(path, geocoder=geocoder)
    problem = only_problem(t, "places")["problem"]
    assert "online" in problem and "lookup is off" not in problem
