"""One ``geocode(name, country=None)`` for the app: the gazetteer first, Nominatim only if asked.

Offline is the default because an offline run must never reach the network:
with no network, geopy's defaults can spend half a minute on one lookup.
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Protocol

from geodata.cache import CachedGeocoder, GeocodeCache, default_cache_path
from geodata.gazetteer import Gazetteer, default_gazetteer
from geodata.place import Place

USER_AGENT_ENV = "TIMELINE_MAP_USER_AGENT"
NOMINATIM_URL_ENV = "TIMELINE_MAP_NOMINATIM_URL"


class Geocoder(Protocol):
    def geocode(self, name: str, country: str | None = None) -> Place | None:
        """The place, None when not found; our errors (GeodataError) on failure."""
        ...


class ChainGeocoder:
    """Ask each geocoder in turn; the first that finds the place answers.

    An error (AmbiguousPlace from the gazetteer, GeocoderUnavailable online)
    stops the chain: a name the gazetteer knows in two countries needs a
    country, not a guess from the next geocoder.
    """

    def __init__(self, *geocoders: Geocoder) -> None:
        self.geocoders = geocoders

    def geocode(self, name: str, country: str | None = None) -> Place | None:
        for geocoder in self.geocoders:
            place = geocoder.geocode(name, country)
            if place is not None:
                return place
        return None


def default_user_agent() -> str:
    """Identifies this application to Nominatim, as its usage policy requires."""
    try:
        version = metadata.version("timeline-map")
    except metadata.PackageNotFoundError:  # running from a checkout
        version = "dev"
    return f"timeline-map/{version} (news event timeline; https://pypi.org/project/timeline-map/)"


def make_geocoder(
    *,
    online: bool = False,
    user_agent: str | None = None,
    base_url: str | None = None,
    cache_path: str | os.PathLike[str] | None = None,
    gazetteer: Gazetteer | None = None,
) -> Geocoder:
    """The packaged gazetteer, then (only when ``online``) cached, rate-limited Nominatim.

    Unset settings come from ``$TIMELINE_MAP_USER_AGENT``,
    ``$TIMELINE_MAP_NOMINATIM_URL`` and ``$TIMELINE_MAP_CACHE_DIR``, else
    defaults; ``gazetteer`` replaces the packaged one. Every Place says where
    it came from: online answers carry ``credit == "© OpenStreetMap
    contributors"``, which the UI must show.

    >>> make_geocoder().geocode("Slovyansk", "UA").source
    'GeoNames 693468'
    """
    gazetteer = gazetteer if gazetteer is not None else default_gazetteer()
    if not online:
        return ChainGeocoder(gazetteer)

    # Imported here so an offline run does not even load the network code.
    from geodata.nominatim import PUBLIC_NOMINATIM_URL, NominatimGeocoder

    nominatim = NominatimGeocoder(
        user_agent=(
            user_agent
            if user_agent is not None
            else os.environ.get(USER_AGENT_ENV) or default_user_agent()
        ),
        base_url=(
            base_url
            if base_url is not None
            else os.environ.get(NOMINATIM_URL_ENV) or PUBLIC_NOMINATIM_URL
        ),
    )
    cache = GeocodeCache(cache_path if cache_path is not None else default_cache_path())
    return ChainGeocoder(gazetteer, CachedGeocoder(nominatim, cache, nominatim.provider))
