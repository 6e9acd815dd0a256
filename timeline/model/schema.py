"""The one declaration of every table this project holds or writes: each column's name, type,
meaning and which of our files carry it.

Everything else is derived from here: the readers' intake (`INTAKE_*`), the model the app
reads (`EVENTS`, `PLACES`, `LINKS`, `PROBLEMS`), the store's checks, our curated CSV's columns
(`CURATED`, and the README's table of them: `scripts/build_docs.py`) and our JSON and GeoJSON
fields (`JSON_EVENT_FIELDS`, `JSON_PLACE_FIELDS`). A story's gazetteer is geodata's format
(`geodata.gazetteer.COLUMNS`). A new
column is one line here (and, for our files, one line in the reader and the writer that give it
meaning).
"""

from __future__ import annotations

from dataclasses import dataclass

UTC_TIME = "datetime64[us, UTC]"
LOCAL_TIME = "datetime64[us]"


@dataclass(frozen=True)
class Column:
    name: str
    #: The pandas dtype the model holds it in ("str" is pandas' string dtype).
    dtype: str
    #: What it holds, in a reader's words (the README's table of our CSV is made from these).
    doc: str = ""
    #: A stored model without it is refused; without the others, they are filled empty.
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _table(name: str, *columns: Column) -> Table:
    return Table(name, columns)


C = Column

# --- the model: what `timeline.ingest.enrich.finish` makes and the app, CLI and store read ------

EVENTS = _table(
    "events",
    C("id", "str", "stable, unique id", required=True),
    C("title", "str", "a short title", required=True),
    C("summary", "str", "one or two sentences"),
    # The nominal times as written (for an event known to about an hour, the hour itself).
    C("start", UTC_TIME, "the start as written", required=True),
    C("end", UTC_TIME, "the end as written"),
    # The bounds: what filters, draws and exports use. The start lies in [earliest,
    # start_latest], the end in [end_earliest, latest]; a point event has no end bounds.
    C("earliest", UTC_TIME, "the earliest the event may have begun", required=True),
    C("start_latest", UTC_TIME, "the latest it may have begun"),
    C("end_earliest", UTC_TIME, "the earliest it may have ended"),
    C("latest", UTC_TIME, "the latest it may have ended", required=True),
    # The clock the source wrote its times in: its offset at the start, and its zone if known.
    C("start_offset_min", "int16", "UTC offset of the written start, in minutes"),
    C("timezone", "str", "IANA zone of the written times"),
    C("time_precision", "str", "how precisely the time is known", required=True),
    C("time_precision_source", "str", "the source's own precision code"),
    C("time_note", "str", "what the sources say about the time"),
    C("category", "str", "the story's category", required=True),
    C("actors", "str", "who acted"),
    C("reported_by", "str", "who reports or claims it"),
    C("claim_status", "str", "confirmed, claimed, disputed or empty"),
    C("quote", "str", "the source's sentence, verbatim"),
    C("source_file", "str", "the source's file name"),
    C("further_sources", "str", "further sources"),
    C("notes", "str", "anything else a reader should know"),
    C("quote_verified", "bool", "the quote was found verbatim in its source file"),
    C("row", "int64", "the record's row in its file, as a spreadsheet counts it"),
    # Then the source's own fields that have no column here: `extra.KEY`, text
    # (`timeline.model.extras`).
)

PLACES = _table(
    "places",
    C("event_id", "str", "the event placed", required=True),
    C("order", "int64", "the place's position among its event's places"),
    C("name", "str", "the place's name"),
    C("country", "str", "ISO 3166-1 alpha-2 code"),
    C("region", "str", "first-level region"),
    C("lat", "float64", "latitude, decimal degrees", required=True),
    C("lon", "float64", "longitude, decimal degrees", required=True),
    C("geo_precision", "str", "site, town, near, region or country"),
    C("geo_precision_source", "str", "the source's own place precision code"),
    C("source", "str", "where the point comes from"),
    C("credit", "str", "whom to credit for the point"),
    C("timezone", "str", "IANA zone at the point"),
    C("note", "str", "what a reader should know of the point"),
)

LINKS = _table(
    "links",
    C("source_id", "str", "the event the link is written on", required=True),
    C(
        "relation",
        "str",
        "responds_to, follows_from, after, alleged_breach_of, reported_with",
        required=True,
    ),
    C("target_id", "str", "the event it points to", required=True),
)

