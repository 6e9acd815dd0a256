"""A synthetic ACLED-like table of N events in our curated CSV, for benchmarks and scale tests.

Five years of events, mostly known to the day (some to the hour), one place each from about
10,000 sites in four regions of the world (a tenth placed only to a region or a country), six
categories, four claim statuses. The same seed gives the same bytes, so a store built from it
once is found again.

    python benchmarks/synthetic.py 1000000 /tmp/acled-1m.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

CATEGORIES = ["battles", "explosions", "violence_civilians", "protests", "riots", "strategic"]
CLAIMS = ["confirmed", "claimed", "disputed", ""]


def synthetic_csv(n: int, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    sites = 10_000
    site_lat = np.concatenate([rng.normal(c, 4, sites // 4) for c in (48, 33, 5, 15)]).round(4)
    site_lon = np.concatenate([rng.normal(c, 6, sites // 4) for c in (32, 40, 20, 100)]).round(4)
    site = rng.integers(0, sites, n)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 5 * 365, n)), "D")
    hourly = rng.random(n) < 0.15
    hour = pd.to_timedelta(np.where(hourly, rng.integers(0, 24, n), 0), "h")
    start = pd.Series(day + hour).dt.strftime("%Y-%m-%dT%H:%M+00:00")
    category = rng.choice(CATEGORIES, n)
    precision = rng.choice(["site", "town", "region", "country"], n, p=[0.6, 0.3, 0.07, 0.03])
    name = pd.Series(site).map("Site {}".format)
    frame = pd.DataFrame(
        {
            "id": [f"ev{i:07d}" for i in range(n)],
            "title": pd.Series(category).str.replace("_", " ").str.capitalize() + " near " + name,
            "start": start,
            "time_precision": np.where(hourly, "hour", "day"),
            "places": name,
            "place_precision": precision,
            "lat": site_lat[site],
            "lon": site_lon[site],
            "category": category,
            "claim_status": rng.choice(CLAIMS, n, p=[0.6, 0.25, 0.1, 0.05]),
        }
    )
    return frame.to_csv(index=False)


def write_table(n: int, folder: str | Path, *, seed: int = 1) -> Path:
    """`folder/events.csv` of n synthetic events (written once: same n and seed, same file)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.csv"
    if not path.is_file():
        temp = folder / ".events.csv.tmp"
        temp.write_text(synthetic_csv(n, seed))
        temp.rename(path)
    return path


if __name__ == "__main__":
    print(write_table(int(sys.argv[1]), Path(sys.argv[2]).parent))
