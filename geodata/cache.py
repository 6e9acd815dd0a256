"""A persistent cache of geocoder answers, so each name is asked online once.

Nominatim's policy requires clients to cache. SQLite makes the file crash-safe
by construction: a write is a transaction, so a killed process leaves the old
contents or the new, never half of each. Not-found answers are cached too
(as a null place), or every run would ask again for the names that fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from geodata.errors import GeodataError
from geodata.names import normalise_country, normalise_name
from geodata.place import Place

CACHE_DIR_ENV = "TIMELINE_MAP_CACHE_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    provider TEXT NOT NULL,    -- who answered, e.g. 'nominatim https://nominatim.openstreetmap.org'
    query TEXT NOT NULL,       -- the name asked, normalised (see geodata.names)
    country TEXT NOT NULL,     -- ISO 3166-1 alpha-2 asked for, '' when none
    place TEXT,                -- the Place as JSON; NULL when the provider found nothing
    fetched_at TEXT NOT NULL,  -- when the answer was fetched, ISO 8601 UTC
    PRIMARY KEY (provider, query, country)
)
"""


def default_cache_path() -> Path:
    """``$TIMELINE_MAP_CACHE_DIR/geocode.sqlite``, else ``~/.cache/timeline-map/geocode.sqlite``."""
    directory = os.environ.get(CACHE_DIR_ENV)
    base = Path(directory) if directory else Path.home() / ".cache" / "timeline-map"
    return base / "geocode.sqlite"


class GeocodeCache:
    """Answers keyed by (provider, normalised query, country or "")."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    def get(
        self, provider: str, query: str, country: str | None = None
    ) -> tuple[bool, Place | None]:
        """``(hit, place)``: ``(True, None)`` is a cached "not found", ``(False, None)`` a miss."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT place FROM answers WHERE provider = ? AND query = ? AND country = ?",
                _key(provider, query, country),
            ).fetchone()
        if row is None:
            return False, None
        if row[0] is None:
            return True, None
        try:
            return True, Place(**json.loads(row[0]))
        except (ValueError, TypeError):
            # Written by a version with another Place: ask again rather than fail.
            return False, None

    def put(
        self,
        provider: str,
        query: str,
        country: str | None,
        place: Place | None,
        *,
        fetched_at: datetime | None = None,
    ) -> None:
        """Store an answer (``place=None`` records "not found"), replacing any older one."""
        fetched_at = fetched_at or datetime.now(UTC)
        as_json = (
            None if place is None else json.dumps(dataclasses.asdict(place), ensure_ascii=False)
        )
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO answers (provider, query, country, place, fetched_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    *_key(provider, query, country),
                    as_json,
                    fetched_at.isoformat(timespec="seconds"),
                ),
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: nothing is held open between calls,
        # and Streamlit's threads never share a connection.
        try:
            connection = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as error:
            raise GeodataError(f"cannot open the geocode cache {self.path}: {error}") from error
        try:
            with connection:  # commits, or rolls back on error
                yield connection
        except sqlite3.Error as error:
            raise GeodataError(
                f"geocode cache {self.path} is unusable ({error}); delete it to start afresh"
            ) from error
        finally:
            connection.close()


class CachedGeocoder:
    """Answer from the cache; ask ``inner`` only on a miss, and store what it says.

    A failure of ``inner`` propagates and stores nothing, so a network error is
    never remembered as "not found".
    """

    def __init__(self, inner, cache: GeocodeCache, provider: str) -> None:
        self.inner = inner
        self.cache = cache
        self.provider = provider

    def geocode(self, name: str, country: str | None = None) -> Place | None:
        country = normalise_country(country)
        hit, place = self.cache.get(self.provider, name, country)
        if hit:
            return place
        place = self.inner.geocode(name, country)
        self.cache.put(self.provider, name, country, place)
        return place


def _key(provider: str, query: str, country: str | None) -> tuple[str, str, str]:
    return provider, normalise_name(query), normalise_country(country) or ""
