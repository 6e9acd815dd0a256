"""An offline gazetteer: the story's places, from a small CSV kept with the code.

Parsing works on text or an open file (``Gazetteer.from_csv``); only
``Gazetteer.from_path`` and ``default_gazetteer`` open files. Loading checks
every row and reports all problems at once, each with its file, row and column.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import IO

from geodata.errors import AmbiguousPlace, GazetteerError, GeodataError, Problem
from geodata.names import normalise_country, normalise_name
from geodata.place import PLACE_PRECISIONS, Place

COLUMNS = (
    "name",  # the name shown, e.g. "Sloviansk"
    "aliases",  # other spellings, ";"-separated
    "country",  # ISO 3166-1 alpha-2
    "lat",  # WGS84 degrees
    "lon",
    "precision",  # one of PLACE_PRECISIONS
    "timezone",  # IANA name, or empty when the place spans several
    "source",  # the record the point comes from, e.g. "GeoNames 693468"
    "credit",  # what the UI must show for it, or empty
    "note",  # anything a curator should know; not used by code
)


@dataclass(frozen=True)
class GazetteerEntry:
    place: Place
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.place.name, *self.aliases)


class Gazetteer:
    """Look names up among a fixed set of places, without any network.

    >>> gazetteer = Gazetteer.from_csv(
    ...     "name,aliases,country,lat,lon,precision,timezone,source,credit,note\\n"
    ...     "Kyiv,Kiev,UA,50.45466,30.5238,town,Europe/Kyiv,GeoNames 703448,GeoNames,\\n")
    >>> gazetteer.geocode("kiev").name
    'Kyiv'
    """

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self.entries = tuple(entries)
        clash = next(_clashes(self.entries), None)
        if clash is not None:
            earlier, later, name = (self.entries[clash[0]], self.entries[clash[1]], clash[2])
            raise GeodataError(
                f"{name!r} names two places in {later.place.country}: "
                f"{earlier.place.name!r} and {later.place.name!r}"
            )
        self._by_name: dict[str, list[Place]] = {}
        for entry in self.entries:
            for key in {normalise_name(name) for name in entry.names}:
                self._by_name.setdefault(key, []).append(entry.place)

    @classmethod
    def from_csv(cls, text_or_fp: str | IO[str], *, filename: str = "<string>") -> Gazetteer:
        """Parse gazetteer CSV; raise GazetteerError listing every bad cell."""
        fp = io.StringIO(text_or_fp) if isinstance(text_or_fp, str) else text_or_fp
        entries, problems = _parse(csv.reader(fp), filename)
        if problems:
            raise GazetteerError(problems)
        return cls(entries)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Gazetteer:
        # utf-8-sig: a gazetteer saved from a spreadsheet often starts with a BOM.
        with open(path, encoding="utf-8-sig", newline="") as fp:
            return cls.from_csv(fp, filename=os.fspath(path))

    def geocode(self, name: str, country: str | None = None) -> Place | None:
        """The place called ``name`` (or one of its aliases), or None.

        Without a country, a name used in several countries raises AmbiguousPlace
        rather than guessing.
        """
        country = normalise_country(country)
        matches = self._by_name.get(normalise_name(name), [])
        if country is not None:
            matches = [place for place in matches if place.country == country]
        if not matches:
            return None
        if len(matches) > 1:
            raise AmbiguousPlace(name, sorted(matches, key=lambda p: (p.country or "", p.name)))
        return matches[0]

    def __iter__(self) -> Iterator[Place]:
        return (entry.place for entry in self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The packaged gazetteer.csv, parsed once per process."""
    resource = resources.files("geodata").joinpath("gazetteer.csv")
    return Gazetteer.from_csv(resource.read_text(encoding="utf-8"), filename=str(resource))


