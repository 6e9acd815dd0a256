"""The legend of every encoding the map and the timeline use, built from the vocab tables and
the story's categories and bands.

Labels from the story file and the data are escaped; colours are checked `#rrggbb` values (the
story reader and the palette make no other), escaped all the same.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from timeline.model.story import Band
from timeline.model.vocab import CLAIM_STATUSES, PLACE_RADIUS_KM, Category
from timeline.views.figures import LINK_COLOUR, SELECTED_COLOUR, STORY_COLOUR, ring_label

e = html.escape

#: Colours a reader tells apart at a glance: past this many categories, the smaller ones share
#: one grey ("other") until the reader picks them in the filters.
DISTINCT_COLOURS = 12
OTHER = "(other categories)"
OTHER_COLOUR = "#a6a6a6"


def readable(
    styles: Mapping[str, Category], picked: Sequence[str] = (), *, limit: int = DISTINCT_COLOURS
) -> tuple[dict[str, Category], frozenset[str]]:
    """The styles to draw with, and the categories folded into "other".

    `styles` come in the story's order: its own categories, then the table's by frequency
    (`Story.categories`). The first `limit` keep their colours; the rest share `OTHER`'s grey,
    except those the reader picked in the filters, which keep their own. A story of a dozen
    categories or fewer is drawn as it is.
    """
    if len(styles) <= limit:
        return dict(styles), frozenset()
    kept = list(dict.fromkeys([*list(styles)[:limit], *[c for c in picked if c in styles]]))
    folded = frozenset(c for c in styles if c not in kept)
    shown = {c: styles[c] for c in kept}
    shown[OTHER] = Category(f"Other categories ({len(folded):,})", OTHER_COLOUR)
    return shown, folded


def fold(frame, folded: frozenset[str]):
    """The frame with every folded category written `OTHER` (what the figures draw)."""
    if not folded or frame is None or "category" not in frame.columns:
        return frame
    return frame.assign(category=frame["category"].where(~frame["category"].isin(folded), OTHER))


def _dot(colour: str, *, hollow: bool = False, size: int = 12) -> str:
    colour = e(colour)
    fill = "white" if hollow else colour
    return (
        f'<span style="display:inline-block;width:{size}px;height:{size}px;'
        f"border-radius:50%;background:{fill};border:3px solid {colour};"
        'vertical-align:middle;margin-right:6px"></span>'
    )


def _bar(colour: str, style: str) -> str:
    colour = e(colour)
    return (
        f'<span style="display:inline-block;width:26px;border-top:{style} {colour};'
        'vertical-align:middle;margin-right:6px"></span>'
    )


def legend_entries(
    categories: Mapping[str, Category], bands: Sequence[Band] = ()
) -> list[tuple[str, str]]:
    """(swatch HTML, label as HTML) for each encoding; the tests check every encoding is here.

    `categories` and `bands` are the story's (`story.categories`, `story.bands`); a band with
    no span is not drawn, so it has no entry.
    """
    entries = [(_dot(c.colour), e(c.label)) for c in categories.values()]
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
    ]
    for band in bands:
        if band.start is None or band.end is None:
            continue
        entries.append((_bar(band.colour, "8px solid"), f"Timeline band: {e(band.label)}"))
        for category in band.highlight:
            if category in categories:
                style = categories[category]
                entries.append((_dot(style.colour, hollow=True), e(ring_label(band, style))))
    entries.append((_dot(SELECTED_COLOUR, hollow=True), "Selected event"))
    return entries


def legend_html(categories: Mapping[str, Category], bands: Sequence[Band] = ()) -> str:
    rows = "".join(
        f'<div style="margin:2px 0;font-size:0.85rem">{swatch}{label}</div>'
        for swatch, label in legend_entries(categories, bands)
    )
    grid = "display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:0 1rem"
    return f'<div class="timeline-legend" style="{grid}">{rows}</div>'
