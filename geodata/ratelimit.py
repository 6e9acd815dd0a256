"""Throttling for online geocoders: at most one request per interval, per server, per process.

Nominatim's usage policy allows one request per second for the whole
application, not per geocoder object, so limiters are shared through
``shared_limiter(key)``: every geocoder of the program that talks to the same
server waits on the same limiter. The clock and the sleep are injected so tests
can run the limiter on a fake clock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from geodata.errors import ConfigurationError

DEFAULT_MIN_INTERVAL = 1.0  # seconds; Nominatim's policy


class RateLimiter:
    """One request at a time, each starting at least ``min_interval`` seconds after the last ended.

    Spacing from the end of one request, not its start, guarantees the
    spacing where it counts, at the server: a request's arrival there always
    comes before its answer reaches us. Send each request inside ``slot()``.
    After a 429, ``back_off(seconds)`` pushes the next request back; the
    limiter never retries anything itself.

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
    ) -> None:
        if not min_interval >= 0:
            raise ConfigurationError(f"min_interval must be >= 0 seconds, not {min_interval!r}")
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        # Held for the whole request, so threads queue and go one by one.
        # Re-entrant so that back_off() works from inside a slot too.
        self._lock = threading.RLock()
        self._not_before: float | None = None  # on the clock's scale; None: nothing sent yet

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for our turn, hold it while the request runs, then book the next turn."""
        with self._lock:
            now = self._clock()
            if self._not_before is not None and now < self._not_before:
                self._sleep(self._not_before - now)
            try:
                yield
            finally:
                self._postpone(self._clock() + self.min_interval)

    def back_off(self, seconds: float) -> None:
        """Make the next request wait at least ``seconds`` from now (e.g. a Retry-After)."""
        with self._lock:
            self._postpone(self._clock() + max(0.0, seconds))

    def _postpone(self, until: float) -> None:
        if self._not_before is None or until > self._not_before:
            self._not_before = until


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(key: str) -> RateLimiter:
    """The process-wide limiter for ``key`` (a server's base URL), made on first use."""
    with _shared_lock:
        if key not in _shared:
            _shared[key] = RateLimiter()
        return _shared[key]
