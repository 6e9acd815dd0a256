"""One table of readers, one per format of event data, and the sniffing that picks one.

Each reader is a small module with a `FORMAT`: its name (what `--from` takes), a label, the
file extensions it usually has, a `sniff(data, name)` that returns None when the content fits
or else the reason it does not ("has no column event_id_cnty"), and a pure
`read(data, *, file, options) -> Intake`. Readers never geocode, never convert to UTC and
never raise for bad data: `timeline.ingest.enrich.finish` does the rest for every format alike.

The order of `READERS` is the order of sniffing: the most specific formats first, the
spreadsheet with a mapping file last.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from timeline.ingest.readers._cells import wide_encoding, wide_text_problem
from timeline.ingest.readers._sheets import is_workbook, workbook_refusal
from timeline.model import problems as P
from timeline.model.tables import Intake

#: Format name -> module under timeline.ingest.readers. The one place a format is registered.
READERS: dict[str, str] = {
    "curated": "curated",
    "parquet": "ourparquet",
    "json": "ourjson",
    "timeline-geojson": "ourgeojson",
    "timemap-xlsx": "timemap",
    "timemap-csv": "timemap_csv",
    "timemap-json": "timemap_json",
    "timelinejs": "timelinejs",
    "timelinejs-csv": "timelinejs_csv",
    "geojson": "geojson",
    "acled": "acled",
    "ucdp": "ucdp",
    "mapped": "mapped",
}


@dataclass(frozen=True)
class ReadOptions:
    """What the user may say about a file that the file does not say itself."""

    #: One IANA zone for every bare date or time of the file (`--tz`); else each place's own.
    tz: str | None = None
    #: A parsed mapping file (TOML) naming the columns of an arbitrary spreadsheet.
    mapping: dict = field(default_factory=dict)
    #: The folder the file was read from: source files cited by rows must be in it.
    base_dir: Path | None = None
    #: The mapping file's own name, for messages.
    mapping_file: str = ""


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extensions: tuple[str, ...]
    #: None when the content fits this format, else the reason it does not.
    sniff: Callable[[bytes, str], str | None]
    read: Callable[..., Intake]
    #: True when the format can only be read with a mapping file (it is never guessed).
    needs_mapping: bool = False


def formats() -> dict[str, Format]:
    """Every registered format whose module is importable, in sniffing order."""
    found = {}
    for name, module in READERS.items():
        try:
            found[name] = importlib.import_module(f"timeline.ingest.readers.{module}").FORMAT
        except ModuleNotFoundError as exc:
            if exc.name != f"timeline.ingest.readers.{module}":
                raise
    return found


def detect(data: bytes, name: str, *, mapping: bool = False) -> tuple[str | None, list[str]]:
    """The format the content fits, and why each format tried before it did not."""
    why_not = []
    for fmt in formats().values():
        if fmt.needs_mapping and not mapping:
            continue
        reason = fmt.sniff(data, name)
        if reason is None:
            return fmt.name, why_not
        why_not.append(f"{fmt.name}: {reason}")
    return None, why_not


def read(data: bytes, *, file: str, fmt: str | None = None, options: ReadOptions) -> Intake:
    """Read one file's bytes with the given format, or the one its content fits."""
    known = formats()
    if not data or data.isspace():  # (not strip(): a copy of the whole file)
        return Intake.failed(file, fmt or "unknown", P.file_problem(file, "the file is empty"))
    if is_workbook(data) and (refused := workbook_refusal(data)) is not None:
        # A zip bomb is refused from the zip's directory, before any sniffer inflates a part.
        return Intake.failed(file, fmt or "unknown", P.file_problem(file, refused))
    if not data.startswith((b"PK", b"PAR1")) and (wide := wide_encoding(data)) is not None:
        # Every text format would call it "not UTF-8" or "no format": say what it is.
        return Intake.failed(file, fmt or "unknown", wide_text_problem(file, wide))
    if fmt is None and options.mapping:
        fmt = "mapped"
    if fmt is None:
        fmt, why_not = detect(data, file)
        if fmt is None:
            tried = "; ".join(why_not)
            return Intake.failed(
                file,
                "unknown",
                P.file_problem(
                    file,
                    "is in no format this tool reads. Tried " + tried + ". For another "
                    "spreadsheet, give a mapping file (--mapping) naming its columns",
                ),
            )
    if fmt not in known:
        return Intake.failed(
            file,
            fmt,
            P.file_problem(file, f"format {fmt!r} is not one of: {', '.join(known)}"),
        )
    chosen = known[fmt]
    reason = chosen.sniff(data, file)
    if reason is not None and not chosen.needs_mapping:
        return Intake.failed(
            file,
            fmt,
            P.file_problem(file, f"was read as {chosen.label} ({fmt}) but does not fit: {reason}"),
        )
    intake = chosen.read(data, file=file, options=options)
    if intake.events.empty and intake.problems.empty:
        # Nothing read and nothing said: the reader found no record at all.
        intake = Intake.failed(
            file, fmt, P.file_problem(file, f"has no records ({chosen.label})"), intake.rows_in
        )
    return intake
