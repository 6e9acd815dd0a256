"""Every error the geodata package raises, under one root.

Each leaf also inherits the builtin it behaves like, so callers that only know
the builtins (``except OSError``, ``except LookupError``) still catch the right
thing, and callers that want everything from us catch ``GeodataError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from geodata.place import Place


class GeodataError(Exception):
    """Root of every error raised by geodata."""


class ConfigurationError(GeodataError, ValueError):
    """A setting was rejected when the object was made (not on first use)."""


class GeocoderUnavailable(GeodataError, IOError):
    """The online geocoder gave no usable answer.

    Network failure, timeout, an HTTP error status, or an answer that is not
    what Nominatim sends. Nothing was learnt about the place: the caller may
    try again later, and nothing was cached.
    """


class GeocoderRateLimited(GeocoderUnavailable):
    """The server answered 429; ``retry_after`` is its Retry-After in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GeocoderRedirected(GeocoderUnavailable):
    """The server answered with a redirect (HTTP 30x), which we never follow.

    Following it would send the query, and our user agent, wherever the answer
    points; ``location`` is where it pointed, for the message and for a person
    to decide whether to configure that URL instead.
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.location = location


class CacheError(GeodataError, OSError):
    """The geocode cache cannot be used: its folder cannot be written, or the
    file is somebody else's SQLite database. (A merely broken cache file is
    moved aside and replaced instead; see ``GeocodeCache``.)"""


class InvalidPlaceName(GeodataError, ValueError):
    """A name that is not text that can be sent or stored (e.g. lone surrogates
    from undecodable command-line bytes)."""


class GeodataWarning(UserWarning):
    """Something was worked around and the caller should know: a broken cache
    file moved aside, or requests spaced within this process only."""


class AmbiguousPlace(GeodataError, LookupError):
    """A name matches places in several countries and no country was given."""

    def __init__(self, name: str, candidates: Sequence[Place]) -> None:
        self.name = name
        self.candidates = tuple(candidates)
        listed = "; ".join(f"{p.name} ({p.country})" for p in self.candidates)
        super().__init__(f"{name!r} is ambiguous, give a country: {listed}")


class Problem(NamedTuple):
    """One bad cell of a gazetteer file; ``row`` counts as a spreadsheet does (header is 1)."""

    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.value!r}: {self.reason}"


class GazetteerError(GeodataError, ValueError):
    """A gazetteer file has bad rows; ``problems`` lists every one, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the gazetteer:\n{lines}")


class AmbiguousRegion(AmbiguousPlace):
    """A name matches several places of one country and no region (or too loose a one) was given."""

    def __init__(self, name: str, candidates: Sequence[Place]) -> None:
        super().__init__(name, candidates)
        listed = "; ".join(
            f"{p.name} ({p.region or 'no region'}, {p.country})" for p in self.candidates
        )
        self.args = (f"{name!r} is ambiguous, give a region: {listed}",)


class GazetteerFileError(GeodataError, OSError):
    """A gazetteer file cannot be read at all: missing, a folder, or not allowed."""
