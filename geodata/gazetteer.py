"""An offline gazetteer: a story's places, from a small CSV kept with the code or the story.

Parsing works on text or an open file (``Gazetteer.from_csv``); only
``Gazetteer.from_path`` and ``default_gazetteer`` open files. Loading checks
every row and reports all problems at once, each with its file, row and column.
A file that cannot be read at all (missing, a folder, not UTF-8 text) raises
GazetteerFileError or GazetteerError naming it, never a bare OSError or
UnicodeDecodeError.

An optional ``region`` column (first-level region: oblast, krai, state) lets one
country hold two places of one name, told apart by ``geocode(..., region=...)``.
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

from geodata.errors import (
    AmbiguousPlace,
    AmbiguousRegion,
    GazetteerError,
    GazetteerFileError,
    GeodataError,
    Problem,
)
from geodata.names import normalise_country, normalise_name, region_key
from geodata.place import PLACE_PRECISIONS, Place
from geodata.timezones import with_timezone

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
# Columns a file may have but need not: older gazetteers (and ours) have no region.
OPTIONAL_COLUMNS = ("region",)  # first-level region, e.g. "Kursk Oblast"


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
                f"{name!r} names two places in {_where(later.place)}: "
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
        """Read a gazetteer file; every way it can be unreadable is one of our errors.

        Missing, a folder or unreadable: GazetteerFileError. Not UTF-8 (a binary
        file, a spreadsheet saved as .xlsx, a legacy code page): GazetteerError
        whose problem names the row and column of the first bad byte.
        """
        filename = os.fspath(path)
        try:
            with open(path, "rb") as fp:
                raw = fp.read()
        except FileNotFoundError as error:
            raise GazetteerFileError(f"gazetteer {filename}: no such file") from error
        except IsADirectoryError as error:
            raise GazetteerFileError(
                f"gazetteer {filename}: is a folder, not a CSV file"
            ) from error
        except OSError as error:
            raise GazetteerFileError(
                f"gazetteer {filename}: cannot be read ({error.strerror or error})"
            ) from error
        # utf-8-sig: a gazetteer saved from a spreadsheet often starts with a BOM.
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise GazetteerError([_undecodable(raw, error, filename)]) from error
        return cls.from_csv(text, filename=filename)

    @classmethod
    def from_path_keeping(cls, path: str | os.PathLike[str]) -> tuple[Gazetteer, list[Problem]]:
        """A story's own gazetteer with every good row, and a problem for each row left out.

        A curator fills it in over time: a row with neither lat nor lon is a name still to
        place (the `import` command writes such rows), reported as such; a bad cell costs its
        row, never the file. An unreadable file is one problem and an empty gazetteer.
        """
        filename = os.fspath(path)
        try:
            return cls._keeping(cls.from_path(path).entries, [], filename)
        except GazetteerFileError as error:
            return cls(()), [Problem(filename, 0, "(file)", "", str(error))]
        except GazetteerError as error:
            if any(p.row <= 1 for p in error.problems):  # the header or the encoding
                return cls(()), list(error.problems)
        with open(path, "rb") as fp:
            text = fp.read().decode("utf-8-sig")
        entries, problems = _parse(csv.reader(io.StringIO(text)), filename, unplaced_ok=True)
        return cls._keeping(entries, problems, filename)

    @classmethod
    def _keeping(cls, entries, problems, filename) -> tuple[Gazetteer, list[Problem]]:
        """Entries without the later of two that name the same place (already reported)."""
        later = {b for _, b, _ in _clashes(entries)}
        return cls(e for i, e in enumerate(entries) if i not in later), list(problems)

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        """The place called ``name`` (or one of its aliases), or None.

        Without a country, a name used in several countries raises AmbiguousPlace
        rather than guessing; two places of one name in one country need
        ``region`` (AmbiguousRegion otherwise). A place whose row gives no region
        is taken for any region asked, unless another place of the name matches it.
        """
        country = normalise_country(country)
        matches = self._by_name.get(normalise_name(name), [])
        if country is not None:
            matches = [place for place in matches if place.country == country]
        if region is not None and region.strip() and len(matches) > 1:
            asked = region_key(region)
            matches = [p for p in matches if p.region and region_key(p.region) == asked] or [
                p for p in matches if not p.region
            ]
        if not matches:
            return None
        if len(matches) > 1:
            ranked = sorted(matches, key=lambda p: (p.country or "", p.region, p.name))
            if len({p.country for p in matches}) == 1:
                raise AmbiguousRegion(name, ranked)
            raise AmbiguousPlace(name, ranked)
        return with_timezone(matches[0])

    def might_know(self, key: str, name: str) -> bool:
        """False when no lookup of `name` (normalised: `key`) can find anything here, asked
        before `geocode` to pass over names that no gazetteer holds without the cost of one."""
        return key in self._by_name

    def __iter__(self) -> Iterator[Place]:
        return (entry.place for entry in self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The packaged gazetteer.csv, parsed once per process."""
    resource = resources.files("geodata").joinpath("gazetteer.csv")
    return Gazetteer.from_csv(resource.read_text(encoding="utf-8"), filename=str(resource))


