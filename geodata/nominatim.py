"""An online geocoder: OpenStreetMap's Nominatim, through geopy.

geopy fetches; ``place_from_nominatim`` reads the answer, as a pure function,
so every odd answer (an error object, a list of numbers, a point off the globe)
is tested without a network and turns into GeocoderUnavailable rather than an
exception nobody expects. Every request first waits on a rate limiter shared by
all geocoders talking to the same server, as Nominatim's usage policy asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import geopy.exc
from geopy.adapters import URLLibAdapter
from geopy.geocoders import Nominatim

from geodata.errors import ConfigurationError, GeocoderRateLimited, GeocoderUnavailable
from geodata.names import normalise_country
from geodata.place import Place
from geodata.ratelimit import RateLimiter, shared_limiter

ATTRIBUTION = "© OpenStreetMap contributors"
PUBLIC_NOMINATIM_URL = "https://nominatim.openstreetmap.org"

# After a 429 without a Retry-After, wait this long before the next request.
DEFAULT_RETRY_AFTER = 10.0

# The sample agents from geopy's docs, which its Nominatim refuses against the
# public server (geopy keeps its list private); we refuse them everywhere.
_SAMPLE_USER_AGENTS = frozenset(
    {"my-application", "my_app/1", "my_user_agent/1.0", "specify_your_app_name_here"}
)

# How precisely a Nominatim result stands for its place, read from its OSM
# tags: addresstype first (Nominatim's own reading of the feature), then type,
# then class. Anything not listed is taken as a town-sized point.
PRECISION_BY_OSM_TAG = {
    "building": "site",
    "amenity": "site",
    "office": "site",
    "shop": "site",
    "tourism": "site",
    "historic": "site",
    "city": "town",
    "town": "town",
    "village": "town",
    "hamlet": "town",
    "state": "region",
    "province": "region",
    "region": "region",
    "county": "region",  # a raion or district: far coarser than a town point
    "state_district": "region",
    "country": "country",
}

_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


class _RawNominatim(Nominatim):
    """geopy's Nominatim, handing back the decoded JSON for us to read.

    geopy's own reader crashes with TypeError or AttributeError on JSON of the
    wrong shape, which is not one of its documented errors.
    """

    def _parse_json(self, places, exactly_one):
        return places  # we always ask for one result (limit=1)


class NominatimGeocoder:
    """``geocode(name, country=None) -> Place | None`` against a Nominatim server.

    Settings are checked here, not on the first request: an empty user agent,
    one of geopy's sample agents, a base URL that is not http(s) or a
    non-positive timeout raise ConfigurationError. Constructing makes no request.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        base_url: str = PUBLIC_NOMINATIM_URL,
        timeout: float = 5.0,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.user_agent = _checked_user_agent(user_agent)
        self.base_url, scheme, domain = _split_base_url(base_url)
        if not timeout > 0:
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, not {timeout!r}"
            )
        self.timeout = timeout
        # None: the limiter every geocoder of this process shares for this server.
        self.rate_limiter = (
            rate_limiter if rate_limiter is not None else shared_limiter(self.base_url)
        )
        try:
            self._nominatim = _RawNominatim(
                user_agent=self.user_agent,
                scheme=scheme,
                domain=domain,
                timeout=timeout,
                # urllib, not requests: geopy's requests adapter retries a timed-out
                # GET twice by itself (three requests for one lookup), behind the
                # rate limiter's back.
                adapter_factory=URLLibAdapter,
            )
        except geopy.exc.ConfigurationError as error:
            raise ConfigurationError(str(error)) from error

    @property
    def provider(self) -> str:
        """The name answers are cached under: one cache entry per server."""
        return f"nominatim {self.base_url}"

    def geocode(self, name: str, country: str | None = None) -> Place | None:
        country = normalise_country(country)
        if not name.strip():
            return None
        try:
            with self.rate_limiter.slot():
                answer = self._nominatim.geocode(
                    name,
                    exactly_one=True,
                    addressdetails=True,
                    language="en",
                    country_codes=country.lower() if country else None,
                )
        except geopy.exc.GeocoderRateLimited as error:
            # No retry here: the next request, whoever makes it, waits instead.
            retry_after = None if error.retry_after is None else float(error.retry_after)
            self.rate_limiter.back_off(DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
            when = "no Retry-After" if retry_after is None else f"retry after {retry_after:g} s"
            raise GeocoderRateLimited(
                f"Nominatim at {self.base_url} asks us to slow down (HTTP 429, {when})",
                retry_after=retry_after,
            ) from error
        except geopy.exc.GeocoderServiceError as error:
            raise GeocoderUnavailable(
                f"Nominatim at {self.base_url} gave no answer for {name!r}: {_first_line(error)}"
            ) from error
        return place_from_nominatim(answer, query=name)


def place_from_nominatim(answer: object, *, query: str) -> Place | None:
    """Read Nominatim's decoded ``/search`` answer (format json or jsonv2).

    ``[]`` is "not found" and gives None; anything that is not a list of
    results with a usable point raises GeocoderUnavailable.
    """
    if isinstance(answer, Mapping) and "error" in answer:
        raise GeocoderUnavailable(f"Nominatim answered with an error: {answer['error']!r:.200}")
    if not isinstance(answer, list):
        raise GeocoderUnavailable(f"Nominatim's answer is not a list of places: {answer!r:.200}")
    if not answer:
        return None
    result = answer[0]
    if not isinstance(result, Mapping):
        raise GeocoderUnavailable(f"Nominatim's answer holds no place: {result!r:.200}")
    try:
        place = Place(
            name=result.get("name") or str(result.get("display_name", "")).split(",")[0] or query,
            lat=float(result["lat"]),
            lon=float(result["lon"]),
            country=_country(result.get("address")),
            precision=precision_from_osm(result),
            source=_source(result),
            credit=ATTRIBUTION,
            timezone=None,  # Nominatim does not say
        )
    except (KeyError, TypeError, ValueError) as error:
        raise GeocoderUnavailable(f"Nominatim's answer has no usable point ({error})") from error
    return place


def precision_from_osm(result: Mapping) -> str:
    """The PLACE_PRECISIONS entry for a result (jsonv2 calls class "category")."""
    for key in ("addresstype", "type", "class", "category"):
        precision = PRECISION_BY_OSM_TAG.get(str(result.get(key, "")))
        if precision is not None:
            return precision
    return "town"


def _country(address: object) -> str | None:
    code = address.get("country_code") if isinstance(address, Mapping) else None
    if isinstance(code, str) and _COUNTRY_CODE.fullmatch(code):
        return normalise_country(code)
    return None


def _source(result: Mapping) -> str:
    osm_type, osm_id = result.get("osm_type"), result.get("osm_id")
    if osm_type and osm_id:
        return f"OpenStreetMap via Nominatim, {osm_type}/{osm_id}"
    return "OpenStreetMap via Nominatim"


def _checked_user_agent(user_agent: str | None) -> str:
    agent = (user_agent or "").strip()
    if not agent:
        raise ConfigurationError(
            "Nominatim requires a user agent that identifies the application; got an empty one"
        )
    if agent in _SAMPLE_USER_AGENTS or agent.lower().startswith("geopy/"):
        raise ConfigurationError(
            f"{agent!r} is a sample or default user agent; Nominatim's usage policy asks for one "
            "that identifies this application"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in agent):
        raise ConfigurationError(f"user agent {agent!r} contains control characters")
    return agent


def _split_base_url(base_url: str) -> tuple[str, str, str]:
    """``(normalised base URL, scheme, domain with any path)``, the pieces geopy wants."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url must look like 'https://nominatim.openstreetmap.org', not {base_url!r}"
        )
    domain = parts.netloc + parts.path.rstrip("/")
    return f"{parts.scheme}://{domain}", parts.scheme, domain


def _first_line(error: Exception) -> str:
    if isinstance(error, geopy.exc.GeocoderParseError):
        return "its answer is not JSON"
    # geopy puts the whole response body in some messages; keep them readable.
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
