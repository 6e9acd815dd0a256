"""JSON files to Python values, within bounds, for every reader of a JSON format.

`geodata.untrusted.loads_json` does the parsing: nesting past its depth is refused before
parsing starts, and numbers Python cannot carry on with (`NaN`, `1e999`, a 5,000-digit
integer) stay their text, so the record that holds one is reported on its row.
"""

from __future__ import annotations

import pandas as pd

from geodata.untrusted import JSONRefused, loads_json
from timeline.ingest.readers._cells import decode
from timeline.model import problems as P


def read_json(data: bytes, file: str) -> tuple[object | None, list[pd.DataFrame]]:
    """The file's JSON value, or None and the problem that says why not."""
    text, found = decode(data, file)
    if text is None:
        return None, found
    try:
        return loads_json(text), found
    except JSONRefused as exc:
        return None, [*found, P.file_problem(file, str(exc))]


def first_value(text: str) -> tuple[object | None, str]:
    """The first JSON value of a text (for sniffing a file's head), or None and why not."""
    try:
        return loads_json(text, raw=True)[0], ""
    except JSONRefused as exc:
        return None, str(exc)


__all__ = ["first_value", "read_json"]