#: The reason given for a row with no coordinates yet (`Gazetteer.from_path_keeping`).
TO_FILL_IN = "has no coordinates yet: fill in lat and lon to place this name"


def _parse(
    rows: Iterable[list[str]], filename: str, *, unplaced_ok: bool = False
) -> tuple[list[GazetteerEntry], list[Problem]]:
    rows = iter(rows)
    try:
        header = [cell.strip() for cell in next(rows, [])]
    except csv.Error as error:
        return [], [Problem(filename, 1, "(header)", "", f"not CSV text: {error}")]
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS + OPTIONAL_COLUMNS]
    repeated = [column for i, column in enumerate(header) if column in header[:i]]
    if missing or unknown or repeated:
        return [], (
            [Problem(filename, 1, column, "", "missing column") for column in missing]
            + [Problem(filename, 1, column, column, "unknown column") for column in unknown]
            + [Problem(filename, 1, column, column, "repeated column") for column in repeated]
        )

    entries, row_numbers, problems = [], [], []
    # Row numbers as a spreadsheet shows them: the header is row 1, blank lines count.
    row_number = 1
    while True:
        row_number += 1
        try:
            cells = next(rows, None)
        except csv.Error as error:  # a NUL byte, or an unbalanced quote at the end
            problems.append(Problem(filename, row_number, "(row)", "", f"not CSV text: {error}"))
            break
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            extra = ",".join(cells[len(header) :])
            problems.append(Problem(filename, row_number, "(past the last)", extra, "extra cells"))
        record = dict(zip(header, (_unneutralise(cell.strip()) for cell in cells), strict=False))
        record = {column: record.get(column, "") for column in COLUMNS + OPTIONAL_COLUMNS}
        if unplaced_ok and record["name"] and not record["lat"] and not record["lon"]:
            problems.append(Problem(filename, row_number, "lat", "", TO_FILL_IN))
            continue
        if unplaced_ok and not record["source"]:  # a curator's own row: the file is its source
            record["source"] = f"the story's {os.path.basename(filename)}"
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
                f"{_where(entry.place)} (row {row_numbers[earlier]})",
            )
        )
    return entries, sorted(problems, key=lambda problem: problem.row)


def _unneutralise(cell: str) -> str:
    """A cell our exports wrote with an apostrophe before what a spreadsheet would run as a
    formula ('=SUM(A1), and ''=1 for a cell that was '=1), as it was."""
    if cell.startswith("'") and cell.lstrip("'")[:1] in tuple("=+-@\t\r\n"):
        return cell[1:]
    return cell


def _cell_text(entry: GazetteerEntry, column: str) -> str:
    return entry.place.name if column == "name" else ";".join(entry.aliases)


def _entry(record: dict[str, str]) -> tuple[GazetteerEntry | None, list[tuple[str, str]]]:
    """One row to an entry, or the (column, reason) of everything wrong with it."""
    problems = []
    for column in ("name", "source"):
        if not record[column]:
            problems.append((column, "must not be empty"))
    for column in ("name", "aliases", "region"):
        if any(ord(char) < 32 or ord(char) == 127 for char in record[column]):
            problems.append((column, "contains a control character (a binary file?)"))
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
        region=record["region"],
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
    """(earlier index, later index, shared name) for each name two entries of one region share.

    Within a country and region a name must lead to one place; across countries
    or regions a shared name is fine and answered with AmbiguousPlace (or
    AmbiguousRegion) when no country (or region) is given.
    """
    seen: dict[tuple[str, str | None, str], int] = {}
    for index, entry in enumerate(entries):
        place = entry.place
        region = region_key(place.region) if place.region else ""
        for key in {normalise_name(name) for name in entry.names}:
            earlier = seen.setdefault((key, place.country, region), index)
            if earlier != index:
                yield earlier, index, key


def _where(place: Place) -> str:
    return f"{place.country}, {place.region}" if place.region else f"{place.country}"


def _undecodable(raw: bytes, error: UnicodeDecodeError, filename: str) -> Problem:
    """Where the first byte that is not UTF-8 sits, as a spreadsheet would count it."""
    before = raw[: error.start]
    row = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    # Text before the bad byte on its line is good UTF-8: count its cells for the column.
    cells = next(csv.reader([before[line_start:].decode("utf-8-sig", "replace")]), [""])
    header = next(csv.reader([raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace")]), [])
    position = len(cells) or 1
    name = header[position - 1].strip() if row > 1 and position <= len(header) else ""
    letters = _column_letters(position)
    bad = raw[error.start : error.start + 4]
    return Problem(
        filename,
        row,
        f"{letters} ({name})" if name else letters,
        bad.decode("latin-1"),
        f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
        "save the file as CSV UTF-8",
    )


def _column_letters(position: int) -> str:
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_label(column: str, header: list[str]) -> str:
    """ "D (lat)": the letter a spreadsheet shows, and the column's name."""
    return f"{_column_letters(header.index(column) + 1)} ({column})"
