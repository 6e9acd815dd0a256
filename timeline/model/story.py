"""The story around an event table, read from `story.toml` beside it, or made from its events.

A story owns its words: title, whole window, anchor, window presets, narratives, the labels and
colours of its categories, and bands (labelled spans, such as a pause, inside which some
categories stand out). Nothing of any one story is written in this package.

Every value of the file is checked. A bad one is reported in the project's problem table (file,
row empty, column = the key path such as `presets[2].start`, value, problem, kept) and left out
or replaced by its default; only a file that cannot be read or parsed at all falls back to the
story made from the table. Nothing here raises on a bad file.

    >>> story = story_for_table("seeds/events.csv", events)     # doctest: +SKIP
    >>> story.problems      # empty when the file is clean   # doctest: +SKIP

A table without a story file gets one from its events (`default_story`): its title from the file
name, its window from the events, presets at the busiest day, week, month... that fit, and its
categories in order of frequency, each with a colour from `PALETTE`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from timeline.model.boundary import inside
from timeline.model.problems import empty_problems
from timeline.model.times import EXAMPLE_INSTANT, parse_instant
from timeline.model.vocab import Category

#: Every key of story.toml and what it means. The README documents each one (a test checks).
#: `[]` stands for any item of an array of tables, `ID` for a category's own id.
KEYS: dict[str, str] = {
    "title": "the story's title, shown as plain text",
    "table": "the event table's file name, in the story's folder (default `events.csv`)",
    "article": "the article's file name, in the story's folder",
    "start": "start of the whole window, an ISO 8601 time with a UTC offset",
    "end": "end of the whole window, same form",
    "anchor": "id of the event relative time is measured from",
    "presets[].label": "a window preset's label (unique)",
    "presets[].start": "the preset's start",
    "presets[].end": "the preset's end",
    "narratives[].id": "a narrative's id",
    "narratives[].title": "its title",
    "narratives[].events": "its event ids, in order",
    "categories.ID.label": "the label of category ID",
    "categories.ID.colour": "its colour, `#rrggbb`",
    "categories.ID.order": "its place among the categories (a whole number)",
    "bands[].label": "a band's label",
    "bands[].event": "id of the event whose span the band covers",
    "bands[].start": "or: the band's start",
    "bands[].end": "and its end",
    "bands[].colour": "the band's colour, `#rrggbb` (default: the colour of its event's category)",
    "bands[].highlight": "categories that stand out inside the band (ringed on map and timeline)",
    "facets[].field": "a field readers can filter on: `actors`, `reported_by`, `country`, "
    "`region` or a field of the source kept with each event, `extra.KEY`",
    "facets[].label": "its label in the filter panel (default: the field)",
    "facets[].kind": "`values` (tick its values, with counts) or `range` (a numeric range)",
}

#: Colours of categories a story does not declare: Okabe-Ito, then Paul Tol's muted scheme
#: (both readable with the common colour-vision deficiencies), yellow left out for contrast.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
    "#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499", "#88CCEE",
    "#CC6677", "#DDCC77",
)  # fmt: skip
BAND_COLOUR = "#888888"
WHOLE_LABEL = "Whole story"
#: Scales of the presets made from the data: the largest three that fit twice in the window.
DENSE_SCALES: tuple[tuple[str, pd.Timedelta], ...] = (
    ("day", pd.Timedelta(days=1)),
    ("week", pd.Timedelta(days=7)),
    ("30 days", pd.Timedelta(days=30)),
    ("year", pd.Timedelta(days=365)),
    ("decade", pd.Timedelta(days=3652)),
    ("century", pd.Timedelta(days=36524)),
)
#: Last instant a window may reach: Python's datetime (and so the slider) stops at year 9999.
TIME_MAX = pd.Timestamp("9999-12-31T23:59:59", tz="UTC")
#: The window of a table with no event at all: any day would do.
EMPTY_START = pd.Timestamp("1970-01-01", tz="UTC")
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_EXAMPLE_TIME = EXAMPLE_INSTANT


@dataclass(frozen=True)
class Window:
    label: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class Narrative:
    id: str
    title: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    """A labelled span; events of the `highlight` categories inside it stand out."""

    label: str
    #: None while a band given by `event` is not resolved against the table (no events given).
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    colour: str
    highlight: tuple[str, ...] = ()
    event: str | None = None


@dataclass(frozen=True)
class Facet:
    """A field the story offers as a filter (`[[facets]]`)."""

    field: str
    label: str
    #: "values": tick its values, each with its count; "range": a numeric range.
    kind: str = "values"


FACET_KINDS = ("values", "range")


@dataclass(frozen=True)
class Story:
    title: str
    table: Path
    article: str | None
    whole: Window
    anchor: str | None = None
    presets: tuple[Window, ...] = ()
    narratives: tuple[Narrative, ...] = ()
    #: Every category, in the order the timeline shows them: the story's own, then the table's.
    categories: Mapping[str, Category] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()
    #: The fields offered as filters beyond the built-in ones, in the panel's order.
    facets: tuple[Facet, ...] = ()
    #: The story file this came from; None when the story was made from the table.
    source: Path | None = None
    #: What was wrong with the story file, in the problem table's form (empty when clean).
    problems: pd.DataFrame = field(default_factory=empty_problems, compare=False, repr=False)

    @property
    def windows(self) -> tuple[Window, ...]:
        """The whole story first, then the story's own presets."""
        return (self.whole, *self.presets)

    def category_styles(self, categories_in_data: Iterable[str]) -> dict[str, Category]:
        """The story's categories, plus a style for each other category found in the data."""
        return category_styles(categories_in_data, self.categories)