PROBLEMS = _table(
    "problems",
    C("file", "str", "the file", required=True),
    C("row", "Int64", "the row, as a spreadsheet counts it (empty: the file as a whole)"),
    C("column", "str", "the column or key"),
    C("value", "str", "the value found"),
    C("problem", "str", "what is wrong", required=True),
    C("kept", "bool", "the row still loaded"),
)

# --- the intake: what a reader returns, before places are looked up and times put in UTC -------

#: Times are local wall clock (naive); `offset_min` says the UTC offset they are written in when
#: the file says so, `tz` the zone when the file names one. With neither, the zone of the
#: event's first place (or the user's --tz) decides.
INTAKE_EVENTS = _table(
    "intake events",
    C("row", "int64"),
    C("id", "str"),
    C("title", "str"),
    C("summary", "str"),
    C("start_lo", LOCAL_TIME),
    C("start_hi", LOCAL_TIME),
    C("end_lo", LOCAL_TIME),
    C("end_hi", LOCAL_TIME),
    C("offset_min", "Int16"),
    C("tz", "str"),
    *(EVENTS[name] for name in ("time_precision", "time_precision_source", "time_note")),
    *(EVENTS[name] for name in ("category", "actors", "reported_by", "claim_status", "quote")),
    *(EVENTS[name] for name in ("source_file", "further_sources", "notes")),
    # Then `extra.KEY` columns, as in EVENTS.
)

#: A place by name (lat/lon NaN: to be looked up) or by coordinates (a name may still be given,
#: for the card). `row` is the event's row. `source`, `credit`, `timezone` are kept where a
#: reader already knows them (our own exports) rather than made anew.
INTAKE_PLACES = _table(
    "intake places",
    C("row", "int64"),
    *(PLACES[name] for name in ("event_id", "order", "name", "country", "region")),
    C("lat", "float64"),
    C("lon", "float64"),
    C("precision", "str"),
    C("precision_source", "str"),
    *(PLACES[name] for name in ("source", "credit", "timezone", "note")),
)

#: `value` is the cell as written, for messages.
INTAKE_LINKS = _table(
    "intake links",
    C("row", "int64"),
    C("column", "str"),
    *LINKS.columns,
    C("value", "str"),
)

# --- our curated CSV: one row per event, list cells split on ";" --------------------------------

