"""Command line for curators: `python -m timeline validate|export [TABLE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodata import GeodataError, make_geocoder
from timeline.export import FORMATS
from timeline.problems import format_problem
from timeline.table import read_events

DEFAULT_TABLE = Path("seeds") / "events.csv"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m timeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    online_help = "also ask OpenStreetMap's Nominatim for places not in the gazetteer"

    validate = commands.add_parser("validate", help="check a table; exit 1 if it has problems")
    validate.add_argument("table", nargs="?", type=Path, default=DEFAULT_TABLE)
    validate.add_argument("--online", action="store_true", help=online_help)

    export = commands.add_parser("export", help="write the geocoded events to standard output")
    export.add_argument("table", nargs="?", type=Path, default=DEFAULT_TABLE)
    export.add_argument("--format", choices=sorted(FORMATS), default="json")
    export.add_argument("--online", action="store_true", help=online_help)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        geocoder = make_geocoder(online=args.online)
    except GeodataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = read_events(args.table, geocoder=geocoder)
    problems = table.problems
    for _, problem in problems.iterrows():
        print(format_problem(problem), file=sys.stderr)
    if args.command == "validate":
        loaded = len(table.events)
        placed = table.places["event_id"].nunique()
        print(
            f"{args.table}: {loaded} events loaded, {placed} on the map, {len(problems)} problems"
        )
        return 1 if len(problems) else 0
    sys.stdout.write(FORMATS[args.format](table))
    if not args.format == "csv":
        sys.stdout.write("\n")
    # Export still writes the good rows; a bad row only makes the exit code say so.
    return 1 if (~problems["kept"]).any() else 0


if __name__ == "__main__":
    sys.exit(main())
