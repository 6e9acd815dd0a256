"""The story around an event table: title, article, whole window, anchor, presets, narratives.

It lives in `story.toml` beside the table. A table without one (somebody else's CSV) gets a
story derived from its events, so the app opens on any table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from timeline.errors import StoryError


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
class Story:
    title: str
    table: Path
    article: str | None
    whole: Window
    anchor: str | None = None
    pause: str | None = None
    presets: tuple[Window, ...] = ()
    narratives: tuple[Narrative, ...] = field(default_factory=tuple)

    @property
    def windows(self) -> tuple[Window, ...]:
        """The whole story first, then the story's own presets."""
        return (self.whole, *self.presets)


def _utc(text: str, where: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise StoryError(f"{where}: {text!r} is not an ISO 8601 time") from exc
    if ts.tzinfo is None:
        raise StoryError(f"{where}: {text!r} needs a UTC offset")
    return ts.tz_convert("UTC")


def read_story(path: str | Path) -> Story:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StoryError(f"{path}: cannot be read: {exc}") from exc
    try:
        whole = Window(
            "Whole story", _utc(data["start"], f"{path}: start"), _utc(data["end"], f"{path}: end")
        )
        presets = tuple(
            Window(
                p["label"], _utc(p["start"], f"{path}: preset"), _utc(p["end"], f"{path}: preset")
            )
            for p in data.get("presets", [])
        )
        narratives = tuple(
            Narrative(n["id"], n["title"], tuple(n["events"])) for n in data.get("narratives", [])
        )
        return Story(
            title=data["title"],
            table=path.parent / data.get("table", "events.csv"),
            article=data.get("article"),
            whole=whole,
            anchor=data.get("anchor"),
            pause=data.get("pause"),
            presets=presets,
            narratives=narratives,
        )
    except KeyError as exc:
        raise StoryError(f"{path}: missing key {exc}") from exc


def story_for_table(table_path: str | Path, events: pd.DataFrame, *, beside: bool = True) -> Story:
    """The story file beside the table if there is one (and `beside`), else one from the events."""
    table_path = Path(table_path)
    story_file = table_path.parent / "story.toml"
    if beside and story_file.exists():
        story = read_story(story_file)
        if story.table.resolve() == table_path.resolve():
            return story
    if len(events):
        start = events["earliest"].min().floor("D")
        end = events["start"].max().ceil("D") + pd.Timedelta(days=1)
    else:
        start = pd.Timestamp("2025-01-01", tz="UTC")
        end = start + pd.Timedelta(days=1)
    return Story(
        title=table_path.stem,
        table=table_path,
        article=None,
        whole=Window("Whole table", start, end),
    )
