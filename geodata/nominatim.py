"""An online geocoder: OpenStreetMap's Nominatim, through geopy.

geopy fetches; ``place_from_nominatim`` reads the answer, as a pure function,
so every odd answer (an error object, a list of numbers, a point off the globe)
is tested without a network and turns into GeocoderUnavailable rather than an
exception nobody expects. Every request first waits on a rate limiter shared by
all geocoders and all processes talking to the same server, as Nominatim's
usage policy asks (see geodata.ratelimit).

The timeout is a deadline for the whole request, from connecting to the last byte
of the answer: a server that sends its headers and then one byte a second is cut
off when it passes, not waited on for as long as it trickles (a socket timeout
alone bounds each read, not their sum). An answer larger than
``MAX_ANSWER_BYTES`` or nested past ``geodata.untrusted.MAX_JSON_DEPTH`` is
refused as GeocoderUnavailable.

Redirects are never followed, to another host or the same one: a 30x answer
raises GeocoderRedirected naming where it pointed. Following one would send the
query and our user agent somewhere nobody configured, and Nominatim's
``/search`` has no reason to redirect; if a server moved (say to https), the
fix is to configure its new URL once, which the message says.
"""

from __future__ import annotations

import functools
import http.client
import io
import os
import re
import socket
import time
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit
from urllib.request import (
    HTTPHandler,
    HTTPRedirectHandler,
    HTTPSHandler,
    ProxyHandler,
    build_opener,
)

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
from geodata.untrusted import JSONRefused, loads_json

ATTRIBUTION = "© OpenStreetMap contributors"
PUBLIC_NOMINATIM_URL = "https://nominatim.openstreetmap.org"

# After a 429 without a Retry-After, wait this long before the next request.
DEFAULT_RETRY_AFTER = 10.0
# Seconds one request may take in all, from connecting to the answer's last byte.
DEFAULT_TIMEOUT = 5.0
# An answer of one result (limit=1) is a few KB; anything past this is not Nominatim's.
MAX_ANSWER_BYTES = 1_000_000

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


class _DeadlineSocket:
    """A connected socket whose every send and read waits at most until one deadline.

    http.client reads an answer through `makefile`; each read here first sets the socket's
    timeout to what is left, so a trickle of bytes ends when the deadline passes."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's deadline passed")
        self._sock.settimeout(left)

    def recv_into(self, buffer, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, size: int, flags: int = 0) -> bytes:
        self._arm()
        return self._sock.recv(size, flags)

    def sendall(self, data, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_):
        # As socket.makefile does, but reading through this object; the count of open
        # files keeps the socket open while the answer is read after the connection closes.
        self._sock._io_refs += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"), buffering or io.DEFAULT_BUFFER_SIZE)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, deadline: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _DeadlineHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, deadline: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


def _deadline(req) -> float:
    return time.monotonic() + (req.timeout if req.timeout is not None else DEFAULT_TIMEOUT)


class _DeadlineHTTPHandler(HTTPHandler):
    def http_open(self, req):
        connection = functools.partial(_DeadlineHTTPConnection, deadline=_deadline(req))
        return self.do_open(connection, req)


class _DeadlineHTTPSHandler(HTTPSHandler):
    def https_open(self, req):
        connection = functools.partial(_DeadlineHTTPSConnection, deadline=_deadline(req))
        return self.do_open(connection, req, context=self._context)


class _NoRedirectAdapter(URLLibAdapter):
    """geopy's urllib adapter, with the same proxy and TLS settings, that never follows a 30x,
    gives each request one deadline (its timeout) and reads answers within bounds."""

    def __init__(self, *, proxies, ssl_context) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        handlers = self.urlopen.__self__.handlers
        proxy = [h for h in handlers if isinstance(h, ProxyHandler)]
        tls = next(h for h in handlers if isinstance(h, HTTPSHandler))
        self.urlopen = build_opener(
            *proxy,
            _DeadlineHTTPHandler(),
            _DeadlineHTTPSHandler(context=tls._context),
            _RefuseRedirects(),
        ).open

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

    def get_json(self, url, *, timeout, headers):
        text = self.get_text(url, timeout=timeout, headers=headers)
        try:
            return loads_json(text)
        except JSONRefused as error:
            raise geopy.exc.GeocoderParseError(f"its answer {error}") from None

    def _decode_page(self, page):
        try:
            body = page.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError:
            raise geopy.exc.GeocoderTimedOut("no whole answer before the deadline") from None
        except (OSError, http.client.HTTPException) as error:
            raise geopy.exc.GeocoderServiceError(f"the answer broke off ({error})") from None
        if len(body) > MAX_ANSWER_BYTES:
            raise geopy.exc.GeocoderParseError(
                f"its answer is larger than {MAX_ANSWER_BYTES // 1_000_000} MB"
            )
        try:
            return body.decode(page.headers.get_content_charset() or "utf-8")
        except (LookupError, ValueError):
            raise geopy.exc.GeocoderParseError("its answer is not text") from None


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
        timeout: float = DEFAULT_TIMEOUT,
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
        except geopy.exc.GeocoderTimedOut as error:
            raise GeocoderUnavailable(
                f"Nominatim at {self.base_url} timed out: no whole answer for {name!r} within "
                f"{self.timeout:g} s (the deadline of one request)"
            ) from error
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
        said = str(error)
        return said[:200] if said.startswith("its answer") else "its answer is not JSON"
    # geopy puts the whole response body in some messages; keep them readable.
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
