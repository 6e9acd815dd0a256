"""Freed memory given back to the system between the long steps of a large table.

pyarrow's allocator (mimalloc) and the C library keep what a step freed for later use: after
reading a million ACLED rows, about a gigabyte that no frame uses any more still counts in
the process's resident memory, and the next step's peak comes on top of it. Asking both to
return it costs milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

#: Rows past which a table's steps give back what they freed (below it, the memory is small
#: and the garbage collector's pass is not worth its time).
LARGE = 100_000


def give_back() -> None:
    """Return the memory freed so far to the system (where the platform allows it)."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
