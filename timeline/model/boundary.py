"""A story folder is a boundary: nothing it names or links outside itself is read.

A folder names files in three ways: `story.toml`'s `table`, the table's `source_file` cells,
and the files that simply sit in it (the table, `places.csv`, the source texts). Each is read
only when it lies inside the folder once links are followed: an absolute name, a name that
climbs out with `..`, and a link whose target is elsewhere (to /etc/passwd, to /proc/self/mem)
are refused with a message that says which. Someone who shares a folder must not make the app
or the command line show or hash any other file of the machine.

A table named directly (on the command line, or by TIMELINE_MAP_TABLE) is the operator's own
choice and is read wherever it is; the files beside it are still held to its folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def inside(folder: str | Path, name: str | Path) -> tuple[Path | None, str]:
    """The path of the file `name` of `folder`, or None and why it is refused.

    >>> inside("seeds", "../etc/passwd")[1]
    'climbs out of the folder (..); only files inside it are read'
    """
    text = str(name)
    if not text or any(ord(c) < 32 for c in text):
        return None, "is not a plain file name"
    if Path(text).is_absolute():
        return None, "is an absolute path; only files inside the folder are read"
    folder = Path(folder)
    base = os.path.normpath(os.path.abspath(folder))
    lexical = os.path.normpath(os.path.join(base, text))
    if os.path.commonpath([base, lexical]) != base:
        return None, "climbs out of the folder (..); only files inside it are read"
    try:
        real_base = os.path.realpath(base, strict=False)
        real = os.path.realpath(lexical, strict=False)
    except (OSError, ValueError):
        return None, "cannot be resolved (a loop of links?)"
    if os.path.commonpath([real_base, real]) != real_base:
        return None, "is a link to a file outside the folder; links that leave it are not read"
    return folder / text, ""


def regular_file(path: Path) -> tuple[os.stat_result | None, str]:
    """The stat of a regular file, or None and why not (missing, a folder, a pipe, a device).

    A named pipe or a device would block a read for ever or never end (/dev/zero)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None, "does not exist"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc.__class__.__name__})"
    if not stat.S_ISREG(info.st_mode):
        return None, "is not a regular file"
    return info, ""


def read_at_most(path: Path, limit: int) -> bytes:
    """The file's bytes, at most `limit` + 1 of them (so a caller can tell it is too large
    even where the size said otherwise: /proc's files say 0)."""
    with open(path, "rb") as fp:
        return fp.read(limit + 1)


__all__ = ["inside", "read_at_most", "regular_file"]
