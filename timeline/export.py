"""The geocoded events as CSV, JSON or GeoJSON, for other tools and for spreadsheets.

Times are written with the offset the table gave them (a date-only event stays on its own day,
not shifted to the day before by a UTC conversion). CSV cells that a spreadsheet would run as a
formula are neutralised.
"""

from __future__ import annotations

import json

import pandas as pd

from timeline.table import EventTable

EVENT_FIELDS = (
    "id",
    "title",
    "summary",
    "start",
    "end",
    "time_precision",
    "time_note",
    "category",
    "actors",
    "reported_by",
    "claim_status",
    "quote",
    "source",
    "quote_verified",
    "further_sources",
    "related",
    "notes",
)

# Characters that make Excel, LibreOffice or Sheets read a cell as a formula (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A number, or a list of numbers such as the lon cell "-77.03637;37.61781", is data, not a formula.
_NUMBERS = r"-?\d+(?:\.\d+)?(?:;-?\d+(?:\.\d+)?)*"


def _with_offset(when: pd.Series, offset_min: pd.Series) -> pd.Series:
    """ISO 8601 in the offset the table used: 2025-03-13T00:00:00+03:00."""
    local = when + pd.to_timedelta(offset_min.astype("int64"), unit="min")
    sign = offset_min.map(lambda m: "-" if m < 0 else "+")
    hh = (offset_min.abs() // 60).astype("int64").map("{:02d}".format)
    mm = (offset_min.abs() % 60).astype("int64").map("{:02d}".format)
    text = local.dt.strftime("%Y-%m-%dT%H:%M:%S") + sign + hh + ":" + mm
    return text.where(when.notna(), "")


def event_records(table: EventTable) -> pd.DataFrame:
    """One row per event with plain-text fields, in the order of EVENT_FIELDS."""
    e = table.events
    out = pd.DataFrame(index=e.index)
    for name in EVENT_FIELDS:
        if name in ("start", "end"):
            out[name] = _with_offset(e[name], e["start_offset_min"])
        elif name == "source":
            out[name] = e["source_file"]
        elif isinstance(e[name].dtype, pd.CategoricalDtype):
            out[name] = e[name].astype("str").where(e[name].notna(), "")
        else:
            out[name] = e[name]
    return out


def _places_by_event(table: EventTable) -> dict[str, list[dict]]:
    p = table.places
    records = p.assign(geo_precision=p["geo_precision"].astype("str"))[
        ["event_id", "name", "country", "lat", "lon", "geo_precision", "source", "credit"]
    ].to_dict("records")
    grouped: dict[str, list[dict]] = {}
    for r in records:
        grouped.setdefault(r.pop("event_id"), []).append(r)
    return grouped


def to_json(table: EventTable) -> str:
    places = _places_by_event(table)
    records = event_records(table).to_dict("records")
    for r in records:
        r["places"] = places.get(r["id"], [])
    return json.dumps(records, ensure_ascii=False, indent=2)


def to_geojson(table: EventTable) -> str:
    """One Point feature per event and place; events with no place have no feature."""
    events = event_records(table).set_index("id", drop=False)
    features = []
    for p in table.places.itertuples(index=False):
        props = events.loc[p.event_id].to_dict()
        props |= {
            "place": p.name,
            "country": p.country,
            "geo_precision": str(p.geo_precision),
            "place_source": p.source,
            "place_credit": p.credit,
        }
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            }
        )
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=2
    )


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with an apostrophe, so they stay text."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == "str" or out[column].dtype == object:
            text = out[column].astype("str")
            risky = text.str.startswith(_FORMULA_START) & ~text.str.fullmatch(_NUMBERS)
            out[column] = text.where(~risky, "'" + text)
    return out


def to_csv(table: EventTable) -> str:
    """One row per event; places flattened into `places`, `lat`, `lon` list cells."""
    records = event_records(table)
    p = table.places
    joined = p.assign(
        lat=p["lat"].map("{:.5f}".format),
        lon=p["lon"].map("{:.5f}".format),
        geo_precision=p["geo_precision"].astype("str"),
    )
    flat = joined.groupby("event_id", sort=False).agg(
        places=("name", ";".join),
        lat=("lat", ";".join),
        lon=("lon", ";".join),
        geo_precision=("geo_precision", ";".join),
    )
    flat = flat.astype("str")
    records = records.join(flat, on="id").fillna(
        {"places": "", "lat": "", "lon": "", "geo_precision": ""}
    )
    return neutralise_formulas(records).to_csv(index=False, lineterminator="\n")


FORMATS = {"csv": to_csv, "json": to_json, "geojson": to_geojson}
