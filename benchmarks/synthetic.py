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


#: Kinds of harm a civilian-harm monitor might sort its incidents into (44, as a real one has).
MONITOR_CATEGORIES = [
    f"{area} ({weapon})"
    for area in ("Residential", "Commercial", "Medical", "Education", "Energy", "Transport",
                 "Agricultural", "Religious", "Cultural", "Industrial", "Government")
    for weapon in ("shelling", "missile", "drone", "air strike")
]  # fmt: skip
#: Towns of Ukraine the monitor's incidents cluster around: (name, region, lat, lon).
MONITOR_TOWNS = [
    ("Kharkiv", "Kharkivska", 49.9935, 36.2304), ("Kyiv", "Kyiv", 50.4501, 30.5234),
    ("Mykolaiv", "Mykolaivska", 46.975, 31.9946), ("Kherson", "Khersonska", 46.6354, 32.6169),
    ("Zaporizhzhia", "Zaporizka", 47.8388, 35.1396), ("Odesa", "Odeska", 46.4825, 30.7233),
    ("Dnipro", "Dnipropetrovska", 48.4647, 35.0462), ("Sumy", "Sumska", 50.9077, 34.7981),
    ("Chernihiv", "Chernihivska", 51.4982, 31.2893), ("Kramatorsk", "Donetska", 48.7389, 37.5844),
    ("Bakhmut", "Donetska", 48.5956, 38.0003), ("Lviv", "Lvivska", 49.8397, 24.0297),
    ("Izium", "Kharkivska", 49.2128, 37.2569), ("Nikopol", "Dnipropetrovska", 47.5712, 34.3964),
    ("Kryvyi Rih", "Dnipropetrovska", 47.9105, 33.3918), ("Pokrovsk", "Donetska", 48.282, 37.1758),
]  # fmt: skip


def monitor_csv(n: int, seed: int = 1) -> str:
    """A civilian-harm monitor's table of n incidents, shaped like
    `tests/data/formats/harm_monitor.csv` (read with `harm_monitor.toml`): 2022 to 2024, a
    local time on a third of them, points around sixteen towns of Ukraine, 44 categories, a
    precision code per row (1 site, 2 town, 3 region), sources as URLs."""
    rng = np.random.default_rng(seed)
    town = rng.integers(0, len(MONITOR_TOWNS), n)
    name, region, lat, lon = (np.array(c, dtype=object) for c in zip(*MONITOR_TOWNS, strict=True))
    precision = rng.choice(["1", "2", "3"], n, p=[0.5, 0.4, 0.1])
    spread = np.where(precision == "1", 0.08, 0.02)
    day = pd.Timestamp("2022-02-24") + pd.to_timedelta(np.sort(rng.integers(0, 1040, n)), "D")
    timed = rng.random(n) < 0.33
    time = pd.Series(rng.integers(0, 24 * 60, n)).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
    category = rng.choice(MONITOR_CATEGORIES, n)
    frame = pd.DataFrame(
        {
            "entry": [f"CIV{i:05d}" for i in range(n)],
            "date": day.strftime("%Y-%m-%d"),
            "time": time.where(timed, ""),
            "title": pd.Series(category).str.split(" ").str[0] + " site hit in " + name[town],
            "description": "An incident reported near " + name[town] + ".",
            "city": name[town],
            "province": region[town],
            "country": "Ukraine",
            "lat": (lat[town].astype(float) + rng.normal(0, 1, n) * spread).round(4),
            "lon": (lon[town].astype(float) + rng.normal(0, 1, n) * spread).round(4),
            "location_precision": precision,
            "type_of_area": category,
            "weapon": pd.Series(category).str.extract(r"\((.*)\)")[0],
            "sources": [f"https://example.org/incident/{i}" for i in range(n)],
            "verified": rng.choice(["Yes", "No"], n),
            "status": rng.choice(["confirmed", "claimed", ""], n, p=[0.6, 0.3, 0.1]),
        }
    )
    return frame.to_csv(index=False)


if __name__ == "__main__":
    print(write_table(int(sys.argv[1]), Path(sys.argv[2]).parent))
