"""Deep or huge JSON (issue 16, class 2): nesting past the bound is refused with one line naming
the file and where, before any parsing (so never a RecursionError, in sniffing or reading);
numbers Python cannot carry on with (NaN, 1e999, a 5,000-digit integer) cost their own row at
most, never the file."""

from __future__ import annotations

import json
import time

import pytest
from hostile import assert_accounted, cli, find, lines

from geodata.untrusted import MAX_JSON_DEPTH, JSONRefused, json_depth, loads_json
from timeline.ingest.files import open_table, parse_events

DEEP = "[" * 100_000 + "]" * 100_000
T0 = "2025-03-18T14:00+00:00"


def feature(props: dict, geometry=None) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


#: name -> (file name, text with DEEP somewhere inside)
DEEP_FILES = {
    "geojson": ("points.geojson", '{"type": "FeatureCollection", "features": ' + DEEP + "}"),
    "geojson-deep-property": (
        "points.geojson",
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
        f'"properties": {{"title": "a", "start": "{T0}", "x": {DEEP}}}}}]}}',
    ),
    "our-json": ("events.json", '{"generator": "timeline-map", "events": ' + DEEP + "}"),
    "our-geojson": (
        "events.geojson",
        '{"generator": "timeline-map", "type": "FeatureCollection", "features": ' + DEEP + "}",
    ),
    "timelinejs": ("t.json", '{"events": [{"start_date": {"year": 2020}, "x": ' + DEEP + "}]}"),
    "timemap-json": ("tm.json", '[{"description": "d", "date": "01/02/2020", "x": ' + DEEP + "}]"),
    "any-list-of-objects": ("list.json", "[{" + '"a": ' + DEEP + "}]"),
}


@pytest.mark.parametrize("case", list(DEEP_FILES))
def test_deep_json_is_one_problem_naming_the_file_and_never_a_recursion_error(tmp_path, case):
    name, text = DEEP_FILES[case]
    path = tmp_path / name
    path.write_text(text, "utf-8")
    started = time.monotonic()
    table = open_table(path)  # detected: every sniffer sees it
    assert time.monotonic() - started < 10
    assert table.events.empty
    said = "\n".join(lines(table))
    assert str(path) in said
    assert "levels deep" in said, said


FORMATS = {
    "geojson": "geojson",
    "geojson-deep-property": "geojson",
    "our-json": "json",
    "our-geojson": "timeline-geojson",
    "timelinejs": "timelinejs",
    "timemap-json": "timemap-json",
}


@pytest.mark.parametrize("case", list(FORMATS))
def test_each_json_reader_names_the_line_and_column_past_the_bound(case):
    _, text = DEEP_FILES[case]
    text = text.replace(DEEP, "\n  " + "[" * 70 + "]" * 70)
    table = parse_events(text, file="deep.json", fmt=FORMATS[case])
    problem = find(table, "", text="levels deep")
    assert "past 64 at line 2, column" in problem["problem"], lines(table)
    assert f"at most {MAX_JSON_DEPTH} levels" in problem["problem"]


def test_the_cli_says_it_in_one_line_and_exits_1(tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(DEEP_FILES["geojson"][1], "utf-8")
    run = cli("validate", path)
    assert run.code == 1
    assert f"{path}: is nested 100,001 levels deep" in run.err
    run = cli("export", path, "--format", "json")
    assert json.loads(run.out)["events"] == []


def test_depth_ignores_brackets_inside_strings_and_escapes():
    text = json.dumps({"a": "[" * 500 + '\\"[{' * 100, "b": [[{"c": "]]]"}]]})
    assert json_depth(text) == 4
    assert loads_json(text)["b"][0][0]["c"] == "]]]"


def test_depth_is_measured_without_parsing_quickly():
    doc = json.dumps([{"t": "x [[[ {", "c": [1.5, 2.5]} for _ in range(200_000)])
    started = time.monotonic()
    assert json_depth(doc) == 3
    assert time.monotonic() - started < 2  # about 0.1 s here for 7 MB


@pytest.mark.parametrize("text", ["[" * 65, "[" * 100_000, '{"a":' * 1000])
def test_loads_json_refuses_past_the_bound(text):
    with pytest.raises(JSONRefused, match="levels deep"):
        loads_json(text)


# --- numbers -------------------------------------------------------------------------------


def geojson(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def test_odd_numbers_cost_their_own_row_and_the_good_rows_load():
    text = geojson(
        feature({"id": "a", "title": "A", "start": T0, "n": "BIG"}),
        feature({"id": "b", "title": "B", "timestamp": "NAN"}),
        feature({"id": "c", "title": "C", "timestamp": "INF"}),
        feature({"id": "d", "title": "D", "timestamp": "NEGINF"}),
        feature({"id": "e", "title": "E", "timestamp": "HUGE"}),
        feature({"id": "f", "title": "F", "timestamp": 1742306400}),
        feature(
            {"id": "g", "title": "G", "start": T0}, {"type": "Point", "coordinates": ["NAN", 1]}
        ),
    )
    big = "9" * 5000
    for word, value in {
        '"BIG"': big,
        '"NAN"': "NaN",
        '"INF"': "Infinity",
        '"NEGINF"': "-Infinity",
        '"HUGE"': "1e999",
    }.items():
        text = text.replace(word, value)
    table = parse_events(text, file="odd.geojson", fmt=None)
    assert set(table.events["id"]) == {"a", "f", "g"}, lines(table)
    assert_accounted(table)
    for row, value in ((2, "NaN"), (3, "Infinity"), (4, "-Infinity"), (5, "1e999")):
        problem = find(table, "timestamp", row)
        assert problem["value"] == value
    a = table.events.set_index("id").loc["a"]
    assert a["extra.n"] == big  # kept as written, not refused by Python's int-digit limit
    assert "geometry" in set(table.problems["column"])  # a point of NaN is no point


@pytest.mark.parametrize("fmt", ["json", "timelinejs", "timemap-json"])
def test_a_5000_digit_integer_is_kept_as_its_text_in_every_json_reader(fmt):
    big = "7" * 5000
    record = {
        "json": {
            "generator": "timeline-map",
            "events": [{"id": "a", "title": "A", "start": T0, "extra": {"n": "BIG"}}],
        },
        "timelinejs": {
            "events": [
                {
                    "unique_id": "a",
                    "start_date": {"year": 2020},
                    "text": {"headline": "A"},
                    "n": "BIG",
                }
            ]
        },
        "timemap-json": [
            {"id": "a", "description": "A.", "date": "01/02/2020", "sources": [], "n": "BIG"}
        ],
    }[fmt]
    text = json.dumps(record).replace('"BIG"', big)
    table = parse_events(text, file="big.json", fmt=fmt)
    assert list(table.events["id"]) == ["a"], lines(table)
    assert big in table.events.iloc[0]["extra.n"]
