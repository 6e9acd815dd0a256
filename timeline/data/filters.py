"""What a reader keeps: one value holding every filter, as every view and query takes it.

A filter narrows the events of the window the same way in every view (map, timeline, lists,
the count line, exports, Prev/Next, Play) because every query of `timeline.data.contract`
takes the same `Filters`. Fields are named as the store names its columns:

- `category`, `claim_status`: an event's own value (an empty claim status is "not stated");
- `actors`, `reported_by`: lists written `a;b` in the table: an event passes when any item does;
- `country`, `region`: its places' values: an event passes when any of its places does;
- `extra.KEY`: a field of the source kept in `extra` (ACLED's `extra.sub_event_type`), which the
  store flattens into a column of its own;
- numeric ranges on any numeric `extra.KEY` (ACLED's `extra.fatalities`, UCDP's `extra.best`);
- `text`: words found, ignoring case, in the title, the summary or the notes.

Empty means no filter: `Filters()` keeps everything. A facet with an empty set of values keeps
nothing (the reader unticked every box). In the URL a filter is one parameter per field:
`f.category=Battles|Riots`, `r.extra.fatalities=1:` (at least 1), `q=drone`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

#: Fields whose cells list several values, separated by ";".
LIST_FIELDS = frozenset({"actors", "reported_by"})
#: Fields read from an event's places, not from the event itself.
PLACE_FIELDS = frozenset({"country", "region"})
#: Event fields a reader can filter on besides the `extra.*` ones.
EVENT_FIELDS = frozenset({"category", "claim_status", *LIST_FIELDS})
#: Columns the text filter searches.
TEXT_FIELDS = ("title", "summary", "notes")
EXTRA_PREFIX = "extra."
#: A facet's values are joined with this in the URL (a value holding it cannot be linked).
URL_SEPARATOR = "|"


def is_field(name: str) -> bool:
    """Whether a filter can name this field."""
    return (
        name in EVENT_FIELDS
        or name in PLACE_FIELDS
        or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX))
    )


@dataclass(frozen=True)
class Filters:
    """Every filter at once; hashable, so answers can be kept per filter."""

    #: Field -> the values kept (sorted tuple of (field, values) pairs, so equal filters hash
    #: alike).
    facets: tuple[tuple[str, frozenset[str]], ...] = ()
    #: Field -> (lowest, highest) kept, either end open (None).
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    #: Words searched for in the title, summary and notes, ignoring case.
    text: str = ""

    @classmethod
    def of(
        cls,
        facets: Mapping[str, Iterable[str]] | None = None,
        ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
        text: str = "",
    ) -> Filters:
        return cls(
            facets=tuple(sorted((f, frozenset(v)) for f, v in (facets or {}).items())),
            ranges=tuple(
                sorted(
                    (f, lo, hi)
                    for f, (lo, hi) in (ranges or {}).items()
                    if (lo, hi) != (None, None)
                )
            ),
            text=" ".join(text.split()),
        )

    @property
    def empty(self) -> bool:
        return not (self.facets or self.ranges or self.text)

    def values(self, name: str) -> frozenset[str] | None:
        """The values kept of a field, or None when the field is not filtered."""
        return dict(self.facets).get(name)

    def with_facet(self, name: str, values: Iterable[str] | None) -> Filters:
        """These filters with one facet set (None: not filtered)."""
        facets = {f: v for f, v in self.facets if f != name}
        if values is not None:
            facets[name] = frozenset(values)
        return replace(self, facets=tuple(sorted(facets.items())))

    def with_range(self, name: str, low: float | None, high: float | None) -> Filters:
        ranges = [r for r in self.ranges if r[0] != name]
        if (low, high) != (None, None):
            ranges.append((name, low, high))
        return replace(self, ranges=tuple(sorted(ranges, key=lambda r: r[0])))

    def with_text(self, text: str) -> Filters:
        return replace(self, text=" ".join(text.split()))

    def without(self, name: str) -> Filters:
        """These filters but the one on `name` (a facet's counts ignore its own filter)."""
        return replace(
            self,
            facets=tuple((f, v) for f, v in self.facets if f != name),
            ranges=tuple(r for r in self.ranges if r[0] != name),
        )

    # --- the URL ------------------------------------------------------------------------------

    def to_query(self) -> dict[str, str]:
        query = {}
        for name, values in self.facets:
            query[f"f.{name}"] = URL_SEPARATOR.join(sorted(values))
        for name, low, high in self.ranges:
            query[f"r.{name}"] = f"{_number(low)}:{_number(high)}"
        if self.text:
            query["q"] = self.text
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[Filters, list[str]]:
        """The filters a link asks for, and a notice for each part that could not be used."""
        facets: dict[str, frozenset[str]] = {}
        ranges: dict[str, tuple[float | None, float | None]] = {}
        notices = []
        for key, value in query.items():
            if key.startswith("f."):
                name = key[2:]
                if not is_field(name):
                    notices.append(f"The link filters on {name[:60]!r}, which is no field here.")
                    continue
                facets[name] = frozenset(v for v in value.split(URL_SEPARATOR) if v)
            elif key.startswith("r."):
                name = key[2:]
                bounds = _range(value)
                if not name.startswith(EXTRA_PREFIX) or bounds is None:
                    notices.append(f"The link's range {key[:60]!r} is not low:high; left out.")
                    continue
                ranges[name] = bounds
        return cls.of(facets, ranges, query.get("q", "")), notices


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _range(text: str) -> tuple[float | None, float | None] | None:
    low, sep, high = text.partition(":")
    if not sep:
        return None
    try:
        bounds = tuple(float(v) if v.strip() else None for v in (low, high))
    except ValueError:
        return None
    if any(b is not None and b != b for b in bounds):  # NaN
        return None
    return bounds  # type: ignore[return-value]


@dataclass(frozen=True)
class Facet:
    """A field a story offers as a filter, with its label (`story.toml` `[[facets]]`)."""

    field: str
    label: str
    #: "values" (tick boxes of its values) or "range" (a numeric range).
    kind: str = "values"
    extra: dict = field(default_factory=dict, compare=False, hash=False)