# --- categories ----------------------------------------------------------------------------------


def category_colour(category: str, taken: Iterable[str] = ()) -> str:
    """A palette colour for a category: the same text gives the same colour on every run.

    The category's own slot comes from a checksum of its text (Python's `hash` of a string
    changes from run to run); if another category has that colour, the next free one.
    """
    taken = {c.lower() for c in taken}
    first = zlib.crc32(category.encode("utf-8")) % len(PALETTE)
    for i in range(len(PALETTE)):
        colour = PALETTE[(first + i) % len(PALETTE)]
        if colour.lower() not in taken:
            return colour
    return PALETTE[first]


def category_styles(
    categories_in_data: Iterable[str], declared: Mapping[str, Category] | None = None
) -> dict[str, Category]:
    """`declared` in its order, then each other category of the data by frequency.

    An undeclared category is labelled with its own text and coloured from `PALETTE`, avoiding
    the colours already used; it is never dropped.
    """
    declared = dict(declared or {})
    counts = pd.Series(categories_in_data, dtype="object").fillna("").astype("str").value_counts()
    missing = [c for c in counts.index if c not in declared]
    taken = [c.colour for c in declared.values()]
    colours: dict[str, str] = {}
    for category in sorted(missing):  # by name, so the colours do not follow the counts
        colours[category] = category_colour(category, taken)
        taken.append(colours[category])
    missing.sort(key=lambda c: (-counts[c], c))
    return declared | {c: Category(c or "(no category)", colours[c]) for c in missing}


# --- the checks ------------------------------------------------------------------------------


class _Bad(ValueError):
    """One value of the story file that cannot be used; its message says why."""