CURATED = _table(
    "curated",
    C("id", "str", "stable, unique id used in links and URLs, e.g. `harbour-fire`; empty: `row-N`"),
    C("title", "str", "a short title (required)", required=True),
    C("summary", "str", "one or two sentences"),
    C(
        "start",
        "str",
        "ISO 8601 (required). With a UTC offset (`2025-03-18T22:30+02:00`) it is "
        "that instant; bare (`2025-03-18T22:30`, `2025-03-18`, `2025-03`, `2025`) it is local to "
        "the event's first place (its zone from its coordinates, offline) or to `--tz`. A day is "
        "written as its local midnight or as a bare date: 13 March in Moscow stays 13 March, never "
        "shifted to the 12th. Years 1 to 9999; fractions of a second past the microsecond are cut "
        "to it, with a note",
        required=True,
    ),
    C("start_latest", "str", "optional: the start is known only to lie between `start` and this"),
    C(
        "end_earliest",
        "str",
        "optional: the end is known only to lie between this and `end` (a "
        "call that lasted 90 to 150 minutes ended between its start plus each)",
    ),
    C("end", "str", "same form as `start`; required for `part_of_day`, `range` and `span`"),
    C(
        "time_precision",
        "str",
        "`minute` (known to the minute; with an end, it lasted until "
        "then), `hour` (about that time, ±30 min), `part_of_day` (start and end bound a night, "
        "morning, afternoon or evening, local), `day` (the local day of `start`; the end may give "
        "more days), `week`, `month`, `year` (the week, month or year from `start`; the end may "
        "give more), `range` (happened some time between start and end), `span` (lasted from "
        "start to end); empty: the written form decides (a date is a day, a time a minute)",
    ),
    C(
        "time_precision_source",
        "str",
        "the source's own precision code, kept (e.g. `ACLED time_precision 2`)",
    ),
    C("time_note", "str", "what the sources say about the time, in words"),
    C(
        "timezone",
        "str",
        "optional IANA zone of the event's bare times (e.g. `Europe/Kyiv`); an "
        "offset in the time wins",
    ),
    C(
        "places",
        "str",
        "place names, `;`-separated: looked up in the story's `places.csv`, the "
        "packaged gazetteer (`geodata/gazetteer.csv`), the offline world gazetteer (GeoNames), and "
        "online when asked; empty: the event is on the timeline only",
    ),
    C(
        "countries",
        "str",
        "ISO 3166-1 alpha-2 code per place (or one for all); lookups respect "
        "it, so an alias never lands in the wrong country",
    ),
    C(
        "regions",
        "str",
        "first-level region per place (oblast, state), to tell apart two places "
        "of one name in one country",
    ),
    C(
        "place_precision",
        "str",
        "per place: `site`, `town`, `near` (within about 10 km), "
        "`region`, `country`; empty: the gazetteer's",
    ),
    C("place_precision_source", "str", "the source's own place precision code, kept"),
    C(
        "lat",
        "str",
        "optional decimal latitude per place (`;`-separated, aligned with "
        "`places`), for a site the gazetteers lack",
    ),
    C("lon", "str", "optional decimal longitude per place, with `lat`"),
    C(
        "category",
        "str",
        "any text; the story's `story.toml` gives each its label and colour, "
        "and an undeclared one gets a colour of its own",
    ),
    C("actors", "str", "who acted"),
    C("reported_by", "str", "who reports or claims it"),
    C(
        "claim_status",
        "str",
        "`confirmed`, `claimed` (one party's word), `disputed` (contested "
        "by another), or empty (not stated)",
    ),
    C("quote", "str", "the sentence of the source that supports the event, verbatim"),
    C("source_file", "str", "the source's file name, in the table's own folder"),
    C("further_sources", "str", "further sources (outlet and headline, or a URL)"),
    C(
        "related",
        "str",
        "links to other events, `;`-separated: `responds_to:ID`, "
        "`follows_from:ID` (caused by), `after:ID` (came after, no cause claimed), "
        "`alleged_breach_of:ID` (alleged to breach it: say who alleges it in `reported_by` or "
        "`notes`), `reported_with:ID`",
    ),
    C("notes", "str", "anything else a reader should know"),
    C(
        "extra",
        "str",
        "the source's own fields that have no column here (ACLED fatalities, "
        "UCDP deaths), a JSON object; shown on the card and kept by exports. A column this table "
        "does not know is kept here too",
    ),
)

#: Our curated CSV's list cells that hold one entry per place, and the place column each fills.
CURATED_PLACE_CELLS: dict[str, str] = {
    "places": "name",
    "countries": "country",
    "regions": "region",
    "place_precision": "geo_precision",
    "place_precision_source": "geo_precision_source",
    "lat": "lat",
    "lon": "lon",
}

# --- our JSON and GeoJSON: one record per event, its places and links as lists ------------------

#: Fields an event record has beyond its curated cells, each after the cell named: the bounds in
#: UTC, and whether the quote was found verbatim in its source.
_JSON_ONLY = {"timezone": ("earliest_utc", "latest_utc"), "source_file": ("quote_verified",)}
#: An event record's fields, in order: the curated event cells (the times as written), and those.
JSON_EVENT_FIELDS: tuple[str, ...] = tuple(
    field
    for name in CURATED.names
    if name not in CURATED_PLACE_CELLS and name != "related"  # places and links are lists
    for field in (name, *_JSON_ONLY.get(name, ()))
)
#: A place of a record: the model's place columns but its event and order (the list gives both).
JSON_PLACE_FIELDS: tuple[str, ...] = tuple(
    n for n in PLACES.names if n not in ("event_id", "order")
)


def empty(table: Table):
    """A frame of no rows with the table's columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in table.columns})


def markdown_table(table: Table) -> str:
    """The table's columns as the README shows them (`scripts/build_docs.py` writes it there)."""
    lines = ["| column | what it holds |", "|---|---|"]
    lines += [f"| `{c.name}` | {c.doc} |" for c in table.columns]
    return "\n".join(lines)
