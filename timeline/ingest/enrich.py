"""From what a reader found to the event table: places, time zones, UTC, checks, quotes, links.

The same for every format, so an ACLED export and our curated CSV are checked alike. Loops
run over distinct values only (place names, zones, source files), never over rows, so a
million-row table stays a matter of seconds.

Which clock a record's local times are in, first that applies: the UTC offset the file wrote;
the zone the file names for the record; the zone the user gives for the whole file (`--tz`);
the zone of the record's first place, from its coordinates, offline. With none of these the
times are taken as UTC and the row says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd

from geodata import AmbiguousPlace, GeodataError, make_geocoder
from geodata.timezones import zone_countries
from geodata.untrusted import is_hidden
from timeline.memory import LARGE, give_back
from timeline.model import problems as P
from timeline.model.boundary import inside, read_at_most, regular_file
from timeline.model.limits import MAX_SOURCE_BYTES
from timeline.model.schema import EVENTS, LINKS, PLACES
from timeline.model.tables import EventTable, Intake, conform, member
from timeline.model.vocab import CLAIM_STATUSES, PLACE_PRECISIONS, RELATIONS

#: A long step reports its progress every so many items.
PROGRESS_EVERY = 200
Progress = Callable[[str, int, int], None]

_US = np.int64(1_000_000)
_MIN_US = np.datetime64("0001-01-01T00:00:00", "us").astype("int64")
_MAX_US = np.datetime64("9999-12-31T23:59:59.999999", "us").astype("int64")


def finish(
    intake: Intake,
    *,
    geocoder=None,
    tz: str | None = None,
    base_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> EventTable:
    """Geocode, put in UTC, check and link what a reader found. Never raises for bad data.

    `progress(stage, done, total)` hears of the long steps (looking up place names).
    """
    file, found, sources_in = intake.file, [intake.problems], intake.sources
    meta = {"format": intake.format, "rows_in": intake.rows_in, "story": intake.story}
    events = intake.events.reset_index(drop=True)
    intake_places, intake_links = intake.places, intake.links
    # Given a temporary (as `open_table` does), the intake is this function's alone: let it
    # go, so each of its columns is freed once the table has its own.
    del intake
    geocoder = geocoder if geocoder is not None else make_geocoder()

    events, dropped = _check_ids(events, file, found)
    kept = member(intake_places["event_id"], events["id"])
    places = _place(
        intake_places if kept.all() else intake_places[kept], geocoder, file, found, progress
    )
    del intake_places
    events = _to_utc(events, places, tz, file, found)
    events = _check_bounds(events, file, found)
    events = _check_claims(events, file, found)
    sources, verified = _check_quotes(events, file, base_dir, found)
    events["quote_verified"] = verified
    kept = member(places["event_id"], events["id"])
    if not kept.all():
        places = places[kept]
    links = _links(intake_links, events, file, found)

    if len(events) > LARGE:
        give_back()  # what the steps above freed, before the sort takes every column anew
    events = _sorted(events, ["earliest", "row"])
    return EventTable(
        events=conform(events, EVENTS),
        places=conform(_sorted(places, ["event_id", "order"]), PLACES),
        links=conform(links, LINKS),
        problems=P.combine(found),
        sources=sources | sources_in,
        **meta,
    )


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The frame sorted by `by` (stable), numbered from 0; not copied when in order already
    (a sort takes every column anew: a gigabyte for a million ACLED rows). The frame given
    is emptied when it is sorted."""
    order = frame[by].reset_index(drop=True).sort_values(by, kind="stable").index.to_numpy()
    if (order == np.arange(len(order))).all():
        return frame.reset_index(drop=True)
    # Column by column, each old column let go once taken (the frame is emptied): a frame's
    # own take would hold two whole copies at once.
    columns = {c: frame.pop(c).array.take(order) for c in list(frame.columns)}
    return pd.DataFrame(columns)


# --- ids -------------------------------------------------------------------------------------

#: Cyrillic and Greek letters that look like Latin ones, folded to them for the comparison.
_LOOK_ALIKE = str.maketrans(
    "аеорсхуіјѕԁһӏАВЕКМНОРСТХУІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyijsdhlABEKMHOPCTXYIJSabeiknoptuxABEZHIKMNOPTYX",
)


