"""Errors of the timeline package: one root, each leaf also a matching builtin."""


class TimelineError(Exception):
    """Root of every error this package raises on purpose."""


class EventTableError(TimelineError, ValueError):
    """A table that cannot be read at all (not a bad row: those are reported, not raised)."""


class StoryError(TimelineError, ValueError):
    """A story file (story.toml) that is missing, malformed, or names unknown events."""


class PageTooLarge(TimelineError, ValueError):
    """More events than a published page can hold well (`timeline.export.page.PAGE_LIMIT`)."""


class WarehouseUnavailable(TimelineError, ConnectionError):
    """A warehouse (`TIMELINE_MAP_IBIS_URL`) that cannot be reached, or whose tables cannot be
    read; the message names its URL without the password."""
