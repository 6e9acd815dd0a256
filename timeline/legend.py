"""The legend of every encoding the map and the timeline use, built from the vocab tables.

It is our own HTML from constants only: nothing from the data goes in.
"""

from __future__ import annotations

from timeline.figures import (
    LINK_COLOUR,
    PAUSE_COLOUR,
    PAUSE_STRIKE_COLOUR,
    SELECTED_COLOUR,
    STORY_COLOUR,
)
from timeline.vocab import CATEGORIES, CLAIM_STATUSES, PLACE_RADIUS_KM


def _dot(colour: str, *, hollow: bool = False, size: int = 12) -> str:
    fill = "white" if hollow else colour
    return (
        f'<span style="display:inline-block;width:{size}px;height:{size}px;'
        f"border-radius:50%;background:{fill};border:3px solid {colour};"
        'vertical-align:middle;margin-right:6px"></span>'
    )


def _bar(colour: str, style: str) -> str:
    return (
        f'<span style="display:inline-block;width:26px;border-top:{style} {colour};'
        'vertical-align:middle;margin-right:6px"></span>'
    )


def legend_entries() -> list[tuple[str, str]]:
    """(swatch HTML, label) for each encoding; the tests check every encoding is here."""
    entries = [(_dot(c.colour), c.label) for c in CATEGORIES.values()]
    for status in CLAIM_STATUSES.values():
        entries.append(
            (_dot("#555555", hollow=status.hollow), f"{status.label}: {status.description}")
        )
    entries += [
        ("● ", "Timeline: circle = time known to the minute or about the hour"),
        ("◆ ", "Timeline: diamond with whisker = happened some time in the interval shown"),
        (_bar("#555555", "8px solid"), "Timeline: bar = lasted the whole span"),
    ]
    radii = ", ".join(f"{name} {km:g} km" for name, km in PLACE_RADIUS_KM.items() if km > 0)
    entries += [
        (
            _dot("#999999", size=16).replace("background:#999999", "background:rgba(0,0,0,0.12)"),
            f"Map: circle = place known only to within its radius ({radii}; a site is a point)",
        ),
        (_bar(LINK_COLOUR, "2px solid"), "Map: great-circle arc = the places of one event"),
        (_bar(LINK_COLOUR, "1px dotted"), "Timeline: dotted line = linked events"),
        (_bar(STORY_COLOUR, "3px solid"), "Map: story route, step to step (story mode)"),
        (
            _dot(PAUSE_STRIKE_COLOUR, hollow=True),
            "Strike on energy infrastructure during the pause",
        ),
        (_bar(PAUSE_COLOUR, "8px solid"), "Timeline band: the agreed 30-day pause"),
        (_dot(SELECTED_COLOUR, hollow=True), "Selected event"),
    ]
    return entries


def legend_html() -> str:
    rows = "".join(
        f'<div style="margin:2px 0;font-size:0.85rem">{swatch}{label}</div>'
        for swatch, label in legend_entries()
    )
    grid = "display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:0 1rem"
    return f'<div class="timeline-legend" style="{grid}">{rows}</div>'
