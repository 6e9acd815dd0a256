"""The README's warehouse promise, on the real app (AppTest, no mocks): started with

    TIMELINE_MAP_IBIS_URL=postgres://timeline_reader@127.0.0.1:PORT/postgres
    TIMELINE_MAP_IBIS_TABLES=seed_

`streamlit_app.py` reads the seed story from a throwaway PostgreSQL cluster, on a server that
has no local store of it, and shows what it shows from the local store: the same count of
events in the whole-story window and, for an event opened by its link, the very same card and
the source text its quote is highlighted in.

The warehouse tables are the app's own store of `seeds/`, copied with
`timeline.data.queries.load_into`, and the app logs in as a role that may only read them: a
read-only warehouse account is enough. The cluster is tests/test_queries.py's fixture, so this
file is skipped when PostgreSQL is not installed, and fails under CI=true.
"""

from __future__ import annotations

import html
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

# As tests/test_table.py imports tests.nominatim_server: `python -m pytest` (README, CI) puts
# the repo root on sys.path.
from timeline.data import queries as Q
from timeline.data.engine import TABLES_ENV, URL_ENV, open_engine
from timeline.data.store import CACHE_ENV
from timeline.ingest.files import read_events

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SEED = read_events(ROOT / "seeds/events.csv")
N = len(SEED.events)
PREFIX = "seed_"
#: The role the app logs in as: it may read the seed tables and nothing else.
READER = "timeline_reader"
#: An event whose card quotes the story's source text and names a place.
EVENT = "sumy-hospital"
LINK = {"event": EVENT}


def clear_caches() -> None:
    """The app caches its engine in st.cache_resource keyed by the table's path, not by the
    environment: uncleared, a warehouse run could be served the local engine (and prove
    nothing), and a later test file could be served the warehouse engine."""
    st.cache_resource.clear()
    st.cache_data.clear()


def run_app(env: dict[str, str]) -> AppTest:
    """The app as `streamlit run` starts it with these variables, opened by the event's link."""
    clear_caches()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("TIMELINE_MAP_TABLE", URL_ENV, TABLES_ENV):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in LINK.items():
            at.query_params[key] = value
        return at.run()


@pytest.fixture(scope="module")
def seed_store_root(tmp_path_factory) -> Path:
    """A store folder holding the seed story's store, built as the app builds it."""
    root = tmp_path_factory.mktemp("store")
    open_engine(ROOT / "seeds", online=False, root=root)
    return root


@pytest.fixture(scope="module")
def warehouse_url(postgres, seed_store_root) -> str:
    """The seed store's tables on PostgreSQL, after PREFIX, and the URL READER opens them by."""
    store = open_engine(ROOT / "seeds", online=False, root=seed_store_root).store
    assert store is not None
    Q.load_into(postgres, store, prefix=PREFIX)
    for sql in (
        f"CREATE ROLE {READER} LOGIN",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}",
    ):
        postgres.raw_sql(sql).close()
    info = postgres.con.info
    # `postgres://` as the README writes it (ibis.connect reads `postgresql://` the same).
    return f"postgres://{READER}@{info.host}:{info.port}/{info.dbname}"


@pytest.fixture(scope="module")
def local_run(seed_store_root):
    """The app on the local store: the very store the warehouse tables were copied from."""
    at = run_app({CACHE_ENV: str(seed_store_root)})
    assert not at.exception, at.exception
    yield at
    clear_caches()


@pytest.fixture(scope="module")
def warehouse_run(postgres, warehouse_url, tmp_path_factory, local_run):
    """The app on the warehouse, on a server that never stored the seed story (an empty store
    folder): nothing local can answer for PostgreSQL. Runs after `local_run`, whose cached
    engine it clears."""
    empty_store = tmp_path_factory.mktemp("empty-store")
    at = run_app({CACHE_ENV: str(empty_store), URL_ENV: warehouse_url, TABLES_ENV: PREFIX})
    # Counted now, while st.cache_resource still holds the app's engine and its connection.
    with postgres.raw_sql(
        f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{READER}'"
    ) as cursor:
        reader_connections = cursor.fetchone()[0]
    yield SimpleNamespace(app=at, reader_connections=reader_connections)
    clear_caches()  # the warehouse engine must not serve the next test file


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "in the window" in m.value)


def card_html(at: AppTest, event_id: str) -> str:
    cards = [h.proto.body for h in at.get("html") if f'data-event-id="{event_id}"' in h.proto.body]
    assert len(cards) == 1, cards
    return cards[0]


def test_the_app_opens_on_postgresql_with_no_exception(warehouse_run):
    assert not warehouse_run.app.exception, warehouse_run.app.exception
    # The engine the app cached holds a connection of READER: it really asked PostgreSQL, and
    # the runs did not open one more each (they once built a throwaway engine every rerun).
    assert warehouse_run.reader_connections == 1


def test_the_whole_story_window_counts_the_seed_events_as_the_local_store_does(
    warehouse_run, local_run
):
    at = warehouse_run.app
    assert count_line(at).startswith(f"**{N} of {N} events**")
    assert count_line(at) == count_line(local_run)  # and as many of them on the map
    assert at.query_params["from"] == "2025-03-11T00:00Z"  # the story's whole window
    assert at.slider(key="window").value == local_run.slider(key="window").value


def test_an_event_link_shows_the_same_card_as_the_local_store(warehouse_run, local_run):
    card = card_html(warehouse_run.app, EVENT)
    title = SEED.events.set_index("id").loc[EVENT, "title"]
    assert f'<h3 class="card-title">{html.escape(title)}</h3>' in card
    # Every fact of the card (times, places, sources, quote) as the local store gives it.
    assert card == card_html(local_run, EVENT)


def test_a_server_without_a_local_store_does_not_claim_to_read_and_store_the_table(
    warehouse_run,
):
    assert [status.label for status in warehouse_run.app.get("status")] == []


def test_the_source_text_behind_the_card_can_be_read_as_with_the_local_store(
    warehouse_run, local_run
):
    def source_panels(at: AppTest) -> list[str]:
        return [e.label for e in at.expander if e.label.startswith("Read the source")]

    assert source_panels(local_run)  # the seed's card quotes its source text
    assert source_panels(warehouse_run.app) == source_panels(local_run)
