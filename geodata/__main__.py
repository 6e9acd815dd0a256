"""``python -m geodata lookup NAME``: where a place is, from where, how precisely.

Thin on purpose: build the geocoder, ask it, and turn each of our errors into
one ``lookup: <message>`` on stderr and an exit status (see EXIT_STATUS). No
input, file or server answer gives a traceback: an error that is none of ours
is reported as an internal error, in one line, with exit status 4.
Warnings from geodata (a broken cache moved aside, requests spaced within this
process only) are printed as ``lookup: warning: <message>``.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import warnings

from geodata.errors import (
    AmbiguousPlace,
    AmbiguousRegion,
    GeocoderUnavailable,
    GeodataError,
    GeodataWarning,
)
from geodata.gazetteer import Gazetteer
from geodata.geocoder import make_geocoder
from geodata.names import normalise_country
from geodata.place import Place
from geodata.untrusted import escape_controls

EXIT_STATUS = {
    "found": 0,
    "not found": 1,
    "ambiguous": 2,  # also argparse's status for a bad command line
    "geocoder unavailable": 3,  # no answer, an error status, a redirect, a timeout
    "other error": 4,  # bad settings, a bad gazetteer or cache file
    "interrupted": 130,
}
PROG = "lookup"


def describe(place: Place) -> str:
    """``Sloviansk (UA): 48.84974, 37.59739 — town — GeoNames 693468 — GeoNames (CC BY 4.0)``

    With a region: ``Zheleznogorsk (Krasnoyarskiy, RU): 56.25109, 93.53142 — ...``.
    """
    within = ", ".join(part for part in (place.region, place.country) if part)
    country = f" ({within})" if within else ""
    parts = [f"{place.name}{country}: {place.lat}, {place.lon}", place.precision, place.source]
    return " — ".join([*parts, place.credit] if place.credit else parts)


def main(argv: list[str] | None = None) -> int:
    _never_fail_on_encoding()
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("always", GeodataWarning)
        warnings.showwarning = _show_warning
        try:
            return _lookup(args)
        except KeyboardInterrupt:
            _say("interrupted")
            return EXIT_STATUS["interrupted"]
        except Exception as error:  # noqa: BLE001 (the promise: no traceback, whatever happens)
            _say(f"internal error, please report it: {type(error).__name__}: {error}")
            return EXIT_STATUS["other error"]


def _lookup(args: argparse.Namespace) -> int:
    try:
        gazetteer = _read_gazetteer(args.gazetteer) if args.gazetteer else None
        geocoder = make_geocoder(
            online=args.online,
            user_agent=args.user_agent,
            base_url=args.nominatim_url,
            cache_path=args.cache,
            gazetteer=gazetteer,
        )
        place = geocoder.geocode(args.name, args.country, args.region)
    except AmbiguousRegion as error:
        _say(f"{args.name!r} names several places in {error.candidates[0].country}; give --region:")
        for candidate in error.candidates:
            print(escape_controls(f"  {describe(candidate)}"), file=sys.stderr)
        return EXIT_STATUS["ambiguous"]
    except AmbiguousPlace as error:
        _say(f"{args.name!r} names places in several countries; give --country:")
        for candidate in error.candidates:
            print(escape_controls(f"  {describe(candidate)}"), file=sys.stderr)
        return EXIT_STATUS["ambiguous"]
    except GeocoderUnavailable as error:
        _say(str(error))
        return EXIT_STATUS["geocoder unavailable"]
    except GeodataError as error:
        _say(str(error))
        return EXIT_STATUS["other error"]

    if place is None:
        where = f" in {args.country}" if args.country else ""
        # Ask the geocoder rather than trust the flag: it knows whether it went online.
        online = getattr(geocoder, "online", args.online)
        looked = "the gazetteer or Nominatim" if online else "the gazetteer"
        hint = "" if online else " (add --online to ask OpenStreetMap's Nominatim)"
        _say(f"no place called {args.name!r}{where} in {looked}{hint}")
        return EXIT_STATUS["not found"]
    print(escape_controls(describe(place)))
    if place.note:  # e.g. the most populous of several namesakes was taken
        _say(f"note: {place.note}")
    return EXIT_STATUS["found"]


def _read_gazetteer(path: str) -> Gazetteer:
    """The gazetteer at ``path``; a file that cannot be read is our error, not a traceback.

    gazetteer.py raises our errors for these itself; this is the CLI's own
    promise, kept whatever the reader below it does.
    """
    try:
        return Gazetteer.from_path(path)
    except GeodataError:
        raise
    except csv.Error as error:
        raise GeodataError(f"cannot read the gazetteer {path}: it is not CSV ({error})") from error
    except UnicodeDecodeError as error:
        raise GeodataError(
            f"cannot read the gazetteer {path}: it is not UTF-8 text (byte {error.start})"
        ) from error
    except OSError as error:
        raise GeodataError(
            f"cannot read the gazetteer {path}: {error.strerror or error}"
        ) from error


def _say(message: str) -> None:
    """One line on standard error; control, bidirectional and invisible characters of the
    data in it (a name, a gazetteer's credit, a server's words) written as escapes."""
    print(escape_controls(f"{PROG}: {message}"), file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, GeodataWarning):
        _say(f"warning: {message}")
    else:  # not ours: keep Python's usual form
        shown = warnings.formatwarning(message, category, filename, lineno, line)
        print(escape_controls(shown.rstrip("\n")), file=sys.stderr)


def _never_fail_on_encoding() -> None:
    # A console that cannot show "—" or "©" (say a latin-1 locale) gets "?", not a traceback.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


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
    lookup.add_argument("name", type=_name, help="a place name or alias, e.g. Slovyansk")
    lookup.add_argument(
        "--country", type=_country, help="ISO 3166-1 alpha-2 code the place must be in, e.g. UA"
    )
    lookup.add_argument(
        "--region",
        type=_name,
        help="the region (oblast, state, province) the place is in, e.g. 'Donetsk Oblast'",
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


def _name(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not valid text (bytes that are not UTF-8?)"
        ) from None
    return text


def _country(text: str) -> str:
    try:
        return normalise_country(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


if __name__ == "__main__":
    sys.exit(main())
