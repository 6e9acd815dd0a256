"""The Streamlit server process reaches nothing outside this machine, from start to a first page.

The real server runs the real ``streamlit_app.py`` from the repo root (so the project's
``.streamlit/config.toml`` applies), inside a small recorder: ``sys.addaudithook`` notes every
socket connect, name lookup and datagram send the process makes, then Streamlit's own CLI runs in
the same process. The test opens the page over 127.0.0.1 (the HTML, the health check and a
websocket session that runs the script to its end), stops the server, and asks that every
recorded destination be loopback.

The server is started the way a reader starts it (``streamlit run streamlit_app.py``, only the
port is chosen): pinning ``--server.address`` would send Streamlit down another branch of its
start-up print-out, the one that skips the external-IP lookup this test exists to catch.

A second test, a strict xfail, records the one lookup the config cannot stop: Streamlit checks a
websocket from a foreign Origin against the machine's own IPs, which it looks up then.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
START_TIMEOUT_S = 20
RUN_TIMEOUT_S = 20

# Runs as the server process: ``python -c RECORDER LOG_PATH streamlit-args...``. The hook is
# installed before Streamlit is imported, so nothing the server does escapes it; it must never
# raise, since an exception in an audit hook would break the socket call it watches.
RECORDER = r"""
import json, sys, threading

_log = open(sys.argv[1], "a", buffering=1, encoding="utf-8")
_lock = threading.Lock()
_SOCKET_SENDS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"}
_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
            "socket.gethostbyaddr"}
_CHILDREN = {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system"}

def _host(value):
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value

def _record(event, args):
    if event in _SOCKET_SENDS:
        address = args[1]
        if isinstance(address, tuple):
            return {"family": int(args[0].family), "host": _host(address[0]), "port": address[1]}
        return {"family": int(args[0].family), "local_path": repr(address)}
    if event in _LOOKUPS:
        return {"host": _host(args[0])}
    if event == "socket.getnameinfo":
        return {"host": _host(args[0][0])}
    if event in _CHILDREN:
        return {"command": repr(args[:2])[:300]}
    return None

def _hook(event, args):
    try:
        entry = _record(event, args)
    except Exception as error:
        entry = {"unreadable": repr(error)}
    if entry is not None:
        with _lock:
            _log.write(json.dumps({"event": event, **entry}) + "\n")

sys.addaudithook(_hook)
sys.argv = ["streamlit", *sys.argv[2:]]
from streamlit.web import cli
cli.main()
"""

# A local request must not go through an HTTP proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with _NO_PROXY.open(url, timeout=5) as response:
        return response.status, response.read()


def _wait_healthy(base: str, process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Streamlit exited early:\n{output.read_text(errors='replace')}")
        try:
            if _get(f"{base}/_stcore/health") == (200, b"ok"):
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(f"Streamlit was not healthy within {START_TIMEOUT_S} s")


def _run_first_page(port: int) -> tuple[int, int]:
    """Open a session as the page's own script does and run the app once.

    Gives the run's end status and how many elements (deltas) it sent to the page.
    """
    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    rerun.rerun_script.page_script_hash = ""
    with connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        origin=f"http://127.0.0.1:{port}",
        proxy=None,
        max_size=None,
        open_timeout=5,
    ) as ws:
        ws.send(rerun.SerializeToString())
        deadline = time.monotonic() + RUN_TIMEOUT_S
        deltas = 0
        while True:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            kind = message.WhichOneof("type")
            deltas += kind == "delta"
            if kind == "script_finished":
                return message.script_finished, deltas


def _is_loopback(host: str | None) -> bool:
    if host is None:  # a lookup for a passive (listening) address: nothing is asked of anyone
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a name: resolving it may already ask a DNS server
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _outside(records: list[dict]) -> list[dict]:
    """The records that reach, or may reach, beyond this machine."""
    found = []
    for record in records:
        event = record["event"]
        if event == "socket.bind" or "local_path" in record:
            continue  # listening, or a unix socket: nothing leaves
        if event in {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system"}:
            found.append(record)  # a child process is beyond the hook: it cannot be vouched for
        elif "unreadable" in record or not _is_loopback(record.get("host")):
            found.append(record)
    return found


@dataclass
class RecordedServer:
    port: int
    log_path: Path
    output: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def assert_nothing_outside(self) -> None:
        records = self.records()
        # The recorder saw the server listen on its port: an empty record is not a clean one.
        assert any(r["event"] == "socket.bind" and r.get("port") == self.port for r in records)
        outside = _outside(records)
        assert not outside, (
            "the Streamlit server reached beyond loopback:\n"
            + "\n".join(json.dumps(r) for r in outside)
            + "\n--- server output ---\n"
            + self.output.read_text(errors="replace")
        )


@contextmanager
def recorded_server(tmp_path: Path) -> Iterator[RecordedServer]:
    """The real app served as ``streamlit run`` serves it, under the recorder; stopped on exit."""
    home = tmp_path / "home"
    home.mkdir()
    server = RecordedServer(_free_port(), tmp_path / "audit.jsonl", tmp_path / "server.log")
    # A fresh HOME keeps the user's ~/.streamlit (global config, credentials) out, and no
    # STREAMLIT_* variable from the environment may override the project's config.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env |= {"HOME": str(home), "TIMELINE_MAP_CACHE_DIR": str(tmp_path / "cache")}
    command = [
        sys.executable, "-c", RECORDER, str(server.log_path),
        "run", str(APP), "--server.port", str(server.port),
    ]  # fmt: skip
    with server.output.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        _wait_healthy(server.base, process, server.output)
        yield server
    finally:
        process.terminate()  # Streamlit stops cleanly on SIGTERM; the record runs to the end
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_server_reaches_nothing_outside_loopback_from_start_to_first_page(tmp_path: Path) -> None:
    with recorded_server(tmp_path) as server:
        status, html = _get(f"{server.base}/")
        assert status == 200 and b'id="root"' in html
        finished, deltas = _run_first_page(server.port)
        assert finished == ForwardMsg.FINISHED_SUCCESSFULLY, server.output.read_text()
        assert deltas > 10, f"the app drew only {deltas} elements"
    server.assert_nothing_outside()


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "Streamlit 1.67 checks a websocket from a foreign Origin against the machine's own IPs "
        "(server_util.is_url_from_allowed_origins), which it looks up then: no config key stops "
        "it short of server.enableCORS=false, which would drop the origin check itself"
    ),
)
def test_a_refused_foreign_origin_makes_the_server_look_nothing_up(tmp_path: Path) -> None:
    with recorded_server(tmp_path) as server:
        with pytest.raises(InvalidStatus):  # refused, as it should be
            connect(
                f"ws://127.0.0.1:{server.port}/_stcore/stream",
                subprotocols=["streamlit"],
                origin="http://elsewhere.invalid",
                proxy=None,
                open_timeout=5,
            )
    server.assert_nothing_outside()