def _visible(text: str) -> str:
    return "".join(c for c in text if not is_hidden(c))


def _id_key(text: str) -> str:
    """What a reader would take for the same id: case, Unicode form, characters that show
    nothing or reorder the text (zero-width, bidirectional controls, fillers: `is_hidden`) and
    letters of another script that look the same aside."""
    folded = _visible(unicodedata.normalize("NFKC", _visible(text)))
    return folded.translate(_LOOK_ALIKE).casefold().strip()


#: Printable ASCII at both ends, any ASCII between: `_id_key` of such an id is its lower case
#: (NFKC, the invisibles and the look-alikes touch no ASCII; strip has nothing to take).
_PLAIN_ID = r"^[!-~](?:[\x00-\x7f]*[!-~])?$"


def _id_keys(ids: pd.Series) -> pd.Series:
    """`_id_key` of each id: by pyarrow for plain ASCII ids, in Python for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(ids.to_numpy(dtype=object), type=pa.large_string())
    plain = pc.match_substring_regex(values, _PLAIN_ID).to_numpy(zero_copy_only=False)
    keys = pd.Series(
        pc.ascii_lower(values).to_numpy(zero_copy_only=False), index=ids.index, dtype=object
    )
    if not plain.all():
        keys[~plain] = ids[~plain].map(_id_key).to_numpy(dtype=object)
    return keys.astype("str")


def _check_ids(events: pd.DataFrame, file: str, found: list) -> tuple[pd.DataFrame, list]:
    ids = events["id"]
    empty = ids == ""
    repeated = ids.duplicated(keep="first") & ~empty
    if (empty | repeated).any():
        bad = events[empty | repeated]
        found.append(
            P.cell_problems(
                file,
                bad["row"],
                "id",
                bad["id"],
                np.where(
                    bad["id"] == "",
                    "is empty: every event needs an id",
                    "duplicates the id of an earlier row",
                ),
                kept=False,
            )
        )
    if (empty | repeated).any():
        events = events[~(empty | repeated)]
    _check_hidden(events, file, found)
    # Ids that differ only by case, Unicode form or an invisible character: both load, but
    # a link or a URL naming one may mean the other.
    distinct = events["id"].drop_duplicates()
    if len(distinct) <= 200_000:
        keys = _id_keys(distinct)
        clash = keys.duplicated(keep=False)
        if clash.any():
            first = (
                pd.Series(distinct[clash].to_numpy(), index=keys[clash]).groupby(level=0).first()
            )
            bad = events[events["id"].isin(distinct[clash]) & ~events["id"].isin(first)]
            found.append(
                P.cell_problems(
                    file,
                    bad["row"],
                    "id",
                    bad["id"],
                    [
                        f"looks the same as the id {first[_id_key(i)]!r} of another row "
                        "(case, accents or an invisible character differ); give it another id"
                        for i in bad["id"]
                    ],
                    kept=True,
                )
            )
    return events, []


def _check_hidden(events: pd.DataFrame, file: str, found: list) -> None:
    """An id holding a character that shows nothing or reorders the text loads, but looks like
    another id in a link, a URL or on the card: say which character, by its code point."""
    ids = events["id"]
    maybe = ~ids.str.fullmatch(r"[ -~]*")  # only ids with a character past printable ASCII
    if not maybe.any():
        return
    hidden = ids[maybe].map(lambda i: sorted({f"U+{ord(c):04X}" for c in i if is_hidden(c)}))
    hidden = hidden[hidden.map(len) > 0]
    if len(hidden):
        found.append(
            P.cell_problems(
                file,
                events.loc[hidden.index, "row"],
                "id",
                ids[hidden.index],
                [
                    f"holds a character that shows nothing or reorders the text "
                    f"({', '.join(h)}): it looks like another id; give a plain one"
                    for h in hidden
                ],
                kept=True,
            )
        )


# --- places ----------------------------------------------------------------------------------


def _place(
    places: pd.DataFrame, geocoder, file: str, found: list, progress: Progress | None = None
) -> pd.DataFrame:
    """Coordinates for places named only, a time zone for every place with a point.

    A place whose point is not found (or whose given point cannot stand) stays, with no
    coordinates: the card names it, our exports write it, and a curator can place it later
    (in the story's places.csv) without retyping the table.
    """
    places = places.reset_index(drop=True)
    by_name = places["lat"].isna() | places["lon"].isna()
    stands = by_name | _check_given(places[~by_name], geocoder, file, found)
    unusable = places[~stands].assign(lat=np.nan, lon=np.nan, geo_precision="", source="")
    places = places[stands]
    given = places[~by_name[stands]]
    given = given.assign(
        geo_precision=given["precision"].where(given["precision"] != "", "site"),
        source=given["source"].where(given["source"] != "", "coordinates given in the file"),
    )
    looked = _look_up(places[by_name[stands]], geocoder, file, found, progress)
    out = pd.concat([given, looked, unusable], ignore_index=True)
    out = out.rename(columns={"precision_source": "geo_precision_source"})
    bad = ~out["geo_precision"].isin(list(PLACE_PRECISIONS)) & out["lat"].notna()
    out.loc[bad, "geo_precision"] = "site"
    missing = (out["timezone"].fillna("") == "") & out["lat"].notna() & out["lon"].notna()
    if missing.any():
        out.loc[missing, "timezone"] = _zones_at(out.loc[missing, "lat"], out.loc[missing, "lon"])
    return out


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype="float64")) for a in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _check_given(given: pd.DataFrame, geocoder, file: str, found: list) -> pd.Series:
    """True for coordinates that stand; the rest are reported and left off the map.

    A point is swapped when lat and lon are out of range in a way only a swap explains, or
    when the row names a place we know and the swapped point lies on it, the given far away.
    """
    if given.empty:
        return pd.Series(True, index=given.index)
    lat, lon = given["lat"], given["lon"]
    # A point whose time zone covers the row's own country is where the row says: no need to
    # look its name up (a million ACLED rows hold tens of thousands of names). Only points in
    # another country's zone, or of rows that name none, are checked against their name.
    zones = pd.Series(_zones_at(lat, lon), index=given.index)
    covers = zone_countries()
    pair = zones.astype("str") + "|" + given["country"].astype("str")
    codes, distinct = pd.factorize(pair)
    fits = np.array([c in covers.get(z, ()) for z, _, c in (p.partition("|") for p in distinct)])
    plausible = pd.Series(fits[codes] if len(codes) else [], index=given.index, dtype=bool)
    named = given.loc[~plausible, ["name", "country", "region"]].drop_duplicates()
    refs = {}
    for name, country, region in _worth_asking(named, geocoder).itertuples(index=False):
        try:
            place = _geocode(geocoder, name, country or None, region or None)
        except GeodataError:
            place = None
        refs[(name, country, region)] = (place.lat, place.lon) if place else (np.nan, np.nan)
    # Joined back by a merge, not a dict lookup per row: a million rows hold ten thousand names.
    none = (np.nan, np.nan)
    named = named.assign(
        ref_lat=np.array([refs.get(k, none)[0] for k in named.itertuples(index=False)], "float64"),
        ref_lon=np.array([refs.get(k, none)[1] for k in named.itertuples(index=False)], "float64"),
    )
    joined = given[["name", "country", "region"]].merge(
        named, on=["name", "country", "region"], how="left"
    )
    ref_lat = joined["ref_lat"].to_numpy(dtype="float64")
    ref_lon = joined["ref_lon"].to_numpy(dtype="float64")
    known = ~np.isnan(ref_lat)
    in_range = lat.between(-90, 90) & lon.between(-180, 180)
    fits_swapped = (lat.abs() > 90) & (lon.abs() <= 90) & (lat.abs() <= 180)
    near_swap = _haversine_km(ref_lat, ref_lon, lon, lat) < 100
    far_given = _haversine_km(ref_lat, ref_lon, lat, lon) > 500
    swapped = pd.Series(np.where(known, near_swap & far_given, fits_swapped), index=given.index)
    for mask, problem in (
        (swapped, "lat and lon look swapped"),
        (~in_range & ~swapped, "lat must be in -90..90 and lon in -180..180"),
    ):
        if mask.any():
            # Formatted for the reported rows only: a format call per row is a second a million.
            where = lat[mask].map("{:g}".format) + ", " + lon[mask].map("{:g}".format)
            found.append(
                P.cell_problems(
                    file,
                    given.loc[mask, "row"],
                    "lat",
                    where,
                    problem + "; the place is not on the map",
                    kept=True,
                )
            )
    return in_range & ~swapped


def _zones_at(lats: pd.Series, lons: pd.Series) -> list[str]:
    from geodata.timezones import timezones_at

    # Once per distinct point: ACLED-like tables give each named place one point, repeated.
    lat, lon = lats.to_numpy(dtype="float64"), lons.to_numpy(dtype="float64")
    # Hash factorising, no sort: a pair's code from the codes of its two halves.
    lat_codes, lat_distinct = pd.factorize(lat, use_na_sentinel=False)
    lon_codes, lon_distinct = pd.factorize(lon, use_na_sentinel=False)
    codes, pairs = pd.factorize(
        lat_codes.astype("int64") * (len(lon_distinct) + 1) + lon_codes, use_na_sentinel=False
    )
    if len(pairs) == len(lat):
        return [z or "" for z in timezones_at(lat, lon)]
    first = np.zeros(len(pairs), dtype="int64")
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row of each distinct point
    zones = np.array([z or "" for z in timezones_at(lat[first], lon[first])], dtype=object)
    return zones.take(codes).tolist()


def _look_up(
    places: pd.DataFrame, geocoder, file: str, found: list, progress: Progress | None = None
) -> pd.DataFrame:
    """Geocode each distinct (name, country, region) once, then join the answers back."""
    columns = ["name", "country", "region"]
    keys = places[columns].drop_duplicates()
    answers, reasons = [], {}
    online = bool(getattr(geocoder, "online", False))
    keys = _worth_asking(keys, geocoder)
    total = len(keys)
    for done, (name, country, region) in enumerate(keys.itertuples(index=False)):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("looking up place names", done, total)
        key = (name, country, region)
        try:
            place = _geocode(geocoder, name, country or None, region or None)
        except AmbiguousPlace as exc:
            reasons[key] = f"{exc}; add the country code in 'countries' or the region"
            continue
        except GeodataError as exc:
            reasons[key] = f"could not be looked up ({exc})"
            continue
        if place is None:
            continue
        answers.append(
            {
                "name": name,
                "country": country,
                "region": region,
                "lat": place.lat,
                "lon": place.lon,
                "found_country": place.country or country,
                "found_region": getattr(place, "region", "") or region,
                "gazetteer_precision": place.precision,
                "source": place.source,
                "credit": place.credit,
                "timezone": place.timezone or "",
                "note": getattr(place, "note", "") or "",
            }
        )
    if progress is not None:
        progress("looking up place names", total, total)
    table = pd.DataFrame(
        answers,
        columns=[
            *columns,
            "lat",
            "lon",
            "found_country",
            "found_region",
            "gazetteer_precision",
            "source",
            "credit",
            "timezone",
            "note",
        ],
    )
    merged = places.drop(columns=["lat", "lon", "source", "credit", "timezone", "note"]).merge(
        table, on=columns, how="left"
    )
    miss = merged[merged["lat"].isna()]
    why = _why_not_found(miss, reasons, online)
    if len(miss):
        found.append(
            P.cell_problems(
                file,
                miss["row"],
                "places",
                miss["name"],
                why + "; the event stays on the timeline only",
                kept=True,
            )
        )
    hit = merged[merged["lat"].notna()]
    noted = hit[hit["note"] != ""]
    lost = merged[merged["lat"].isna()].assign(
        source="", credit="", timezone="", note=why,
        geo_precision=merged.loc[merged["lat"].isna(), "precision"],
    ).drop(columns=["found_country", "found_region", "gazetteer_precision"])  # fmt: skip
    if len(noted):
        found.append(
            P.cell_problems(file, noted["row"], "places", noted["name"], noted["note"], kept=True)
        )
    hit = hit.assign(
        country=hit["found_country"].fillna(""),
        region=hit["found_region"].fillna(""),
        geo_precision=hit["precision"].where(hit["precision"] != "", hit["gazetteer_precision"]),
    ).drop(columns=["found_country", "found_region", "gazetteer_precision"])
    return pd.concat([hit, lost]).sort_index()


def _why_not_found(miss: pd.DataFrame, reasons: dict, online: bool) -> pd.Series:
    """Why each place of `miss` has no point: the geocoder's reason where it gave one, else
    "not found" (asked, or passed over by the screen: the same words), column-wise."""
    where = "in the gazetteers or online" if online else "in the gazetteers (online lookup is off)"
    country = miss["country"].astype("str")
    why = pd.Series(
        np.where(
            country != "", "was not found in " + country + " " + where, "was not found " + where
        ),
        index=miss.index,
        dtype=object,
    )
    if reasons and len(miss):
        given = pd.DataFrame(list(reasons), columns=["name", "country", "region"])
        given["reason"] = list(reasons.values())
        said = miss[["name", "country", "region"]].merge(given, how="left")["reason"].to_numpy()
        why = why.where(pd.isna(said), said)
    return why.astype("str")


def _worth_asking(keys: pd.DataFrame, geocoder) -> pd.DataFrame:
    """The (name, ...) rows some geocoder of the chain may hold: a name none can hold is passed
    over at the cost of one normalised key (a million distinct unknown names take seconds,
    where asking each gazetteer in turn took a minute and a half)."""
    screen = getattr(geocoder, "might_know", None)
    if screen is None or keys.empty:
        return keys
    names = keys["name"].drop_duplicates()
    known = pd.Series([screen(n) for n in names], index=names.to_numpy(), dtype=bool)
    return keys[keys["name"].map(known).to_numpy(dtype=bool)]


def _geocode(geocoder, name, country, region):
    try:
        return geocoder.geocode(name, country, region=region)
    except TypeError:  # a geocoder that knows no regions
        return geocoder.geocode(name, country)


# --- time ------------------------------------------------------------------------------------

_BOUNDS = ("start_lo", "start_hi", "end_lo", "end_hi")


def _to_utc(
    events: pd.DataFrame, places: pd.DataFrame, tz: str | None, file: str, found: list
) -> pd.DataFrame:
    """UTC bounds, the offset each record's clock had at its start, and its zone name."""
    first_zone = (
        places.sort_values("order", kind="stable")
        .drop_duplicates("event_id")
        .set_index("event_id")["timezone"]
    )
    zone = events["tz"].where(events["tz"] != "", tz or "")
    zone = zone.where(zone != "", events["id"].map(first_zone).astype("str").fillna(""))
    zone = zone.where(events["offset_min"].isna(), "")
    unknown = (zone != "") & ~zone.isin(_zone_names())
    if unknown.any():
        bad = events[unknown & (events["tz"] != "")]
        found.append(
            P.cell_problems(
                file,
                bad["row"],
                "timezone",
                bad["tz"],
                "is not an IANA time zone like Europe/Kyiv; times taken as UTC",
                kept=True,
            )
        )
        zone = zone.where(~unknown, "")
    bare = events["offset_min"].isna() & (zone == "")
    if bare.any():
        found.append(
            P.cell_problems(
                file,
                events.loc[bare, "row"],
                "start",
                "",
                "has no UTC offset, no time zone and no place to take one from; "
                "taken as UTC (give --tz or an offset)",
                kept=True,
            )
        )
    offset = events["offset_min"].astype("Float64").fillna(0).astype("int64")
    out = events.copy(deep=False)  # copy-on-write: the columns set here are new
    fail = pd.Series(False, index=events.index)
    for column in _BOUNDS:
        local = events[column].astype("datetime64[us]").to_numpy().view("int64")
        nat = np.isnat(events[column].to_numpy())
        utc = local - offset.to_numpy() * 60 * _US
        for name in zone[zone != ""].unique():
            rows = (zone == name).to_numpy() & ~nat
            if rows.any():
                utc[rows] = _localize(events[column][rows], name)
        if column.endswith("_hi"):
            # The end of 31 December 9999 is midnight of the year 10000, which the model does
            # not hold: the last microsecond of 9999 stands for it.
            utc = np.where(~nat & (utc > _MAX_US) & (utc <= _MAX_US + 86_400 * _US), _MAX_US, utc)
        over = ~nat & ((utc < _MIN_US) | (utc > _MAX_US))
        fail |= over
        utc = np.where(nat | over, np.iinfo("int64").min, utc)
        out[column] = pd.to_datetime(utc, unit="us", utc=True).astype("datetime64[us, UTC]")
        out.loc[nat | over, column] = pd.NaT
    if fail.any():
        found.append(
            P.cell_problems(
                file,
                events.loc[fail, "row"],
                "start",
                "",
                "is too near year 1 or 9999 to be put in UTC; not loaded",
                kept=False,
            )
        )
    if fail.any():  # (a mask that keeps every row would still copy every column)
        out, zone = out[~fail], zone[~fail]
    start_offset = out["offset_min"].astype("Float64")
    local_start = events.loc[~fail, "start_lo"].astype("datetime64[us]")
    derived = (local_start - out["start_lo"].dt.tz_localize(None)).dt.total_seconds() / 60
    out["start_offset_min"] = (
        start_offset.fillna(derived.astype("Float64")).fillna(0).astype("int16")
    )
    # The zone a record names is kept even where an offset fixed its clock (our exports).
    out["timezone"] = zone.where(zone != "", out["tz"])
    out["earliest"] = out["start_lo"]
    out["start_latest"] = out["start_hi"]
    out["end_earliest"] = out["end_lo"]
    out["latest"] = out["end_hi"].where(out["end_hi"].notna(), out["start_hi"])
    half = (out["start_hi"] - out["start_lo"]) / 2
    out["start"] = out["start_lo"].where(out["time_precision"] != "hour", out["start_lo"] + half)
    point = out["time_precision"].isin(["minute", "hour"])
    out["end"] = out["end_hi"].where(out["end_hi"].notna() | point, out["start_hi"])
    return out.drop(columns=[*_BOUNDS, "offset_min", "tz"])


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


def _localize(local: pd.Series, zone: str) -> np.ndarray:
    """UTC microseconds of local wall-clock times in a zone; a gap or a fold takes the
    earlier reading (a time in a DST gap is shifted forward)."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        info = ZoneInfo("UTC")
    try:
        aware = local.dt.tz_localize(
            info, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
        )
        return (
            aware.dt.tz_convert("UTC")
            .dt.tz_localize(None)
            .astype("datetime64[us]")
            .to_numpy()
            .view("int64")
        )
    except (OverflowError, pd.errors.OutOfBoundsDatetime, ValueError):
        values = []
        for ts in local:
            try:
                values.append(
                    pd.Timestamp(ts.to_pydatetime().replace(tzinfo=info))
                    .tz_convert("UTC")
                    .tz_localize(None)
                    .as_unit("us")
                    .value
                )
            except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                values.append(np.iinfo("int64").max)
        return np.asarray(values, dtype="int64")


def _check_bounds(events: pd.DataFrame, file: str, found: list) -> pd.DataFrame:
    """The bounds in order: a start before its latest start, an end after the start."""
    e = events
    checks = (
        (e["earliest"].isna(), "start", "is missing or cannot be read"),
        (e["start_latest"] < e["earliest"], "start_latest", "is before the start"),
        (e["end_earliest"] > e["latest"], "end_earliest", "is after the end"),
        (e["latest"] < e["earliest"], "end", "is before the start"),
        (e["end_earliest"] < e["earliest"], "end_earliest", "is before the start"),
    )
    bad = pd.Series(False, index=e.index)
    for mask, column, problem in checks:
        mask = mask.fillna(False) & ~bad
        if mask.any():
            found.append(P.cell_problems(file, e.loc[mask, "row"], column, "", problem, kept=False))
            bad |= mask
    return e[~bad]


def _check_claims(events: pd.DataFrame, file: str, found: list) -> pd.DataFrame:
    status = events["claim_status"].str.strip().str.lower()
    bad = (status != "") & ~status.isin(list(CLAIM_STATUSES))
    if bad.any():
        found.append(
            P.cell_problems(
                file,
                events.loc[bad, "row"],
                "claim_status",
                events.loc[bad, "claim_status"],
                f"is not one of: {', '.join(CLAIM_STATUSES)}; shown as not stated",
                kept=True,
            )
        )
    return events.assign(claim_status=status.where(~bad, ""))


# --- sources and quotes --------------------------------------------------------------------


def _check_quotes(
    events: pd.DataFrame, file: str, base_dir, found: list
) -> tuple[dict[str, str], pd.Series]:
    """Each quote must stand verbatim in its source file, which must sit beside the table."""
    verified = pd.Series(False, index=events.index)
    sources: dict[str, str] = {}
    base = Path(base_dir).resolve() if base_dir is not None else None
    cited = events["source_file"]
    for name in cited[cited != ""].unique():
        rows = events.index[cited == name]
        text, reason = read_source(base, name)
        if text is None:
            found.append(
                P.cell_problems(
                    file, events.loc[rows, "row"], "source_file", name, reason, kept=True
                )
            )
            continue
        sources[name] = text
        quotes = events.loc[rows, "quote"]
        hit = quotes.map(text.__contains__) & (quotes != "")
        verified.loc[rows] = hit
        missing = quotes[~hit & (quotes != "")]
        if len(missing):
            loose = _normalised(text)
            near = missing.map(lambda q, loose=loose: _normalised(q) in loose)
            found.append(
                P.cell_problems(
                    file,
                    events.loc[missing.index, "row"],
                    "quote",
                    missing,
                    np.where(
                        near,
                        f"is not verbatim in {name}: it matches only once quotes, dashes and "
                        "spaces are normalised; copy it exactly",
                        f"is not found verbatim in {name}",
                    ),
                    kept=True,
                )
            )
    no_quote = (cited != "") & (events["quote"] == "")
    no_file = (cited == "") & (events["quote"] != "") & (events["quote"].str.len() > 0)
    for mask, column, problem in (
        (no_quote, "quote", "is empty: give the sentence of the source that supports the event"),
        (no_file, "source_file", "is empty: say which file the quote comes from"),
    ):
        if mask.any():
            found.append(
                P.cell_problems(file, events.loc[mask, "row"], column, "", problem, kept=True)
            )
    return sources, verified


def read_source(base: Path | None, name: str) -> tuple[str | None, str]:
    """The text of a source file beside the table, or None and why not."""
    if base is None:
        return None, "cannot be checked: the table was not read from a folder"
    if any(ord(c) < 32 for c in name):
        return None, "holds a control character; give a plain file name"
    # A table must not make the app show an arbitrary file of the machine (the folder is a
    # boundary: `timeline.model.boundary`).
    path, why = inside(base, name)
    if path is None:
        return None, f"must be a file in the table's own folder: it {why}"
    info, why = regular_file(path)  # a named pipe or a device would block the load for ever
    if info is None:
        if why == "does not exist":
            return None, f"is missing: no file {name} beside the table; quotes are not verified"
        return None, why
    too_large = f"is larger than {MAX_SOURCE_BYTES // 1_000_000} MB; not read"
    if info.st_size > MAX_SOURCE_BYTES:
        return None, too_large
    try:
        data = read_at_most(path, MAX_SOURCE_BYTES)
        if len(data) > MAX_SOURCE_BYTES:
            return None, too_large
        # Lines end in "\n" whatever the file wrote, as reading text in Python gives them.
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"), ""
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read as UTF-8 text ({exc.__class__.__name__})"


_LOOSE = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-"})


def _normalised(text: str) -> str:
    return " ".join(text.translate(_LOOSE).split())


# --- links -------------------------------------------------------------------------------------


def _links(links: pd.DataFrame, events: pd.DataFrame, file: str, found: list) -> pd.DataFrame:
    links = links[member(links["source_id"], events["id"])]
    if links.empty:
        return pd.DataFrame(columns=list(LINKS.names))
    bad_relation = ~links["relation"].isin(list(RELATIONS))
    bad_target = ~bad_relation & ~member(links["target_id"], events["id"])
    self_link = ~bad_relation & (links["target_id"] == links["source_id"])
    repeated = links.duplicated(["source_id", "relation", "target_id"]) & ~bad_relation
    for mask, problem in (
        (bad_relation, "is not RELATION:EVENT_ID with RELATION one of: " + ", ".join(RELATIONS)),
        (bad_target, "names an event id that is not in the table"),
        (self_link & ~bad_target, "links the event to itself"),
        (repeated & ~bad_target & ~self_link, "repeats a link given before; kept once"),
    ):
        if mask.any():
            found.append(
                P.cell_problems(
                    file,
                    links.loc[mask, "row"],
                    "related",
                    links.loc[mask, "value"],
                    problem,
                    kept=True,
                )
            )
    good = links[~bad_relation & ~bad_target & ~self_link & ~repeated]
    return good[list(LINKS.names)].reset_index(drop=True)
