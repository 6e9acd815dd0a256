"""ACLED exports, current and pre-2023, read row by row from small files in tests/data/formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from timeline.ingest.readers import ReadOptions, acled, detect
from timeline.model import extras

DATA = Path(__file__).parent.parent / "data" / "formats"


def read(name: str):
    return acled.read((DATA / name).read_bytes(), file=name, options=ReadOptions())


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture(scope="module")
def current():
    return read("acled_current.csv")


def test_rows_in_equals_loaded_plus_reported(current):
    dropped = current.problems.loc[~current.problems["kept"], "row"].nunique()
    assert current.rows_in == 7
    assert current.rows_in == len(current.events) + dropped
    assert list(current.events["row"]) == [2, 3, 4, 6, 8]


@pytest.mark.parametrize(
    "event_id, lo, hi, precision, source",
    [
        # time_precision 1: the local day.
        ("UKR212001", "2025-03-18", "2025-03-19", "day", "ACLED time_precision 1"),
        # 2: "16 May 2025" is the middle of the week: the 7 days 13..19 May.
        ("UKR212002", "2025-05-13", "2025-05-20", "week", "ACLED time_precision 2"),
        # 3: "7-Feb-25" stands for February 2025, the calendar month.
        ("UKR212003", "2025-02-01", "2025-03-01", "month", "ACLED time_precision 3"),
        # A year typo far outside pandas' nanosecond range still loads, as written.
        ("UKR212005", "3025-03-19", "3025-03-20", "day", "ACLED time_precision 1"),
        # An unknown code is read as the day and its code kept.
        ("UKR212007", "2025-03-20", "2025-03-21", "day", "ACLED time_precision 4"),
    ],
)
def test_dates_and_precisions(current, event_id, lo, hi, precision, source):
    event = current.events.set_index("id").loc[event_id]
    assert event["start_lo"] == day(lo)
    assert event["start_hi"] == day(hi)
    assert pd.isna(event["end_lo"]) and pd.isna(event["end_hi"])
    assert event["time_precision"] == precision
    assert event["time_precision_source"] == source


def test_times_are_local_days_without_zone(current):
    assert str(current.events["start_lo"].dtype) == "datetime64[us]"
    assert (current.events["tz"] == "").all()
    assert current.events["offset_min"].isna().all()


def test_fields(current):
    first = current.events.set_index("id").loc["UKR212001"]
    assert first["title"] == "Explosions/Remote violence: Air/drone strike, Sumy"
    assert first["category"] == "Explosions/Remote violence"
    assert first["summary"].startswith("On 18 March 2025, Russian forces struck a hospital")
    assert first["actors"] == "Military Forces of Russia (2000-); Civilians (Ukraine)"
    assert first["reported_by"] == "Suspilne; Ukrainska Pravda"
    assert first["claim_status"] == ""
    extra = extras.record(first)
    assert extra["fatalities"] == "0"
    assert extra["source"] == "Suspilne; Ukrainska Pravda"  # as ACLED writes it
    assert extra["tags"] == "crowd size=no report"
    assert extra["iso"] == "804" and extra["country"] == "Ukraine"
    assert extra["actor2"] == "Civilians (Ukraine)"
    assert "event_id_cnty" not in extra and "notes" not in extra
    second = current.events.set_index("id").loc["UKR212002"]
    assert second["actors"].split("; ") == [
        "Military Forces of Russia (2000-)",
        "Military Forces of Russia (2000-) Air Force",
        "Military Forces of Ukraine (2019-)",
    ]
    assert "16 May 2025 is its middle" in second["time_note"]


@pytest.mark.parametrize(
    "event_id, name, region, lat, precision, source",
    [
        ("UKR212001", "Sumy", "Sumy", 50.9077, "town", "ACLED geo_precision 1"),
        ("UKR212002", "Kupiansk", "Kharkiv", 49.7106, "near", "ACLED geo_precision 2"),
        ("UKR212003", "Kyiv", "Kyiv City", 50.4501, "region", "ACLED geo_precision 3"),
        (
            "UKR212007",
            "Kramatorsk",
            "Donetsk",
            None,
            "region",
            "ACLED geo_precision 9 (not a known code; read as region)",
        ),
    ],
)
def test_places(current, event_id, name, region, lat, precision, source):
    place = current.places.set_index("event_id").loc[event_id]
    assert place["name"] == name
    assert place["country"] == "UA"  # from iso 804
    assert place["region"] == region
    assert (pd.isna(place["lat"]) and lat is None) or place["lat"] == pytest.approx(lat)
    assert place["precision"] == precision
    assert place["precision_source"] == source


def test_bad_rows_reported_on_their_row(current):
    problems = current.problems.set_index(["row", "column"])
    assert not problems.loc[(5, "event_date"), "kept"]  # 31 Feb 2025
    assert not problems.loc[(7, "event_date"), "kept"]  # -13800000000-01-01
    assert problems.loc[(6, "event_date"), "kept"]  # 3025 while year says 2025: loads
    assert "year column" in problems.loc[(6, "event_date"), "problem"]
    assert problems.loc[(8, "time_precision"), "kept"]
    assert problems.loc[(8, "geo_precision"), "kept"]
    assert set(current.places["row"]) <= set(current.events["row"])


def test_pre_2023_columns():
    old = read("acled_2022.csv")
    assert old.rows_in == len(old.events) == 2
    assert old.problems.empty
    first = old.events.iloc[0]
    assert first["start_lo"] == day("2022-03-01")  # "01 March 2022"
    extra = extras.record(first)
    assert extra["iso3"] == "UKR" and extra["event_id_no_cnty"] == "5001"
    assert extra["inter1"] == "1"
    assert old.events.iloc[1]["start_lo"] == day("2022-02-27")


def test_bom_and_cells_without_file_problems():
    data = (DATA / "acled_current.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert acled.sniff(data, "x.csv") is None


def test_sniff_refuses_other_formats():
    for name in ("ucdp_ged.csv", "harm_monitor.csv"):
        data = (DATA / name).read_bytes()
        assert "event_id_cnty" in acled.sniff(data, name)


def test_detected_from_content():
    fmt, _ = detect((DATA / "acled_2022.csv").read_bytes(), "export.csv")
    assert fmt == "acled"


def test_missing_column_is_one_file_problem():
    intake = acled.read(b"event_id_cnty,notes\nX1,hello\n", file="a.csv", options=ReadOptions())
    assert intake.events.empty
    assert intake.rows_in == 1
    assert "event_date" in intake.problems["problem"].iloc[0]


def test_not_utf8_is_refused_whole():
    intake = acled.read(
        b"event_id_cnty,event_date\n\xff,2023-01-01\n", file="a.csv", options=ReadOptions()
    )
    assert intake.events.empty
    assert "not UTF-8" in intake.problems["problem"].iloc[0]


def test_end_to_end_utc_and_zone_from_coordinates():
    from timeline.ingest.files import open_table

    table = open_table(DATA / "acled_current.csv")
    assert table.format == "acled"
    assert table.rows_in == len(table.events) + table.rows_not_loaded == 7
    sumy = table.events.set_index("id").loc["UKR212001"]
    # 18 March in Kyiv (UTC+2 before the clocks change) is 22:00 UTC on the 17th to the 18th.
    assert sumy["earliest"] == pd.Timestamp("2025-03-17 22:00", tz="UTC")
    assert sumy["start_latest"] == pd.Timestamp("2025-03-18 22:00", tz="UTC")
    assert sumy["timezone"] == "Europe/Kyiv"
    place = table.places.set_index("event_id").loc["UKR212001"]
    assert place["timezone"] == "Europe/Kyiv" and place["geo_precision"] == "town"
    assert extras.record(sumy)["fatalities"] == "0"
