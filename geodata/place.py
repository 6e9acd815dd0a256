"""A geocoded place: where it is, how precisely, and where that answer came from."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# How precisely a point stands for the place. The map draws each with its own
# radius, so this is the one place the set is defined; timeline/ imports it.
PLACE_PRECISIONS = (
    "site",  # a building or venue
    "town",  # a city, town or village point
    "near",  # within about 10 km of the named point
    "region",  # an oblast, krai, state
    "country",
)

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Place:
    """A point with its provenance.

    ``source`` says which record the point came from (``"GeoNames 693468"``,
    ``"OpenStreetMap via Nominatim, node/123"``) and ``credit`` is what the UI
    must show for it (``"GeoNames (CC BY 4.0)"``, ``"© OpenStreetMap contributors"``;
    empty when no licence asks for one). ``region`` is the first-level region the
    place lies in, when the source says; ``note`` is empty unless the geocoder had
    to choose or approximate (the most populous of several namesakes, a region
    standing at its largest town), and then says so in words for the reader.

    >>> Place("Sumy", 50.91741, 34.79906, "UA", "town", "GeoNames 692194",
    ...       "GeoNames (CC BY 4.0)", "Europe/Kyiv").precision
    'town'
    """

    name: str
    lat: float
    lon: float
    country: str | None  # ISO 3166-1 alpha-2, upper case
    precision: str  # one of PLACE_PRECISIONS
    source: str
    credit: str
    timezone: str | None  # IANA name, e.g. "Europe/Kyiv"
    region: str = ""  # first-level region (oblast, krai, state), when known
    note: str = ""  # what the reader should know about this answer, e.g. a guess among namesakes

    def __post_init__(self) -> None:
        # Checked here so a bad Place fails where it is made, not on the map.
        if not self.name.strip():
            raise ValueError("a place needs a name")
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise ValueError(f"latitude {self.lat!r} of {self.name!r} is not in -90..90")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"longitude {self.lon!r} of {self.name!r} is not in -180..180")
        if self.country is not None and not _COUNTRY_CODE.fullmatch(self.country):
            raise ValueError(f"country {self.country!r} of {self.name!r} is not like 'UA'")
        if self.precision not in PLACE_PRECISIONS:
            raise ValueError(
                f"precision {self.precision!r} of {self.name!r} is not one of {PLACE_PRECISIONS}"
            )
