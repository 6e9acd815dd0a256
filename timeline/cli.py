"""Command line for curators: `python -m timeline validate|export|publish|import PATH`.

PATH is any supported file (our curated CSV, our JSON or GeoJSON, ACLED, UCDP GED, TimeMap,
TimelineJS, GeoJSON, or a spreadsheet with `--mapping`) or a story folder. The format is
detected from the content unless `--from` names it.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import pandas as pd

from geodata import GeodataError
from geodata.untrusted import escape_controls
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
    publish = commands.add_parser(
        "publish", help="write the story as one self-contained HTML page that works offline"
    )
    table_options(publish, path_help)
    publish.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    publish.add_argument("--from-time", help="publish only this window: its start (ISO 8601)")
    publish.add_argument("--to-time", help="and its end (ISO 8601; UTC unless an offset is given)")
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
    """Progress and summaries go to standard error, so standard output stays the data.

    Every line that may echo data (a file name, a column heading, a cell, a place name) has
    its control, bidirectional and invisible characters written as escapes: a table must not
    clear the terminal, retitle its window or reorder the line around it."""
    print(escape_controls(text), file=sys.stderr, flush=True)


def _say_lines(lines: list[str]) -> None:
    """`_say` of many lines at once (a million problems print in seconds)."""
    for start in range(0, len(lines), 10_000):
        chunk = lines[start : start + 10_000]
        sys.stderr.write("".join(escape_controls(line) + "\n" for line in chunk))
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options, errors = _options(args)
    if errors:
        for error in errors:
            _say(f"error: {error}")
        return 2
    table_path, _ = resolve_table(args.path)
    progress = TerminalProgress()
    try:
        table = open_table(
            args.path, fmt=args.fmt, options=options, online=args.online, progress=progress
        )
    except GeodataError as exc:  # an online setting that cannot work (a user agent, a cache)
        progress.close()
        _say(f"error: {exc}")
        return 2
    progress.close()
    problems = table.problems
    if args.command == "validate" and table_path.suffix != "" and len(table.events):
        story = story_for_table(table_path, table.events)
        problems = P.combine([problems, story.problems])
    _say_lines(P.format_problems(problems))
    _say(summary(table, args.path))
    if args.command == "validate":
        return 1 if len(problems) else 0
    bad_rows = 1 if (~problems["kept"].astype(bool)).any() else 0
    if args.command == "export":
        for piece in FORMATS[args.format](table, story=_story(table, table_path)):
            sys.stdout.write(piece)
        # Export still writes the good rows; a bad row only makes the exit code say so.
        return bad_rows
    if args.command == "publish":
        return publish(table, _story(table, table_path), args) or bad_rows
    try:
        written = write_story_folder(table, args.path, args.out, table_format=args.table_format)
    except OSError as exc:  # a folder that cannot be made or written, a full disk
        _say(f"error: cannot write {args.out}: {exc.strerror or exc}")
        return 2
    _say(f"wrote {args.out}: " + ", ".join(written))
    return 0


def _story(table, table_path: Path):
    """The story file beside the table (or the story made from the table): TimelineJS takes
    its title, its categories' labels and its bands, a page everything."""
    return story_for_table(table_path, table.events, beside=table_path.suffix != "")


def _utc(text: str, option: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise ValueError(f"{option}: {text!r} is not an ISO 8601 time like 2025-03-18T14:00Z")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def publish(table, story, args) -> int:
    """Write the page; say how large it is and where the bytes go. Exit 2 when the window is
    not a window, or when the table is too large for a page (with windows that would fit)."""
    from timeline.export.page import (
        PAGE_LIMIT,
        PageTooLarge,
        events_in,
        page_parts,
        page_stats,
        size_words,
        story_in,
        windows_that_fit,
    )

    event_ids = None
    if args.from_time or args.to_time:
        try:
            lo = _utc(args.from_time or str(story.whole.start), "--from-time")
            hi = _utc(args.to_time or str(story.whole.end), "--to-time")
        except ValueError as exc:
            _say(f"error: {exc}")
            return 2
        if hi <= lo:
            _say("error: --to-time is not after --from-time")
            return 2
        story, event_ids = story_in(story, lo, hi), events_in(table, lo, hi)
    try:
        parts = page_parts(table, story, event_ids=event_ids)
    except PageTooLarge as exc:
        _say(f"error: {exc}")
        fmt = "%Y-%m-%dT%H:%MZ"
        for window, n in windows_that_fit(table, story, PAGE_LIMIT)[:3]:
            _say(f"  {window.label}: {n:,} events: --from-time {window.start.strftime(fmt)} "
                 f"--to-time {window.end.strftime(fmt)}")  # fmt: skip
        return 2
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            for part in parts:
                f.write(part.text)
    except OSError as exc:
        _say(f"error: cannot write {args.out}: {exc.strerror or exc}")
        return 2
    _say(f"wrote {args.out}: {size_words(page_stats(parts))}")
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
