"""The mapping file: a short TOML file that names the columns of any spreadsheet.

    date = "date"
    date_format = "%Y-%m-%d"
    title = "title"
    lat = "lat"
    lon = "lon"
    country = "country"

Every key is in `KEYS`, with what it takes and what it means; the README's "Mapping file"
section describes each one (a test checks that). `read_mapping` parses and checks a mapping
file; `check_mapping` checks one already parsed (what `ReadOptions.mapping` holds), and
`check_columns` checks it against the columns of the data. Every message names the mapping
file and the key. A bad key is left out with its problem; the rest of the mapping still works.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass

import pandas as pd

from timeline.model import problems as P
from timeline.model.vocab import CLAIM_STATUSES, PLACE_PRECISIONS, TIME_PRECISIONS


@dataclass(frozen=True)
class Key:
    #: "column" (a column name of the data), "text", "time_precision", "place_precision",
    #: "zone", "date_format", "time_format", "delimiter", or "codes:<vocabulary>" (a table
    #: from the data's codes to our words).
    kind: str
    help: str


#: Every key a mapping file may have. The order is the README's.
KEYS: dict[str, Key] = {
    "sheet": Key("text", "the workbook sheet to read (.xlsx); default: the first sheet"),
    "delimiter": Key("delimiter", 'the cell separator of a text table; default "," (tab for .tsv)'),
    "id": Key("column", "the column of each event's unique id; default: row-N"),
    "title": Key("column", "the column of the title; default: the start of the summary"),
    "summary": Key("column", "the column of a sentence or two on the event"),
    "date": Key("column", "the column of the date (or date and time) of the start (required)"),
    "date_format": Key(
        "date_format",
        '"iso" (2022-01-01, 2022-01-01T10:30, with or without an offset) or a strptime '
        'pattern such as "%d/%m/%Y"; default "iso"; also used for end_date',
    ),
    "time": Key("column", "the column of a time of day, when the date column has none"),
    "time_format": Key(
        "time_format", "strptime pattern of the time column; default: 14:30, 14:30:05 or 2:30 PM"
    ),
    "end_date": Key("column", "the column of the end (a bare date means the end of that day)"),
    "precision": Key("time_precision", 'one time precision for every row, e.g. "day"'),
    "precision_column": Key("column", "the column that gives each row's time precision"),
    "precision_codes": Key(
        "codes:time_precision", "table from precision_column's codes to time precisions"
    ),
    "timezone": Key("zone", 'one IANA zone for every row, e.g. "Europe/Kyiv"'),
    "timezone_column": Key("column", "the column of each row's IANA zone"),
    "place": Key("column", "the column of the place name (looked up when there is no lat/lon)"),
    "country": Key("column", "the column of the country: ISO 3166 code or English name"),
    "region": Key("column", "the column of the first-level region (oblast, state)"),
    "lat": Key("column", "the column of the latitude, decimal degrees"),
    "lon": Key("column", "the column of the longitude, decimal degrees"),
    "place_precision": Key("place_precision", 'one place precision for every row, e.g. "town"'),
    "place_precision_column": Key("column", "the column that gives each row's place precision"),
    "place_precision_codes": Key(
        "codes:place_precision", "table from place_precision_column's codes to place precisions"
    ),
    "category": Key("column", "the column of the category (any text)"),
    "actors": Key("column", "the column of who acted"),
    "reported_by": Key("column", "the column of who reports or claims it"),
    "claim_status": Key("column", "the column of confirmed / claimed / disputed"),
    "quote": Key("column", "the column of the source's sentence, verbatim"),
    "source_file": Key("column", "the column of the source's file name"),
    "further_sources": Key("column", "the column of further sources (outlets, URLs)"),
    "notes": Key("column", "the column of anything else a reader should know"),
}
REQUIRED_KEYS = ("date",)
#: Vocabularies that code tables map to.
_VOCABULARIES = {"time_precision": tuple(TIME_PRECISIONS), "place_precision": PLACE_PRECISIONS}
#: Keys that take one value for every row, and the key that takes it from a column instead.
EITHER = {
    "precision": "precision_column",
    "timezone": "timezone_column",
    "place_precision": "place_precision_column",
}
__all__ = [
    "CLAIM_STATUSES",
    "KEYS",
    "REQUIRED_KEYS",
    "Key",
    "check_columns",
    "check_mapping",
    "column_keys",
    "read_mapping",
]


def _problem(file: str, key: str, text: str, *, fatal: bool = False) -> pd.DataFrame:
    found = P.file_problem(file, text, column=key)
    found["kept"] = not fatal
    return found


def read_mapping(text: str | bytes, file: str) -> tuple[dict, pd.DataFrame]:
    """The checked mapping of a TOML text, and its problems (naming `file` and the key)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            return {}, _problem(file, "", "is not UTF-8 text", fatal=True)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, _problem(file, "", f"is not valid TOML: {exc}", fatal=True)
    return check_mapping(raw, file)


