"""Shapes that blow up (issue 16, class 6): a table of many distinct place names that no
gazetteer holds, and tables of very many columns, each read in bounded time with every row
kept and one clear line for what was left out."""

from __future__ import annotations

import json
import time

import openpyxl
from hostile import assert_accounted, find, lines

from geodata import make_geocoder
from timeline.ingest.files import open_table, parse_events
from timeline.ingest.readers import ReadOptions
from timeline.model.limits import MAX_COLUMNS

T0 = "2025-03-18T14:00+00:00"


class Counting:
    """The offline geocoder chain, counting the lookups it is asked (a real chain, wrapped)."""

    def __init__(self) -> None:
        self.chain = make_geocoder()
        self.asked = 0

    def geocode(self, name, country=None, region=None):
        self.asked += 1
        return self.chain.geocode(name, country, region)

    def might_know(self, name: str) -> bool:
        return self.chain.might_know(name)


def test_distinct_unknown_place_names_are_passed_over_without_a_lookup_each():
    n = 200_000
    rows = "".join(f"e{i},T,{T0},Zq{i:07d}ville\n" for i in range(n))
    rows += f"kyiv,Kyiv,{T0},Kyiv\nsumy,Sumy,{T0},Sumy\n"
    geocoder = Counting()
    started = time.monotonic()
    table = parse_events("id,title,start,places\n" + rows, geocoder=geocoder)
    elapsed = time.monotonic() - started
    assert len(table.events) == n + 2
    assert_accounted(table)
    assert geocoder.asked == 2  # Kyiv and Sumy; the 200,000 unknown names cost a key each
    placed = table.located.set_index("event_id")
    assert {"kyiv", "sumy"} <= set(placed.index)
    lost = table.problems[table.problems["column"] == "places"]
    assert len(lost) == n
    assert lost["problem"].str.startswith("was not found in the gazetteers").all()
    assert elapsed < 60, elapsed  # about 4 s here; each name asked of every gazetteer: 20 s


def test_a_name_some_gazetteer_holds_is_still_asked_under_any_spelling():
    chain = make_geocoder()
    for name in ("Kyiv", "KIEV", "  kyïv ", "Slov'yansk", "Kursk Oblast", "Krasnodarskiy"):
        assert chain.might_know(name), name
    assert not chain.might_know("Zq0000001ville")
    table = parse_events(f"id,title,start,places\na,A,{T0},Slov’yansk\n")
    assert len(table.located) == 1, lines(table)


# --- columns ---------------------------------------------------------------------------------


def test_a_csv_of_100_000_columns_keeps_every_row_and_the_first_thousand_columns(tmp_path):
    n = 100_000
    header = ",".join(["id", "title", "start", *(f"c{i}" for i in range(n))])
    rows = "".join(",".join([f"e{r}", "T", T0, *("v" * (r + 1) for _ in range(n))]) + "\n"
                   for r in range(3))  # fmt: skip
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + rows, "utf-8")
    started = time.monotonic()
    table = open_table(path)
    elapsed = time.monotonic() - started
    assert list(table.events["id"]) == ["e0", "e1", "e2"]
    extra = [c for c in table.events.columns if c.startswith("extra.")]
    assert len(extra) == MAX_COLUMNS - 3
    cut = find(table, "", 1, text=f"has {n + 3:,} columns")
    assert f"only the first {MAX_COLUMNS:,} are read" in cut["problem"]
    assert cut["kept"]
    assert elapsed < 30, elapsed  # about 3 s; before, 20,000 columns took 24 s and more


def test_a_lone_cr_table_of_many_columns_is_cut_alike():
    header = ",".join(["id", "title", "start", *(f"c{i}" for i in range(2000))])
    row = ",".join(["a", '"line\ronly"', T0, *("v" for _ in range(2000))])
    table = parse_events(header + "\n" + row + "\n")
    assert table.events.iloc[0]["title"] == "line\ronly"
    find(table, "", 1, text="has 2,003 columns")


def test_json_records_of_many_distinct_fields_keep_the_first_thousand():
    features = [
        {"type": "Feature", "geometry": None,
         "properties": {"title": f"E{i}", "start": T0, **{f"k{i}_{j}": j for j in range(10)}}}
        for i in range(300)
    ]  # fmt: skip
    table = parse_events(
        json.dumps({"type": "FeatureCollection", "features": features}), file="f.geojson", fmt=None
    )
    assert len(table.events) == 300
    extra = [c for c in table.events.columns if c.startswith("extra.")]
    assert len(extra) == MAX_COLUMNS
    find(table, "", text="more than 1,000 fields")


def test_extra_cells_of_our_csv_with_many_keys_are_cut_alike():
    cells = [json.dumps({f"k{i}_{j}": "x" for j in range(20)}) for i in range(100)]
    body = "".join(
        f'e{i},T,{T0},"{c.replace(chr(34), chr(34) * 2)}"\n' for i, c in enumerate(cells)
    )
    table = parse_events("id,title,start,extra\n" + body)
    assert len(table.events) == 100
    find(table, "", text="the other 1,000")


def test_a_workbook_of_many_columns_keeps_the_first_thousand(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "title", *(f"c{i}" for i in range(1500))])
    sheet.append(["2025-03-18", "A", *range(1500)])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    table = open_table(path, options=ReadOptions(mapping={"date": "date", "title": "title"}))
    assert len(table.events) == 1
    find(table, "", 1, text="has 1,502 columns")
