"""The README's warehouse promise, on the real app (AppTest, no mocks), on two warehouses:

    TIMELINE_MAP_IBIS_URL=postgres://timeline_reader@127.0.0.1:PORT/postgres
    TIMELINE_MAP_IBIS_URL=pyspark://?spark.remote=sc://127.0.0.1:PORT
    TIMELINE_MAP_IBIS_TABLES=seed_

`streamlit_app.py` reads the seed story from a throwaway PostgreSQL cluster, or from a Spark
Connect server (a Spark of its own JVM, the app its client), on a server that has no local
store of it, and shows what it shows from the local store: the same count of events in the
whole-story window and, for an event opened by its link, the very same card and the source
text its quote is highlighted in.

The warehouse tables are the app's own store of `seeds/`, copied with
`timeline.data.queries.load_into`. On PostgreSQL the app logs in as a role that may only read
them: a read-only warehouse account is enough. The servers are tests/conftest.py's
fixtures, so each half is skipped when its engine (PostgreSQL; pyspark and Java) is not
installed, and fails under CI=true.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import ibis
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
#: What pyspark sets once a Spark Connect client has started in the process.
CONNECT_MODE = "SPARK_CONNECT_MODE_ENABLED"


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


@pytest.fixture(scope="module", params=["postgres", "spark"])
def warehouse(request, seed_store_root):
    """The seed store's tables on a warehouse, after PREFIX: the URL the app reads them by,
    and how many connections of the app the warehouse holds (counted by the warehouse)."""
    store = open_engine(ROOT / "seeds", online=False, root=seed_store_root).store
    assert store is not None
    if request.param == "postgres":
        yield _on_postgres(request.getfixturevalue("postgres"), store)
    else:
        with _on_spark(request.getfixturevalue("spark_connect"), store) as found:
            yield found


def _on_postgres(postgres, store) -> SimpleNamespace:
    """The tables, and READER, who may read them and nothing else."""
    Q.load_into(postgres, store, prefix=PREFIX)
    for sql in (
        f"CREATE ROLE {READER} LOGIN",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}",
    ):
        postgres.raw_sql(sql).close()

    def connections() -> int:
        with postgres.raw_sql(
            f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{READER}'"
        ) as cursor:
            return cursor.fetchone()[0]

    info = postgres.con.info
    # `postgres://` as the README writes it (ibis.connect reads `postgresql://` the same).
    url = f"postgres://{READER}@{info.host}:{info.port}/{info.dbname}"
    return SimpleNamespace(url=url, connections=connections)


@contextlib.contextmanager
def _on_spark(server: str, store) -> Iterator[SimpleNamespace]:
    """The tables, loaded by a client that then leaves: the app's is the only one after."""
    from pyspark.sql import SparkSession

    # A Spark Connect client marks the process as one (it sets SPARK_CONNECT_MODE_ENABLED),
    # after which no local Spark session starts in it: the variable is put back afterwards.
    saved = os.environ.get(CONNECT_MODE)
    try:
        loader = SparkSession.builder.remote(server).create()
        Q.load_into(ibis.pyspark.connect(loader), store, prefix=PREFIX)
        loader.stop()
        port = int(server.rsplit(":", 1)[1])
        yield SimpleNamespace(
            # Ibis' own URL form: the query's settings build the session, here a client.
            url=f"pyspark://?spark.remote={server}",
            connections=lambda: _tcp_connections_to(port),
        )
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
    finally:
        if saved is None:
            os.environ.pop(CONNECT_MODE, None)
        else:
            os.environ[CONNECT_MODE] = saved


def _tcp_connections_to(port: int) -> int:
    """Established TCP connections to a port of this machine, from Linux's own table (a
    Spark Connect client holds one open while its session lives)."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            _, _, remote, state, *_ = line.split()
            count += state == "01" and int(remote.rsplit(":", 1)[1], 16) == port
    return count


@pytest.fixture(scope="module")
def local_run(seed_store_root):
    """The app on the local store: the very store the warehouse tables were copied from."""
    at = run_app({CACHE_ENV: str(seed_store_root)})
    assert not at.exception, at.exception
    yield at
    clear_caches()


@pytest.fixture(scope="module")
def warehouse_run(warehouse, tmp_path_factory, local_run):
    """The app on the warehouse, on a server that never stored the seed story (an empty store
    folder): nothing local can answer for the warehouse. Runs after `local_run`, whose cached
    engine it clears."""
    empty_store = tmp_path_factory.mktemp("empty-store")
    at = run_app({CACHE_ENV: str(empty_store), URL_ENV: warehouse.url, TABLES_ENV: PREFIX})
    # Counted now, while st.cache_resource still holds the app's engine and its connection.
    connections = warehouse.connections()
    yield SimpleNamespace(app=at, connections=connections)
    clear_caches()  # the warehouse engine must not serve the next test file


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "in the window" in m.value)


def card_html(at: AppTest, event_id: str) -> str:
    cards = [h.proto.body for h in at.get("html") if f'data-event-id="{event_id}"' in h.proto.body]
    assert len(cards) == 1, cards
    return cards[0]


def test_the_app_opens_on_the_warehouse_with_no_exception(warehouse_run):
    assert not warehouse_run.app.exception, warehouse_run.app.exception
    # The engine the app cached holds one connection (READER's on PostgreSQL): it really
    # asked the warehouse, and the runs did not open one more each (they once built a
    # throwaway engine every rerun).
    assert warehouse_run.connections == 1


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


# --- a warehouse that cannot be reached --------------------------------------------------------


def _closed_port() -> int:
    """A local port nobody listens on (bound, then let go): refused at once, never the net."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_warehouse_is_one_problem_naming_it_without_its_password(tmp_path):
    # Before: psycopg's OperationalError reached the app as a traceback.
    port = _closed_port()
    url = f"postgres://reader:hunter2@127.0.0.1:{port}/events?sslmode=disable&password=hunter2"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(URL_ENV, url)
        mp.setenv(TABLES_ENV, PREFIX)
        engine = open_engine(ROOT / "seeds", root=tmp_path)
    assert engine.total == 0
    (problem,) = engine.problems.itertuples()
    assert problem.file == URL_ENV
    assert problem.problem.startswith(
        f"the warehouse postgres://reader@127.0.0.1:{port}/events?sslmode=disable&password=*** "
        f"(tables {PREFIX}events, {PREFIX}places, {PREFIX}links) could not be reached or read: "
    )
    assert "hunter2" not in problem.problem and "\n" not in problem.problem


def test_the_app_says_the_warehouse_could_not_be_reached_and_asks_again(tmp_path, monkeypatch):
    from timeline.data import engine as E

    asked = []
    reach = E.warehouse_engine
    monkeypatch.setattr(E, "warehouse_engine", lambda *a: asked.append(a) or reach(*a))
    url = f"postgres://reader:hunter2@127.0.0.1:{_closed_port()}/events"
    try:
        at = run_app({URL_ENV: url, CACHE_ENV: str(tmp_path)})
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(URL_ENV, url)
            mp.setenv(CACHE_ENV, str(tmp_path))
            at.run()  # a rerun: the warehouse may be up by now, so it is asked again
    finally:
        clear_caches()
    assert len(asked) == 2
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.text, *at.caption])
    assert "no event that could be loaded" in shown
    frames = [df.value.to_string() for df in at.dataframe]
    assert any("could not be reached or read" in f for f in frames), frames
    assert "hunter2" not in shown + " ".join(frames)
