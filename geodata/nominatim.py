"""An online geocoder: OpenStreetMap's Nominatim, through geopy.

geopy fetches; ``place_from_nominatim`` reads the answer, as a pure function,
so every odd answer (an error object, a list of numbers, a point off the globe)
is tested without a network and turns into GeocoderUnavailable rather than an
exception nobody expects. Every request first waits on a rate limiter shared by
all geocoders and all processes talking to the same server, as Nominatim's
usage policy asks (see geodata.ratelimit).

Redirects are never followed, to another host or the same one: a 30x answer
raises GeocoderRedirected naming where it pointed. Following one would send the
query and our user agent somewhere nobody configured, and Nominatim's
``/search`` has no reason to redirect; if a server moved (say to https), the
fix is to configure its new URL once, which the message says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, ProxyHandler, build_opener

import geopy.exc
from geopy.adapters import AdapterHTTPError, URLLibAdapter
from geopy.geocoders import Nominatim

from geodata.cache import checked_name, default_cache_path
from geodata.errors import (
    ConfigurationError,
    GeocoderRateLimited,
    GeocoderRedirected,
    GeocoderUnavailable,
)
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


class _Redirected(Exception):
    """Raised by the adapter on a 30x; NominatimGeocoder turns it into GeocoderRedirected."""

    def __init__(self, status: int, location: str | None) -> None:
        super().__init__(status, location)
        self.status = status
        self.location = location


class _RefuseRedirects(HTTPRedirectHandler):
    """urllib follows redirects by itself; returning None makes a 30x an HTTPError instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _NoRedirectAdapter(URLLibAdapter):
    """geopy's urllib adapter, with the same proxy and TLS handlers, that never follows a 30x."""

    def __init__(self, *, proxies, ssl_context) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        kept = [
            handler
            for handler in self.urlopen.__self__.handlers
            if isinstance(handler, (ProxyHandler, HTTPSHandler))
        ]
        self.urlopen = build_opener(*kept, _RefuseRedirects()).open

    def get_text(self, url, *, timeout, headers):
        try:
            return super().get_text(url, timeout=timeout, headers=headers)
        except AdapterHTTPError as error:
            if 300 <= error.status_code < 400:
                location = (error.headers or {}).get("location")
                raise _Redirected(
                    error.status_code, urljoin(url, location) if location else None
                ) from error
            raise


class NominatimGeocoder:
    """``geocode(name, country=None, region=None) -> Place | None`` against a Nominatim server.

    Settings are checked here, not on the first request: an empty user agent,
    one of geopy's sample agents, a base URL that is not http(s) or a
    non-positive timeout raise ConfigurationError. Constructing makes no request
    and writes nothing.

    Without ``rate_limiter``, requests wait on the limiter every geocoder and
    every process shares for this server, through a file in ``rate_limit_dir``
    (default: the cache folder, ``default_cache_path().parent``).
    """

    def __init__(
        self,
        *,
        user_agent: str,
        base_url: str = PUBLIC_NOMINATIM_URL,
        timeout: float = 5.0,
        rate_limiter: RateLimiter | None = None,
        rate_limit_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.user_agent = _checked_user_agent(user_agent)
        self.base_url, scheme, domain = _split_base_url(base_url)
        if not timeout > 0:
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, not {timeout!r}"
            )
        self.timeout = timeout
        if rate_limiter is None:
            rate_limiter = shared_limiter(
                self.base_url,
                state_dir=(
                    rate_limit_dir if rate_limit_dir is not None else default_cache_path().parent
                ),
            )
        self.rate_limiter = rate_limiter
        try:
            self._nominatim = _RawNominatim(
                user_agent=self.user_agent,
                scheme=scheme,
                domain=domain,
                timeout=timeout,
                # urllib, not requests: geopy's requests adapter retries a timed-out
                # GET twice by itself (three requests for one lookup), behind the
                # rate limiter's back. Ours also refuses redirects.
                adapter_factory=_NoRedirectAdapter,
            )
        except geopy.exc.ConfigurationError as error:
            raise ConfigurationError(str(error)) from error

    @property
    def online(self) -> bool:
        """True: a None from this geocoder means the server found nothing, not "not asked"."""
        return True

    @property
    def provider(self) -> str:
        """The name answers are cached under: one cache entry per server."""
        return f"nominatim {self.base_url}"

    def geocode(
        self, name: str, country: str | None = None, region: str | None = None
    ) -> Place | None:
        """The first result for ``name`` (``"name, region"`` when a region is given), or None."""
        country = normalise_country(country)
        if not name.strip():
            return None
        query = checked_name(f"{name}, {region}" if region else name)
        try:
            with self.rate_limiter.slot():
                answer = self._nominatim.geocode(
                    query,
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
        except _Redirected as redirect:
            raise self._redirected(redirect) from redirect
        except geopy.exc.GeocoderServiceError as error:
            raise GeocoderUnavailable(
                f"Nominatim at {self.base_url} gave no answer for {name!r}: {_first_line(error)}"
            ) from error
        return place_from_nominatim(answer, query=name)

    def _redirected(self, redirect: _Redirected) -> GeocoderRedirected:
        where = redirect.location
        if where is None:
            text = f"answered HTTP {redirect.status} (a redirect) without saying where to"
        elif urlsplit(where).netloc.lower() != urlsplit(self.base_url).netloc.lower():
            text = f"redirected to {urlsplit(where).netloc or where}; not followed"
        else:
            text = (
                f"redirected to {where}; not followed (if the server has moved, "
                "give that address as its URL)"
            )
        return GeocoderRedirected(
            f"the geocoding server {self.base_url} {text} (HTTP {redirect.status})",
            location=where,
        )


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
