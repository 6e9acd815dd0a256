"""Fixtures that drive the real Streamlit server with Debian's chromium through playwright.

- ``start_app(env=..., script=...) -> url``: a Streamlit server per distinct (script, env),
  started on first use and stopped at the end of the session. ``app_url`` is the app on its
  seed table.
- ``browser``: one headless chromium for the session. Missing chromium skips the tests, except
  under ``CI=true`` where it fails them.
- ``page``: a fresh context and page per test that fails the test if anything reached for a host
  other than 127.0.0.1/localhost. ``@pytest.mark.allow_external`` (any host) or
  ``@pytest.mark.allow_external("tile.openstreetmap.org")`` (those hosts and their subdomains)
  lets a test of the online mode through. ``network_log`` is the record of what it asked for.

Every test in this folder is marked ``browser`` (``pytest -m "not browser"`` leaves them out).
A failed test leaves a screenshot in ``test-artifacts/screenshots/FAILED-<test>.png``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .helpers import ROOT, NetworkLog, open_context, screenshot, track_script_runs

HERE = Path(__file__).resolve().parent

# Checked on this machine (Debian chromium 156): WebGL falls back to SwiftShader with these
# flags and the MapLibre canvas draws; the background-networking flags keep chromium itself from
# calling home.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_DEFAULT = "/usr/bin/chromium"
SERVER_START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 20_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_external(*hosts): let the page reach these hosts (any host if none): online mode",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


# --- Streamlit servers ---------------------------------------------------------------------------


@dataclass
class StreamlitServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def output_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A local health check must not go through an HTTP proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(url: str) -> bool:
    try:
        with _NO_PROXY.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _launch(script: Path, env: Mapping[str, str], log_path: Path) -> StreamlitServer:
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Edits made while the suite runs must not rerun the app under a test.
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    server = StreamlitServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not _healthy(server.url):
        if process.poll() is not None:
            raise _ServerDied(server)
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(
                f"Streamlit ({script.name}) did not answer {server.url}/_stcore/health with 'ok' "
                f"within {SERVER_START_TIMEOUT_S} s. Its output:\n{server.output_tail()}",
                pytrace=False,
            )
        time.sleep(0.1)
    return server


class _ServerDied(Exception):
    def __init__(self, server: StreamlitServer) -> None:
        super().__init__(server.output_tail())
        self.server = server


@pytest.fixture(scope="session")
def start_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """``start_app(*, env=None, script="streamlit_app.py") -> url`` of a running server.

    ``env`` is laid over this process's environment; a ``None`` value removes a variable. The
    same ``script`` and ``env`` give back the same server. The working directory is the repo
    root, so ``.streamlit/config.toml`` and ``static/`` apply to every script.
    """
    servers: dict[tuple, StreamlitServer] = {}
    log_dir = tmp_path_factory.mktemp("streamlit-logs")

    def start(
        *, env: Mapping[str, str | None] | None = None, script: str | Path = "streamlit_app.py"
    ) -> str:
        script_path = (ROOT / script).resolve()
        overrides = dict(env or {})
        key = (str(script_path), tuple(sorted(overrides.items())))
        if key in servers:
            return servers[key].url
        full_env = {**os.environ}
        for name, value in overrides.items():
            if value is None:
                full_env.pop(name, None)
            else:
                full_env[name] = value
        for attempt in range(3):  # another process may take the free port before Streamlit
            log_path = log_dir / f"server-{len(servers)}-{attempt}.log"
            try:
                servers[key] = _launch(script_path, full_env, log_path)
                return servers[key].url
            except _ServerDied as died:
                dead = died.server
            if "already in use" not in dead.output_tail():
                break
        pytest.fail(
            f"Streamlit ({script_path.name}, env {overrides}) exited with code "
            f"{dead.process.returncode} before it was healthy. Its output:\n{dead.output_tail()}",
            pytrace=False,
        )

    yield start
    for server in servers.values():  # all at once: each takes about a second to shut down
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def app_url(start_app: Callable[..., str]) -> str:
    """The real app on its seed table (an inherited ``TIMELINE_MAP_TABLE`` is dropped)."""
    return start_app(env={"TIMELINE_MAP_TABLE": None})


# --- browser -------------------------------------------------------------------------------------


def _chromium_path() -> tuple[str | None, str]:
    """The chromium to use, or ``None`` and where it was looked for."""
    if configured := os.environ.get("CHROMIUM_PATH"):
        found = shutil.which(configured)
        return found, f"CHROMIUM_PATH={configured}"
    found = shutil.which("chromium") or shutil.which(CHROMIUM_DEFAULT)
    return found, f"`chromium` on PATH and {CHROMIUM_DEFAULT}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable, looked_at = _chromium_path()
    if executable is None:
        message = (
            f"no chromium executable found (looked at {looked_at}). Install Debian's chromium "
            "with `sudo apt-get install chromium`, or set CHROMIUM_PATH to a chromium binary. "
            "The browser tests drive it through playwright; `playwright install` is not needed."
        )
        if os.environ.get("CI", "").strip().lower() in {"true", "1"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def network_log(request: pytest.FixtureRequest) -> NetworkLog:
    """What this test's page asked for, and which external hosts it may reach."""
    marker = request.node.get_closest_marker("allow_external")
    if marker is None:
        return NetworkLog()
    if not marker.args:
        return NetworkLog(allow_any=True)
    return NetworkLog(allowed_hosts=frozenset(h.lower() for h in marker.args))


@pytest.fixture
def page(
    browser: Browser, network_log: NetworkLog, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A 1400x900 page in a fresh context; the test fails if anything left the machine."""
    context = open_context(browser, network_log)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    new_page = context.new_page()
    track_script_runs(new_page)
    yield new_page
    if request.node.stash.get(_CALL_FAILED, False):
        try:
            screenshot(new_page, f"FAILED-{request.node.name}")
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"no failure screenshot: {exc}")
    context.close()
    if forbidden := network_log.forbidden():
        pytest.fail(
            "the page reached for hosts other than 127.0.0.1/localhost (blocked):\n  "
            + "\n  ".join(forbidden),
            pytrace=False,
        )
