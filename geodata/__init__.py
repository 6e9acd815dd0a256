"""Where the story's places are: offline gazetteers (the story's, ours, the world's), and Nominatim.

>>> from geodata import make_geocoder
>>> place = make_geocoder().geocode("Slavyansk")
>>> (place.name, place.country, place.precision, place.credit)
('Sloviansk', 'UA', 'town', 'GeoNames (CC BY 4.0)')
"""

from geodata.cache import CachedGeocoder, GeocodeCache, default_cache_path
from geodata.errors import (
    AmbiguousPlace,
    AmbiguousRegion,
    CacheError,
    ConfigurationError,
    GazetteerError,
    GazetteerFileError,
    GeocoderRateLimited,
    GeocoderRedirected,
    GeocoderUnavailable,
    GeodataError,
    GeodataWarning,
    InvalidPlaceName,
    Problem,
)
from geodata.gazetteer import Gazetteer, default_gazetteer
from geodata.geocoder import (
    STORY_PLACES,
    ChainGeocoder,
    Geocoder,
    default_user_agent,
    make_geocoder,
    story_gazetteers,
)
from geodata.place import PLACE_PRECISIONS, Place
from geodata.timezones import timezone_at, timezones_at
from geodata.world import WorldGazetteer, world_gazetteer

__all__ = [
    "PLACE_PRECISIONS",
    "STORY_PLACES",
    "AmbiguousPlace",
    "AmbiguousRegion",
    "CacheError",
    "CachedGeocoder",
    "ChainGeocoder",
    "ConfigurationError",
    "GazetteerError",
    "GazetteerFileError",
    "GeocodeCache",
    "Geocoder",
    "GeocoderRateLimited",
    "GeocoderRedirected",
    "GeocoderUnavailable",
    "GeodataError",
    "GeodataWarning",
    "InvalidPlaceName",
    "Gazetteer",
    "Place",
    "Problem",
    "default_cache_path",
    "default_gazetteer",
    "default_user_agent",
    "make_geocoder",
    "story_gazetteers",
    "timezone_at",
    "timezones_at",
    "world_gazetteer",
    "WorldGazetteer",
]
