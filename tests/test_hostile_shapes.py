"""Shapes that blow up (issue 16, class 6): a table of many distinct place names that no
gazetteer holds, and tables of very many columns, each read in bounded time with every row
kept and one clear line for what was left out."""

from __future__ import annotations

import time

from hostile import assert_accounted, lines

from geodata import make_geocoder
from timeline.ingest.files import parse_events

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
