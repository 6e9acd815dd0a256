"""A persistent cache of geocoder answers, so each name is asked online once.

Nominatim's policy requires clients to cache. SQLite makes the file crash-safe
by construction: a write is a transaction, so a killed process leaves the old
contents or the new, never half of each. Not-found answers are cached too
(as a null place), or every run would ask again for the names that fail.

A cache must never take its caller down, so the file is checked when the cache
is made, and what is wrong decides what happens:

- the file is not SQLite, is damaged (a truncated copy, a disk error), or holds
  an ``answers`` table of another shape: it is only a cache, so it is moved
  aside to ``NAME.broken-<UTC time>`` (kept, never deleted, for a person to
  look at), a GeodataWarning says so, and a fresh cache starts;
- the folder or file cannot be written, or the file is a healthy SQLite
  database of somebody else's (tables, but no ``answers``): CacheError, with
  the path and the reason, because moving someone's data would be worse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from geodata import filelock
from geodata.errors import CacheError, GeodataWarning, InvalidPlaceName
from geodata.names import normalise_country, normalise_name
from geodata.place import Place
from geodata.untrusted import loads_json

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
_COLUMNS = ("provider", "query", "country", "place", "fetched_at")

#: The files SQLite writes beside a database (its rollback journal, its write-ahead log).
_BESIDE = ("-journal", "-wal", "-shm")

# SQLite's words for "this file is not a (healthy) database": only these move a
# file aside. Anything else (cannot open, read-only, locked) is the caller's to fix.
_BROKEN_FILE_ERRORS = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})


def default_cache_path() -> Path:
    """``$TIMELINE_MAP_CACHE_DIR/geocode.sqlite``, else ``~/.cache/timeline-map/geocode.sqlite``."""
    directory = os.environ.get(CACHE_DIR_ENV)
    base = Path(directory) if directory else Path.home() / ".cache" / "timeline-map"
    return base / "geocode.sqlite"


class GeocodeCache:
    """Answers keyed by (provider, normalised query, country or "").

    ``moved_aside`` is where a broken file went when this cache replaced it
    (None when the file was fine). Raises CacheError when the cache cannot be
    used at all; see the module's docstring.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.moved_aside: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(
                f"cannot use {self.path} as the geocode cache: cannot make its folder "
                f"{self.path.parent} ({_reason(error)})"
            ) from error
        for path in (self.path, *(self.path.with_name(self.path.name + s) for s in _BESIDE)):
            if path.is_symlink():
                # SQLite would write its database (or its journal) into the link's target,
                # wherever it points: a file of the user's turned into a cache.
                raise CacheError(
                    f"cannot use {self.path} as the geocode cache: {path} is a symbolic link "
                    "(refusing to write through it); give the path of a real file"
                )
        if self.path.is_dir():
            raise CacheError(f"cannot use {self.path} as the geocode cache: it is a folder")
        if self.path.exists() and not self.path.is_file():
            # A device or a pipe (/dev/zero reads as "not a database"): never move one aside.
            raise CacheError(f"cannot use {self.path} as the geocode cache: not a regular file")
        broken = self._broken_because()
        if broken is not None:
            self._move_aside(broken)
        self._create()

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
            return True, Place(**loads_json(row[0]))
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

    # --- checking and repairing the file ---------------------------------------------------

    def _broken_because(self) -> str | None:
        """Why the file must be moved aside, or None if it is a cache (or nothing) we can use."""
        try:
            connection = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as error:
            raise self._unusable(error) from error
        try:
            tables = {
                name: tuple(
                    column[1] for column in connection.execute(f'PRAGMA table_info("{name}")')
                )
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
            }
            if tables and "answers" not in tables:
                raise CacheError(
                    f"cannot use {self.path} as the geocode cache: it is a SQLite database "
                    f"of something else (tables {', '.join(sorted(tables))}); give another path"
                )
            if "answers" in tables and tables["answers"] != _COLUMNS:
                return f"its answers table has columns {', '.join(tables['answers'])}"
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            return None if check == "ok" else f"SQLite finds it damaged: {check}"
        except sqlite3.Error as error:
            if error.sqlite_errorname in _BROKEN_FILE_ERRORS:
                return str(error)
            raise self._unusable(error) from error
        finally:
            connection.close()

    def _move_aside(self, reason: str) -> None:
        # Under a lock, and checked again inside it: of several processes that
        # find the same broken file, one moves it and the rest use its fresh cache.
        with _lock_beside(self.path):
            reason = self._broken_because()
            if reason is None:
                return
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
            number = 1
            while target.exists():
                number += 1
                target = self.path.with_name(f"{self.path.name}.broken-{stamp}-{number}")
            try:
                self.path.rename(target)
            except OSError as error:
                raise CacheError(
                    f"the geocode cache {self.path} is broken ({reason}) and cannot be "
                    f"moved aside ({_reason(error)}); delete it to start afresh"
                ) from error
        self.moved_aside = target
        warnings.warn(
            f"the geocode cache {self.path} was unreadable ({reason}); moved it to "
            f"{target.name} and started a fresh cache",
            GeodataWarning,
            stacklevel=3,
        )

    def _create(self) -> None:
        # BEGIN IMMEDIATE takes the write lock: a cache we could read but never
        # write fails here, when it is made, not after the first online answer.
        try:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as error:
            raise self._unusable(error) from error
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(_SCHEMA)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise self._unusable(error) from error
        finally:
            connection.close()

    def _unusable(self, error: sqlite3.Error) -> CacheError:
        return CacheError(f"cannot use {self.path} as the geocode cache: {error}")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: nothing is held open between calls,
        # and Streamlit's threads never share a connection.
        try:
            connection = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as error:
            raise self._unusable(error) from error
        try:
            with connection:  # commits, or rolls back on error
                yield connection
        except sqlite3.Error as error:
            raise CacheError(
                f"the geocode cache {self.path} is unusable ({error}); delete it to start afresh"
            ) from error
        finally:
            connection.close()


