"""Decompression bombs (issue 16, class 1): a workbook whose parts would inflate past the bounds
is refused from the zip's directory, before a byte is inflated, whichever way it arrives (a
mapping file, detection as a TimeMap workbook, the upload box, the app); a workbook within them
is read up to the cell budget, the rows past it left out with one line."""

from __future__ import annotations

import io
import os
import time
import zipfile

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile import APP, cli, lines
from streamlit.testing.v1 import AppTest

from timeline.ingest.files import open_table, parse_events
from timeline.ingest.readers import ReadOptions, _sheets, ourparquet
from timeline.model.limits import WORKBOOK_EXPANSION

CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Events" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org'
    b'/spreadsheetml/2006/main"><sheetData><row r="1"><c t="inlineStr"><is><t>id</t></is></c>'
    b'<c t="inlineStr"><is><t>description</t></is></c><c t="inlineStr"><is><t>date</t></is>'
    b"</c></row>"
)
ROW = (
    b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>A strike.</t></is>'
    b'</c><c t="inlineStr"><is><t>03/18/2025</t></is></c></row>'
)


def bomb(megabytes: int, *, padding: int = 0) -> bytes:
    """A valid TimeMap workbook (Events: id, description, date) whose one sheet inflates to
    about `megabytes` MB of rows; `padding` bytes that do not compress lower its ratio."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        if padding:
            z.writestr("xl/media/image1.bin", os.urandom(padding), zipfile.ZIP_STORED)
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(HEAD)
            chunk = ROW * (1_000_000 // len(ROW))
            for _ in range(megabytes):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bombed(tmp_path_factory):
    """50 MB of rows in a file of about 200 KB: 250 times, past the bound of 100."""
    path = tmp_path_factory.mktemp("bomb") / "timemap.xlsx"
    path.write_bytes(bomb(50))
    return path


MAPPING = {"date": "date", "date_format": "%m/%d/%Y", "title": "description"}


def test_a_bomb_through_a_mapping_file_is_refused_at_once(bombed):
    started = time.monotonic()
    table = open_table(bombed, options=ReadOptions(mapping=MAPPING, mapping_file="map.toml"))
    assert time.monotonic() - started < 5
    assert table.events.empty
    (line,) = lines(table)
    assert line.startswith(f"{bombed}: is a workbook whose parts would inflate to 50.")
    assert f"at most {WORKBOOK_EXPANSION} times the file" in line


def test_a_bomb_detected_as_a_timemap_workbook_or_dropped_on_the_upload_box(bombed):
    data = bombed.read_bytes()
    for fmt in (None, "timemap-xlsx", "mapped"):
        started = time.monotonic()
        table = parse_events(data, file="dropped.xlsx", fmt=fmt)
        assert time.monotonic() - started < 5
        assert table.events.empty
        assert "would inflate" in " ".join(lines(table)), lines(table)
    assert _sheets.sheet_names(data) is None  # a sniffer never inflates it either


def test_the_cli_says_it_in_one_line(bombed):
    run = cli("validate", bombed)
    assert run.code == 1
    assert f"{bombed}: is a workbook whose parts would inflate" in run.err


def test_the_app_says_it_on_the_page(bombed, monkeypatch):
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(bombed))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("no event that could be loaded" in e.value for e in at.error)


def test_an_absolute_bound_holds_for_a_large_workbook_of_modest_ratio(monkeypatch):
    monkeypatch.setattr(_sheets, "WORKBOOK_MAX_BYTES", 20_000_000)
    data = bomb(25, padding=500_000)
    assert len(data) * WORKBOOK_EXPANSION > 25_000_000  # the ratio alone would let it pass
    table = parse_events(data, file="big.xlsx", fmt=None)
    assert "20.0 MB in all" in " ".join(lines(table))


def test_a_workbook_past_the_cell_budget_keeps_the_rows_before_it(monkeypatch, tmp_path):
    monkeypatch.setattr(_sheets, "WORKBOOK_MAX_CELLS", 300)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Events"
    sheet.append(["id", "description", "date"])
    for i in range(200):
        sheet.append([f"e{i}", f"Strike {i}.", "03/18/2025"])
    path = tmp_path / "timemap.xlsx"
    book.save(path)
    table = open_table(path)
    assert len(table.events) == 99  # 300 cells: the header and 99 rows of three
    cut = table.problems[table.problems["problem"].str.startswith("reading stopped at row 101")]
    assert len(cut) == 1, lines(table)
    assert "Save the sheet as CSV UTF-8" in cut.iloc[0]["problem"]


# --- Parquet: compression and dictionaries ----------------------------------------------------


@pytest.mark.parametrize("dictionary", [True, False], ids=["dictionary", "plain"])
def test_a_parquet_table_that_would_decode_past_the_bound_is_refused(
    tmp_path, monkeypatch, dictionary
):
    """A value repeated is stored once (dictionary) or compressed to nothing (zstd): 0.4 MB of
    our Parquet decoded to 2.1 GB of text (51 s and 7.5 GB before). Measured before decoding."""
    monkeypatch.setattr(ourparquet, "MAX_TABLE_BYTES", 10_000_000)
    n = 20_000
    table = pa.table(
        {
            "id": [f"e{i}" for i in range(n)],
            "title": ["x" * 1000] * n,  # 20 MB of text once decoded
            "start": ["2025-03-18T10:00+00:00"] * n,
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, compression="zstd", use_dictionary=dictionary)
    assert path.stat().st_size < 1_000_000
    opened = open_table(path)
    assert opened.events.empty
    assert "of text from" in lines(opened)[0] and "Nothing was loaded" in lines(opened)[0]
    monkeypatch.setattr(ourparquet, "MAX_TABLE_BYTES", 100_000_000)
    assert len(open_table(path).events) == n  # within the bound: every row
