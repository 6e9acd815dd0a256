"""A local stand-in for Nominatim's ``/search``: a real HTTP server on 127.0.0.1, for tests.

The answer depends on the ``q`` parameter (case-insensitive):

- a name in ``FOUND``: a one-result list shaped like Nominatim's format=json
  (format=jsonv2 says ``category`` instead of ``class``), filtered by
  ``countrycodes`` as Nominatim does;
- ``slow``: answers only after ``slow_seconds`` (longer than any client timeout here);
- ``trickle``: headers at once, then a body of ``[]`` padded with spaces, one byte every
  ``trickle_seconds`` for ``slow_seconds`` (each read is quick, their sum is not);
- ``trickle headers``: the status line and headers themselves one byte at a time;
- ``deep``: 200 with JSON nested 100,000 levels deep;
- ``huge``: 200 with a 5 MB JSON list;
- ``ratelimited``: 429 with ``Retry-After: 2``; ``ratelimited quietly``: 429 without it;
- ``forbidden``: 403, as Nominatim answers a blocked user agent;
- ``broken``: 500;
- ``garbage``: 200 with a body that is not JSON;
- ``oddjson``: 200 with JSON that is not a list of places;
- ``redirect elsewhere``: 302 to ``redirect_to`` (another host, e.g. a second server);
- ``redirect here``: 301 to a relative ``/search?q=Sloviansk...`` on this same server;
- ``redirect nowhere``: 302 without a Location;
- anything else: ``[]``, Nominatim's "not found".

Each request is recorded with the server's own monotonic time of arrival and
its User-Agent. The OSM ids and points in ``FOUND`` are made up for the tests:
they are shaped like Nominatim's answers, not taken from it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"


def _result(*, osm: tuple[str, int], lat: str, lon: str, tags: tuple[str, str, str],
            name: str, display_name: str, address: dict[str, str]) -> dict:  # fmt: skip
    """One result as format=json gives it; ``tags`` is (class, type, addresstype)."""
    return {
        "place_id": osm[1] + 5000,
        "licence": LICENCE,
        "osm_type": osm[0],
        "osm_id": osm[1],
        "lat": lat,  # Nominatim sends coordinates as strings
        "lon": lon,
        "class": tags[0],
        "type": tags[1],
        "place_rank": 16,
        "importance": 0.5,
        "addresstype": tags[2],
        "name": name,
        "display_name": display_name,
        "address": address,
        "boundingbox": [lat, lat, lon, lon],
    }


FOUND = {
    "sloviansk": _result(
        osm=("relation", 900001),
        lat="48.8530000",
        lon="37.6050000",
        tags=("boundary", "administrative", "city"),
        name="Sloviansk",
        display_name="Sloviansk, Kramatorsk Raion, Donetsk Oblast, Ukraine",
        address={"city": "Sloviansk", "state": "Donetsk Oblast", "country_code": "ua"},
    ),
    "nikopol": _result(
        osm=("node", 900002),
        lat="47.5700000",
        lon="34.3900000",
        tags=("place", "city", "city"),
        name="Nikopol",
        display_name="Nikopol, Nikopol Raion, Dnipropetrovsk Oblast, Ukraine",
        address={"city": "Nikopol", "state": "Dnipropetrovsk Oblast", "country_code": "ua"},
    ),
    "sumy regional clinical hospital": _result(
        osm=("way", 900003),
        lat="50.9100000",
        lon="34.8000000",
        tags=("amenity", "hospital", "amenity"),
        name="Sumy Regional Clinical Hospital",
        display_name="Sumy Regional Clinical Hospital, Sumy, Ukraine",
        address={"amenity": "Sumy Regional Clinical Hospital", "country_code": "ua"},
    ),
    "dnipropetrovsk oblast": _result(
        osm=("relation", 900004),
        lat="48.5000000",
        lon="35.0000000",
        tags=("boundary", "administrative", "state"),
        name="Dnipropetrovsk Oblast",
        display_name="Dnipropetrovsk Oblast, Ukraine",
        address={"state": "Dnipropetrovsk Oblast", "country_code": "ua"},
    ),
}


@dataclass(frozen=True)
class ReceivedRequest:
    at: float  # time.monotonic() when the server received the request
    path: str
    params: dict[str, str]
    user_agent: str | None

    @property
    def q(self) -> str | None:
        return self.params.get("q")


class FakeNominatim:
    """``with FakeNominatim() as server:`` serves on ``server.url`` until the block ends."""

    def __init__(
        self,
        *,
        slow_seconds: float = 3.0,
        trickle_seconds: float = 0.1,
        redirect_to: str = "http://elsewhere.invalid/search",
    ) -> None:
        self.slow_seconds = slow_seconds
        self.trickle_seconds = trickle_seconds
        self.redirect_to = redirect_to
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # the handler finds its scenario through the server
        # A short poll interval so that leaving the block (shutdown) takes milliseconds.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests_for(self, q: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.q == q]

    def __enter__(self) -> FakeNominatim:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # wakes any slow answer still waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        fake: FakeNominatim = self.server.fake
        arrived = time.monotonic()
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        fake._record(ReceivedRequest(arrived, url.path, params, self.headers.get("User-Agent")))
        if url.path != "/search":
            return self._send(404, b"not found", "text/plain")

        q = params.get("q", "").strip().casefold()
        if q == "slow":
            fake._stopping.wait(fake.slow_seconds)
            return self._send(200, b"[]")
        if q in ("trickle", "trickle headers"):
            return self._trickle(fake, headers_too=q == "trickle headers")
        if q == "deep":
            return self._send(200, b"[" * 100_000 + b"]" * 100_000)
        if q == "huge":
            return self._send(200, json.dumps(["x" * 1000] * 5000).encode())
        if q == "ratelimited":
            return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "2"})
        if q == "ratelimited quietly":
            return self._send(429, b"Too Many Requests", "text/plain")
        if q == "forbidden":
            return self._send(403, b"Access blocked", "text/plain")
        if q == "broken":
            return self._send(500, b"Internal Server Error", "text/plain")
        if q == "garbage":
            return self._send(200, b"<html><body>Bad gateway, try later</body></html>", "text/html")
        if q == "oddjson":
            return self._send(200, json.dumps({"places": "none"}).encode())
        if q == "redirect elsewhere":
            where = f"{fake.redirect_to}?{url.query}"
            return self._send(302, b"Found", "text/plain", {"Location": where})
        if q == "redirect here":
            where = "/search?q=Sloviansk&format=json&limit=1"
            return self._send(301, b"Moved Permanently", "text/plain", {"Location": where})
        if q == "redirect nowhere":
            return self._send(302, b"Found", "text/plain")
        self._send(200, json.dumps(self._search(q, params)).encode())

    def _search(self, q: str, params: dict[str, str]) -> list[dict]:
        result = FOUND.get(q)
        countries = [c for c in params.get("countrycodes", "").lower().split(",") if c]
        if result is None or (countries and result["address"]["country_code"] not in countries):
            return []
        result = dict(result)
        if params.get("format") == "jsonv2":
            result["category"] = result.pop("class")
        if params.get("addressdetails") != "1":
            del result["address"]
        return [result]

    def _trickle(self, fake: FakeNominatim, *, headers_too: bool) -> None:
        """One byte every `trickle_seconds` until `slow_seconds` have passed (or the test ends)."""
        n = int(fake.slow_seconds / fake.trickle_seconds) + 2
        body = b"[" + b" " * n + b"]"
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        if headers_too:
            head, body = b"", head + body
        try:
            self.wfile.write(head)
            self.wfile.flush()
            for i in range(len(body)):
                if fake._stopping.wait(fake.trickle_seconds):
                    return
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean; requests are recorded instead
