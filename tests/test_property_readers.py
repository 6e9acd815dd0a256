"""Any bytes, any cells, any JSON, any story file: no exception escapes a reader, `finish` or
the story check, and no row goes unaccounted for (issue 10).

Each registered reader gets random bytes; each format with a sample gets that sample with
random cells (or JSON values) swapped for hostile ones: quotes, carriage returns, NUL, a
byte-order mark, years 0, 10000 and -13.8e9, offsets of +99:99, formulas. After
`timeline.ingest.enrich.finish` (offline), rows in = rows loaded + distinct rows reported not kept.

"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata import make_geocoder
from timeline.ingest.enrich import finish
from timeline.ingest.readers import ReadOptions, formats, read
from timeline.model import problems as P
from timeline.model.schema import PROBLEMS
from timeline.model.story import parse_story

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "formats"
GEOCODER = make_geocoder()
#: Kept small so the suite stays fast; HOSTILE_EXAMPLES=200 explores further (and unseeded).
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "8"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 8,
)

CURATED = (
    "id,title,summary,start,end,time_precision,timezone,places,countries,lat,lon,category,"
    "claim_status,related,extra\n"
    "a,A,s,2025-03-18T14:00+00:00,,minute,,Kyiv,UA,,,x,confirmed,,\n"
    "b,B,s,2025-03-18,2025-03-19,range,Europe/Kyiv,,,50.4,30.5,y,,after:a,\n"
    'c,C,s,2025-03,,,,,,,,x,claimed,responds_to:b,"{""k"": 1}"\n'
)
#: format -> (sample bytes, mapping)
CSV_SAMPLES = {
    "curated": (CURATED.encode(), {}),
    "acled": ((SAMPLES / "acled_current.csv").read_bytes(), {}),
    "ucdp": ((SAMPLES / "ucdp_ged.csv").read_bytes(), {}),
    "timemap-csv": ((SAMPLES / "timemap-events.csv").read_bytes(), {}),
    "timelinejs-csv": ((SAMPLES / "timelinejs-template.csv").read_bytes(), {}),
    "mapped": (
        (SAMPLES / "harm_monitor.csv").read_bytes(),
        tomllib.loads((SAMPLES / "harm_monitor.toml").read_text("utf-8")),
    ),
}
JSON_SAMPLES = {
    "timeline-geojson": SAMPLES / "geojson-own-export.geojson",
    "timemap-json": SAMPLES / "timemap-bellingcat.json",
    "timelinejs": SAMPLES / "timelinejs-edges.json",
    "geojson": SAMPLES / "geojson-points.geojson",
}
JSON_FORMATS = ("json", *JSON_SAMPLES)

HOSTILE_CELLS = st.one_of(
    st.text(
        st.sampled_from(list("aZ0-:;,.\"' \r\n\t\x00\ufeff\u200bé+T/#=@")), max_size=12
    ),
    st.sampled_from(
        [
            "", "0000-01-01", "10000-01-01", "-13.8e9", "99999", "-1", "2025-13-45",
            "2025-03-18T14:00+99:99", "2025-03-18T25:61", "0001-01-01T00:00-14:00",
            "9999-12-31T23:59+14:00", "9999-12-31", "2/30/2025", "1e308", "nan", "inf",
            "-91", "181", "=1+1", "@SUM(A1)", '"', '""', "\r", "a\rb", "\ufeffid", "row-2",
            "after:a;after:a", "responds_to:", ":", "span", "range", "part_of_day", "99",
            "123456789012345678901234567890", "2025-W12", "2025-03-18T14:00Z",
        ]
    ),
)  # fmt: skip


def json_values(leaves=None):
    leaves = leaves or st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        HOSTILE_CELLS,
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(HOSTILE_CELLS, inner, max_size=3)
        ),
        max_leaves=8,
    )


# --- the check every example ends with ----------------------------------------------------------


def explore(data: bytes, fmt: str | None, mapping: dict | None = None):
    """`run_reader` inside a property test."""
    return run_reader(data, fmt, mapping)


def run_reader(data: bytes, fmt: str | None, mapping: dict | None = None):
    file = "input.dat"
    intake = read(data, file=file, fmt=fmt, options=ReadOptions(mapping=mapping or {}))
    table = finish(intake, geocoder=GEOCODER)
    assert tuple(table.problems.columns) == PROBLEMS.names
    # A problem names the file, or the mapping file when the mapping is at fault.
    assert table.problems["file"].isin([file, "the mapping"]).all(), table.problems
    rows = table.problems["row"].dropna()
    assert (rows >= 1).all(), table.problems
    for _, p in table.problems.iterrows():
        P.format_problem(p)  # every problem prints
    not_loaded = int(table.problems.loc[~table.problems["kept"], "row"].dropna().nunique())
    assert table.rows_in == len(table.events) + not_loaded, (
        f"{fmt}: rows_in {table.rows_in} != {len(table.events)} loaded + {not_loaded} "
        "not loaded\n" + "\n".join(P.format_problem(p) for _, p in table.problems.iterrows())
    )
    assert table.events["id"].is_unique
    return table


# --- random bytes ------------------------------------------------------------------------------

FORMAT_NAMES = list(formats())


@FAST
@given(data=st.binary(max_size=400), fmt=st.sampled_from([None, *FORMAT_NAMES]))
def test_random_bytes_never_raise(data, fmt):
    explore(data, fmt)


@FAST
@given(
    head=st.sampled_from([b"\xef\xbb\xbf", b"", b"PK\x03\x04", b"{", b"[", b"id,title,start\n"]),
    body=st.binary(max_size=200),
    fmt=st.sampled_from([None, *FORMAT_NAMES]),
)
def test_random_bytes_behind_a_plausible_start_never_raise(head, body, fmt):
    explore(head + body, fmt)


# --- hostile cells in each CSV format's sample ------------------------------------------------


def records(data: bytes, n: int = 4) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return [r for r in csv.reader(io.StringIO(text, newline="")) if r][: n + 1]


@st.composite
def mutated_csv(draw, fmt: str) -> bytes:
    sample, _ = CSV_SAMPLES[fmt]
    rows = copy.deepcopy(records(sample))
    for _ in range(draw(st.integers(1, 6))):
        r = draw(st.integers(1, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(HOSTILE_CELLS)
    if draw(st.booleans()):  # blank lines between records
        rows.insert(draw(st.integers(1, len(rows))), [])
    out = io.StringIO()
    if draw(st.booleans()):
        csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    else:  # written by hand, unquoted: cells with commas or quotes break the record
        out.write("\n".join(",".join(row) for row in rows) + "\n")
    text = out.getvalue()
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8")


@pytest.mark.parametrize("fmt", list(CSV_SAMPLES))
def test_hostile_cells_never_raise_and_every_row_is_accounted_for(fmt):
    mapping = CSV_SAMPLES[fmt][1]

    @FAST
    @given(data=mutated_csv(fmt))
    def check(data):
        explore(data, fmt, mapping)

    check()


@pytest.mark.parametrize("fmt", list(CSV_SAMPLES))
def test_each_sample_itself_accounts_for_every_row(fmt):
    sample, mapping = CSV_SAMPLES[fmt]
    table = run_reader(sample, fmt, mapping)
    assert len(table.events)


# --- hostile JSON ------------------------------------------------------------------------------


def our_json() -> bytes:
    from timeline.export.tables import iter_json

    table = finish(
        read(CURATED.encode(), file="x.csv", fmt="curated", options=ReadOptions()),
        geocoder=GEOCODER,
    )
    return "".join(iter_json(table)).encode()


JSON_DOCS = {"json": json.loads(our_json())} | {
    fmt: json.loads(path.read_text("utf-8")) for fmt, path in JSON_SAMPLES.items()
}


def paths(doc, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


def put(doc, path, value):
    if not path:
        return value
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


@st.composite
def mutated_json(draw, fmt: str) -> bytes:
    doc = copy.deepcopy(JSON_DOCS[fmt])
    for _ in range(draw(st.integers(1, 4))):
        everywhere = [p for p in paths(doc) if p]
        if not everywhere:
            break
        doc = put(doc, draw(st.sampled_from(everywhere)), draw(json_values()))
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


@pytest.mark.parametrize("fmt", list(JSON_DOCS))
def test_hostile_json_values_never_raise_and_every_record_is_accounted_for(fmt):
    @FAST
    @given(data=mutated_json(fmt))
    def check(data):
        explore(data, fmt)

    check()


@FAST
@given(doc=json_values(), fmt=st.sampled_from([None, *JSON_FORMATS]))
def test_any_json_document_never_raises(doc, fmt):
    explore(json.dumps(doc).encode(), fmt)


@pytest.mark.parametrize("fmt", list(JSON_DOCS))
def test_each_json_sample_itself_loads(fmt):
    table = run_reader(json.dumps(JSON_DOCS[fmt]).encode(), fmt)
    assert len(table.events)


# --- story files -------------------------------------------------------------------------------

EVENTS = finish(
    read(CURATED.encode(), file="x.csv", fmt="curated", options=ReadOptions()),
    geocoder=GEOCODER,
).events

TOML_VALUES = st.one_of(
    st.sampled_from(
        [
            '"2025-03-18T00:00+00:00"', '"1000-01-01T00:00+00:00"', '"0000-01-01T00:00+00:00"',
            '"99999-01-01T00:00+00:00"', "14:00:00", "2025-03-18", "2025-03-18T00:00:00",
            "2025-03-18T00:00:00Z", "1979-05-27T00:32:00.999999-07:00", "[]", "[1, 2]",
            '["a", "a", "zz"]', "{}", '{ x = 1 }', "3", "-1e400", "nan", "true", '"a"', '"b"',
            '"#12345"', '"#abc"', '""', '"\\u0000"', '"![x](http://example.invalid/a.png)"',
        ]
    ),
    HOSTILE_CELLS.map(json.dumps),
)  # fmt: skip
KEYS = ["title", "table", "start", "end", "anchor", "article", "presets", "narratives", "bands",
        "categories", "label", "events", "colour", "highlight", "order", "event", "id"]  # fmt: skip


@st.composite
def story_texts(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            lines.append(f"[[{draw(st.sampled_from(['presets', 'narratives', 'bands']))}]]")
        elif kind == 1:
            lines.append(f"[categories.{draw(st.sampled_from(['x', 'y', 'zz']))}]")
        lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(TOML_VALUES)}")
    return "\n".join(lines) + "\n"


@FAST
@given(text=st.one_of(story_texts(), st.text(max_size=200)))
def test_any_story_file_never_raises_and_reports_as_file_key(text):
    story = parse_story(text, file="story.toml", folder=Path("."), events=EVENTS)
    problems = story.problems
    assert tuple(problems.columns) == PROBLEMS.names
    assert (problems["file"] == "story.toml").all()
    assert problems["row"].isna().all()  # a story file has keys, not rows
    for _, p in problems.iterrows():
        assert P.format_problem(p).startswith("story.toml")
    whole = story.whole
    assert pd.Timestamp("0001-01-01", tz="UTC") <= whole.start < whole.end
    assert len({w.label for w in story.windows}) == len(story.windows)
