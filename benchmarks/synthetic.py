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


# --- exports shaped like the real ones: every column, in order, with their own cell syntax -------

ACLED_COLUMNS = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
    "source_scale,notes,fatalities,tags,timestamp"
).split(",")

#: (event_type, sub_event_type, disorder_type): ACLED's own categories.
ACLED_TYPES = (
    ("Battles", "Armed clash", "Political violence"),
    ("Battles", "Government regains territory", "Political violence"),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", "Political violence"),
    ("Violence against civilians", "Attack", "Political violence"),
    ("Protests", "Peaceful protest", "Demonstrations"),
    ("Riots", "Violent demonstration", "Demonstrations"),
    ("Strategic developments", "Agreement", "Strategic developments"),
    ("Strategic developments", "Looting/property destruction", "Strategic developments"),
)
#: (country, ISO 3166 numeric, region, admin1 names, centre lat, centre lon)
ACLED_COUNTRIES = (
    ("Ukraine", 804, "Europe", ("Kharkiv", "Donetsk", "Sumy", "Zaporizhia", "Kherson"), 48.5, 35.0),
    ("Russia", 643, "Europe", ("Kursk", "Belgorod", "Bryansk"), 51.5, 36.5),
    ("Sudan", 729, "Northern Africa", ("Khartoum", "North Darfur", "Al Jazirah"), 14.5, 30.0),
    ("Myanmar", 104, "Southeast Asia", ("Sagaing", "Shan", "Rakhine"), 21.0, 96.0),
    ("Mexico", 484, "Central America", ("Guerrero", "Michoacan", "Sinaloa"), 20.0, -101.0),
)
ACLED_ACTORS = (
    "Military Forces of Russia (2000-)",
    "Military Forces of Ukraine (2019-)",
    "Civilians (Ukraine)",
    "Rapid Support Forces",
    "Military Forces of Sudan (2019-)",
    "Protesters (Mexico)",
    "Police Forces of Mexico (2018-)",
    "PDF: People's Defense Force",
    "Unidentified Armed Group (Sudan)",
    "Sinaloa Cartel",
)
ACLED_SOURCES = ("Suspilne", "Ukrainska Pravda", "Kyiv Independent", "Sudan Tribune",
                 "Radio Dabanga", "Irrawaddy", "Reforma", "El Universal", "Telegram")  # fmt: skip


