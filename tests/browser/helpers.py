"""Page helpers for the browser tests: wait for Streamlit, read and click plotly charts.

Streamlit 1.67 marks its state in the DOM, which is what these helpers read:

- ``[data-testid="stApp"]`` carries ``data-test-script-state`` (``initial`` before the first run,
  then ``running``, ``notRunning``, ``rerunRequested``, ``stopRequested``, ``compilationError``)
  and ``data-test-connection-state`` (``PINGING_SERVER``, ``CONNECTED``, ...).
- An element whose code is still being fetched is drawn as ``[data-testid="stSkeleton"]``: after a
  run has finished, a plotly chart can stay a skeleton for a second or more.
- Elements left over from the previous run carry ``data-stale="true"`` while a rerun is going on.
- ``[data-testid="stStatusWidget"]`` ("Running...") only shows up about half a second into a run,
  so it is no use for telling whether a short run is over.

A fast rerun can go from ``notRunning`` to ``notRunning`` without the DOM ever showing
``running``, so "did my click rerun the script?" is answered from the websocket instead: every
``ScriptFinished`` message the server sends is counted (see ``track_script_runs``).

Example::

    open_app(page, app_url)
    click_map_point(page, lon=13.40, lat=52.52)  # waits for the rerun the click causes
    assert_no_exception(page)
"""

from __future__ import annotations

import base64
import itertools
import re
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, WebSocketRoute
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"

DEFAULT_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes that never touch the network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


# --- network guard -------------------------------------------------------------------------------


@dataclass
class NetworkLog:
    """Every URL a browser context asked for, and which of them were allowed to leave the machine.

    ``allowed_hosts`` lists external hosts a test may reach (a host also allows its subdomains);
    ``allow_any`` lets everything through (online mode).
    """

    allowed_hosts: frozenset[str] = frozenset()
    allow_any: bool = False
    urls: list[str] = field(default_factory=list)

    def record(self, url: str) -> None:
        self.urls.append(url)

    def is_allowed(self, url: str) -> bool:
        if self.allow_any:
            return True
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            return True
        host = (parts.hostname or "").lower()
        if host in LOCAL_HOSTS:
            return True
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)

    def forbidden(self) -> list[str]:
        """The recorded URLs that were not allowed, in order, without repeats."""
        return list(dict.fromkeys(u for u in self.urls if not self.is_allowed(u)))


def open_context(browser: Browser, network_log: NetworkLog) -> BrowserContext:
    """A fresh context that records every request and websocket, and aborts forbidden ones.

    A forbidden request is still recorded (the ``request`` event fires before the route aborts
    it), so a test that tries to reach the internet fails without ever reaching it.
    """
    context = browser.new_context(viewport=VIEWPORT)
    context.on("request", lambda request: network_log.record(request.url))

    def watch_page(page: Page) -> None:
        page.on("websocket", lambda ws: network_log.record(ws.url))

    context.on("page", watch_page)
    if not network_log.allow_any:
        forbidden = _negate(network_log.is_allowed)
        context.route(forbidden, lambda route: route.abort("blockedbyclient"))

        def refuse(ws: WebSocketRoute) -> None:
            # A routed websocket never opens, so page.on("websocket") does not see it.
            network_log.record(ws.url)
            ws.close(code=1008, reason="blocked by the test harness: not a local host")

        context.route_web_socket(forbidden, refuse)
    return context


def _negate(predicate):
    return lambda url: not predicate(url)


# --- script runs ---------------------------------------------------------------------------------


@dataclass
class ScriptRuns:
    """How many script runs the server reported finished to one page, counted from the websocket."""

    full: int = 0
    fragment: int = 0

    def on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") != "script_finished":
            return
        status = msg.script_finished
        if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
            self.full += 1
        elif status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.fragment += 1
        # FINISHED_EARLY_FOR_RERUN: another run replaces this one; that one will be counted.


_RUNS: weakref.WeakKeyDictionary[Page, ScriptRuns] = weakref.WeakKeyDictionary()


def track_script_runs(page: Page) -> ScriptRuns:
    """Start counting finished script runs on ``page``; call it before ``page.goto``."""
    runs = _RUNS.get(page)
    if runs is None:
        runs = _RUNS[page] = ScriptRuns()

        def watch(ws: WebSocket) -> None:
            if ws.url.endswith("/_stcore/stream"):
                ws.on("framereceived", runs.on_frame)

        page.on("websocket", watch)
    return runs


def script_runs(page: Page) -> ScriptRuns:
    try:
        return _RUNS[page]
    except KeyError:
        raise RuntimeError(
            "this page's script runs are not counted: call track_script_runs(page) before "
            "page.goto (the page fixture does)"
        ) from None


# --- waiting for the app -------------------------------------------------------------------------