def check_mapping(raw: dict, file: str) -> tuple[dict, pd.DataFrame]:
    """Only the valid keys of a parsed mapping, and a problem for each bad or unknown one."""
    file = file or "the mapping"
    found, good = [], {}
    for key, value in raw.items():
        spec = KEYS.get(key)
        if spec is None:
            found.append(
                _problem(
                    file,
                    key,
                    f"{key} is not a mapping key; it is ignored. Keys: " + ", ".join(KEYS),
                )
            )
            continue
        why = _check_value(spec.kind, value)
        if why:
            found.append(_problem(file, key, f"{key} {why}; it is ignored"))
            continue
        if isinstance(value, dict):
            value = dict(value)
        elif spec.kind != "delimiter":  # a tab must stay a tab
            value = value.strip()
        good[key] = value
    for fixed, column in EITHER.items():
        if fixed in good and column in good:
            found.append(
                _problem(file, fixed, f"{fixed} and {column} are both given; {column} is used")
            )
            del good[fixed]
    for key in REQUIRED_KEYS:
        if key not in good:
            found.append(
                _problem(file, key, f"{key} is required: name the column that holds it", fatal=True)
            )
    return good, P.combine(found)


def _check_value(kind: str, value) -> str:
    """Why `value` does not fit `kind`, or ""."""
    if kind.startswith("codes:"):
        words = _VOCABULARIES[kind.removeprefix("codes:")]
        if not isinstance(value, dict):
            return 'must be a table such as { "1" = "day" }'
        wrong = [f"{k} = {v!r}" for k, v in value.items() if v not in words]
        return f"maps {', '.join(wrong)}: each must be one of {', '.join(words)}" if wrong else ""
    if not isinstance(value, str):
        return f"must be text in quotes, not {type(value).__name__} {value!r}"
    if kind == "column" or kind == "text":
        return "" if value.strip() else "is empty"
    if kind == "time_precision" and value not in TIME_PRECISIONS:
        return f"is {value!r}, not one of: {', '.join(TIME_PRECISIONS)}"
    if kind == "place_precision" and value not in PLACE_PRECISIONS:
        return f"is {value!r}, not one of: {', '.join(PLACE_PRECISIONS)}"
    if kind == "zone" and not is_zone(value):
        return f"is {value!r}, not an IANA time zone such as Europe/Kyiv"
    if kind == "date_format" and value != "iso" and "%" not in value:
        return f'is {value!r}: give "iso" or a strptime pattern such as "%d/%m/%Y"'
    if kind == "time_format" and "%" not in value:
        return f'is {value!r}: give a strptime pattern such as "%H:%M"'
    if kind == "delimiter" and len(value) != 1:
        return f'is {value!r}: give one character such as "," or "\\t"'
    return ""


def is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def column_keys(mapping: dict) -> dict[str, str]:
    """{key: column} of the keys of `mapping` that name a column of the data."""
    return {k: v for k, v in mapping.items() if KEYS[k].kind == "column"}


def check_columns(
    mapping: dict, columns, mapping_file: str, data_file: str
) -> tuple[dict, pd.DataFrame]:
    """The mapping without keys naming a column the data lacks, and a problem for each."""
    mapping_file = mapping_file or "the mapping"
    have = list(columns)
    found, good = [], dict(mapping)
    for key, column in column_keys(mapping).items():
        if column not in have:
            found.append(
                _problem(
                    mapping_file,
                    key,
                    f"{key} names column {column!r}, which {data_file} lacks "
                    f"(it has: {', '.join(have)})",
                    fatal=key in REQUIRED_KEYS,
                )
            )
            del good[key]
    return good, P.combine(found)
