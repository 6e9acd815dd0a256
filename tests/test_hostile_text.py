"""Text that is not text (issue 16, class 4): terminal controls in column names, mapping keys,
file names, cells and gazetteer credits reach the terminal escaped; ids that differ by a
character that shows nothing or reorders the text are reported like the other look-alikes;
a UTF-16 (or UTF-32) file is called what it is, with the way to UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hostile import ROOT, cli, find, lines

from geodata.untrusted import escape_controls, is_hidden
from timeline.ingest.files import open_table, parse_events

T0 = "2025-03-18T14:00+00:00"
#: Sequences a terminal obeys: retitle the window (OSC 0), clear the screen, C1 CSI, bell,
#: a right-to-left override and a line separator.
ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\x9b31m", "\u202e", "\u2028", "\x7f"]
RAW = ["\x1b", "\x07", "\x9b", "\u202e", "\u2028", "\x7f"]


def assert_no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text[-2000:])


@pytest.mark.parametrize("escape", ESCAPES)
def test_validate_echoes_column_names_cells_and_file_names_escaped(tmp_path, escape):
    folder = tmp_path / f"story{escape}"
    folder.mkdir()
    path = folder / f"ev{escape}ents.csv"
    path.write_text(
        f"id,title,start,col{escape}umn,places\n"
        f"a{escape},A,{T0},x,Nowhere{escape}ville\n"
        f"b,B,not a{escape} date,y,\n",
        "utf-8",
    )
    run = cli("validate", path)
    assert run.code == 1
    assert_no_raw_controls(run.err)
    shown = escape_controls(escape)
    assert f"col{shown}umn" in run.err  # the unknown column, named
    assert f"ev{shown}ents.csv" in run.err  # the file, named
    assert f"not a{shown} date" in run.err  # the bad cell


def test_mapping_keys_and_values_are_escaped(tmp_path):
    table = tmp_path / "monitor.csv"
    table.write_text("when,what\n2025-03-18,A\n", "utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'date = "when"\ntitle = "wh\\u001b]0;x\\u0007at"\n"bad\\u001b[2Jkey" = "x"\n', "utf-8"
    )
    run = cli("validate", table, "--mapping", mapping)
    assert_no_raw_controls(run.err)
    assert "bad\\x1b[2Jkey" in run.err


def test_geodata_lookup_escapes_the_name_and_the_gazetteer_s_credit(tmp_path):
    gazetteer = tmp_path / "g.csv"
    gazetteer.write_text(
        "name,aliases,country,lat,lon,precision,timezone,source,credit,note\n"
        "Ritzville,,US,47.1,-118.4,town,,Survey 1,\u202eCC BY\x1b]0;x\x07,\n",
        "utf-8",
    )
    env = os.environ | {"PYTHONUTF8": "1", "TIMELINE_MAP_CACHE_DIR": str(tmp_path / "cache")}
    for name, status in (("Ritzville", 0), ("Nowhere\x1b[2J", 1)):
        done = subprocess.run(
            [sys.executable, "-m", "geodata", "lookup", name, "--gazetteer", str(gazetteer)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert done.returncode == status, done.stderr
        assert_no_raw_controls(done.stdout + done.stderr)
    assert "\\u202eCC BY\\x1b]0;x\\x07" in done.stdout or status == 1


@pytest.mark.parametrize(
    "char", ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
             "\u2067", "\u2068", "\u2069", "\u180e", "\u3164", "\u115f", "\ufeff", "\u061c"],
)  # fmt: skip
def test_ids_that_differ_by_a_hidden_character_are_reported_like_other_look_alikes(char):
    assert is_hidden(char)
    text = f"id,title,start\nsumy-strike,A,{T0}\nsumy{char}-strike,B,{T0}\nplain{char},C,{T0}\n"
    table = parse_events(text)
    assert len(table.events) == 3  # both load: the report says which to rename
    clash = find(table, "id", 3, text="looks the same as the id 'sumy-strike'")
    assert clash["kept"]
    said = find(table, "id", 4, text=f"U+{ord(char):04X}")
    assert "shows nothing or reorders" in said["problem"]


def test_an_id_reversed_by_an_override_is_reported_though_no_other_id_matches():
    table = parse_events(f"id,title,start\n\u202eekirts,A,{T0}\n")
    find(table, "id", 2, text="U+202E")


ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("fmt", [None, "curated", "acled", "geojson"])
def test_a_utf16_file_is_called_utf16_and_asked_for_as_utf8(encoding, fmt):
    data = f"id,title,start\na,Café,{T0}\n".encode(encoding)
    table = parse_events(data, fmt=fmt)
    assert table.events.empty
    (line,) = lines(table)
    name = "UTF-32" if "32" in encoding else "UTF-16"
    assert f"is {name} text" in line and "save it as UTF-8" in line, line


def test_the_cli_and_a_story_folder_say_utf16_too(tmp_path):
    (tmp_path / "events.csv").write_bytes(f"id,title,start\na,A,{T0}\n".encode("utf-16"))
    run = cli("validate", tmp_path)
    assert "is UTF-16 text" in run.err
    assert "no format this tool reads" not in run.err
    assert open_table(tmp_path).events.empty
