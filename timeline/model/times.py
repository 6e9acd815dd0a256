"""Our date forms, read in one place: ISO 8601 as our table, our story files and our links
write it.

`parse_iso(cells)` reads a column of cells at once (a million rows in about a second: each
distinct cell is parsed once); `parse_instant(text)` reads one time that must say its UTC offset
(a story's window, a link's `from` and `to`). Both take the same forms:

    2024            a year          2024-05-01T14:30            a local minute
    2024-05         a month         2024-05-01T14:30:05.25      with seconds and fractions
    2024-05-01      a local day     2024-05-01T14:30+02:00      that instant (Z for UTC)

Years 1 to 9999. Fractions past the microsecond (nanoseconds) are cut to it and flagged, so the
row is kept with a note rather than dropped. Other formats' dates (ACLED's "16 May 2025", UCDP's
"1/22/2014 12:00:00 AM", Linked Places' signed years) are their readers' own.
"""

from __future__ import annotations

import re

import pandas as pd

# YYYY[-MM[-DD[(T| )HH:MM[:SS[.fffffffff]]]]][Z|+HH:MM]
_ISO = (
    r"^(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
TIME_HELP = "an ISO 8601 date or time, e.g. 2024-05-01T14:00+00:00, 2024-05-01T14:00 or 2024-05-01"


def parse_iso(cells: pd.Series) -> pd.DataFrame:
    """Local wall-clock time, written precision and UTC offset (minutes) of ISO cells.

    `kind` is "" (empty cell), "bad", "year", "month", "day" or "minute"; `cut` is True where
    the cell gave fractions of a second past the microsecond, which the model cannot hold (they
    are cut to it). Vectorised: a regex per row in Python would dominate a million-row load.
    """
    # A dated table repeats its times (a million ACLED rows hold a few thousand days): parse
    # each distinct cell once and spread the answers back over the rows.
    codes, distinct = pd.factorize(cells.astype("str"), use_na_sentinel=False)
    if len(distinct) == len(cells):
        return _parse_iso_distinct(cells)
    parsed = _parse_iso_distinct(pd.Series(distinct, dtype="str"))
    # Taken as pandas arrays: through NumPy, the text column would be rebuilt cell by cell.
    return pd.DataFrame(
        {column: parsed[column].array.take(codes) for column in parsed.columns},
        index=cells.index,
    )


def _parse_iso_distinct(cells: pd.Series) -> pd.DataFrame:
    parts = _extract(cells, _ISO)
    ok = parts["y"].notna()
    kind = pd.Series("bad", index=cells.index, dtype="str")
    kind[cells == ""] = ""
    kind[ok & parts["mo"].isna()] = "year"
    kind[ok & parts["mo"].notna() & parts["d"].isna()] = "month"
    kind[ok & parts["d"].notna() & parts["h"].isna()] = "day"
    kind[ok & parts["h"].notna()] = "minute"
    text = (
        parts["y"].fillna("0001")
        + "-"
        + parts["mo"].fillna("01")
        + "-"
        + parts["d"].fillna("01")
        + "T"
        + parts["h"].fillna("00")
        + ":"
        + parts["mi"].fillna("00")
        + ":"
        + parts["s"].fillna("00")
        + "."
        + parts["f"].fillna("0").str.slice(0, 6).str.pad(6, side="right", fillchar="0")
    )
    cut = parts["f"].fillna("").str.len() > 6
    cut = cut & parts["f"].fillna("").str.slice(6).str.strip("0").ne("")
    when = pd.to_datetime(text.where(ok), format="%Y-%m-%dT%H:%M:%S.%f", errors="coerce")
    when = when.astype("datetime64[us]")
    kind[ok & when.isna()] = "bad"  # 2025-02-30, 25:00
    tz = parts["tz"].fillna("").str.replace("Z", "+00:00").str.replace(":", "")
    has = tz != ""
    sign = tz.str.slice(0, 1).map({"+": 1, "-": -1})
    hours = pd.to_numeric(tz.str.slice(1, 3), errors="coerce")
    mins = pd.to_numeric(tz.str.slice(3, 5), errors="coerce")
    offset = (sign * (hours * 60 + mins)).where(has).astype("Int16")
    bad_offset = has & ((hours > 18) | (mins > 59))
    kind[bad_offset] = "bad"
    return pd.DataFrame(
        {"when": when, "kind": kind, "offset": offset, "cut": cut.astype(bool)}, index=cells.index
    )


def _extract(cells: pd.Series, pattern: str) -> pd.DataFrame:
    """`str.extract` by pyarrow: pandas falls back to a Python regex per row for it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.extract_regex(pa.array(cells.astype("str"), type=pa.large_string()), pattern)
    out = pd.DataFrame(index=cells.index)
    for i, name in enumerate(matched.type.names if len(matched) else ()):
        column = pc.struct_field(matched, [i]).to_pandas().astype("str")
        # An optional group that did not take part comes back empty: missing, as in pandas.
        out[name] = column.where(column != "").to_numpy()
    if not len(matched):
        names = re.findall(r"\?P<(\w+)>", pattern)
        out = pd.DataFrame({n: pd.Series(dtype="str") for n in names}, index=cells.index)
    return out


#: An instant as our files write it, for examples in messages.
EXAMPLE_INSTANT = "1969-07-20T20:17+00:00"
_OUTSIDE_YEARS = re.compile(r"\s*([+-]\d+|\d{5,}|0000)-")


def parse_instant(text: str) -> pd.Timestamp:
    """One ISO 8601 time with its UTC offset, as a UTC Timestamp; `ValueError` says why not.

    >>> parse_instant("1969-07-20T20:17+02:00")
    Timestamp('1969-07-20 18:17:00+0000', tz='UTC')
    """
    if _OUTSIDE_YEARS.match(text):
        raise ValueError("is outside the years 1 to 9999")
    parsed = parse_iso(pd.Series([text.strip()], dtype="str")).iloc[0]
    if parsed["kind"] in ("", "bad"):
        raise ValueError(f"is not an ISO 8601 time, e.g. {EXAMPLE_INSTANT!r}")
    if pd.isna(parsed["offset"]):
        raise ValueError(f"needs a UTC offset, e.g. {EXAMPLE_INSTANT!r}")
    utc = pd.Timestamp(parsed["when"]) - pd.Timedelta(minutes=int(parsed["offset"]))
    if not 1 <= utc.year <= 9999:
        raise ValueError("is outside the years 1 to 9999")
    return utc.tz_localize("UTC")