_APP_IDLE_JS = """
({settleMs, token}) => {
  if (window.__tmIdleToken !== token) {  // a new wait_for_app call: start the settle anew
    window.__tmIdleToken = token;
    window.__tmIdleSince = undefined;
  }
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = app !== null
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && ['notRunning', 'compilationError'].includes(app.getAttribute('data-test-script-state'))
    && document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]') === null
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(chart => {
         const gd = chart.querySelector('.js-plotly-plot');
         return gd !== null && gd._fullLayout !== undefined;
       });
  const now = performance.now();
  if (!idle) { window.__tmIdleSince = undefined; return false; }
  if (window.__tmIdleSince === undefined) window.__tmIdleSince = now;
  return now - window.__tmIdleSince >= settleMs;
}
"""

_TOKENS = itertools.count()

_APP_STATE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return {
    app: app !== null,
    connection: app && app.getAttribute('data-test-connection-state'),
    script: app && app.getAttribute('data-test-script-state'),
    stale: document.querySelectorAll('[data-stale="true"]').length,
    skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
    drawn: [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd._fullLayout).length,
  };
}
"""


def wait_for_app(page: Page, *, timeout: float = DEFAULT_TIMEOUT_MS, settle: float = 150) -> None:
    """Wait (``timeout`` in ms) until the script run is over and the page shows all of it.

    Idle means: connected, script state ``notRunning`` (or ``compilationError``), no stale
    element, no skeleton, every plotly chart drawn, and all that for ``settle`` ms in a row.
    Right after an action that reruns the script the DOM may not have noticed yet: wrap the
    action in ``expect_rerun`` rather than calling this after it.
    """
    try:
        page.wait_for_function(
            _APP_IDLE_JS,
            arg={"settleMs": settle, "token": next(_TOKENS)},
            timeout=timeout,
            polling=50,
        )
    except Exception as exc:
        state = page.evaluate(_APP_STATE_JS)
        raise AssertionError(f"Streamlit app not idle after {timeout:.0f} ms: {state}") from exc


def open_app(
    page: Page, url: str, params: Mapping[str, str | Sequence[str]] | None = None, **kwargs
) -> None:
    """Go to the app (with query ``params``, repeated keys as lists) and wait for its first run."""
    if params:
        url = url.rstrip("/") + "/?" + urlencode(params, doseq=True)
    page.goto(url)
    wait_for_app(page, **kwargs)


@contextmanager
def expect_rerun(
    page: Page, *, timeout: float = DEFAULT_TIMEOUT_MS, fragment: bool = False
) -> Iterator[None]:
    """Wait, after the ``with`` body, for a script run that started after it began, then idle.

    ``fragment=True`` also accepts a fragment run (an ``st.fragment`` rerun). Beware of
    ``run_every`` fragments: their ticks count too.
    """
    runs = script_runs(page)
    before = (runs.full, runs.fragment)
    yield
    deadline = time.monotonic() + timeout / 1000
    while True:
        full_done = runs.full > before[0]
        if full_done or (fragment and runs.fragment > before[1]):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"no script run finished within {timeout:.0f} ms")
        page.wait_for_timeout(25)  # lets playwright deliver websocket frames
    wait_for_app(page, timeout=max(1000, (deadline - time.monotonic()) * 1000))


def assert_no_exception(page: Page) -> None:
    """No ``st.exception`` box and no "Traceback" anywhere on the page."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        raise AssertionError(f"the app shows an exception:\n{boxes.first.inner_text()}")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"the page shows a traceback:\n{body[-2000:]}"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG to ``test-artifacts/screenshots/{name}.png`` and return its path.

    Streamlit scrolls inside ``[data-testid="stMain"]``, not the document, so playwright's own
    ``full_page`` stops at the viewport: the viewport is made as tall as the content instead.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "screenshot"
    path = SCREENSHOT_DIR / f"{safe}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate(_CONTENT_HEIGHT_JS) if full_page and viewport else 0
    if height <= (viewport or {}).get("height", 0):
        page.screenshot(path=str(path))
        return path
    page.set_viewport_size({"width": viewport["width"], "height": min(height, MAX_SHOT_HEIGHT)})
    try:
        page.evaluate(_TWO_FRAMES_JS)  # let the layout and the charts follow the new size
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


MAX_SHOT_HEIGHT = 8000

