"""UCDP GED: a 49-column sample written from the codebook's facts, read row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, detect, ucdp
from timeline.model import extras

DATA = Path(__file__).parent.parent / "data" / "formats"
NAME = "ucdp_ged.csv"


@pytest.fixture(scope="module")
def intake():
    return ucdp.read((DATA / NAME).read_bytes(), file=NAME, options=ReadOptions())


def test_sample_has_the_49_columns():
    header = (DATA / NAME).read_text().splitlines()[0].split(",")
    assert len(header) == 49


def test_rows_in_equals_loaded_plus_reported(intake):
    dropped = intake.problems.loc[~intake.problems["kept"], "row"].nunique()
    assert intake.rows_in == 9
    assert intake.rows_in == len(intake.events) + dropped
    assert list(intake.events["row"]) == [2, 3, 4, 5, 6, 7, 10]


T = pd.Timestamp


@pytest.mark.parametrize(
    "event_id, lo, hi, end, precision",
    [
        # 1/22/2014 12:00:00 AM, both days inclusive: that one local day.
        ("244657", "2014-01-22", "2014-01-23", None, "day"),
        # 05/02/2014 00:00 is month first: some day from 2 to 5 May.
        ("244658", "2014-05-02", "2014-05-06", None, "range"),
        ("244659", "2014-03-03", "2014-03-10", None, "week"),
        ("244660", "2014-04-01", "2014-05-01", None, "month"),
        ("244661", "2014-01-01", "2015-01-01", None, "year"),
        # date_prec 1 over three days: the exact days are known and it lasted them.
        ("244662", "2014-06-10", "2014-06-10", "2014-06-13", "span"),
        # Year 602 is far outside pandas' nanoseconds and still loads.
        ("244665", "0602-05-01", "0602-05-02", None, "day"),
    ],
)
def test_dates_and_precisions(intake, event_id, lo, hi, end, precision):
    event = intake.events.set_index("id").loc[event_id]
    assert event["start_lo"] == T(lo)
    assert event["start_hi"] == T(hi)
    if end is None:
        assert pd.isna(event["end_lo"]) and pd.isna(event["end_hi"])
    else:
        assert event["end_lo"] == event["end_hi"] == T(end)
    assert event["time_precision"] == precision
    assert event["time_precision_source"].startswith("UCDP date_prec ")
    assert event["tz"] == "" and pd.isna(event["offset_min"])


def test_fields(intake):
    event = intake.events.set_index("id").loc["244657"]
    assert event["title"] == "Government of Afghanistan - Taleban (Afghanistan: Government)"
    assert event["summary"] == "Taliban attack police checkpoint in Kunduz"
    assert event["category"] == "State-based conflict"
    assert event["reported_by"] == "Agence France Presse"
    assert event["further_sources"].startswith("Agence France Presse,2014-01-22")
    assert event["notes"] == (
        "deaths: best 3 (low 2, high 5); side A 2, side B 1, civilians 0, unknown 0"
    )
    extra = extras.record(event)
    assert (extra["best"], extra["low"], extra["high"]) == ("3", "2", "5")
    assert extra["deaths_civilians"] == "0" and extra["type_of_violence"] == "1"
    assert extra["country_id"] == "700" and extra["where_description"] == "Kunduz city"
    assert "date_start" not in extra and "id" not in extra
    # No headline: the place's description is the summary.
    assert intake.events.set_index("id").loc["244658", "summary"] == "near Baghlan"
    categories = intake.events.set_index("id")["category"]
    assert categories["244659"] == "One-sided violence"
    assert categories["244660"] == "Non-state conflict"


@pytest.mark.parametrize(
    "event_id, name, country, precision, code",
    [
        ("244657", "Kunduz town", "AF", "town", "1"),
        ("244658", "Baghlan town", "AF", "near", "2"),
        ("244659", "Nad Ali district", "AF", "region", "3"),
        ("244660", "Nangarhar province", "AF", "region", "4"),
        ("244661", "Afghanistan", "AF", "country", "6"),
        ("244662", "Helicopter over Helmand", "AF", "region", "7"),
        # country_id 645 is Gleditsch-Ward (ISO 645 does not exist); the name says Iraq.
        ("244665", "Ctesiphon", "IQ", "country", "8"),
    ],
)
def test_places(intake, event_id, name, country, precision, code):
    place = intake.places.set_index("event_id").loc[event_id]
    assert place["name"] == name
    assert place["country"] == country
    assert place["precision"] == precision
    assert place["precision_source"].startswith(f"UCDP where_prec {code} (")
    assert pd.notna(place["lat"])


def test_at_sea_or_in_the_air_says_so(intake):
    source = intake.places.set_index("event_id").loc["244662", "precision_source"]
    assert "at sea or in the air" in source


def test_bad_rows_reported(intake):
    problems = intake.problems.set_index(["row", "column"])
    assert not problems.loc[(8, "date_start"), "kept"]  # 13/45/2014
    assert not problems.loc[(9, "date_end"), "kept"]  # before date_start
    assert problems.loc[(10, "where_prec"), "kept"]


def test_sniff():
    assert ucdp.sniff((DATA / NAME).read_bytes(), NAME) is None
    for other in ("acled_current.csv", "harm_monitor.csv"):
        assert "has no column" in ucdp.sniff((DATA / other).read_bytes(), other)
    assert detect((DATA / NAME).read_bytes(), "ged.csv")[0] == "ucdp"


def test_missing_date_start_is_a_file_problem():
    intake = ucdp.read(b"id,best\n1,3\n", file="g.csv", options=ReadOptions())
    assert intake.events.empty and intake.rows_in == 1
    assert "date_start" in intake.problems["problem"].iloc[0]


def test_end_to_end_utc_and_zone_from_coordinates():
    from timeline.ingest.files import open_table

    table = open_table(DATA / NAME)
    assert table.format == "ucdp"
    assert table.rows_in == len(table.events) + table.rows_not_loaded == 9
    kunduz = table.events.set_index("id").loc["244657"]
    # Kabul is UTC+4:30: 22 January local is 19:30 UTC on the 21st to the 22nd.
    assert kunduz["earliest"] == pd.Timestamp("2014-01-21 19:30", tz="UTC")
    assert kunduz["latest"] == pd.Timestamp("2014-01-22 19:30", tz="UTC")
    assert kunduz["timezone"] == "Asia/Kabul"


def _other_samples():
    return sorted(
        p
        for p in DATA.iterdir()
        if p.suffix in (".csv", ".json", ".xlsx", ".geojson", ".tsv")
        and not p.name.startswith(("acled", "ucdp"))
    )


@pytest.mark.parametrize("path", _other_samples(), ids=lambda p: p.name)
def test_acled_and_ucdp_say_no_to_every_other_sample(path):
    from timeline.ingest.readers import acled

    data = path.read_bytes()
    assert acled.sniff(data, path.name)
    assert ucdp.sniff(data, path.name)
