"""An exclusive lock on a file, held across processes of one machine.

Two things in geodata must be shared by every process of the application, not
only by the threads of one: the spacing of requests to Nominatim (its policy
counts requests per application) and the repair of a broken cache file (two
processes must not both move it aside). Both hold this lock while they work.

POSIX only (``fcntl.flock``); where it is missing, ``AVAILABLE`` is False and
callers fall back to what one process can do alone, and say so.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

AVAILABLE = fcntl is not None


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[int]:
    """Open (creating if need be) ``path`` and hold an exclusive lock on it; yields the descriptor.

    Blocks until the lock is free. The lock belongs to this open file, so it
    also excludes other threads and other opens in this very process, and the
    kernel drops it if the process dies. Raises OSError if the file cannot be
    opened (a folder we cannot write, a path under a regular file, a symbolic
    link: see ``open_no_symlink``) and RuntimeError where there is no flock.
    """
    if fcntl is None:
        raise RuntimeError("file locks need fcntl, which this platform lacks")
    descriptor = open_no_symlink(Path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield descriptor
    finally:
        os.close(descriptor)  # closing releases the lock


def open_no_symlink(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open``, refusing a path that is a symbolic link (OSError ELOOP, saying so).

    A link where a lock or a cache belongs would make us create or change its target,
    wherever it points (a link planted to a file of the user's). ``O_NOFOLLOW`` checks the
    last part of the path at the moment of opening, so no swap after a check gets through.
    """
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(
                errno.ELOOP, "it is a symbolic link; refusing to write through it", str(path)
            ) from None
        raise
