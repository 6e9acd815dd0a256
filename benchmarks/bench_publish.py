"""The published page: its size, where the bytes go, how long it takes to build, and how long
headless chromium takes to open it from a file (to its first drawn map, timeline and card), for
the seed story and a civilian-harm monitor's table of N events (default 6,650 and 20,000: the
page's limit, `PAGE_LIMIT`).

    python benchmarks/bench_publish.py [N ...]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import monitor_csv  # noqa: E402

from timeline.export.page import page_parts, page_stats, size_words  # noqa: E402
from timeline.ingest.files import open_table  # noqa: E402
from timeline.ingest.readers import ReadOptions  # noqa: E402
from timeline.model.story import story_for_table  # noqa: E402

#: As tests/browser/conftest.py launches it.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]  # fmt: skip
MAPPING = ROOT / "tests" / "data" / "formats" / "harm_monitor.toml"


def build(table_path: Path, out: Path, options: ReadOptions | None = None) -> None:
    table = open_table(table_path, options=options)
    story = story_for_table(
        table_path if table_path.is_file() else table_path / "events.csv", table.events
    )
    started = time.perf_counter()
    parts = page_parts(table, story)
    built = time.perf_counter() - started
    out.write_text("".join(p.text for p in parts), encoding="utf-8")
    print(
        f"{len(table.events):>7,} events: built in {built:.1f} s; {size_words(page_stats(parts))}"
    )


def open_times(page_path: Path, runs: int = 3) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.route(lambda u: not u.startswith(("file:", "data:", "blob:")), lambda r: r.abort())
            page.goto(page_path.as_uri() + "#event=" + ("sumy-hospital" if "seed" in
                      page_path.name else "CIV00100"))  # fmt: skip
            page.wait_for_selector("body[data-tm-ready=true]", state="attached", timeout=120_000)
            times.append(page.evaluate("performance.getEntriesByName('tm-ready')[0].startTime"))
            page.close()
        browser.close()
    return [t / 1000 for t in times]


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pages = [folder / "seed.html"]
        build(ROOT / "seeds", pages[0])
        options = ReadOptions(mapping=tomllib.loads(MAPPING.read_text("utf-8")),
                              mapping_file=str(MAPPING))  # fmt: skip
        for n in sizes:
            csv = folder / f"monitor-{n}.csv"
            csv.write_text(monitor_csv(n), encoding="utf-8")
            pages.append(folder / f"monitor-{n}.html")
            build(csv, pages[-1], options)
        for page in pages:
            times = open_times(page)
            print(f"{page.name}: opens in chromium in {statistics.median(times):.1f} s "
                  f"(median of {len(times)}: {', '.join(f'{t:.1f}' for t in times)})")  # fmt: skip


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [6_650, 20_000])
