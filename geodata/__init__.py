"""Where the story's places are: an offline gazetteer, and optionally Nominatim.

>>> from geodata import make_geocoder
>>> place = make_geocoder().geocode("Slavyansk")
>>> (place.name, place.country, place.precision, place.credit)
('Sloviansk', 'UA', 'town', 'GeoNames (CC BY 4.0)')
"""

from geodata.cache import CachedGeocoder, GeocodeCache, default_cache_path
from geodata.errors import (
    AmbiguousPlace,
    ConfigurationError,
    GazetteerError,
    GeocoderRateLimited,
    GeocoderUnavailable,
    GeodataError,
    Problem,
)
from geodata.gazetteer import Gazetteer, default_gazetteer
from geodata.geocoder import ChainGeocoder, Geocoder, default_user_agent, make_geocoder
from geodata.place import PLACE_PRECISIONS, Place

__all__ = [
    "PLACE_PRECISIONS",
    "AmbiguousPlace",
    "CachedGeocoder",
    "ChainGeocoder",
    "ConfigurationError",
    "GazetteerError",
    "GeocodeCache",
    "Geocoder",
    "GeocoderRateLimited",
    "GeocoderUnavailable",
    "GeodataError",
    "Gazetteer",
    "Place",
    "Problem",
    "default_cache_path",
    "default_gazetteer",
    "default_user_agent",
    "make_geocoder",
]
