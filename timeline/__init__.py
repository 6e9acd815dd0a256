"""A sourced, geocoded event table of a news story, and the views of it the app draws."""

from timeline.errors import EventTableError, StoryError, TimelineError
from timeline.ingest.files import EventTable, parse_events, read_events

__all__ = [
    "EventTable",
    "EventTableError",
    "StoryError",
    "TimelineError",
    "parse_events",
    "read_events",
]