def _parse(rows: Iterable[list[str]], filename: str) -> tuple[list[GazetteerEntry], list[Problem]]:
    rows = iter(rows)
    header = [cell.strip() for cell in next(rows, [])]
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    repeated = [column for i, column in enumerate(header) if column in header[:i]]
    if missing or unknown or repeated:
        return [], (
            [Problem(filename, 1, column, "", "missing column") for column in missing]
            + [Problem(filename, 1, column, column, "unknown column") for column in unknown]
            + [Problem(filename, 1, column, column, "repeated column") for column in repeated]
        )

    entries, row_numbers, problems = [], [], []
    # Row numbers as a spreadsheet shows them: the header is row 1, blank lines count.
    for row_number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            extra = ",".join(cells[len(header) :])
            problems.append(Problem(filename, row_number, "(past the last)", extra, "extra cells"))
        record = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        record = {column: record.get(column, "") for column in COLUMNS}
        entry, bad_cells = _entry(record)
        problems += [
            Problem(filename, row_number, _column_label(column, header), record[column], reason)
            for column, reason in bad_cells
        ]
        if entry is not None:
            entries.append(entry)
            row_numbers.append(row_number)

    for earlier, later, name in _clashes(entries):
        entry = entries[later]
        column = "name" if normalise_name(entry.place.name) == name else "aliases"
        problems.append(
            Problem(
                filename,
                row_numbers[later],
                _column_label(column, header),
                _cell_text(entry, column),
                f"{name!r} already names {entries[earlier].place.name!r} in "
                f"{entry.place.country} (row {row_numbers[earlier]})",
            )
        )
    return entries, sorted(problems, key=lambda problem: problem.row)


def _cell_text(entry: GazetteerEntry, column: str) -> str:
    return entry.place.name if column == "name" else ";".join(entry.aliases)


def _entry(record: dict[str, str]) -> tuple[GazetteerEntry | None, list[tuple[str, str]]]:
    """One row to an entry, or the (column, reason) of everything wrong with it."""
    problems = []
    for column in ("name", "source"):
        if not record[column]:
            problems.append((column, "must not be empty"))
    try:
        country = normalise_country(record["country"])
    except ValueError:
        country = None
        problems.append(("country", "not an ISO 3166-1 alpha-2 code like 'UA'"))
    lat = _degrees(record["lat"], 90)
    if lat is None:
        problems.append(("lat", "not a latitude in -90..90"))
    lon = _degrees(record["lon"], 180)
    if lon is None:
        problems.append(("lon", "not a longitude in -180..180"))
    if record["precision"] not in PLACE_PRECISIONS:
        problems.append(("precision", f"not one of {', '.join(PLACE_PRECISIONS)}"))
    if record["timezone"] and not _is_timezone(record["timezone"]):
        problems.append(("timezone", "not an IANA time zone such as 'Europe/Kyiv'"))
    if problems:
        return None, problems
    place = Place(
        name=record["name"],
        lat=lat,
        lon=lon,
        country=country,
        precision=record["precision"],
        source=record["source"],
        credit=record["credit"],
        timezone=record["timezone"] or None,
    )
    aliases = tuple(alias.strip() for alias in record["aliases"].split(";") if alias.strip())
    return GazetteerEntry(place, aliases, record["note"]), []


def _degrees(text: str, limit: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def _is_timezone(key: str) -> bool:
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clashes(
    entries: list[GazetteerEntry] | tuple[GazetteerEntry, ...],
) -> Iterator[tuple[int, int, str]]:
    """(earlier index, later index, shared name) for each name two entries of one country share.

    Within a country a name must lead to one place; across countries a shared
    name is fine and answered with AmbiguousPlace when no country is given.
    """
    seen: dict[tuple[str, str | None], int] = {}
    for index, entry in enumerate(entries):
        for key in {normalise_name(name) for name in entry.names}:
            earlier = seen.setdefault((key, entry.place.country), index)
            if earlier != index:
                yield earlier, index, key


def _column_label(column: str, header: list[str]) -> str:
    """ "D (lat)": the letter a spreadsheet shows, and the column's name."""
    position = header.index(column) + 1
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters} ({column})"
