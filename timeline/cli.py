"""Command line for curators: `python -m timeline validate|export|import PATH`.

PATH is any supported file (our curated CSV, our JSON or GeoJSON, ACLED, UCDP GED, TimeMap,
TimelineJS, GeoJSON, or a spreadsheet with `--mapping`) or a story folder. The format is
detected from the content unless `--from` names it.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from geodata import GeodataError
from timeline.export.folder import PARQUET_FROM, write_story_folder
from timeline.export.tables import FORMATS
from timeline.ingest.files import open_table, resolve_table
from timeline.ingest.readers import READERS, ReadOptions
from timeline.model import problems as P
from timeline.model.story import story_for_table

DEFAULT_TABLE = Path("seeds")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m timeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def table_options(command, path_help: str, default=DEFAULT_TABLE):
        if default is None:
            command.add_argument("path", type=Path, help=path_help)
        else:
            command.add_argument("path", nargs="?", type=Path, default=default, help=path_help)
        command.add_argument(
            "--from",
            dest="fmt",
            choices=sorted(READERS),
            help="the file's format (default: detect)",
        )
        command.add_argument("--mapping", type=Path, help="a mapping file (TOML) for a spreadsheet")
        command.add_argument("--tz", help="IANA zone of the file's bare dates and times")
        command.add_argument(
            "--online",
            action="store_true",
            help="also ask OpenStreetMap's Nominatim for places not in the gazetteers",
        )

    path_help = "a table file or a story folder (default: seeds)"
    validate = commands.add_parser("validate", help="check a table and its story; exit 1 if bad")
    table_options(validate, path_help)
    export = commands.add_parser("export", help="write the geocoded events to standard output")
    table_options(export, path_help)
    export.add_argument("--format", choices=sorted(FORMATS), default="json")
    imports = commands.add_parser("import", help="write a story folder from any supported file")
    table_options(imports, "the file to import", default=None)
    imports.add_argument("--out", type=Path, required=True, help="the story folder to write")
    imports.add_argument(
        "--table",
        dest="table_format",
        choices=("csv", "parquet"),
        help=f"write our table as CSV or Parquet (default: Parquet past {PARQUET_FROM:,} events)",
    )
    return parser


def _options(args) -> tuple[ReadOptions | None, list[str]]:
    if args.tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return None, [f"--tz: {args.tz!r} is not an IANA time zone like Europe/Kyiv"]
    mapping, name = {}, ""
    if args.mapping:
        name = str(args.mapping)
        try:
            mapping = tomllib.loads(args.mapping.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return None, [f"{name}: cannot be read as TOML: {exc}"]
    return ReadOptions(tz=args.tz, mapping=mapping, mapping_file=name), []


def _say(text: str) -> None:
    """Progress and summaries go to standard error, so standard output stays the data."""
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options, errors = _options(args)
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        return 2
    table_path, _ = resolve_table(args.path)
    progress = TerminalProgress()
    try:
        table = open_table(
            args.path, fmt=args.fmt, options=options, online=args.online, progress=progress
        )
    except GeodataError as exc:  # an online setting that cannot work (a user agent, a cache)
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    progress.close()
    problems = table.problems
    if args.command == "validate" and table_path.suffix != "" and len(table.events):
        story = story_for_table(table_path, table.events)
        problems = P.combine([problems, story.problems])
    for _, problem in problems.iterrows():
        print(P.format_problem(problem), file=sys.stderr)
    _say(summary(table, args.path))
    if args.command == "validate":
        return 1 if len(problems) else 0
    if args.command == "export":
        for piece in FORMATS[args.format](table):
            sys.stdout.write(piece)
        # Export still writes the good rows; a bad row only makes the exit code say so.
        return 1 if (~problems["kept"].astype(bool)).any() else 0
    written = write_story_folder(table, args.path, args.out, table_format=args.table_format)
    _say(f"wrote {args.out}: " + ", ".join(written))
    return 0


class TerminalProgress:
    """A one-line bar on a terminal (redrawn in place); plain stage lines in a log."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.tty and self.stage:
                self.stream.write("\n")
            self.stage = stage
            if not self.tty:
                self.stream.write(f"{stage} …\n")
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{stage} [{bar}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.stage:
            self.stream.write("\n")


def summary(table, path) -> str:
    located = table.located
    lost = table.places[table.places["lat"].isna()]
    return (
        f"{path}: {table.rows_in} rows in, {len(table.events)} events loaded, "
        f"{table.rows_not_loaded} rows not loaded, {len(table.problems)} problems; "
        f"{located['event_id'].nunique()} events on the map, {len(located)} places found, "
        f"{lost['name'].nunique()} place names not found"
    )