class _Report:
    """Collects problems of one story file, in the problem table's form."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[dict] = []

    def add(self, column: str, value: object, problem: str, *, kept: bool) -> None:
        text = "" if value is None else value if isinstance(value, str) else repr(value)
        self.rows.append({"column": column, "value": text, "problem": problem, "kept": kept})

    def table(self) -> pd.DataFrame:
        if not self.rows:
            return empty_problems()
        out = pd.DataFrame(self.rows)
        out.insert(0, "file", self.file)
        out.insert(1, "row", pd.array([None] * len(out), dtype="Int64"))
        return out.astype(empty_problems().dtypes.to_dict())


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _time(value: object) -> pd.Timestamp:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise _Bad("is a TOML date-time without a UTC offset; add one, e.g. " + _EXAMPLE_TIME)
        ts = pd.Timestamp(value)
    elif isinstance(value, dt.date):
        raise _Bad(f"is a TOML date without a time and UTC offset; write e.g. {_EXAMPLE_TIME!r}")
    elif isinstance(value, dt.time):
        raise _Bad(f"is a TOML time of day with no date; write e.g. {_EXAMPLE_TIME!r}")
    elif isinstance(value, str):
        try:
            ts = parse_instant(value)
        except ValueError as exc:
            raise _Bad(str(exc)) from exc
    else:
        raise _Bad(f"is {_kind(value)}, not a time; write e.g. {_EXAMPLE_TIME!r} in quotes")
    ts = ts.tz_convert("UTC")
    if not 1 <= ts.year <= 9999:
        raise _Bad("is outside the years 1 to 9999")
    return ts


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(f"is {_kind(value)}, not text")
    if not value.strip():
        raise _Bad("is empty")
    return value


def _colour(value: object) -> str:
    text = _text(value)
    if not _HEX.fullmatch(text):
        raise _Bad("is not a colour written #rrggbb")
    if len(text) == 4:
        text = "#" + "".join(c * 2 for c in text[1:])
    return text.upper()


def _ids(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(f"is {_kind(value)}, not a list of texts")
    return value


def _tables(value: object) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Bad(f"is {_kind(value)}, not an array of tables ([[...]])")
    return value


class _Reader:
    """Reads one parsed story file against the table's events (if given)."""

    def __init__(self, data: dict, report: _Report, events: pd.DataFrame | None) -> None:
        self.data = data
        self.report = report
        self.events = events
        self.by_id = None if events is None else events.set_index("id", drop=False)

    def get(self, table: dict, key: str, where: str, check, default=None):
        """`check(table[key])`, or `default` with a problem when the value cannot be used."""
        if key not in table:
            return default
        try:
            return check(table[key])
        except _Bad as exc:
            self.report.add(where, table[key], f"{exc}; left out", kept=False)
            return default

    def known(self, event_id: str, where: str, what: str) -> bool:
        if self.by_id is None or event_id in self.by_id.index:
            return True
        self.report.add(where, event_id, f"no event has this id; {what}", kept=False)
        return False

    def unknown_keys(self, table: dict, allowed: Iterable[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.report.add(
                    prefix + key, "", "is not a story.toml key (see the README); ignored", kept=True
                )


def _window(r: _Reader, table: dict, where: str, label: str) -> Window | None:
    """A window from `start` and `end` of `table`; None (and a problem) when it cannot be used."""
    start = r.get(table, "start", f"{where}start", _time)
    end = r.get(table, "end", f"{where}end", _time)
    if start is None or end is None:
        return None
    if start >= end:
        r.report.add(
            f"{where}end", table["end"], f"is not after the start ({table['start']}); left out",
            kept=False,
        )  # fmt: skip
        return None
    return Window(label, start, end)


def _presets(r: _Reader, whole: Window) -> tuple[Window, ...]:
    out: list[Window] = []
    labels = {whole.label}
    for n, item in enumerate(r.get(r.data, "presets", "presets", _tables, []), 1):
        where = f"presets[{n}]."
        r.unknown_keys(item, ("label", "start", "end"), where)
        label = r.get(item, "label", where + "label", _text)
        if label is None:
            r.report.add(where + "label", "", "a preset needs a label; left out", kept=False)
            continue
        if label in labels:
            r.report.add(
                where + "label", label, "another preset has this label; left out", kept=False
            )
            continue
        window = _window(r, item, where, label)
        if window is None:
            continue
        if window.end <= whole.start or window.start >= whole.end:
            r.report.add(where + "start", item["start"], "is outside the whole window; left out",
                         kept=False)  # fmt: skip
            continue
        if window.start < whole.start or window.end > whole.end:
            r.report.add(where + "start", item["start"], "reaches outside the whole window; "
                         "cut to it", kept=True)  # fmt: skip
            window = Window(label, max(window.start, whole.start), min(window.end, whole.end))
        labels.add(label)
        out.append(window)
    return tuple(out)


def _narratives(r: _Reader) -> tuple[Narrative, ...]:
    out: list[Narrative] = []
    for n, item in enumerate(r.get(r.data, "narratives", "narratives", _tables, []), 1):
        where = f"narratives[{n}]."
        r.unknown_keys(item, ("id", "title", "events"), where)
        nid = r.get(item, "id", where + "id", _text, f"narrative-{n}")
        title = r.get(item, "title", where + "title", _text, nid)
        listed = r.get(item, "events", where + "events", _ids)
        if listed is None:
            if "events" not in item:
                r.report.add(where + "events", "", "a narrative needs events; left out", kept=False)
            continue
        ids: list[str] = []
        for i, event_id in enumerate(listed, 1):
            if event_id in ids:
                r.report.add(f"{where}events[{i}]", event_id, "is listed before; the first "
                             "place is kept", kept=True)  # fmt: skip
            elif r.known(event_id, f"{where}events[{i}]", "left out of the narrative"):
                ids.append(event_id)
        if not ids:
            r.report.add(where + "events", "", "names no event of the table; left out", kept=False)
            continue
        out.append(Narrative(nid, title, tuple(ids)))
    return tuple(out)


def _facets(r: _Reader, value: object = None) -> tuple[Facet, ...]:
    from timeline.data.filters import is_field  # the fields a filter can name

    out: list[Facet] = []
    items = r.get(r.data, "facets", "facets", _tables, []) if value is None else value
    for n, item in enumerate(items, 1):
        where = f"facets[{n}]."
        r.unknown_keys(item, ("field", "label", "kind"), where)
        name = r.get(item, "field", where + "field", _text)
        if name is None or not is_field(name):
            r.report.add(where + "field", item.get("field", ""), "is not a field a filter can "
                         "name (actors, reported_by, country, region or extra.KEY); left out",
                         kept=False)  # fmt: skip
            continue
        kind = r.get(item, "kind", where + "kind", _text, "values")
        if kind not in FACET_KINDS:
            r.report.add(where + "kind", kind, "is not values or range; read as values", kept=True)
            kind = "values"
        if kind == "range" and not name.startswith("extra."):
            r.report.add(where + "kind", kind, "a range needs a numeric extra.KEY field; read "
                         "as values", kept=True)  # fmt: skip
            kind = "values"
        if any(f.field == name for f in out):
            r.report.add(where + "field", name, "is offered before; left out", kept=True)
            continue
        out.append(Facet(name, r.get(item, "label", where + "label", _text, name), kind))
    return tuple(out)


def facets_of(items: object) -> tuple[Facet, ...]:
    """Facets from a reader's defaults (a list of {field, label, kind}), the bad ones left out."""
    if not isinstance(items, list):
        return ()
    return _facets(_Reader({}, _Report(""), None), [i for i in items if isinstance(i, dict)])


def _categories(r: _Reader) -> dict[str, Category]:
    found: list[tuple[float, int, str, Category]] = []
    for n, (cid, item) in enumerate(r.get(r.data, "categories", "categories", _tables_by_id, {})):
        where = f"categories.{cid}."
        if not isinstance(item, dict):
            r.report.add(where[:-1], item, f"is {_kind(item)}, not a table; left out", kept=False)
            continue
        r.unknown_keys(item, ("label", "colour", "order"), where)
        label = r.get(item, "label", where + "label", _text, cid)
        colour = r.get(item, "colour", where + "colour", _colour)
        order = r.get(item, "order", where + "order", _order, float("inf"))
        found.append((order, n, cid, Category(label, colour or "")))
    found.sort(key=lambda f: f[:2])
    declared = {cid: c for _, _, cid, c in found if c.colour}
    # A category without a usable colour still keeps its label and place; its colour comes
    # from the palette, clear of the declared ones.
    taken = [c.colour for c in declared.values()]
    out = {}
    for _, _, cid, c in found:
        if not c.colour:
            c = Category(c.label, category_colour(cid, taken))
            taken.append(c.colour)
        out[cid] = c
    return out


def _tables_by_id(value: object) -> list[tuple[str, object]]:
    if not isinstance(value, dict):
        raise _Bad(f"is {_kind(value)}, not a table of categories ([categories.ID])")
    return list(value.items())


def _order(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"is {_kind(value)}, not a number")
    return float(value)


def _bands(r: _Reader, styles: Mapping[str, Category]) -> tuple[Band, ...]:
    out: list[Band] = []
    for n, item in enumerate(r.get(r.data, "bands", "bands", _tables, []), 1):
        where = f"bands[{n}]."
        r.unknown_keys(item, ("label", "event", "start", "end", "colour", "highlight"), where)
        event = r.get(item, "event", where + "event", _text)
        if event is not None and ("start" in item or "end" in item):
            r.report.add(where + "event", event, "a band is given by an event or by start and "
                         "end, not both; the event is used", kept=True)  # fmt: skip
        start = end = None
        colour = BAND_COLOUR
        if event is not None:
            if not r.known(event, where + "event", "the band is left out"):
                continue
            if r.by_id is not None:
                row = r.by_id.loc[event]
                start, end = row["earliest"], row["latest"]
                colour = styles.get(str(row["category"]), Category("", BAND_COLOUR)).colour
        elif "start" in item or "end" in item:
            window = _window(r, item, where, "")
            if window is None:
                continue
            start, end = window.start, window.end
        else:
            r.report.add(where[:-1], "", "a band needs an event, or a start and an end; left out",
                         kept=False)  # fmt: skip
            continue
        label = r.get(item, "label", where + "label", _text)
        if label is None:
            label = event or f"Band {n}"
            r.report.add(where + "label", "", f"a band needs a label; called {label!r}", kept=True)
        colour = r.get(item, "colour", where + "colour", _colour, colour)
        highlight = r.get(item, "highlight", where + "highlight", _ids, [])
        if r.events is not None:
            for i, category in enumerate(highlight, 1):
                if category not in styles:
                    r.report.add(f"{where}highlight[{i}]", category,
                                 "no event has this category", kept=True)  # fmt: skip
        out.append(Band(label, start, end, colour, tuple(dict.fromkeys(highlight)), event))
    return tuple(out)


# --- reading -----------------------------------------------------------------------------------


def parse_story(text: str, *, file: str, folder: Path, events: pd.DataFrame | None) -> Story:
    """The story in `text` (a story.toml's content), checked; see `read_story`."""
    report = _Report(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        report.add("", "", f"is not valid TOML ({exc}); the story is made from the table",
                   kept=False)  # fmt: skip
        return replace(default_story(folder / "events.csv", events), problems=report.table())
    r = _Reader(data, report, events)
    r.unknown_keys(data, {k.split(".")[0].split("[")[0] for k in KEYS}, "")
    name = r.get(data, "table", "table", _text, "events.csv")
    if inside(folder, name)[0] is None:  # never opened: `resolve_table` refuses it too
        report.add("table", name, f"{inside(folder, name)[1]}; the table is refused", kept=False)
    table = folder / name
    whole = _window(r, data, "", WHOLE_LABEL)
    if whole is None:
        whole = data_window(events)
        for key, other in (("start", "end"), ("end", "start")):
            if key not in data and other in data:
                report.add(key, "", f"is not given (the {other} is); the window is the table's",
                           kept=False)  # fmt: skip
    anchor = r.get(data, "anchor", "anchor", _text)
    if anchor is not None and not r.known(anchor, "anchor", "no anchor is set"):
        anchor = None
    declared = _categories(r)
    styles = declared if events is None else category_styles(events["category"], declared)
    return Story(
        title=r.get(data, "title", "title", _text, table.stem),
        table=table,
        article=r.get(data, "article", "article", _text),
        whole=whole,
        anchor=anchor,
        presets=_presets(r, whole),
        narratives=_narratives(r),
        categories=styles,
        bands=_bands(r, styles),
        facets=_facets(r),
        source=folder / Path(file).name,
        problems=report.table(),
    )


def read_story(path: str | Path, *, events: pd.DataFrame | None) -> Story:
    """The story file at `path`, checked against `events` (the table's, as `read_events` gives).

    Never raises for a bad file: every problem is in `story.problems` (file, row empty, column
    the key path, value, problem, kept), and a bad value is left out or defaulted. A file that
    cannot be read or parsed gives the story made from the table (`source` is then None).

    `events` is required so that a caller cannot forget the checks that need the table: ids of
    the anchor, narratives and bands, bands' spans, the categories found in the data. Pass
    `events=None` only to check the file alone: those checks are then skipped and bands given
    by an event have no span.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "is not UTF-8" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        report = _Report(str(path))
        detail = f" ({exc.strerror})" if isinstance(exc, OSError) and exc.strerror else ""
        report.add("", "", f"{why}{detail}; the story is made from the table", kept=False)
        story = default_story(path.parent / "events.csv", events)
        return replace(story, problems=report.table())
    return parse_story(text, file=str(path), folder=path.parent, events=events)


def story_for_table(
    table_path: str | Path,
    events: pd.DataFrame,
    *,
    beside: bool = True,
    defaults: Mapping | None = None,
) -> Story:
    """The story file beside the table if there is one for it (and `beside`), else one made
    from the events. Problems of the story file are in `story.problems`; never raises.

    `defaults` is what the file's reader says of its story (ACLED's fields worth filtering on):
    its `facets` are offered when the story declares none."""
    story = _story_for_table(Path(table_path), events, beside)
    if not story.facets and defaults:
        story = replace(story, facets=facets_of(defaults.get("facets")))
    return story


def _story_for_table(table_path: Path, events: pd.DataFrame, beside: bool) -> Story:
    story_file = table_path.parent / "story.toml"
    if beside and story_file.is_file():
        story = read_story(story_file, events=events)
        if story.source is None:  # unreadable: the table's own story, with the file's problems
            return replace(default_story(table_path, events), problems=story.problems)
        if story.table.resolve() == table_path.resolve():
            return story
    return default_story(table_path, events)


# --- defaults from the data ------------------------------------------------------------------


def default_story(table_path: str | Path, events: pd.DataFrame | None) -> Story:
    """The story of a table with no story file: everything from the file name and the events."""
    table_path = Path(table_path)
    have = events is not None and len(events) > 0
    whole = data_window(events)
    return Story(
        title=table_path.stem,
        table=table_path,
        article=None,
        whole=whole,
        presets=dense_presets(events["earliest"], whole) if have else (),
        categories=category_styles(events["category"]) if have else {},
    )


def data_window(events: pd.DataFrame | None) -> Window:
    """From the first event's UTC day to the day after the last one ends (any day if none)."""
    if events is None or events.empty:
        return Window(WHOLE_LABEL, EMPTY_START, EMPTY_START + pd.Timedelta(days=1))
    start = events["earliest"].min().floor("D")
    end = min(events["latest"].max().floor("D") + pd.Timedelta(days=1), TIME_MAX)
    return Window(WHOLE_LABEL, start, end)


def dense_presets(times: pd.Series, whole: Window) -> tuple[Window, ...]:
    """Windows at the busiest day, week, 30 days, ... of `times`: the three largest scales of
    `DENSE_SCALES` that fit twice in the whole window, largest first. Each starts at a UTC
    midnight; a tie goes to the earliest."""
    span = whole.end - whole.start
    scales = [s for s in DENSE_SCALES if s[1] * 2 <= span][-3:]
    # Naive UTC datetime64 for numpy: an array of tz-aware Timestamps would be objects.
    days = np.sort(
        times.dropna().dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D").to_numpy()
    )
    if not len(days):
        return ()
    starts = np.unique(days)
    out = []
    for name, width in reversed(scales):
        counts = np.searchsorted(days, starts + width.to_timedelta64(), "left") - np.searchsorted(
            days, starts, "left"
        )
        best = int(np.argmax(counts))
        start = pd.Timestamp(starts[best]).tz_localize("UTC")
        end = min(start + width, whole.end)
        out.append(Window(f"Busiest {name} ({int(counts[best]):,} events)", start, end))
    return tuple(out)
