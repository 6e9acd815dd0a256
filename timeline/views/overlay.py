"""What the browser adds on top of plotly's figures: the fit, the selection, labels, tile errors.

Plotly's map resets its zoom whenever its figure changes, and a MapLibre text layer needs
glyphs that plotly's styles fetch from the internet. So the figure stays the same across a
click (the zoom stays), and these things are drawn by a small fixed script instead, as HTML
elements positioned with MapLibre's own `project` (no request leaves the machine):

- the fit: `fitBounds` to the placed events with the real size of the map (a phone's map is
  narrow), once per figure and once per press of "Fit to window" (`fit_key`);
- a ring on each place of the selected event, and numbered stops of a story;
- place names: the events' own places, and large cities from the offline world gazetteer
  (`static/labels/cities.json`, by population as the reader zooms in);
- country names, upper-case and grey under the rest, from `static/labels/countries.json`
  (built by scripts/build_country_labels.py; by area as the reader zooms in), in the browser's
  own sans-serif font: no font is fetched;
- a notice on the map when an online base map's tiles do not load;
- on the timeline, a ring on the selected event and its links drawn darker, in an SVG layer over
  plotly's, placed with the axes' own conversions and redrawn after every plotly draw (a pan of
  the timeline too). So a click that only selects leaves the timeline's figure as it is, and the
  browser does not redraw it.

The spec is data (`overlay_spec`); the script is ours and fixed, the spec is JSON written into
it with `<` escaped, so data cannot end the tag.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd

from timeline.views.figures import LINK_COLOUR, SELECTED_COLOUR

CITIES_URL = "app/static/labels/cities.json"
COUNTRIES_URL = "app/static/labels/countries.json"
#: Cities at least this large are written to the labels file.
CITY_MIN_POPULATION = 500_000


def overlay_spec(
    placed: pd.DataFrame,
    *,
    fit_key: str,
    selected: str | None,
    linked: tuple[str, ...] = (),
    story: tuple[str, ...] = (),
    online: bool = False,
    keep_view: bool = False,
) -> dict:
    """The overlay's data: bounds to fit, rings, story stops and place labels.

    `placed`: the places in view (with `event_id`, `name`, `lat`, `lon`, `order`).
    `linked`: the events linked to the selected one, whose links the timeline darkens.
    `keep_view`: the figure is drawn for the view the reader chose (a dense map redrawn for
    its reported view): never fit it. Fitting it to what is in that view would zoom in, be
    reported, fit again, and shrink the view from rerun to rerun.
    """
    bounds = None
    if not placed.empty:
        bounds = [
            [float(placed["lon"].min()), float(placed["lat"].min())],
            [float(placed["lon"].max()), float(placed["lat"].max())],
        ]
    ring = placed.loc[placed["event_id"] == selected, ["lon", "lat"]].to_numpy().tolist()
    first = placed.sort_values("order").drop_duplicates("event_id").set_index("event_id")
    stops = [
        {"n": n, "lon": float(first.at[i, "lon"]), "lat": float(first.at[i, "lat"])}
        for n, i in enumerate(story, 1)
        if i in first.index
    ]
    names = placed.drop_duplicates(["name"])[["name", "lon", "lat"]]
    names = names[names["name"].astype("str") != ""]  # map cells have no name
    labels = [
        {"text": str(r.name), "lon": float(r.lon), "lat": float(r.lat)}
        for r in names.itertuples(index=False)
    ]
    return {
        "fitKey": fit_key,
        "keepView": keep_view,
        "bounds": bounds,
        "ring": ring,
        "stops": stops,
        "labels": labels,
        "online": online,
        "selected": selected,
        "linked": list(linked),
        "colours": {"selected": SELECTED_COLOUR, "link": LINK_COLOUR},
        "cities": CITIES_URL,
        "countries": COUNTRIES_URL,
    }


def overlay_html(spec: dict) -> str:
    data = json.dumps(spec, ensure_ascii=True).replace("<", "\\u003c")
    return f"<script>{_SCRIPT.replace('__SPEC__', data)}</script>"


def overlay_function(name: str) -> str:
    """The same script as a function of its spec, `window[name](spec)`, for a page with no
    server to run it again (the published page calls it on every change of its view). The
    page sets `window.__tmCities` and `window.__tmCountries` first, so nothing is fetched."""
    return f"window.{name} = function (__spec) {{{_SCRIPT.replace('__SPEC__', '__spec')}}};"


def write_city_labels(world_tsv_gz: Path, out: Path, *, min_population: int = CITY_MIN_POPULATION):
    """Write the large towns of the world gazetteer as `[[name, lon, lat, population], ...]`."""
    with gzip.open(world_tsv_gz, "rt", encoding="utf-8") as fp:
        rows = [
            [r["name"], round(float(r["lon"]), 4), round(float(r["lat"]), 4), int(r["population"])]
            for r in csv.DictReader(fp, delimiter="\t")
            if r["precision"] == "town"
            and r["population"]
            and int(r["population"]) >= min_population
        ]
    rows.sort(key=lambda r: -r[3])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# The script finds plotly's MapLibre map, keeps its own layer of HTML elements inside the map's
# container, and repositions them on every move. State lives on the map object, so a rerun that
# runs the script again (or not) never stacks a second layer.
_SCRIPT = r"""
(function () {
  const spec = __SPEC__;
  // Each run of the script supersedes the ones before: an older run still waiting for the map
  // must not apply its spec (its fit) to the map a newer run drew.
  const run = (window.__tmRun = (window.__tmRun || 0) + 1);
  // The fit is the page's, not one map's: plotly may make a new MapLibre map for a new figure,
  // and a new map of the same figure must not be fitted again once the reader has moved it.
  const fitted = (window.__tmFit = window.__tmFit || {key: null, userMoved: false});
  const css = 'position:absolute;pointer-events:none;transform:translate(-50%,-50%);';
  function findMap() {
    const gds = [...document.querySelectorAll('.js-plotly-plot')].filter(
      g => g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot);
    return gds.length ? gds[0] : null;
  }
  function el(html, style) {
    const d = document.createElement('div');
    d.style.cssText = css + style;
    d.textContent = html;
    return d;
  }
  function draw(m) {
    const st = m.__tm;
    const spec = st.spec;
    const layer = st.layer;
    layer.replaceChildren();
    st.items = [];
    const z = m.getZoom();
    const minPop = z < 2.5 ? 8e6 : z < 3.5 ? 3e6 : z < 4.5 ? 1e6 : 5e5;
    const taken = [];
    const free = (p, w) => {
      if (taken.some(q => Math.abs(q.x - p.x) < (q.w + w) / 2 + 4 && Math.abs(q.y - p.y) < 14))
        return false;
      taken.push({x: p.x, y: p.y, w: w});
      return true;
    };
    const add = (lon, lat, node, dx, dy, w, under) => {
      const p = m.project([lon, lat]);
      if (w && !free({x: p.x + dx, y: p.y + dy}, w)) return;
      node.style.left = (p.x + dx) + 'px';
      node.style.top = (p.y + dy) + 'px';
      if (under) layer.prepend(node); else layer.appendChild(node);
    };
    for (const [lon, lat] of spec.ring) {
      add(lon, lat, el('', 'width:26px;height:26px;border:3px solid #111;border-radius:50%;' +
        'box-shadow:0 0 0 2px #fff;'), 0, 0, 0);
    }
    for (const s of spec.stops) {
      const n = el(String(s.n), 'min-width:18px;height:18px;border-radius:9px;background:#333;' +
        'color:#fff;font:600 11px/18px sans-serif;text-align:center;padding:0 3px;');
      n.className = 'tm-stop';
      add(s.lon, s.lat, n, 12, -12, 0);
    }
    for (const l of spec.labels) {
      const w = 7 * l.text.length;
      const n = el(l.text, 'font:600 12px sans-serif;color:#222;white-space:nowrap;' +
        'text-shadow:0 0 3px #fff,0 0 3px #fff;transform:translate(0,-50%);');
      n.className = 'tm-place-label';
      add(l.lon, l.lat, n, 10, 0, w);
    }
    // Countries by area rank (1 the largest): after the events' places in the claim on room,
    // before the cities, but drawn beneath everything.
    const maxRank = z < 1.5 ? 25 : z < 2.5 ? 50 : z < 3.5 ? 100 : z < 4.5 ? 170 : 1e9;
    for (const c of (window.__tmCountries || [])) {
      if (c[3] > maxRank) break;
      const w = 9 * c[0].length;
      const n = el(c[0], 'font:600 11px sans-serif;letter-spacing:0.16em;' +
        'text-transform:uppercase;color:#9a968f;white-space:nowrap;' +
        'text-shadow:0 0 2px #fff,0 0 2px #fff;');
      n.className = 'tm-country-label';
      add(c[1], c[2], n, 0, 0, w, true);
    }
    for (const c of (window.__tmCities || [])) {
      if (c[3] < minPop) break;
      const w = 6 * c[0].length;
      const n = el(c[0], 'font:11px sans-serif;color:#6b655c;white-space:nowrap;' +
        'text-shadow:0 0 2px #fff;transform:translate(0,-50%);');
      n.className = 'tm-city-label';
      add(c[1], c[2], n, 0, 0, w);
    }
    if (st.tileError) {
      layer.appendChild(el('Online map tiles did not load (offline?): the offline outlines and ' +
        'the markers are shown.', 'left:50%;top:14px;transform:translate(-50%,0);' +
        'background:#fff3cd;color:#664d03;font:12px sans-serif;padding:4px 8px;' +
        'border-radius:4px;border:1px solid #e0c36a;'));
    }
  }
  function fit(m) {
    const b = m.__tm.spec.bounds;
    const w = m.getCanvas().clientWidth;
    if (!w || !m.getCanvas().clientHeight) return;  // not laid out yet: its resize fits it
    if (b) {
      const pad = Math.min(48, w / 8);
      m.fitBounds(b, {padding: pad, maxZoom: 7, animate: false});
    } else {
      m.jumpTo({center: [20, 25], zoom: Math.max(Math.log2(w / 512), 0)});
    }
  }
  function attach(tries) {
    if (run !== window.__tmRun) return;
    const gd = findMap();
    const m = gd && gd._fullLayout.map._subplot.map;
    const want = gd && gd.layout && gd.layout.map;
    if (!m || !m.loaded() || !want) {
      if (tries < 400) setTimeout(() => attach(tries + 1), 50);
      return;
    }
    if (!m.__tm) {
      const layer = document.createElement('div');
      layer.className = 'tm-overlay';
      layer.style.cssText =
        'position:absolute;inset:0;overflow:hidden;pointer-events:none;z-index:2';
      m.getContainer().appendChild(layer);
      m.__tm = {layer: layer, fitKey: null, tileError: false};
      m.on('move', () => draw(m));
      m.on('movestart', e => { if (e.originalEvent) window.__tmFit.userMoved = true; });
      m.on('resize', () => { if (!window.__tmFit.userMoved) fit(m); });
      m.on('error', e => {
        if (m.__tm.spec && m.__tm.spec.online && !m.__tm.tileError) {
          m.__tm.tileError = true; draw(m);
        }
      });
    }
    m.__tm.spec = spec;
    if (spec.fitKey !== fitted.key) {
      fitted.key = spec.fitKey;
      // The reader's own view, drawn again (keepView): no fit, nor a late one, nor one on
      // resize. A new window or "Fit to window": fit until the reader moves the map.
      fitted.userMoved = Boolean(spec.keepView);
    }
    if (m.__tm.fitKey !== spec.fitKey) {
      m.__tm.fitKey = spec.fitKey;
      if (!fitted.userMoved) {
        fit(m);
        // Streamlit may size the chart after the first draw, and plotly may apply the
        // figure's own view late: fit again while the reader has not moved the map.
        const later = () => { if (run === window.__tmRun && !fitted.userMoved) fit(m); };
        for (const ms of [250, 800, 2000]) setTimeout(later, ms);
      }
    }
    draw(m);
    for (const [key, url] of [['__tmCities', spec.cities], ['__tmCountries', spec.countries]]) {
      if (window[key] || window[key + 'Loading']) continue;
      window[key + 'Loading'] = true;
      fetch(url).then(r => r.json()).then(rows => { window[key] = rows; draw(m); })
        .catch(() => {});
    }
  }
  attach(0);

  // The timeline: the selected event's ring and links, over plotly's own drawing.
  function findTimeline() {
    return [...document.querySelectorAll('.js-plotly-plot')].find(
      g => g._fullLayout && g._fullLayout.xaxis && g.calcdata
        && (g.data || []).some(t => t.name === 'events'));
  }
  function drawTimeline(gd) {
    const sel = window.__tmSelection || {};
    const host = gd.querySelector('.svg-container');
    if (!host) return;
    // SVG's namespace, taken from plotly's own drawing (no URL written here).
    const SVG = host.querySelector('svg').namespaceURI;
    let svg = host.querySelector('svg.tm-timeline-overlay');
    if (!svg) {
      svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('class', 'tm-timeline-overlay');
      svg.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none;overflow:hidden';
      host.appendChild(svg);
    }
    svg.replaceChildren();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const trace = gd.data.findIndex(t => t.name === 'events');
    if (!sel.selected || trace < 0 || !gd.calcdata[trace]) return;
    // The plot area only: a point panned out of it is not drawn on the axes.
    svg.setAttribute('width', xa._length);
    svg.setAttribute('height', ya._length);
    svg.style.left = xa._offset + 'px';
    svg.style.top = ya._offset + 'px';
    const at = {};
    for (const p of gd.calcdata[trace]) {
      const id = Array.isArray(p.data) ? p.data[0] : p.data;
      if (id === sel.selected || sel.linked.includes(id)) at[id] = [xa.c2p(p.x), ya.c2p(p.y)];
    }
    const here = at[sel.selected];
    if (!here) return;
    const add = (name, attrs) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      svg.appendChild(node);
    };
    for (const id of sel.linked) {
      if (!at[id]) continue;
      add('line', {x1: here[0], y1: here[1], x2: at[id][0], y2: at[id][1],
        stroke: sel.colours.link, 'stroke-width': 2, 'stroke-dasharray': '2,3', opacity: 0.9});
    }
    add('circle', {cx: here[0], cy: here[1], r: 11, fill: 'none',
      stroke: sel.colours.selected, 'stroke-width': 3, class: 'tm-timeline-ring'});
  }
  window.__tmSelection = {selected: spec.selected, linked: spec.linked, colours: spec.colours};
  // One search at a time: a newer run of this script (a tick of Play) ends the older one.
  const search = (window.__tmTimelineSearch || 0) + 1;
  window.__tmTimelineSearch = search;
  (function attachTimeline(tries) {
    if (search !== window.__tmTimelineSearch) return;
    const gd = findTimeline();
    if (!gd) {
      if (tries < 400) setTimeout(() => attachTimeline(tries + 1), 50);
      return;
    }
    if (!gd.__tmTimeline) {
      gd.__tmTimeline = true;
      gd.on('plotly_afterplot', () => drawTimeline(gd));
    }
    drawTimeline(gd);
  })(0);
})();
"""
