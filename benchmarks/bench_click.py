"""Click-to-card time: this app against a minimal Streamlit page with one plotly map.

Both run as real Streamlit servers on 127.0.0.1 and are clicked in the same headless chromium
(Debian's, through playwright). A click is timed from the mouse press until the page shows
what was clicked (the app: the event's card; the minimal page: a line naming the point) and
Streamlit reports the run finished.

    .venv/bin/python benchmarks/bench_click.py [--clicks 10] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

MINIMAL = textwrap.dedent(
    """
    import pandas as pd
    import plotly.express as px
    import streamlit as st

    points = pd.DataFrame({"id": ["sumy", "helsinki"], "lat": [50.91741, 60.16952],
                           "lon": [34.79906, 24.93545]})
    fig = px.scatter_map(points, lat="lat", lon="lon", custom_data=["id"], map_style="white-bg",
                         center={"lat": 55, "lon": 30}, zoom=3)
    fig.update_traces(marker={"size": 16})
    event = st.plotly_chart(fig, key="map", on_select="rerun", selection_mode="points")
    ids = [p["customdata"][0] for p in event.selection.points]
    st.markdown(f'<div class="picked" data-id="{ids[0] if ids else ""}">picked</div>',
                unsafe_allow_html=True)
    """
)
# (lon, lat, what the page shows once the click is done)
APP_POINTS = [
    (34.79906, 50.91741, 'div.event-card[data-event-id="sumy-hospital"]'),
    (24.93545, 60.16952, "div.event-card[data-event-id]:not([data-event-id='sumy-hospital'])"),
]
MINIMAL_POINTS = [
    (34.79906, 50.91741, 'div.picked[data-id="sumy"]'),
    (24.93545, 60.16952, 'div.picked[data-id="helsinki"]'),
]
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""
POINT_JS = """([lon, lat]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
    g => g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot);
  if (!gd) return null;
  const m = gd._fullLayout.map._subplot.map;
  if (!m.loaded() || m.isMoving()) return null;
  const r = m.getCanvas().getBoundingClientRect(), q = m.project([lon, lat]);
  return {x: r.left + q.x, y: r.top + q.y};
}"""


def serve(script: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(600):
        try:
            if opener.open(url + "/_stcore/health", timeout=1).read() == b"ok":
                return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"{script} did not start")


def click_times(page: Page, url: str, points, clicks: int) -> list[float]:
    page.goto(url)
    page.wait_for_function(POINT_JS, arg=list(points[0][:2]), timeout=60_000)
    page.wait_for_timeout(2500)  # let the first draw and any fit settle
    times = []
    for i in range(clicks):
        lon, lat, done = points[i % len(points)]
        page.wait_for_function(IDLE_JS, timeout=30_000)
        where = page.wait_for_function(POINT_JS, arg=[lon, lat], timeout=30_000).json_value()
        page.mouse.move(where["x"], where["y"])
        start = time.perf_counter()
        page.mouse.click(where["x"], where["y"])
        page.wait_for_selector(done, timeout=30_000)
        page.wait_for_function(IDLE_JS, timeout=30_000, polling=10)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_map.py"
        minimal.write_text(MINIMAL)
        servers = [serve(ROOT / "streamlit_app.py"), serve(minimal)]
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=FLAGS)
                results = {}
                night = "/?from=2025-03-18T14:00Z&to=2025-03-19T06:00Z"
                for name, url, points in (
                    ("this app", servers[0][1] + night, APP_POINTS),
                    ("minimal map page", servers[1][1], MINIMAL_POINTS),
                ):
                    page = browser.new_page(viewport={"width": 1440, "height": 900})
                    results[name] = click_times(page, url, points, args.clicks)
                    page.close()
                browser.close()
        finally:
            for process, _ in servers:
                process.terminate()
            for process, _ in servers:
                process.wait(timeout=10)
    base = statistics.median(results["minimal map page"])
    print(f"click to card, {args.clicks} clicks each, 1440x900 headless chromium")
    print(f"{'page':<18}{'median s':>10}{'min s':>8}{'max s':>8}{'ratio':>8}")
    for name, times in results.items():
        med = statistics.median(times)
        print(f"{name:<18}{med:>10.3f}{min(times):>8.3f}{max(times):>8.3f}{med / base:>8.2f}")


if __name__ == "__main__":
    main()
