"""Throttling for online geocoders: at most one request per interval, per server, per machine.

Nominatim's usage policy allows one request per second for the whole
application, not per geocoder object and not per process: the app, a CLI run
and a second browser session started together are one application. So
limiters are shared twice over. Within a process, ``shared_limiter(key, ...)``
gives every geocoder talking to one server the same limiter. Across processes,
a limiter with a ``state_file`` keeps the earliest time of the next request in
that file and holds an exclusive lock on it (``geodata.filelock``) while a
request runs, so processes queue one by one as threads do.

When the state file cannot be used (a folder we cannot write, no file locks on
this platform) the limiter still spaces this process's requests, and warns
once (GeodataWarning) that it does no more. The clock and the sleep are
injected so tests can run the limiter on a fake clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from geodata import filelock
from geodata.errors import ConfigurationError, GeodataWarning
from geodata.untrusted import loads_json

DEFAULT_MIN_INTERVAL = 1.0  # seconds; Nominatim's policy


class RateLimiter:
    """One request at a time, each starting at least ``min_interval`` seconds after the last ended.

    Spacing from the end of one request, not its start, guarantees the
    spacing where it counts, at the server: a request's arrival there always
    comes before its answer reaches us. Send each request inside ``slot()``.
    After a 429, ``back_off(seconds)`` pushes the next request back; the
    limiter never retries anything itself.

    With ``state_file``, the same holds across processes that name the same
    file; its times are on ``clock``'s scale, so every process must use a
    clock they share (``time.time``, which ``shared_limiter`` uses).

    >>> slept = []
    >>> limiter = RateLimiter(min_interval=1.0, clock=lambda: 0.0, sleep=slept.append)
    >>> with limiter.slot():
    ...     pass  # send the request here
    >>> with limiter.slot():
    ...     pass
    >>> slept
    [1.0]
    """

    def __init__(
        self,
        *,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if not min_interval >= 0:
            raise ConfigurationError(f"min_interval must be >= 0 seconds, not {min_interval!r}")
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self.state_file = None if state_file is None else Path(state_file)
        # Set (with the reason) the first time the state file fails; from then on
        # the limiter is process-local and says so only once.
        self.process_local_because: str | None = None
        # Held for the whole request, so threads queue and go one by one.
        # Re-entrant so that back_off() works from inside a slot too.
        self._lock = threading.RLock()
        self._in_slot = False
        self._not_before: float | None = None  # on the clock's scale; None: nothing sent yet

    @property
    def shared_across_processes(self) -> bool:
        """Whether other processes naming the same state file are held to this spacing too."""
        return self.state_file is not None and self.process_local_because is None

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for our turn, hold it while the request runs, then book the next turn."""
        with self._lock, self._shared_state() as state:
            self._merge(state)
            now = self._clock()
            if self._not_before is not None and now < self._not_before:
                self._sleep(self._not_before - now)
            self._in_slot = True
            try:
                yield
            finally:
                self._in_slot = False
                self._postpone(self._clock() + self.min_interval)
                self._store(state)

    def back_off(self, seconds: float) -> None:
        """Make the next request wait at least ``seconds`` from now (e.g. a Retry-After)."""
        with self._lock:
            if self._in_slot:  # the slot's end writes the state file
                self._postpone(self._clock() + max(0.0, seconds))
                return
            with self._shared_state() as state:
                self._merge(state)
                self._postpone(self._clock() + max(0.0, seconds))
                self._store(state)

    def _postpone(self, until: float) -> None:
        if self._not_before is None or until > self._not_before:
            self._not_before = until

    # --- the state file ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _shared_state(self) -> Iterator[int | None]:
        """The locked state file's descriptor, or None when this limiter is process-local."""
        if self.state_file is None or self.process_local_because is not None:
            yield None
            return
        with contextlib.ExitStack() as stack:
            try:
                self.state_file.parent.mkdir(parents=True, exist_ok=True)
                descriptor = stack.enter_context(filelock.locked(self.state_file))
            except (OSError, RuntimeError) as error:
                self.process_local_because = _reason(error)
                warnings.warn(
                    f"requests are spaced within this process only: cannot use "
                    f"{self.state_file} ({self.process_local_because}), so other processes "
                    "may send at the same time",
                    GeodataWarning,
                    stacklevel=4,
                )
                descriptor = None
            yield descriptor

    def _merge(self, descriptor: int | None) -> None:
        """Take the later of our own next turn and the one other processes booked."""
        if descriptor is None:
            return
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            record = loads_json(os.read(descriptor, 4096) or b"{}")
            not_before, wait = float(record["not_before"]), float(record["wait"])
        except (ValueError, KeyError, TypeError):
            return  # empty (a new file) or unreadable: our own record stands
        # A wait is never longer than the one booked, even if the wall clock
        # went back since: a stale file cannot stall lookups for hours.
        self._postpone(min(not_before, self._clock() + max(0.0, wait)))

    def _store(self, descriptor: int | None) -> None:
        if descriptor is None or self._not_before is None:
            return
        now = self._clock()
        record = {"not_before": self._not_before, "wait": max(0.0, self._not_before - now)}
        data = json.dumps(record).encode()
        try:
            os.lseek(descriptor, 0, os.SEEK_SET)
            os.ftruncate(descriptor, 0)
            os.write(descriptor, data)
        except OSError:
            pass  # a full disk: the next reader finds nothing and waits its own interval


_shared: dict[tuple[str, Path | None], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(key: str, *, state_dir: str | os.PathLike[str] | None = None) -> RateLimiter:
    """The limiter for ``key`` (a server's base URL), made on first use in this process.

    With ``state_dir``, it is also shared with every other process that uses
    the same folder, through ``state_file_for(key, state_dir)``.
    """
    directory = None if state_dir is None else Path(state_dir).absolute()
    with _shared_lock:
        if (key, directory) not in _shared:
            _shared[key, directory] = RateLimiter(
                clock=time.time,  # the one clock that means the same in every process
                state_file=None if directory is None else state_file_for(key, directory),
            )
        return _shared[key, directory]


def state_file_for(key: str, state_dir: str | os.PathLike[str]) -> Path:
    """``STATE_DIR/ratelimit-<hash of key>.json``: one file per server."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(state_dir) / f"ratelimit-{digest}.json"


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