class CachedGeocoder:
    """Answer from the cache; ask ``inner`` only on a miss, and store what it says.

    A failure of ``inner`` propagates and stores nothing, so a network error is
    never remembered as "not found". A cache that fails after it was made (its
    folder removed, a full disk) does not lose the answer either: the caller
    gets the place, and a GeodataWarning says the cache was not read or kept.
    """

    def __init__(self, inner, cache: GeocodeCache, provider: str) -> None:
        self.inner = inner
        self.cache = cache
        self.provider = provider

    @property
    def online(self) -> bool:
        """Whether a lookup may ask a server (the wrapped geocoder's ``online``)."""
        return bool(getattr(self.inner, "online", False))

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        country = normalise_country(country)
        query = checked_name(name if not region else f"{name}, {region}")
        try:
            hit, place = self.cache.get(self.provider, query, country)
        except CacheError as error:  # e.g. its folder was removed while the app ran
            warnings.warn(f"cache not read, asking instead: {error}", GeodataWarning, stacklevel=2)
            hit, place = False, None
        if hit:
            return place
        if region:
            place = self.inner.geocode(name, country, region)
        else:  # an inner geocoder that predates regions still works
            place = self.inner.geocode(name, country)
        try:
            self.cache.put(self.provider, query, country, place)
        except CacheError as error:
            warnings.warn(f"answer not cached: {error}", GeodataWarning, stacklevel=2)
        return place


def checked_name(name: str) -> str:
    """``name``, if it is text that can be sent and stored (UTF-8); else InvalidPlaceName.

    Undecodable bytes on a command line reach Python as lone surrogates, which
    SQLite and URL encoding both refuse with UnicodeEncodeError.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPlaceName(
            f"the place name {name!r} is not valid text (undecodable bytes?)"
        ) from None
    return name


@contextlib.contextmanager
def _lock_beside(path: Path) -> Iterator[None]:
    """Hold ``PATH.lock`` when this platform and folder allow; else go on unlocked."""
    with contextlib.ExitStack() as stack:
        if filelock.AVAILABLE:
            with contextlib.suppress(OSError):
                stack.enter_context(filelock.locked(path.with_name(path.name + ".lock")))
        yield


def _key(provider: str, query: str, country: str | None) -> tuple[str, str, str]:
    return provider, normalise_name(checked_name(query)), normalise_country(country) or ""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
