"""Open any supported file or story folder as an event table: read, then enrich.

`open_table(path)` is the one entry point of the CLI and the app. `parse_events(data)` reads
bytes or text in memory (tests feed literal strings); `read_events(path)` is `open_table`
for a file of our curated format or any other that its content reveals.

A story folder holds `story.toml` (naming its table), or else one `events.csv`, or else one
file of a supported format; a `places.csv` beside the table is its own gazetteer, searched
before the packaged ones. The folder is a boundary (`timeline.model.boundary`): a table or a
gazetteer it names or links outside itself is refused, with a message that says so.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from geodata import make_geocoder
from geodata.gazetteer import Gazetteer
from timeline.ingest.enrich import finish
from timeline.ingest.readers import ReadOptions, formats, read
from timeline.memory import LARGE, give_back
from timeline.model import problems as P
from timeline.model.boundary import inside, read_at_most, regular_file
from timeline.model.limits import MAX_GAZETTEER_BYTES, MAX_TABLE_BYTES
from timeline.model.tables import EventTable, Intake

STORY_FILE = "story.toml"
PLACES_FILE = "places.csv"


def resolve_table(path: str | Path) -> tuple[Path, str | None]:
    """The table file a path means (a story folder names its own), or the path and why not.

    A folder's table must lie inside it: a story.toml naming `../elsewhere/private.csv` or an
    absolute path, or an events.csv that links elsewhere, is refused (the why says which)."""
    path = Path(path)
    if not path.is_dir():
        return path, None
    story = path / STORY_FILE
    if story.is_file() and inside(path, STORY_FILE)[0] is not None:
        import tomllib

        try:
            name = tomllib.loads(story.read_text("utf-8")).get("table", "events.csv")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            name = "events.csv"
        if isinstance(name, str):
            table, why = inside(path, name)
            if table is None:
                return path, f"{STORY_FILE} names the table {name!r}, which {why}; refused"
            if table.is_file():
                return table, None
    named = path / "events.csv"
    if named.is_file() or named.is_symlink():
        table, why = inside(path, named.name)
        return (table, None) if table is not None else (path, f"has an events.csv that {why}")
    extensions = {e for f in formats().values() for e in f.extensions}
    found = sorted(
        p
        for p in path.iterdir()
        if p.suffix.lower() in extensions and p.name != PLACES_FILE and p.is_file()
    )
    candidates = [p for p in found if inside(path, p.name)[0] is not None]
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates and found:
        return path, f"has a table file that is a link out of the folder ({found[0].name}); refused"
    if not candidates:
        return path, "is a folder with no story.toml, no events.csv and no table file"
    names = ", ".join(p.name for p in candidates[:5])
    return path, f"is a folder with several table files ({names}); name one"


def open_table(
    path: str | Path,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    geocoder=None,
    online: bool = False,
    progress=None,
) -> EventTable:
    """Read, geocode and check the table a path means. Never raises for bad input.

    `progress(stage, done, total)` hears of each step, for a bar in a terminal or an app.
    """
    table_path, why_not = resolve_table(path)
    file = str(path if why_not else table_path)
    if why_not:
        return EventTable.empty(P.file_problem(file, why_not))
    options = options or ReadOptions()
    if options.base_dir is None:
        options = ReadOptions(
            tz=options.tz,
            mapping=options.mapping,
            base_dir=table_path.parent,
            mapping_file=options.mapping_file,
        )
    found = []
    if geocoder is None:
        own, found = story_places(table_path.parent)
        geocoder = story_geocoder(own, online=online)
    table = finish(
        # A temporary, so that `finish` owns the intake and frees each of its columns once it
        # has made the table's (a million ACLED rows: a gigabyte it need not hold twice).
        _intake(table_path, file, fmt, options, progress),
        geocoder=geocoder,
        tz=options.tz,
        base_dir=options.base_dir,
        progress=progress,
    )
    if len(table.events) > LARGE:
        give_back()
    if found:
        table = replace(table, problems=P.combine([table.problems, *found]))
    return table


def _intake(table_path: Path, file: str, fmt, options: ReadOptions, progress) -> Intake:
    """What the file's reader makes of it; its bytes are let go before anything else runs."""
    data, why_not = _read_bytes(table_path)
    if data is None:
        return Intake.failed(file, fmt or "", P.file_problem(file, why_not))
    if progress is not None:
        progress("reading the file", 0, 1)
    intake = read(data, file=file, fmt=fmt, options=options)
    del data  # (half a gigabyte for a million ACLED rows)
    if len(intake.events) > LARGE:
        give_back()
    if progress is not None:
        progress("placing, timing and checking the events", 0, 1)
    return intake


