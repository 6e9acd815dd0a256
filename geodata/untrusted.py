"""Text from outside (a file, a server's answer, a name typed): parsed within bounds, shown
without effects.

One place for three facts that geodata and timeline both need:

- `loads_json(text)`: JSON with bounded nesting (`MAX_JSON_DEPTH`, checked before parsing,
  so a 100,000-deep array is refused in milliseconds rather than ending in RecursionError),
  and no value Python cannot carry on with: an integer too long for `int` (Python refuses
  more than 4,300 digits) or one past `MAX_INT_DIGITS`, a float that overflows, and `NaN`
  or `Infinity` stay the text they were written as, so the record that holds one is
  reported on its own row instead of stopping the file.
- `is_hidden(char)`: characters that show nothing or reorder what follows (bidirectional controls,
  zero-width and other format characters, Hangul fillers): two ids that differ by one of them
  look the same.
- `escape_controls(text)`: control, bidirectional and invisible characters written as
  `\\x1b`, `\\u202e`, ..., so a name or a column heading printed on a terminal cannot clear
  the screen, retitle the window or reorder the line around it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata

#: Nesting of arrays and objects any JSON we read may have. GeoJSON's deepest geometry
#: (a MultiPolygon in a Feature in a FeatureCollection) is 7 deep; 64 leaves room for any
#: honest file and stays far below Python's recursion limit (1,000 frames), whatever the
#: caller's own depth.
MAX_JSON_DEPTH = 64
#: Digits an integer may have and still be read as a number; a longer one is kept as its text.
MAX_INT_DIGITS = 30


class JSONRefused(ValueError):
    """JSON that is not read: nested past `MAX_JSON_DEPTH`, or not JSON at all (the message
    says which, with the line of a syntax error)."""


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')


def _blank_escapes(raw: bytes) -> bytes:
    # An escape (\" or \\) is two bytes of a string: two spaces keep every offset.
    return _ESCAPE.sub(b"  ", raw) if b"\\" in raw else raw


def _depths(codes):
    """The running depth after each structural byte outside strings, and which bytes those are."""
    import numpy as np

    quote = codes == ord('"')
    outside = (np.cumsum(quote) % 2 == 0) & ~quote
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)[outside]
    return np.cumsum(steps), outside


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings do not
    count). Linear, without recursion, at C speed: escapes are blanked, every byte but quotes
    and brackets deleted; a bracket counts when an even number of quotes precede it.

    >>> json_depth('[{"a": "[[[\\"[", "b": [1]}]')
    3
    """
    import numpy as np

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    codes = np.frombuffer(_blank_escapes(raw).translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    depth, _ = _depths(codes)
    return int(depth.max()) if len(depth) else 0


def _where_deeper(raw: bytes, limit: int) -> tuple[int, int]:
    """(line, column) of the first bracket past `limit` levels (only asked when there is one)."""
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[list(b'"[]{}')] = True
    data = np.frombuffer(_blank_escapes(raw), dtype=np.uint8)
    chunk = 1 << 26  # in slices, so the lookup never holds a second copy of a large file
    positions = np.concatenate(
        [np.flatnonzero(table[data[i : i + chunk]]) + i for i in range(0, len(data), chunk)]
    )
    depth, outside = _depths(data[positions])
    offset = int(positions[outside][np.argmax(depth > limit)])
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _int(text: str) -> int | str:
    digits = len(text) - (text[0] == "-")
    return int(text) if digits <= MAX_INT_DIGITS else text


def _float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def _constant(text: str) -> str:
    return text  # NaN, Infinity, -Infinity: not JSON, but Python's json reads them


_DECODER = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def loads_json(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, raw: bool = False):
    """Parse JSON text within the bounds above, or raise `JSONRefused` saying why.

    >>> loads_json('{"t": NaN, "n": 1e999, "i": 7}')
    {'t': 'NaN', 'n': '1e999', 'i': 7}
    >>> try:
    ...     loads_json("[" * 100_000)
    ... except JSONRefused as exc:
    ...     print(exc)
    is nested 100,000 levels deep, past 64 at line 1, column 65 (at most 64 levels are read)

    With `raw`, the first JSON value of the text and where it ends (as `raw_decode`).
    """
    # Fewer brackets than the bound cannot nest past it: a cell of JSON skips the measuring.
    few = data.count("[" if isinstance(data, str) else b"[") + data.count(
        "{" if isinstance(data, str) else b"{"
    )
    depth = json_depth(data) if few > max_depth else 0
    if depth > max_depth:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        line, column = _where_deeper(raw, max_depth)
        raise JSONRefused(
            f"is nested {depth:,} levels deep, past {max_depth} at line {line}, column "
            f"{column} (at most {max_depth} levels are read)"
        )
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    try:
        return _DECODER.raw_decode(text) if raw else _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise JSONRefused(f"is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:  # only if the caller is itself nearly 1,000 frames deep
        raise JSONRefused(f"is nested too deep to read (at most {max_depth} levels)") from None


# --- characters that show nothing ------------------------------------------------------------

#: Fillers that are letters to Unicode but print as blank space.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0"


def is_hidden(char: str) -> bool:
    """True for a character that shows nothing or reorders the text around it: a format
    character (U+200B-U+200F, U+202A-U+202E, U+2060-U+2069, U+180E, U+FEFF, U+00AD, ...)
    or a Hangul filler (U+3164 and its kin)."""
    return unicodedata.category(char) == "Cf" or char in _BLANK_LETTERS


def hidden_in(text: str) -> list[str]:
    """The hidden characters of a text, in order (`is_hidden`)."""
    return [c for c in text if is_hidden(c)]


def _escaped(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else (f"\\U{code:08x}")
    )


def _needs_escape(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: C0 and C1 controls (ESC starts every terminal sequence), DEL; Zl/Zp: line and
    # paragraph separators; Cs: lone surrogates, which no terminal can encode.
    return category in ("Cc", "Zl", "Zp", "Cs") or is_hidden(char)


_SAFE = re.compile(r"[\x20-\x7e]*")


def escape_controls(text: str) -> str:
    r"""The text with every control, bidirectional or invisible character written as its escape.

    >>> escape_controls("name\x1b]0;pwned\x07 \u202eevil")
    'name\\x1b]0;pwned\\x07 \\u202eevil'
    >>> escape_controls("Kyïv — ok")
    'Kyïv — ok'
    """
    if _SAFE.fullmatch(text):
        return text
    return "".join(_escaped(c) if _needs_escape(c) else c for c in text)


__all__ = [
    "JSONRefused",
    "MAX_JSON_DEPTH",
    "escape_controls",
    "hidden_in",
    "is_hidden",
    "json_depth",
    "loads_json",
]
