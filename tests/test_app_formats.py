"""The app opens a file of every format, as TIMELINE_MAP_TABLE names it, with no code change."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from timeline.ingest.files import read_events

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SAMPLES = ROOT / "tests/data/formats"
# A spreadsheet with a mapping file is opened by the CLI (--mapping); the rest by content alone.
FILES = sorted(
    p.name for p in SAMPLES.iterdir() if p.suffix in {".csv", ".json", ".geojson"}
    and not p.name.startswith("harm_monitor")
)  # fmt: skip


@pytest.mark.parametrize("name", FILES)
def test_the_app_opens_every_sample_and_shows_its_events(name, monkeypatch):
    path = SAMPLES / name
    loaded = len(read_events(path).events)
    monkeypatch.setenv("TIMELINE_MAP_TABLE", str(path))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown)
    if loaded:
        assert f"of {loaded} events" in shown, shown[:500]
    else:
        assert at.error, "a table with no loadable event says so"
