"""The map's view, reported to the server: the script of a tiny Streamlit component.

A dense map (too many markers to send) draws what the server counts for the reader's view, so
the server must know the view; Streamlit's plotly chart never says. This script, mounted as a
custom component (`st.components.v2`, in the page itself, no iframe), finds the map's MapLibre
instance and, when the reader stops moving it (debounced), sends its box and zoom as the
component's state (with MapLibre's own centre, which the server redraws the map at, so
the redrawn map does not move): the app reruns with the view and draws the cells (or, zoomed in far
enough, the points) of that view. It sends nothing when the map needs no server (`report`
false: its every event is in the browser already) and never the same view twice.

State lives on `window.__tmView`, so a rerun's new mount neither loses it nor stacks listeners.
"""

from __future__ import annotations

#: The component's name (unique in the app).
NAME = "timeline_map_view"

SCRIPT = r"""
export default function (component) {
  const { data, setStateValue } = component;
  const s = (window.__tmView = window.__tmView || { last: "", maps: new WeakSet(), timer: null });
  s.report = Boolean(data && data.report);
  s.set = setStateValue;
  s.selector = (data && data.selector) || ".st-key-map .js-plotly-plot";
  const send = (map) => {
    if (!s.report) return;
    // A map not laid out yet (plotly makes a new one at its default size, then resizes it)
    // has no view worth drawing: its resize sends the real one.
    const canvas = map.getCanvas();
    if (!canvas.clientWidth || !canvas.clientHeight) return;
    const b = map.getBounds();
    const c = map.getCenter();
    const view = {
      west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth(),
      zoom: map.getZoom(), lat: c.lat, lon: c.lng,
    };
    const text = [view.west, view.south, view.east, view.north]
      .map((x) => x.toFixed(3)).join(",") + "," + view.zoom.toFixed(2);
    if (text === s.last) return;
    s.last = text;
    s.set("view", view);
  };
  const attach = () => {
    const gd = document.querySelector(s.selector);
    const layout = gd && gd._fullLayout;
    const map = layout && layout.map && layout.map._subplot && layout.map._subplot.map;
    if (!map || s.maps.has(map)) return;
    s.maps.add(map);
    const later = () => {
      clearTimeout(s.timer);
      s.timer = setTimeout(() => send(map), 400);
    };
    map.on("moveend", later);
    map.on("resize", later);
  };
  attach();
  const poll = setInterval(attach, 500);
  return () => clearInterval(poll);
}
"""
