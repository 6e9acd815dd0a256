"""One ``geocode(name, country=None, region=None)`` for the app, offline unless asked.

The chain: the story's own gazetteers (``places.csv`` beside its table), the
packaged gazetteer, the world gazetteer (GeoNames, loaded only when a name misses
the others), and only when ``online``, cached and rate-limited Nominatim.
Offline is the default because an offline run must never reach the network:
with no network, geopy's defaults can spend half a minute on one lookup.
Every Place the chain returns has a time zone (looked up at its point when the
source gives none, as Nominatim never does).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

from geodata.cache import CachedGeocoder, GeocodeCache, default_cache_path
from geodata.gazetteer import Gazetteer, default_gazetteer
from geodata.names import normalise_name
from geodata.place import Place
from geodata.timezones import with_timezone
from geodata.world import LazyWorldGazetteer

# A story's own gazetteer, looked for beside its event table.
STORY_PLACES = "places.csv"

USER_AGENT_ENV = "TIMELINE_MAP_USER_AGENT"
NOMINATIM_URL_ENV = "TIMELINE_MAP_NOMINATIM_URL"


class Geocoder(Protocol):
    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        """The place, None when not found; our errors (GeodataError) on failure."""
        ...


class ChainGeocoder:
    """Ask each geocoder in turn; the first that finds the place answers.

    An error (AmbiguousPlace from the gazetteer, GeocoderUnavailable online)
    stops the chain: a name the gazetteer knows in two countries needs a
    country, not a guess from the next geocoder. The answer gets the time zone
    at its point if its geocoder gave none.
    """

    def __init__(self, *geocoders: Geocoder) -> None:
        self.geocoders = geocoders

    @property
    def online(self) -> bool:
        """True when some link of the chain asks a server: its misses were asked online."""
        return any(getattr(g, "online", False) for g in self.geocoders)

    def might_know(self, name: str) -> bool:
        """False when every geocoder of the chain surely lacks `name` (offline gazetteers
        say so from one normalised key); True when any may have it, or may ask a server.

        A table of a million distinct unknown names is answered in seconds this way, where
        asking each gazetteer in turn cost 75 µs a name."""
        key = normalise_name(name)
        for geocoder in self.geocoders:
            screen = getattr(geocoder, "might_know", None)
            if screen is None or screen(key, name):
                return True
        return False

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        for geocoder in self.geocoders:
            if region is not None and region.strip():
                place = geocoder.geocode(name, country, region)
            else:  # a geocoder written before regions still works
                place = geocoder.geocode(name, country)
            if place is not None:
                return with_timezone(place)
        return None


def story_gazetteers(table_path: str | os.PathLike[str]) -> tuple[Path, ...]:
    """The story gazetteer beside an event table (``places.csv``), if there is one.

    Anything of that name counts, a folder too, so that a misplaced folder is
    reported by ``make_geocoder`` rather than silently ignored.
    """
    candidate = Path(table_path).parent / STORY_PLACES
    return (candidate,) if candidate.exists() or candidate.is_symlink() else ()


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
    gazetteers: Sequence[str | os.PathLike[str] | Gazetteer] = (),
    world: bool = True,
) -> Geocoder:
    """Story gazetteers, the packaged one, the world one, then (if ``online``) Nominatim.

    ``gazetteers`` are a story's own files (see ``story_gazetteers``), asked
    first and in order; each is read here, so a missing, unreadable or bad file
    fails now with GazetteerFileError or GazetteerError naming it.
    ``gazetteer`` replaces the packaged one; ``world=False`` leaves out the
    world gazetteer (GeoNames cities1000 and first-level regions), which is
    loaded only when a name misses every gazetteer before it (online: after
    Nominatim too).
    Unset settings come from ``$TIMELINE_MAP_USER_AGENT``,
    ``$TIMELINE_MAP_NOMINATIM_URL`` and ``$TIMELINE_MAP_CACHE_DIR``, else
    defaults. Every Place says where it came from: online answers carry
    ``credit == "© OpenStreetMap contributors"``, which the UI must show.

    >>> make_geocoder().geocode("Slovyansk", "UA").source
    'GeoNames 693468'
    >>> make_geocoder().geocode("Zheleznogorsk", "RU", "Krasnoyarsk Krai").timezone
    'Asia/Krasnoyarsk'
    """
    offline: list[Geocoder] = [
        story if isinstance(story, Gazetteer) else Gazetteer.from_path(story)
        for story in gazetteers
    ]
    offline.append(gazetteer if gazetteer is not None else default_gazetteer())
    fallback = [LazyWorldGazetteer()] if world else []
    if not online:
        return ChainGeocoder(*offline, *fallback)

    # Imported here so an offline run does not even load the network code.
    from geodata.nominatim import PUBLIC_NOMINATIM_URL, NominatimGeocoder

    cache_path = cache_path if cache_path is not None else default_cache_path()
    nominatim = NominatimGeocoder(
        # Beside the cache, so every process using this cache shares one request budget.
        rate_limit_dir=Path(cache_path).parent,
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
    cache = GeocodeCache(cache_path)
    # Online, Nominatim answers before the world gazetteer: whoever asks for it wants its
    # answer for names the curated gazetteers miss; the world gazetteer stands in for it
    # when it finds nothing.
    return ChainGeocoder(*offline, CachedGeocoder(nominatim, cache, nominatim.provider), *fallback)
