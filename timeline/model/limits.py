"""Every bound on what one file may make this tool do, in one place (the README's "Limits").

A file from outside decides how much is read, parsed and kept; these bounds decide how much
that may be. Past each, the file (or the part past the bound) is refused with a message that
says which bound and how to get under it; rows within the bound still load.

The numbers were measured on the 2-core machine this was built on; see the README.
"""

from __future__ import annotations

from geodata.untrusted import MAX_JSON_DEPTH

#: A table file is read whole: larger ones are refused by their size alone, before a byte is
#: read or hashed. Reading takes about 15-21 times the file in memory at its peak (a CSV of a
#: million events, 87 MB: 1.4 GB; a GeoJSON of 300,000, 63 MB: 1.3 GB), so a gigabyte, about
#: ten million events of CSV (the engine's in-memory limit), is as far as one machine goes.
MAX_TABLE_BYTES = 1_000_000_000

#: Columns of a table (CSV, TSV, a workbook's sheet) and distinct fields of a JSON file's
#: records: the columns past it are left out, with one problem. Every column costs
#: milliseconds of checking and storing, whatever its rows: 100,000 columns took minutes.
MAX_COLUMNS = 1_000

#: A workbook (.xlsx) is a zip of XML: refused before reading when its parts would inflate to
#: more than this many times the file (real workbooks: 5-20 times; a bomb: 1,000) ...
WORKBOOK_EXPANSION = 100
#: ... or to more than this in all (openpyxl reads about 3 MB of sheet XML a second).
WORKBOOK_MAX_BYTES = 200_000_000
#: Cells read from a workbook's sheets in all, empty ones too: the rows past it are left out,
#: with one problem (save the sheet as CSV to read it whole): about 30 s of openpyxl, 0.5 GB.
WORKBOOK_MAX_CELLS = 1_000_000

#: Nesting of arrays and objects in any JSON read (a file, an extra cell, a server's answer).
JSON_DEPTH = MAX_JSON_DEPTH

#: A source text a quote cites (an article, not a dump) is not read past this.
MAX_SOURCE_BYTES = 20_000_000
#: A story's own gazetteer (places.csv) is not read past this (about a million places).
MAX_GAZETTEER_BYTES = 100_000_000
#: Files beside a table larger than this are no part of its store key (the gazetteer always is).
SIDE_FILE_LIMIT = 10_000_000


def size_text(n: int) -> str:
    """A size in words for a message: "4.2 GB", "0.8 MB", "120 bytes"."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n} bytes"


__all__ = [
    "JSON_DEPTH",
    "MAX_COLUMNS",
    "MAX_GAZETTEER_BYTES",
    "MAX_SOURCE_BYTES",
    "MAX_TABLE_BYTES",
    "SIDE_FILE_LIMIT",
    "WORKBOOK_EXPANSION",
    "WORKBOOK_MAX_BYTES",
    "WORKBOOK_MAX_CELLS",
    "size_text",
]