def acled_csv(n: int, seed: int = 7, *, old_dates: bool = True) -> str:
    """An ACLED export of n rows with its 31 current columns, as ACLED writes it (a BOM, CRLF):
    dates in the three styles seen in the wild, precisions 1-3, source lists, notes of a few
    sentences with commas and quotes, fatalities 0 to a few dozen."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(ACLED_TYPES), n)
    where = rng.integers(0, len(ACLED_COUNTRIES), n)
    day = pd.Timestamp("2018-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 7 * 365, n)), "D")
    day = pd.Series(day)
    style = rng.random(n)
    iso_dates = day.dt.strftime("%Y-%m-%d")
    dates = iso_dates.where(style < 0.8, day.dt.strftime("%d %B %Y"))
    if old_dates:
        dates = dates.where(style < 0.95, day.dt.strftime("%-d-%b-%y"))
    countries = [ACLED_COUNTRIES[i] for i in where]
    admin1 = [c[3][j % len(c[3])] for c, j in zip(countries, rng.integers(0, 5, n), strict=True)]
    # A location has one point, repeated on every row that names it, as in ACLED's exports
    # (a million rows hold tens of thousands of locations, not a million points).
    town_number = rng.integers(0, 4000, n)
    town = pd.Series(town_number).map("Town {}".format)
    spot = np.random.default_rng(seed + 1)
    jitter_lat = spot.normal(0, 1.5, (len(ACLED_COUNTRIES), 4000))
    jitter_lon = spot.normal(0, 2.0, (len(ACLED_COUNTRIES), 4000))
    lat = np.array([c[4] for c in countries]) + jitter_lat[where, town_number]
    lon = np.array([c[5] for c in countries]) + jitter_lon[where, town_number]
    a1 = rng.integers(0, len(ACLED_ACTORS), n)
    a2 = rng.integers(0, len(ACLED_ACTORS), n)
    s1 = rng.integers(0, len(ACLED_SOURCES), n)
    s2 = rng.integers(0, len(ACLED_SOURCES), n)
    two = rng.random(n) < 0.4
    fatalities = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 40, n))
    types = [ACLED_TYPES[k] for k in kind]
    notes = [
        f'On {d}, {ACLED_ACTORS[x]} {t[1].lower()} near {w}, {a} ("{s}" reported). '
        f"{f} fatalities were reported; the figure may change. [size=no report]"
        for d, x, t, w, a, s, f in zip(iso_dates, a1, types, town, admin1,
                                        (ACLED_SOURCES[i] for i in s1), fatalities, strict=True)
    ]  # fmt: skip
    frame = pd.DataFrame(
        {
            "event_id_cnty": [f"{c[0][:3].upper()}{i + 1}" for i, c in enumerate(countries)],
            "event_date": dates,
            "year": day.dt.year,
            "time_precision": rng.choice([1, 2, 3], n, p=[0.85, 0.12, 0.03]),
            "disorder_type": [t[2] for t in types],
            "event_type": [t[0] for t in types],
            "sub_event_type": [t[1] for t in types],
            "actor1": [ACLED_ACTORS[i] for i in a1],
            "assoc_actor_1": "",
            "inter1": "State forces",
            "actor2": [ACLED_ACTORS[i] for i in a2],
            "assoc_actor_2": "",
            "inter2": "Civilians",
            "interaction": "State forces-Civilians",
            "civilian_targeting": np.where(kind == 5, "Civilian targeting", ""),
            "iso": [c[1] for c in countries],
            "region": [c[2] for c in countries],
            "country": [c[0] for c in countries],
            "admin1": admin1,
            "admin2": "",
            "admin3": "",
            "location": town,
            "latitude": lat.round(4),
            "longitude": lon.round(4),
            "geo_precision": rng.choice([1, 2, 3], n, p=[0.7, 0.25, 0.05]),
            "source": [
                f"{ACLED_SOURCES[i]}; {ACLED_SOURCES[j]}" if t else ACLED_SOURCES[i]
                for i, j, t in zip(s1, s2, two, strict=True)
            ],
            "source_scale": rng.choice(["National", "Subnational", "New media"], n),
            "notes": notes,
            "fatalities": fatalities,
            "tags": np.where(kind >= 6, "crowd size=no report", ""),
            "timestamp": 1742515200 + rng.integers(0, 10_000_000, n),
        },
        columns=ACLED_COLUMNS,
    )
    return "\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")


UCDP_COLUMNS = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,"
    "where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,"
    "region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,"
    "deaths_unknown,best,high,low,gwnoa,gwnob"
).split(",")


def ucdp_csv(n: int, seed: int = 11) -> str:
    """A UCDP GED CSV of n rows with its 49 columns, dates in the styles seen in the wild."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("1989-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 34 * 365, n)), "D")
    start = pd.Series(start)
    length = rng.choice([0, 0, 0, 1, 3, 6], n)
    end = start + pd.to_timedelta(length, "D")
    us = rng.random(n) < 0.7
    fmt_a, fmt_b = "%-m/%-d/%Y 12:00:00 AM", "%Y-%m-%d"
    date_start = start.dt.strftime(fmt_a).where(us, start.dt.strftime(fmt_b))
    date_end = end.dt.strftime(fmt_a).where(us, end.dt.strftime(fmt_b))
    lat = 10 + rng.normal(0, 8, n)
    lon = 30 + rng.normal(0, 15, n)
    best = rng.integers(0, 30, n)
    low = np.maximum(best - rng.integers(0, 5, n), 0)
    high = best + rng.integers(0, 10, n)
    violence = rng.choice([1, 2, 3], n)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "relid": [f"GED-{y}-{i}" for y, i in zip(start.dt.year, range(n), strict=True)],
            "year": start.dt.year,
            "active_year": 1,
            "code_status": "Clear",
            "type_of_violence": violence,
            "conflict_dset_id": 333,
            "conflict_new_id": 333,
            "conflict_name": "Country A: Government",
            "dyad_dset_id": 724,
            "dyad_new_id": 724,
            "dyad_name": "Government of A - Rebels",
            "side_a_dset_id": 130,
            "side_a_new_id": "",
            "side_a": "Government of A",
            "side_b_dset_id": 303,
            "side_b_new_id": "",
            "side_b": "Rebels",
            "number_of_sources": rng.integers(1, 4, n),
            "source_article": '"Agence France Presse,2014-01-22,Attack on a checkpoint"',
            "source_office": "Agence France Presse",
            "source_date": start.dt.strftime("%d/%m/%Y"),
            "source_headline": "Attack on a checkpoint",
            "source_original": "police",
            "where_prec": rng.choice([1, 2, 3, 4, 6], n, p=[0.5, 0.2, 0.1, 0.15, 0.05]),
            "where_coordinates": "Town",
            "where_description": "near the town",
            "adm_1": "Province",
            "adm_2": "District",
            "latitude": lat.round(5),
            "longitude": lon.round(5),
            "geom_wkt": [f"POINT ({x:.5f} {y:.5f})" for x, y in zip(lon, lat, strict=True)],
            "priogrid_gid": 183258,
            "country": "Country A",
            "country_id": 700,
            "region": "Africa",
            "event_clarity": 1,
            "date_prec": np.where(length == 0, 1, 2),
            "date_start": date_start,
            "date_end": date_end,
            "deaths_a": 0,
            "deaths_b": 0,
            "deaths_civilians": best,
            "deaths_unknown": 0,
            "best": best,
            "high": high,
            "low": low,
            "gwnoa": 700,
            "gwnob": "",
        },
        columns=UCDP_COLUMNS,
    )
    return frame.to_csv(index=False)