_CONTENT_HEIGHT_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
  return Math.max(
    document.documentElement.scrollHeight,
    main ? main.scrollHeight : 0,
    sidebar ? sidebar.scrollHeight : 0,
  );
}
"""

_TWO_FRAMES_JS = """
() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done())))
"""


# --- plotly charts -------------------------------------------------------------------------------

_FIGURE_JS = """
(i) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[i];
  if (!gd || !gd._fullLayout) return null;
  // plotly 7 sends numeric arrays as {dtype, bdata}; plotly.js keeps the decoded typed array
  // beside them as _inputArray. Both become plain lists.
  const plain = (key, value) => {
    if (value && typeof value === 'object' && 'bdata' in value && '_inputArray' in value) {
      value = value._inputArray;
    }
    return ArrayBuffer.isView(value) ? Array.from(value) : value;
  };
  return JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout}, plain));
}
"""


def plotly_figure_json(page: Page, chart_index: int = 0) -> dict:
    """``{"data": [...], "layout": {...}}`` of the n-th plotly chart on the page, as drawn.

    Charts count in page order, maps and others alike (``st.plotly_chart`` calls in script order).
    """
    figure = page.evaluate(_FIGURE_JS, chart_index)
    if figure is None:
        count = page.locator(".js-plotly-plot").count()
        raise AssertionError(f"no drawn plotly chart #{chart_index}: the page has {count}")
    return _decode_arrays(figure)


def _decode_arrays(value):
    """Turn any ``{"dtype": ..., "bdata": ...}`` plotly.js left undecoded into a list."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {key: _decode_arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_arrays(item) for item in value]
    return value


# Maps count among the charts that have a MapLibre subplot (layout.map), in page order.
_FIND_MAP_JS = """
const findMap = (i) => {
  const maps = [...document.querySelectorAll('.js-plotly-plot')]
    .filter(gd => gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot);
  return maps[i] || null;
};
"""

_MAP_READY_JS = (
    "(i) => {"
    + _FIND_MAP_JS
    + """
  const gd = findMap(i);
  if (!gd) return false;
  const m = gd._fullLayout.map._subplot.map;
  return m.loaded() && !m.isMoving();
}
"""
)

_MAP_SCROLL_JS = (
    "(i) => {"
    + _FIND_MAP_JS
    + """
  const gd = findMap(i);
  const r = gd.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) gd.scrollIntoView({block: 'center'});
}
"""
)

_MAP_POINT_JS = (
    "([i, lon, lat]) => {"
    + _FIND_MAP_JS
    + """
  const gd = findMap(i);
  const m = gd._fullLayout.map._subplot.map;
  const r = m.getCanvas().getBoundingClientRect();
  const q = m.project([lon, lat]);
  const x = r.left + q.x, y = r.top + q.y;
  const top = document.elementFromPoint(x, y);
  return {
    x, y,
    inCanvas: q.x >= 0 && q.y >= 0 && q.x <= r.width && q.y <= r.height,
    inViewport: x >= 0 && y >= 0 && x <= window.innerWidth && y <= window.innerHeight,
    covered: top === null || !gd.contains(top),
    coveredBy: top && (top.getAttribute('data-testid') || top.className.toString() || top.tagName),
  };
}
"""
)


def map_point_xy(
    page: Page, lon: float, lat: float, chart_index: int = 0, *, timeout: float = DEFAULT_TIMEOUT_MS
) -> tuple[float, float]:
    """Viewport coordinates (for ``page.mouse``) of ``lon, lat`` on the n-th MapLibre map.

    ``chart_index`` counts maps only. Scrolls the map into view and waits until MapLibre has
    loaded and stopped moving; fails if the point is off the map or something covers it.
    """
    try:
        page.wait_for_function(_MAP_READY_JS, arg=chart_index, timeout=timeout, polling=50)
    except Exception as exc:
        raise AssertionError(
            f"MapLibre map #{chart_index} did not load within {timeout:.0f} ms "
            "(offline, a style or tile URL on the internet never loads)"
        ) from exc
    page.evaluate(_MAP_SCROLL_JS, chart_index)
    where = page.evaluate(_MAP_POINT_JS, [chart_index, lon, lat])
    if not where["inCanvas"]:
        raise AssertionError(f"lon={lon}, lat={lat} is outside map #{chart_index}: {where}")
    if not where["inViewport"]:
        raise AssertionError(f"lon={lon}, lat={lat} is outside the viewport: {where}")
    if where["covered"]:
        raise AssertionError(
            f"lon={lon}, lat={lat} on map #{chart_index} is covered by {where['coveredBy']}"
        )
    return where["x"], where["y"]


def click_map_point(
    page: Page,
    lon: float,
    lat: float,
    chart_index: int = 0,
    *,
    modifiers: Iterable[str] = (),
    rerun: bool = True,
    fragment: bool = True,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> None:
    """Click ``lon, lat`` on the n-th map (``modifiers`` e.g. ``["Shift"]`` to add to a selection).

    With ``rerun=True`` (an ``on_select`` chart) it returns once the rerun the click causes has
    finished and the page is idle: a full run, or a fragment run when the chart sits in an
    ``st.fragment`` (``fragment=False`` insists on a full run).
    """
    x, y = map_point_xy(page, lon, lat, chart_index, timeout=timeout)
    keys = list(modifiers)
    with expect_rerun(page, timeout=timeout, fragment=fragment) if rerun else _nothing():
        page.mouse.move(x, y)
        for key in keys:
            page.keyboard.down(key)
        page.mouse.click(x, y)
        for key in reversed(keys):
            page.keyboard.up(key)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