def story_places(folder: Path) -> tuple[tuple[Gazetteer, ...], list[pd.DataFrame]]:
    """The story's own gazetteer (`places.csv` beside its table), with every good row, and a
    problem for each row left out or still to be filled in: a bad row costs that row only.

    One that leaves the folder (a link to /etc/passwd), is not a regular file or is larger
    than `MAX_GAZETTEER_BYTES` is not read: one problem says why, and the table loads."""
    path = folder / PLACES_FILE
    if not (path.exists() or path.is_symlink()):
        return (), []
    target, why = inside(folder, PLACES_FILE)
    info = None
    if target is not None:
        info, why = regular_file(target)
    if info is not None and info.st_size > MAX_GAZETTEER_BYTES:
        why = f"is larger than {MAX_GAZETTEER_BYTES // 1_000_000} MB"
    if why:
        refused = P.file_problem(str(path), f"{why}; the story's own gazetteer is not used")
        return (), [refused.assign(kept=True)]
    gazetteer, problems = Gazetteer.from_path_keeping(path)
    if not problems:
        return (gazetteer,), []
    report = P.cell_problems(
        str(path),
        [max(p.row, 1) for p in problems],
        "",
        [p.value for p in problems],
        [p.reason for p in problems],
        kept=True,
    )
    report["column"] = [p.column for p in problems]
    report.loc[[p.row == 0 for p in problems], "row"] = pd.NA
    return (gazetteer,), [report]


def story_geocoder(gazetteers=(), *, online: bool = False):
    """The geocoder of a story: its own places first, then the packaged and world gazetteers
    (and Nominatim when `online`)."""
    return make_geocoder(online=online, gazetteers=tuple(gazetteers))


def _read_bytes(path: Path) -> tuple[bytes | None, str]:
    info, why = regular_file(path)  # a named pipe or a device would block the load for ever
    if info is None:
        return None, why if why != "does not exist" else "cannot be read: No such file or directory"
    too_large = f"is larger than {MAX_TABLE_BYTES / 1e9:g} GB, the most a table file may be"
    if info.st_size > MAX_TABLE_BYTES:
        return None, too_large
    try:
        data = read_at_most(path, MAX_TABLE_BYTES)
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    return (None, too_large) if len(data) > MAX_TABLE_BYTES else (data, "")


def read_events(path: str | Path, *, geocoder=None, fmt: str | None = None) -> EventTable:
    return open_table(path, fmt=fmt, geocoder=geocoder)


def parse_events(
    data: bytes | str,
    *,
    file: str = "events.csv",
    base_dir: str | Path | None = None,
    geocoder=None,
    fmt: str | None = "curated",
    tz: str | None = None,
) -> EventTable:
    """Read a table given as bytes or text (our curated CSV unless `fmt` says otherwise).

    >>> t = parse_events("id,title,start,time_precision,category\\n"
    ...                  "a,A,2024-05-01T14:00+00:00,minute,talks\\n")
    >>> t.events["start"].iloc[0]
    Timestamp('2024-05-01 14:00:00+0000', tz='UTC')
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    options = ReadOptions(tz=tz, base_dir=Path(base_dir) if base_dir is not None else None)
    intake = read(raw, file=file, fmt=fmt, options=options)
    return finish(
        intake,
        geocoder=geocoder if geocoder is not None else make_geocoder(),
        tz=tz,
        base_dir=base_dir,
    )


__all__ = ["EventTable", "open_table", "parse_events", "read_events", "resolve_table"]
