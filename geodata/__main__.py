"""``python -m geodata lookup NAME``: where a place is, from where, how precisely.

Thin on purpose: build the geocoder, ask it, and turn each of our errors into
a message and an exit status (see EXIT_STATUS).
"""

from __future__ import annotations

import argparse
import sys

from geodata.errors import AmbiguousPlace, GeocoderUnavailable, GeodataError
from geodata.gazetteer import Gazetteer
from geodata.geocoder import make_geocoder
from geodata.names import normalise_country
from geodata.place import Place

EXIT_STATUS = {
    "found": 0,
    "not found": 1,
    "ambiguous": 2,
    "geocoder unavailable": 3,
    "other error": 4,  # bad settings, a bad gazetteer or cache file
}


def describe(place: Place) -> str:
    """``Sloviansk (UA): 48.84974, 37.59739 — town — GeoNames 693468 — GeoNames (CC BY 4.0)``"""
    country = f" ({place.country})" if place.country else ""
    parts = [f"{place.name}{country}: {place.lat}, {place.lon}", place.precision, place.source]
    return " — ".join([*parts, place.credit] if place.credit else parts)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        gazetteer = Gazetteer.from_path(args.gazetteer) if args.gazetteer else None
        geocoder = make_geocoder(
            online=args.online,
            user_agent=args.user_agent,
            base_url=args.nominatim_url,
            cache_path=args.cache,
            gazetteer=gazetteer,
        )
        place = geocoder.geocode(args.name, args.country)
    except AmbiguousPlace as error:
        print(f"{args.name!r} names places in several countries; give --country:", file=sys.stderr)
        for candidate in error.candidates:
            print(f"  {describe(candidate)}", file=sys.stderr)
        return EXIT_STATUS["ambiguous"]
    except GeocoderUnavailable as error:
        print(f"geocoder unavailable: {error}", file=sys.stderr)
        return EXIT_STATUS["geocoder unavailable"]
    except GeodataError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_STATUS["other error"]

    if place is None:
        where = f" in {args.country}" if args.country else ""
        looked = "the gazetteer or Nominatim" if args.online else "the gazetteer"
        hint = "" if args.online else " (add --online to ask OpenStreetMap's Nominatim)"
        print(f"no place called {args.name!r}{where} in {looked}{hint}", file=sys.stderr)
        return EXIT_STATUS["not found"]
    print(describe(place))
    return EXIT_STATUS["found"]


def _parser() -> argparse.ArgumentParser:
    exit_statuses = "exit status: " + ", ".join(
        f"{code} {meaning}" for meaning, code in EXIT_STATUS.items()
    )
    parser = argparse.ArgumentParser(
        prog="python -m geodata",
        description="Look up where the story's places are.",
        epilog=exit_statuses,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    lookup = commands.add_parser(
        "lookup",
        help="print where a place is, how precisely, from which source, and its credit",
        description="Ask the offline gazetteer, then (with --online) OpenStreetMap's Nominatim.",
        epilog=exit_statuses,
    )
    lookup.add_argument("name", help="a place name or alias, e.g. Slovyansk")
    lookup.add_argument(
        "--country", type=_country, help="ISO 3166-1 alpha-2 code the place must be in, e.g. UA"
    )
    lookup.add_argument(
        "--online",
        action="store_true",
        help="also ask Nominatim (cached, at most one request per second)",
    )
    lookup.add_argument(
        "--user-agent",
        help="identifies you to Nominatim (default: $TIMELINE_MAP_USER_AGENT or timeline-map's)",
    )
    lookup.add_argument(
        "--nominatim-url",
        metavar="URL",
        help="Nominatim server (default: $TIMELINE_MAP_NOMINATIM_URL or the public one)",
    )
    lookup.add_argument(
        "--cache",
        metavar="PATH",
        help="SQLite cache of online answers (default: $TIMELINE_MAP_CACHE_DIR/geocode.sqlite "
        "or ~/.cache/timeline-map/geocode.sqlite)",
    )
    lookup.add_argument(
        "--gazetteer", metavar="PATH", help="a gazetteer CSV to use instead of the packaged one"
    )
    return parser


def _country(text: str) -> str:
    try:
        return normalise_country(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


if __name__ == "__main__":
    sys.exit(main())
