"""Load test: the real server on 127.0.0.1, 20 sessions scrubbing a large table for a minute.

    python benchmarks/load_test.py [--n 1000000] [--sessions 20] [--seconds 60]

Starts `streamlit run streamlit_app.py` on a free loopback port with the synthetic table of
`benchmarks/synthetic.py` (stored first, as a first start would), then opens `--sessions`
websocket sessions speaking Streamlit's own protocol (as the page's script does: see
tests/test_server_offline.py). Each session opens the app (its first page, timed apart); when
all have, each moves the time window (the slider's widget state) to random windows, from six
hours to the whole table, a rerun then `--think` seconds of reading (0: one rerun straight
after another), until `--seconds` have passed or it has made `--reruns` reruns. A rerun is
timed from the message sent to the script's end as the server reports it, so the figures
measure the server, not a browser. Bounded in count and time; nothing leaves 127.0.0.1.

Prints the reruns made, errors (a run that did not finish successfully, an exception element,
a dropped connection), the 50th and 95th percentile of a rerun, the bytes sent per rerun, and
the server's resident memory at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from synthetic import write_table  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

START = 1577836800  # 2020-01-01 UTC, the synthetic table's first day
SPAN = 5 * 365 * 86400
WIDTHS = [6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400, SPAN]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(table: Path, store: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TIMELINE_MAP_TABLE": str(table),
        "TIMELINE_MAP_CACHE_DIR": str(store),
        "NO_PROXY": "*",
    }
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start; see {log}")


class Session:
    """One browser tab's worth of protocol: a websocket, the slider's id, reruns timed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.times: list[float] = []
        self.sizes: list[int] = []
        self.errors: list[str] = []
        self.slider_id: str | None = None
        self.first_page: float | None = None

    def run(self, opened: threading.Barrier, scrub: Scrub, rng: random.Random) -> None:
        try:
            with connect(
                f"ws://127.0.0.1:{self.port}/_stcore/stream",
                subprotocols=["streamlit"],
                origin=f"http://127.0.0.1:{self.port}",
                proxy=None,
                max_size=None,
                open_timeout=30,
            ) as ws:
                t0 = time.perf_counter()
                self._rerun(ws, None, timed=False)
                self.first_page = time.perf_counter() - t0
                opened.wait(timeout=600)
                while time.monotonic() < scrub.deadline and len(self.times) < scrub.reruns:
                    width = rng.choice(WIDTHS)
                    lo = START + rng.randrange(0, max((SPAN - width) // 3600, 1)) * 3600
                    self._rerun(ws, (lo, lo + width), timed=True)
                    time.sleep(rng.uniform(0.5, 1.5) * scrub.think)
        except Exception as exc:  # a dropped connection is an error of the run, not a crash
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if self.first_page is None:
                opened.abort()  # the others must not wait for a session that never opened

    def _rerun(self, ws, window: tuple[int, int] | None, *, timed: bool) -> None:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = ""
        if window is not None and self.slider_id is not None:
            state = message.rerun_script.widget_states.widgets.add()
            state.id = self.slider_id
            state.double_array_value.data.extend([window[0] * 1e6, window[1] * 1e6])
        t0 = time.perf_counter()
        ws.send(message.SerializeToString())
        size = 0
        while True:
            raw = ws.recv(timeout=120)
            size += len(raw)
            reply = ForwardMsg()
            reply.ParseFromString(raw)
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    self.errors.append(element.exception.message[:200])
                elif which == "slider" and element.slider.label.startswith("Time window"):
                    self.slider_id = element.slider.id
            if kind == "script_finished":
                status = reply.script_finished
                # 0: finished successfully; a fragment's own end counts as well.
                if status not in (0, 3):
                    self.errors.append(f"script finished with status {status}")
                break
        if timed:
            self.times.append(time.perf_counter() - t0)
            self.sizes.append(size)


class Scrub:
    """When the scrubbing ends (set once every session has opened), its bounds and pace."""

    def __init__(self, seconds: float, reruns: int, think: float) -> None:
        self.seconds, self.reruns, self.think = seconds, reruns, think
        self.deadline = float("inf")

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reruns", type=int, default=500, help="at most, per session")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a reader looks between two moves, on average")  # fmt: skip
    parser.add_argument("--folder", default=None)
    args = parser.parse_args()
    folder = Path(args.folder or f"/tmp/timeline-bench-{args.n}")
    table = write_table(args.n, folder / "table")
    store = folder / "store"
    os.environ["TIMELINE_MAP_CACHE_DIR"] = str(store)
    from timeline.data.engine import open_engine

    t0 = time.perf_counter()
    open_engine(table.parent)  # stored once, so the server opens it
    print(f"{args.n:,} events stored or opened in {time.perf_counter() - t0:.1f} s")

    port = free_port()
    log = Path(tempfile.mkdtemp()) / "server.log"
    server = start_server(table.parent, store, port, log)
    try:
        rngs = [random.Random(i) for i in range(args.sessions)]
        sessions = [Session(port) for _ in range(args.sessions)]
        scrub = Scrub(args.seconds, args.reruns, args.think)
        opened = threading.Barrier(args.sessions, action=scrub.start)
        threads = [
            threading.Thread(target=s.run, args=(opened, scrub, r), daemon=True)
            for s, r in zip(sessions, rngs, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 300)
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    times = sorted(t for s in sessions for t in s.times)
    sizes = [b for s in sessions for b in s.sizes]
    errors = [e for s in sessions for e in s.errors]
    print(f"{args.sessions} sessions for {args.seconds:.0f} s on 127.0.0.1:{port}, "
          f"{args.think:g} s of reading between moves "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    firsts = sorted(s.first_page for s in sessions if s.first_page is not None)
    if firsts:
        print(f"first page, all sessions opening at once: p50 {statistics.median(firsts):.1f} s, "
              f"last {firsts[-1]:.1f} s")  # fmt: skip
    print(f"reruns: {len(times)}; errors: {len(errors)}")
    for e in errors[:5]:
        print(f"  {e}")
    if times:
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"rerun p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )
        print(f"sent per rerun: median {statistics.median(sizes) / 1e6:.2f} MB, "
              f"max {max(sizes) / 1e6:.2f} MB")  # fmt: skip
    print(f"server resident memory at the end: {memory:.0f} MB")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
