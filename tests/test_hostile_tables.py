"""Hostile event tables (issue 10, "The event table"): every class gets a clear message naming
the file, the row as a spreadsheet counts it and the column; no traceback; and every good row
still loads (rows in = rows loaded + distinct rows reported as not loaded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from hostile import (
    APP,
    HEADER,
    ROOT,
    assert_accounted,
    assert_names,
    cli,
    find,
    lines,
)
from streamlit.testing.v1 import AppTest

from timeline.cli import main
from timeline.ingest.files import open_table
from timeline.model import problems as P

T0 = "2025-03-18T14:00+00:00"
T1 = "2025-03-18T15:00+00:00"
T2 = "2025-03-18T16:00+00:00"


def write(folder, name: str, data: str | bytes):
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- export with no row loaded ---------------------------------------------------------------

NOTHING_LOADS = {
    "empty": b"",
    "header-only": b"id,title,start\n",
    "every-row-rejected": f"id,title,start\na,A,not a date\nb,,{T0}\n".encode(),
    "not-utf8": f"id,title,start\na,Caf\xe9,{T0}\n".encode("latin-1"),
    "missing-required-column": b"id,title\na,A\nb,B\n",
}


@pytest.mark.parametrize("case", list(NOTHING_LOADS))
def test_export_with_no_row_loaded_prints_valid_empty_json_and_exits_1(tmp_path, case):
    path = write(tmp_path, "events.csv", NOTHING_LOADS[case])
    run = cli("export", path, "--format", "json")
    assert run.code == 1, run.err
    assert str(path) in run.err  # the problem names the file
    assert json.loads(run.out)["events"] == [], run.out


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
@pytest.mark.parametrize("case", list(NOTHING_LOADS))
def test_export_with_no_row_loaded_in_every_format(tmp_path, capsys, case, fmt):
    """In process (a subprocess each would cost a minute); the tracebacks are checked above."""
    path = write(tmp_path, "events.csv", NOTHING_LOADS[case])
    assert main(["export", str(path), "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "csv":
        assert out.splitlines()[0].startswith("id,title"), out  # the header, no data
        assert len(out.splitlines()) == 1, out
    else:
        assert json.loads(out)["features"] == [], out


@pytest.mark.parametrize("case", ["every-row-rejected", "missing-required-column"])
def test_nothing_loaded_names_row_and_column(tmp_path, case):
    path = write(tmp_path, "events.csv", NOTHING_LOADS[case])
    table = open_table(path, fmt="curated")
    assert table.events.empty
    if case == "every-row-rejected":
        assert_names(find(table, "start", 2), path, 2, "start")
        assert_names(find(table, "title", 3), path, 3, "title")
    else:
        # The sniff refuses it before the reader: the file and the missing column are named.
        assert any(
            line.startswith(f"{path}: ") and "has no column start" in line for line in lines(table)
        ), lines(table)


@pytest.mark.parametrize("case", ["empty", "every-row-rejected", "missing-required-column"])
def test_nothing_loaded_accounts_for_every_row(tmp_path, case):
    table = open_table(write(tmp_path, "events.csv", NOTHING_LOADS[case]), fmt="curated")
    assert_accounted(table)


@pytest.mark.parametrize("case", ["header-only", "not-utf8"])
def test_a_file_refused_whole_accounts_for_its_rows(tmp_path, case):
    table = open_table(write(tmp_path, "events.csv", NOTHING_LOADS[case]), fmt="curated")
    assert table.events.empty
    assert_accounted(table)


def test_not_utf8_names_the_row_of_the_bad_byte(tmp_path):
    data = f"id,title,start\na,A,{T0}\nb,Caf\xe9,{T1}\n".encode("latin-1")
    path = write(tmp_path, "events.csv", data)
    run = cli("validate", path)
    assert run.code == 1
    # The whole file is refused, so the location is the file; the words name the row.
    assert f"{path}: is not UTF-8 (byte 0xe9 at row 3)" in run.err, run.err


# --- source files: a NUL in the name, a named pipe ---------------------------------------------


def test_nul_in_a_source_file_name_gives_no_traceback(tmp_path):
    path = write(
        tmp_path,
        "events.csv",
        f"{HEADER}\na,A,{T0},,,,\nb,B,{T1},art\x00icle.txt,He said so.,,\nc,C,{T2},,,,\n",
    )
    run = cli("validate", path)
    assert run.code == 1
    assert f"{path}:3" in run.err, run.err


def test_nul_in_a_source_file_name_is_a_problem_of_its_cell_and_the_rest_loads(tmp_path):
    path = write(
        tmp_path,
        "events.csv",
        f"{HEADER}\na,A,{T0},,,,\nb,B,{T1},art\x00icle.txt,He said so.,,\nc,C,{T2},,,,\n",
    )
    table = open_table(path)
    assert {"a", "c"} <= set(table.events["id"])
    assert_names(find(table, "source_file", 3), path, 3, "source_file")
    assert_accounted(table)


def test_nul_in_a_source_file_name_of_our_json_is_refused_on_its_row(tmp_path):
    """Our JSON carries a NUL as \\u0000: it reaches the source check, which must refuse it."""
    source = write(tmp_path, "events.csv", f"{HEADER}\na,A,{T0},,,,\nb,B,{T1},x.txt,Q,,\n")
    run = cli("export", source, "--format", "json")
    doc = json.loads(run.out)
    for event in doc["events"]:
        if event["id"] == "b":
            event["source_file"] = "art\u0000icle.txt"
    path = write(tmp_path, "events.json", json.dumps(doc))
    table = open_table(path)
    assert set(table.events["id"]) == {"a", "b"}
    p = find(table, "source_file", text="control character")
    assert p["row"] == 2 and p["kept"]
    assert_accounted(table)
    assert "Traceback" not in cli("validate", path).err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_source_file_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "article.txt")
    write(tmp_path, "ok.txt", "He said so.")
    path = write(
        tmp_path,
        "events.csv",
        f"{HEADER}\na,A,{T0},article.txt,He said so.,,\nb,B,{T1},ok.txt,He said so.,,\n",
    )
    run = cli("validate", path, timeout=60)  # a hang fails here with TimeoutExpired
    assert run.code == 1
    assert f"{path}:2:source_file: is not a regular file" in run.err, run.err
    table = open_table(path)
    assert set(table.events["id"]) == {"a", "b"}
    assert table.events.set_index("id").loc["b", "quote_verified"]
    assert_accounted(table)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_the_table_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "events.csv")
    run = cli("validate", tmp_path / "events.csv", timeout=60)
    assert run.code == 1
    assert "is not a regular file" in run.err


# --- CSV syntax: a lone CR, blank lines ----------------------------------------------------------


def test_a_lone_cr_inside_a_quoted_cell_stays_in_its_cell(tmp_path):
    path = write(
        tmp_path,
        "events.csv",
        f'{HEADER}\na,A,{T0},,,,"one\rtwo"\nb,B,{T1},,,,plain\nc,C,{T2},,,,"x\r\ny"\n',
    )
    table = open_table(path)
    assert list(table.events["id"]) == ["a", "b", "c"]
    summaries = table.events.set_index("id")["summary"]
    assert summaries["a"] == "one\rtwo"
    assert summaries["c"] == "x\r\ny"
    assert table.problems.empty, lines(table)
    assert_accounted(table)


@pytest.mark.parametrize("padding", [0, 12_000], ids=["small", "past-a-megabyte"])
def test_a_lone_cr_and_a_cell_past_the_csv_modules_field_limit_both_load(tmp_path, padding):
    # A lone CR sends a table to Python's csv module, whose cells stop at 131,072 characters
    # unless raised; past a megabyte, pyarrow's reader reads it instead.
    big = "x" * 140_000
    rows = [f'a,A,{T0},,,,"one\rtwo"', f"b,B,{T1},,,,{big}"]
    rows += [f"p{i},P,{T2},,,,{'p' * 80}" for i in range(padding)]
    path = write(tmp_path, "events.csv", "\n".join([HEADER, *rows]) + "\n")
    table = open_table(path)
    summaries = table.events.set_index("id")["summary"]
    assert summaries["a"] == "one\rtwo" and summaries["b"] == big
    assert len(table.events) == 2 + padding
    assert table.problems.empty, lines(table)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("lone_cr", [False, True], ids=["c-parser", "csv-module"])
def test_blank_lines_before_a_bad_row_keep_the_spreadsheet_row(tmp_path, newline, lone_cr):
    summary = '"x\ry"' if lone_cr else "x"
    body = [HEADER, f"a,A,{T0},,,,{summary}", "", "", "b,B,not a date,,,,", "", f"c,C,{T2},,,,"]
    path = write(tmp_path, "events.csv", newline.join(body) + newline)
    table = open_table(path)
    assert list(table.events["id"]) == ["a", "c"]
    assert_names(find(table, "start", 5), path, 5, "start")
    assert table.events.set_index("id").loc["c", "row"] == 7
    assert_accounted(table)


def test_a_quoted_line_break_is_one_row_and_later_rows_count_as_records(tmp_path):
    path = write(
        tmp_path, "events.csv", f'{HEADER}\na,A,{T0},,,,"two\nlines"\nb,B,bad,,,,\nc,C,{T2},,,,\n'
    )
    table = open_table(path)
    assert_names(find(table, "start", 3), path, 3, "start")
    assert_accounted(table)


# --- ids that look the same --------------------------------------------------------------------

LOOK_ALIKES = {
    "case": ("sumy-strike", "Sumy-Strike"),
    "nfc-vs-nfd": ("caf\u00e9", "cafe\u0301"),
    "zero-width": ("kyiv", "ky\u200biv"),
    "cyrillic-letter": ("pop", "\u0440\u043e\u0440"),  # р о р
}


@pytest.mark.parametrize(
    "case",
    [
        *LOOK_ALIKES,
    ],
)
def test_ids_that_differ_only_invisibly_are_reported_and_both_kept(tmp_path, case):
    first, second = LOOK_ALIKES[case]
    path = write(
        tmp_path, "events.csv", f"{HEADER}\n{first},A,{T0},,,,\nz,Z,{T1},,,,\n{second},B,{T2},,,,\n"
    )
    table = open_table(path)
    assert list(table.events["id"]) == [first, "z", second]
    p = find(table, "id", 4, text="looks the same")
    assert_names(p, path, 4, "id")
    assert p["kept"]
    assert_accounted(table)


def test_an_exact_duplicate_id_is_not_loaded_and_named(tmp_path):
    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,{T0},,,,\na,B,{T1},,,,\n")
    table = open_table(path)
    assert list(table.events["title"]) == ["A"]
    assert_names(find(table, "id", 3, text="duplicates"), path, 3, "id")
    assert_accounted(table)


# --- links -----------------------------------------------------------------------------------


def test_a_link_to_itself_is_reported_and_left_out(tmp_path):
    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,{T0},,,after:a,\nb,B,{T1},,,after:a,\n")
    table = open_table(path)
    assert_names(find(table, "related", 2, text="itself"), path, 2, "related")
    assert list(zip(table.links["source_id"], table.links["target_id"], strict=True)) == [
        ("b", "a")
    ]
    assert_accounted(table)


REPEATED_LINK = f"{HEADER}\na,A,{T0},,,,\nb,B,{T1},,,after:a; after:a;follows_from:a,\n"


def test_a_link_repeated_in_one_cell_is_reported_by_validate(tmp_path):
    path = write(tmp_path, "events.csv", REPEATED_LINK)
    run = cli("validate", path)
    assert run.code == 1
    assert f"{path}:3:related: repeats a link given before" in run.err, run.err
    table = open_table(path)
    assert len(table.links) == 2  # after:a once, follows_from:a
    assert_accounted(table)


def test_the_app_selects_an_event_with_a_repeated_link(tmp_path, monkeypatch):
    write(tmp_path, "events.csv", REPEATED_LINK)
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["event"] = "b"
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert sum("after → A" in label for label in labels) == 1, labels
    # and from the other end: both links show on a's card, each once
    link = next(b for b in at.button if "after → A" in b.label)
    link.click().run()
    assert not at.exception
    assert sum("after this" in b.label for b in at.button) == 1, [b.label for b in at.button]


# --- the CLI stays clean on every class at once --------------------------------------------------


def test_validate_on_a_folder_of_hostile_tables_never_tracebacks(tmp_path):
    """One subprocess per file would cost a minute; the in-process checks above cover the rest.
    This runs the real command over the cases that once gave tracebacks."""
    for name, data in {**NOTHING_LOADS, "cr": f'{HEADER}\na,A,{T0},,,,"x\ry"\n'.encode()}.items():
        folder = tmp_path / name
        folder.mkdir()
        write(folder, "events.csv", data)
    script = (
        "import sys, pathlib\nfrom timeline.cli import main\n"
        "for f in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    for cmd in ('validate', 'export'):\n"
        "        print(f.name, cmd, main([cmd, str(f)]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    codes = dict(
        ((w[0], w[1]), w[2])
        for w in (line.split() for line in done.stderr.splitlines())
        if len(w) == 3 and w[1] in ("validate", "export")
    )
    assert codes[("cr", "validate")] == "0" and codes[("cr", "export")] == "0", codes
    assert all(codes[(n, c)] == "1" for n in NOTHING_LOADS for c in ("validate", "export")), codes


# --- found by the property tests and the app's sweep -----------------------------------------


def test_a_row_with_more_cells_than_the_header_is_counted_in(tmp_path):
    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,{T0},,,,,x,y\nb,B,{T1},,,,\n")
    table = open_table(path)
    assert list(table.events["id"]) == ["b"]
    line = P.format_problem(find(table, "", 2, text="more cells than the header"))
    assert line.startswith(f"{path}:2: has more cells than the header"), line
    assert_accounted(table)


@pytest.mark.parametrize("key", ["links", "places"])
def test_our_json_with_links_or_places_not_a_list_is_a_problem_of_its_record(tmp_path, key):
    doc = {
        "generator": "timeline-map",
        "version": 1,
        "events": [{"id": "a", "title": "A", "start": T0}, {"id": "b", "title": "B",
                                                            "start": T1, key: 3}],
    }  # fmt: skip
    table = open_table(write(tmp_path, "events.json", json.dumps(doc)))
    assert set(table.events["id"]) == {"a", "b"}
    assert (table.problems["row"] == 2).any()
    assert_accounted(table)


def test_a_start_in_nanoseconds_keeps_its_row_to_the_microsecond_with_a_note(tmp_path):
    given = "2025-03-18T22:30:00.123456789+02:00"
    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,{given},,,,\n")
    table = open_table(path)
    assert list(table.events["id"]) == ["a"]
    assert table.events["start"].iloc[0] == pd.Timestamp("2025-03-18T20:30:00.123456Z")
    note = find(table, "start", 2, text="past the microsecond")
    assert note["kept"] and note["value"] == given
    assert_names(note, path, 2, "start")
    assert_accounted(table)


def test_a_day_on_the_last_day_of_9999_loads(tmp_path):
    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,9999-12-31T00:00+00:00,,,,\n"
                                         "b,B,9999-12-31,,,,\n")  # fmt: skip
    table = open_table(path, options=None)
    assert set(table.events["id"]) == {"a", "b"}, lines(table)


EMPTY_OF_EACH = {
    "acled": ("acled.csv", "acled_current.csv"),
    "ucdp": ("ged.csv", "ucdp_ged.csv"),
    "timemap-csv": ("timemap.csv", "timemap-events.csv"),
    "timelinejs-csv": ("tjs.csv", "timelinejs-template.csv"),
    "geojson": ("x.geojson", '{"type": "FeatureCollection", "features": []}'),
    "json": ("x.json", '{"generator": "timeline-map", "version": 1, "events": []}'),
}


def test_a_file_with_no_records_says_so_in_every_format(tmp_path):
    silent = []
    for fmt, (name, source) in EMPTY_OF_EACH.items():
        if source.endswith((".csv", ".json")) and "{" not in source:
            data = (ROOT / "tests/data/formats" / source).read_bytes().split(b"\n")[0] + b"\n"
        else:
            data = source.encode()
        table = open_table(write(tmp_path, name, data), fmt=fmt)
        assert table.events.empty
        if table.problems.empty:
            silent.append(fmt)
    assert not silent, f"no problem reported for an empty file of: {silent}"


def test_timelinejs_with_a_number_for_title_text_and_eras_still_loads(tmp_path):
    doc = {
        "title": {"text": 1},
        "eras": 5,
        "events": [
            {"start_date": {"year": 2025, "month": 3, "day": 18}, "text": {"headline": "A"}},
            {"start_date": {"year": 2025, "month": 3, "day": 19}, "text": 7},
            {"start_date": "no date", "text": {"headline": "C"}},
        ],
    }
    path = write(tmp_path, "timeline.json", json.dumps(doc))
    table = open_table(path)
    assert len(table.events) == 2
    assert_names(find(table, "start_date", 3), path, 3, "start_date")
    assert_accounted(table)


def test_related_cells_without_a_colon_are_reported_without_a_pandas_warning(tmp_path):
    import warnings

    import pandas as pd

    path = write(tmp_path, "events.csv", f"{HEADER}\na,A,{T0},,,nonsense,\nb,B,{T1},,,,\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.Pandas4Warning)
        table = open_table(path)
    assert_names(find(table, "related", 2, text="RELATION:EVENT_ID"), path, 2, "related")
