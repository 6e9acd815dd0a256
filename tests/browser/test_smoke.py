"""The harness works: the app opens offline, and the map helpers click where they aim."""

from __future__ import annotations

import io
import textwrap

import pytest
from PIL import Image

from .helpers import (
    NetworkLog,
    assert_no_exception,
    click_map_point,
    map_point_xy,
    open_app,
    open_context,
    plotly_figure_json,
    screenshot,
)


def test_app_opens_offline(page, app_url, network_log):
    open_app(page, app_url)

    assert_no_exception(page)
    assert page.title() == "Timeline map"
    assert page.get_by_role("heading", name="Timeline map").first.is_visible()
    assert screenshot(page, "smoke-app").stat().st_size > 0
    assert network_log.urls, "no request recorded: the network log is not wired"
    assert network_log.forbidden() == []


# A tiny app for the helpers, independent of the real one: a plain chart first, so that the map
# is chart 1 but map 0, and the selected ids written out as text.
FIXTURE_APP = textwrap.dedent(
    """
    import pandas as pd
    import plotly.express as px
    import streamlit as st

    points = pd.DataFrame(
        {"id": ["PAR", "BER"], "lat": [48.8566, 52.52], "lon": [2.3522, 13.405]}
    )
    st.plotly_chart(px.scatter(points, x="lon", y="lat"), key="plain")
    fig = px.scatter_map(
        points, lat="lat", lon="lon", custom_data=["id"], map_style="white-bg",
        center={"lat": 50.7, "lon": 7.9}, zoom=4,
    )
    fig.update_traces(marker={"size": 24, "color": "#d62728"})
    event = st.plotly_chart(fig, key="map", on_select="rerun", selection_mode="points")
    ids = [p["customdata"][0] for p in event.selection.points]
    st.markdown(f"selected: {','.join(sorted(ids)) or 'none'}")
    """
)
PARIS = (2.3522, 48.8566)
BERLIN = (13.405, 52.52)


@pytest.fixture(scope="module")
def fixture_app_url(start_app, tmp_path_factory):
    script = tmp_path_factory.mktemp("fixture-app") / "map_app.py"
    script.write_text(FIXTURE_APP)
    return start_app(script=script)


def test_map_helpers_click_the_point_they_aim_at(page, fixture_app_url):
    open_app(page, fixture_app_url)
    selected = page.get_by_text("selected:")
    assert selected.inner_text() == "selected: none"

    figure = plotly_figure_json(page, 1)
    assert figure["data"][0]["type"] == "scattermap"
    assert figure["data"][0]["customdata"] == [["PAR"], ["BER"]]
    assert figure["layout"]["map"]["style"] == "white-bg"

    # The WebGL canvas really draws (SwiftShader): the marker's red is where MapLibre says.
    x, y = map_point_xy(page, *BERLIN)
    png = page.screenshot(clip={"x": x - 2, "y": y - 2, "width": 4, "height": 4})
    r, g, b = Image.open(io.BytesIO(png)).convert("RGB").getpixel((2, 2))
    assert r > 180 and g < 90 and b < 90, f"no red marker drawn at Berlin: {(r, g, b)}"

    click_map_point(page, *BERLIN)
    assert selected.inner_text() == "selected: BER"
    click_map_point(page, *PARIS, modifiers=["Shift"])
    assert selected.inner_text() == "selected: BER,PAR"
    click_map_point(page, *PARIS)
    assert selected.inner_text() == "selected: PAR"
    assert_no_exception(page)


def test_guard_blocks_and_records_external_requests(browser, app_url):
    log = NetworkLog()
    context = open_context(browser, log)
    try:
        page = context.new_page()
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(f"{app_url}/_stcore/health")  # a local page, cheaper than the whole app
        health = page.evaluate(
            """async () => {
                 const local = await (await fetch('/_stcore/health')).text();
                 await fetch('https://example.com/tile.png').catch(() => null);
                 await new Promise(done => {
                   const ws = new WebSocket('wss://example.com/socket');
                   ws.onclose = ws.onerror = done;
                 });
                 return local;
               }"""
        )
    finally:
        context.close()
    assert health == "ok"  # local requests go through
    assert log.forbidden() == ["https://example.com/tile.png", "wss://example.com/socket"]
    assert failed == ["https://example.com/tile.png"]
