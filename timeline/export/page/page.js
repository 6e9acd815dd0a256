/* The published page's script: draws the app's figures (held in the page, see page_data.py),
   filters the map by the time window, builds the card, and keeps the view in the URL's
   fragment. Text from the data is only ever set as text (textContent, text nodes): no string
   of the data is parsed as HTML here. Nothing is fetched. */
(function () {
  'use strict';

  performance.mark('tm-script');
  const D = JSON.parse(document.getElementById('tm-data').textContent);
  const B = JSON.parse(document.getElementById('tm-basemap').textContent);
  // The overlay draws country and city names from these (it fetches only when they are unset).
  window.__tmCities = B.labels.cities;
  window.__tmCountries = B.labels.countries;

  const HOUR = 3600e3;
  const E = D.events;
  const N = E.id.length;
  const P = D.places;
  const STYLES = D.styles;
  const WHOLE = D.story.whole;
  const LARGE = D.mode === 'large';
  const byId = new Map(E.id.map((id, i) => [id, i]));
  const placesOf = Array.from({length: N}, () => []);
  P.event.forEach((i, k) => placesOf[i].push(k));
  // Events in (start, id) order, for Prev. and Next.
  const ORDER = [...Array(N).keys()].sort(
    (a, b) => (E.start[a] - E.start[b]) || (E.id[a] < E.id[b] ? -1 : E.id[a] > E.id[b] ? 1 : 0));
  const RANK = new Int32Array(N);
  ORDER.forEach((i, r) => { RANK[i] = r; });
  const CONFIG = {displaylogo: false, responsive: true, scrollZoom: true,
    modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toImage']};

  const $ = id => document.getElementById(id);
  /** A card with its shared texts put back (page_data.shared_strings: a number is a text). */
  function text(value) {
    if (typeof value === 'number') return D.strings[value];
    if (Array.isArray(value)) return value.map(text);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v)]));
    }
    return value;
  }
  const cardOf = i => text(D.cards[i]);
  const mapDiv = $('tm-map');
  const timelineDiv = $('tm-timeline');
  const state = {lo: WHOLE[0], hi: WHOLE[1], selected: null, narrative: null,
                 playing: false, timer: null, fitNonce: 0};

  // --- small helpers ----------------------------------------------------------------------

  /** An element with attributes and children; strings become text nodes, never HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'href' && !/^https?:\/\//i.test(v)) continue;  // only web links, never script
      node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === '') continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov',
    'Dec'];
  /** '18 Mar 2025, 14:00' (UTC), for any year 1-9999. */
  function words(ms) {
    const d = new Date(ms);
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  /** '2025-03-18T14:00Z', the form of the app's links. */
  function iso(ms) {
    const d = new Date(ms);
    return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
      `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`;
  }
  /** A date string plotly reads on a date axis (no zone: the axis is UTC). */
  function plotlyDate(ms) {
    const d = new Date(ms);
    return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  /** ISO 8601 to ms (UTC unless an offset is given); null when it is not one. */
  function parseIso(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/
      .exec(String(text || '').trim());
    if (!m) return null;
    const d = new Date(0);
    d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
    d.setUTCHours(+(m[4] || 0), +(m[5] || 0), +(m[6] || 0), 0);
    if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() !== +m[2] - 1) return null;
    let ms = d.getTime();
    if (m[7] && m[7] !== 'Z') {
      const sign = m[7][0] === '-' ? -1 : 1;
      const digits = m[7].slice(1).replace(':', '');
      ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60e3;
    }
    return ms;
  }
  const latest = i => (E.latest[i] === null ? E.earliest[i] : E.latest[i]);
  // The app's window (timeline.data.contract): half-open [lo, hi), met by the event's bounds;
  // a day that ends at midnight is not in the next day's window.
  const inWindow = (i, lo, hi) =>
    E.earliest[i] < hi && (latest(i) > lo || E.earliest[i] === lo);
  function visible() {
    const out = new Uint8Array(N);
    for (let i = 0; i < N; i++) out[i] = inWindow(i, state.lo, state.hi) ? 1 : 0;
    return out;
  }
  function viewRange() {
    const pad5 = (state.hi - state.lo) / 5;
    return [Math.max(state.lo - pad5, WHOLE[0]), Math.min(state.hi + pad5, WHOLE[1])];
  }
  function rgba(hex, alpha) {
    if (alpha === 1) return hex;
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }
  const narrative = () => D.story.narratives.find(n => n.id === state.narrative) || null;
  const variant = kind => (state.narrative && D.figures[kind][state.narrative] ? state.narrative : '');

  // --- the window ---------------------------------------------------------------------------

  function setWindow(lo, hi) {
    lo = Math.max(WHOLE[0], Math.min(lo, WHOLE[1] - HOUR));
    hi = Math.min(WHOLE[1], Math.max(hi, lo + HOUR));
    state.lo = lo;
    state.hi = hi;
  }
  /** The window moved as little as needed to show event i (the app's window_around). */
  function windowAround(i) {
    const width = state.hi - state.lo;
    if (inWindow(i, state.lo, state.hi)) return;
    let lo, hi;
    if (E.earliest[i] >= state.hi) {
      hi = Math.min(Math.max(Math.floor(E.earliest[i] / HOUR) * HOUR + HOUR,
                             Math.ceil(latest(i) / HOUR) * HOUR), WHOLE[1]);
      lo = Math.max(hi - width, WHOLE[0]);
    } else {
      lo = Math.max(Math.floor(E.earliest[i] / HOUR) * HOUR, WHOLE[0]);
      hi = Math.min(lo + width, WHOLE[1]);
    }
    setWindow(lo, Math.max(hi, lo + HOUR));
  }
  function select(i, move) {
    state.selected = i;
    if (i !== null && move) windowAround(i);
    update({scrollCard: i !== null});
  }

  // --- the map ------------------------------------------------------------------------------

  const layouts = {};
  /** The figure's layout with the base map's files in its layers, sized to its box; the
      reader's zoom and pan are kept across redraws (uirevision). */
  function mapLayout(key) {
    if (!layouts[key]) {
      const layout = JSON.parse(JSON.stringify(D.figures.map[key].layout));
      layout.template = D.template;
      layout.map.layers = (layout.map.layers || [])
        .filter(l => typeof l.source !== 'string' || B.basemap[l.source])
        .map(l => Object.assign(l, typeof l.source === 'string' ? {source: B.basemap[l.source]} : {}));
      layout.clickmode = 'event';
      layout.uirevision = 'page';
      layout.map.uirevision = 'page';
      layouts[key] = layout;
    }
    const layout = layouts[key];
    layout.height = mapDiv.clientHeight || 560;
    delete layout.width;
    layout.autosize = true;
    return layout;
  }
  /** A trace with the points of events outside the window taken out (null: a gap). */
  function filterTrace(trace, owners, shown) {
    if (!trace.lat || !trace.lat.length) return trace;
    const lat = trace.lat.slice();
    const lon = trace.lon.slice();
    if (trace.customdata) {
      for (let j = 0; j < lat.length; j++) {
        const i = byId.get(trace.customdata[j][0]);
        if (i === undefined || !shown[i]) { lat[j] = null; lon[j] = null; }
      }
    } else if (owners) {
      let run = -1;
      let inside = false;
      for (let j = 0; j < lat.length; j++) {
        if (trace.lat[j] === null) { inside = false; continue; }
        if (!inside) { run += 1; inside = true; }
        const i = byId.get(owners[run]);
        if (i === undefined || !shown[i]) { lat[j] = null; lon[j] = null; }
      }
    } else {
      return trace;
    }
    return Object.assign({}, trace, {lat: lat, lon: lon});
  }
  let mapDrawn = null;
  function drawMap(shown) {
    const key = variant('map');
    const fig = D.figures.map[key];
    const owners = D.figures.owners[key];
    const data = fig.data.map((t, k) => filterTrace(t, owners[k], shown));
    const drawn = Plotly.react(mapDiv, data, mapLayout(key), CONFIG);
    if (!mapDrawn) {
      mapDrawn = drawn.then(() => {
        mapDiv.on('plotly_click', ev => {
          const p = ev.points && ev.points[0];
          const id = p && p.customdata && (Array.isArray(p.customdata) ? p.customdata[0] : p.customdata);
          if (byId.has(id)) select(byId.get(id), false);
        });
      });
    }
    return drawn;
  }
  /** What the overlay draws over the map (see timeline/views/overlay.py): the fit, the ring
      on the selected event's places, a story's numbered stops, the places' names. */
  function overlaySpec(shown) {
    const ks = [];
    for (let k = 0; k < P.event.length; k++) if (shown[P.event[k]]) ks.push(k);
    let bounds = null;
    if (ks.length) {
      const lons = ks.map(k => P.lon[k]);
      const lats = ks.map(k => P.lat[k]);
      bounds = [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]];
    }
    const sel = state.selected;
    const ring = sel === null ? [] : ks.filter(k => P.event[k] === sel).map(k => [P.lon[k], P.lat[k]]);
    const first = new Map();
    for (const k of ks) {
      const i = P.event[k];
      if (!first.has(i) || P.order[k] < P.order[first.get(i)]) first.set(i, k);
    }
    const story = narrative();
    const stops = [];
    (story ? story.events : []).forEach((i, n) => {
      if (first.has(i)) stops.push({n: n + 1, lon: P.lon[first.get(i)], lat: P.lat[first.get(i)]});
    });
    const seen = new Set();
    const labels = [];
    if (ks.length <= 2000) {
      for (const k of ks) {
        if (!P.name[k] || seen.has(P.name[k])) continue;
        seen.add(P.name[k]);
        labels.push({text: P.name[k], lon: P.lon[k], lat: P.lat[k]});
      }
    }
    const card = sel === null ? null : cardOf(sel);
    return {
      fitKey: `${state.lo}-${state.hi}-${state.narrative}-${state.fitNonce}`,
      bounds: bounds, ring: ring, stops: stops, labels: labels, online: false,
      selected: sel === null ? null : E.id[sel],
      linked: card && card.links ? card.links.map(l => l.id) : [],
      colours: D.colours, cities: '', countries: '',
    };
  }

  // --- the timeline -------------------------------------------------------------------------

  function dateTicks(span) {
    const hours = span / HOUR;
    // The app's date_ticks: at most 14 ticks, fewer on a narrow screen.
    const most = Math.max(4, Math.min(14, Math.floor(timelineDiv.clientWidth / 90)));
    const step = D.limits.tickHours.find(h => hours / h <= most);
    if (step === undefined || step > 168) return {};
    return {dtick: step * HOUR, tick0: '2000-01-03', tickformat: step < 24 ? '%H:%M<br>%d %b' : '%d %b'};
  }
  function timelineAxis(layout, view) {
    const x = Object.assign({}, layout.xaxis);
    delete x.dtick; delete x.tick0; delete x.tickformat;
    Object.assign(x, dateTicks(view[1] - view[0]));
    x.range = [plotlyDate(view[0]), plotlyDate(view[1])];
    x.autorange = false;
    return x;
  }
  function windowShapes(shapes) {
    return (shapes || []).map(s => (s.name === 'band' ? s : Object.assign({}, s, {
      x0: plotlyDate(state.lo), x1: plotlyDate(state.hi)})));
  }
  /** On a narrow screen a long row label takes two lines, so the rows leave the plot room. */
  function narrowRows(yaxis) {
    if (timelineDiv.clientWidth >= 600 || !yaxis || !yaxis.ticktext) return yaxis;
    const wrap = label => {
      if (label.length <= 14) return label;
      const spaces = [...label.matchAll(/ /g)].map(m => m.index);
      if (!spaces.length) return label;
      const at = spaces.reduce((a, b) => (Math.abs(b - label.length / 2) < Math.abs(a - label.length / 2) ? b : a));
      return label.slice(0, at) + '<br>' + label.slice(at + 1);
    };
    return Object.assign({}, yaxis, {ticktext: yaxis.ticktext.map(wrap),
      tickfont: Object.assign({}, yaxis.tickfont, {size: 10})});
  }
  function timelineLayout(base, view) {
    const layout = Object.assign({}, base, {
      yaxis: narrowRows(base.yaxis),
      template: D.template,
      xaxis: timelineAxis(base, view),
      shapes: windowShapes(base.shapes),
      clickmode: 'event',
      uirevision: `${state.lo}-${state.hi}`,
      autosize: true,
    });
    delete layout.width;
    return layout;
  }
  /** The detailed timeline: every event drawn; faint outside the window (and outside the
      story's steps), titled when few are in view. */
  function detailedTimeline(view) {
    const fig = D.figures.timeline[variant('timeline')];
    const story = narrative();
    const steps = story ? new Set(story.events) : null;
    let inView = 0;
    for (let i = 0; i < N; i++) if (inWindow(i, view[0], view[1])) inView += 1;
    const labelled = inView <= D.limits.labels;
    const data = fig.data.map(t => {
      if (t.name !== 'events') return t;
      const colours = t.customdata.map(c => {
        const i = byId.get(c[0]);
        const strong = inWindow(i, state.lo, state.hi) && (!steps || steps.has(i));
        return rgba(STYLES[E.category[i]].colour, strong ? 1 : 0.3);
      });
      const marker = Object.assign({}, t.marker, {color: colours,
        line: Object.assign({}, t.marker.line, {color: colours})});
      return Object.assign({}, t, {
        marker: marker,
        mode: labelled ? 'markers+text' : 'markers',
        text: labelled ? t.customdata.map(c => E.label[byId.get(c[0])]) : undefined,
      });
    });
    return [data, timelineLayout(fig.layout, view)];
  }
  /** Past the detail limit: counts per bin and category, binned for the view in the browser
      as the app's query bins them (an event in the bin of its start, clamped to the view). */
  function histogram(view) {
    const fig = D.figures.timeline[''];
    const widths = D.limits.binWidths;
    const count = w => Math.max(1, Math.ceil((view[1] - Math.floor(view[0] / w) * w) / w));
    let width = widths.find(w => count(w) <= D.limits.maxBins);
    if (width === undefined) {
      const last = widths[widths.length - 1];
      width = last * Math.ceil((view[1] - view[0]) / last / (D.limits.maxBins - 1));
    }
    const origin = Math.floor(view[0] / width) * width;
    const bins = count(width);
    const counts = STYLES.map(() => new Float64Array(bins));
    for (let i = 0; i < N; i++) {
      if (!inWindow(i, view[0], view[1])) continue;
      const b = Math.min(Math.max(Math.floor((E.start[i] - origin) / width), 0), bins - 1);
      counts[E.category[i]][b] += 1;
    }
    const data = [];
    STYLES.forEach((s, c) => {
      const x = [], y = [], pick = [];
      counts[c].forEach((n, b) => {
        if (!n) return;
        const lo = origin + b * width;
        x.push(plotlyDate(lo + width / 2));
        y.push(n);
        pick.push([lo, lo + width]);
      });
      if (!x.length) return;
      data.push({type: 'bar', x: x, y: y, width: width, customdata: pick, name: s.plotlyLabel,
        marker: {color: s.colour, line: {width: 0}},
        hovertemplate: `${s.plotlyLabel}: %{y:,}<br>%{x}<extra></extra>`});
    });
    const layout = timelineLayout(fig.layout, view);
    layout.showlegend = false;
    if (state.selected !== null) {
      const at = plotlyDate(E.start[state.selected]);
      layout.shapes = layout.shapes.concat([{type: 'line', x0: at, x1: at, yref: 'paper', y0: 0,
        y1: 1, line: {color: D.colours.selected, width: 2}}]);
    }
    return [data, layout];
  }
  let timelineDrawn = null;
  function drawTimeline() {
    const view = viewRange();
    const [data, layout] = LARGE ? histogram(view) : detailedTimeline(view);
    const drawn = Plotly.react(timelineDiv, data, layout, {displaylogo: false, responsive: true});
    if (!timelineDrawn) {
      timelineDrawn = drawn.then(() => {
        timelineDiv.on('plotly_click', ev => {
          const p = ev.points && ev.points[0];
          if (!p || !p.customdata) return;
          if (LARGE) {
            const [lo, hi] = p.customdata;
            setWindow(Math.floor(lo / HOUR) * HOUR, Math.ceil(hi / HOUR) * HOUR);
            update();
          } else {
            const id = Array.isArray(p.customdata) ? p.customdata[0] : p.customdata;
            if (byId.has(id)) select(byId.get(id), false);
          }
        });
      });
    }
    return drawn;
  }

  // --- the card -------------------------------------------------------------------------------

  function field(label, ...value) {
    return el('div', {class: 'tm-field'}, el('span', {class: 'tm-label'}, label), ' ', ...value);
  }
  const list = items => el('ul', {}, items.map(x => el('li', {}, x)));
  function linkOrText(item) {
    if (item.url) {
      return el('a', {href: item.url, target: '_blank', rel: 'noopener noreferrer'},
        item.text || item.url);
    }
    return item.text || '';
  }
  function source(item) {
    if (item.url) return linkOrText(item);
    if (item.headline) {
      return [el('span', {class: 'tm-outlet'}, item.outlet), ': ', el('cite', {}, item.headline)];
    }
    return item.text;
  }
  function place(p) {
    const out = [p.name, '; known to ', p.known, '; point: ', linkOrText(p.point)];
    if (p.credit) out.push(' · ', p.credit);
    if (p.note) out.push('; ', p.note);
    return out;
  }
  function eventButton(i, text) {
    const b = el('button', {type: 'button', 'data-event-id': E.id[i]}, text);
    b.addEventListener('click', () => select(i, true));
    return b;
  }
  /** Other events drawn within a marker's reach of the selected one's places, at the map's
      zoom now (the app lists them under "At this spot"). */
  function atThisSpot(i, shown) {
    const gd = mapDiv;
    const m = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot &&
      gd._fullLayout.map._subplot.map;
    if (!m) return [];
    const mine = placesOf[i].map(k => m.project([P.lon[k], P.lat[k]]));
    const out = new Set();
    for (let k = 0; k < P.event.length && out.size < 1000; k++) {
      const j = P.event[k];
      if (j === i || !shown[j] || out.has(j)) continue;
      const q = m.project([P.lon[k], P.lat[k]]);
      if (mine.some(p => Math.hypot(p.x - q.x, p.y - q.y) < 24)) out.add(j);
    }
    return [...out];
  }
  function article(c) {
    const text = D.articles[c.sourceFile];
    if (text === undefined) return null;
    const box = el('div', {class: 'tm-article', id: 'tm-article'});
    const at = c.quote ? text.indexOf(c.quote) : -1;
    if (at < 0) {
      box.append(text);
    } else {
      box.append(text.slice(0, at), el('mark', {id: 'tm-quote-mark'}, c.quote),
        text.slice(at + c.quote.length));
    }
    const details = el('details', {class: 'tm-source'},
      el('summary', {}, `Read the source, the sentence highlighted: ${c.sourceFile}`), box);
    details.addEventListener('toggle', () => {
      if (!details.open) return;
      box.scrollIntoView({block: 'nearest'});
      const mark = box.querySelector('mark');
      if (mark) box.scrollTop = mark.offsetTop - box.offsetTop - box.clientHeight / 3;
    });
    return details;
  }
  let cardShown = null;
  function renderCard(shown) {
    const host = $('tm-card');
    const i = state.selected;
    // The article stays open across a redraw of the same card (a tick of Play, a new window).
    const open = i === cardShown && host.querySelector('details.tm-source[open]') !== null;
    if (i !== cardShown) $('tm-side').scrollTop = 0;
    cardShown = i;
    host.replaceChildren();
    if (i === null) {
      host.append(el('p', {class: 'tm-hint'}, 'Click a marker on the map or an event on the ' +
        'timeline to read what happened, where, when, how sure we are, and the sentence of ' +
        'the source that says so.'));
      return;
    }
    const c = cardOf(i);
    const out = el('div', {class: 'tm-event', 'data-event-id': E.id[i]});
    out.append(el('h2', {class: 'tm-card-title'}, c.title));
    out.append(field('When', c.when, ' ', el('span', {class: 'tm-precision'},
      `(precision: ${c.precision})`)));
    out.append(field('In UTC', c.utc));
    if (c.local) out.append(field('Local time', list(c.local)));
    if (c.relative) out.append(field('Relative', c.relative));
    if (c.timeNote) out.append(field('About the time', c.timeNote));
    out.append(field('Where', c.places ? list(c.places.map(place))
      : 'no place on the map (timeline only)'));
    if (c.summary) out.append(el('p', {class: 'tm-summary'}, c.summary));
    out.append(field('Category', c.category));
    if (c.actors) out.append(field('Actors', c.actors.join(', ')));
    out.append(field('Reported by', c.reportedBy ? c.reportedBy.join(', ') : 'not stated'));
    out.append(field('Status', c.status));
    if (c.quote) {
      const from = c.sourceFile
        ? `from ${c.sourceFile}, the story's source text` +
          (c.quoteFound ? '' : ' (not found verbatim in it)')
        : 'its source is not named';
      out.append(field('Source sentence', el('q', {class: 'tm-quote'}, c.quote), ' ',
        el('small', {class: 'tm-quote-source'}, from)));
    }
    if (c.sources) out.append(field('Further sources', list(c.sources.map(source))));
    if (c.notes) out.append(field('Notes', c.notes));
    if (Array.isArray(c.extra)) {
      out.append(field('Source fields', el('table', {class: 'tm-extra'},
        c.extra.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))))));
    } else if (c.extra) {
      out.append(field('Source fields', c.extra));
    }
    const near = atThisSpot(i, shown);
    if (near.length) {
      const more = near.length >= 1000 ? '1,000 or more' : near.length.toLocaleString('en');
      out.append(el('p', {class: 'tm-label'}, `At this spot (${more} more)`),
        el('div', {class: 'tm-list-buttons'},
          near.slice(0, 10).map(j => eventButton(j, cardOf(j).title))));
      if (near.length > 10) {
        out.append(el('p', {class: 'tm-hint'}, 'Zoom in, or narrow the window, to tell the ' +
          'others apart.'));
      }
    }
    if (c.links) {
      out.append(el('p', {class: 'tm-label'}, 'Linked events'),
        el('div', {class: 'tm-list-buttons'}, c.links.filter(l => byId.has(l.id))
          .map(l => eventButton(byId.get(l.id), l.words))));
    }
    const source_ = article(c);
    if (source_) {
      source_.open = open;
      out.append(source_);
    }
    host.append(out);
  }

  // --- the story's steps ----------------------------------------------------------------------

  function renderSteps() {
    const host = $('tm-steps');
    host.replaceChildren();
    if (!D.story.narratives.length) return;
    const pick = el('select', {id: 'tm-narrative', 'aria-label': 'Read as a story'},
      el('option', {value: ''}, 'All events (no story)'),
      D.story.narratives.map(n => el('option', {value: n.id}, `Story: ${n.title}`)));
    pick.value = state.narrative || '';
    pick.addEventListener('change', () => {
      state.narrative = pick.value || null;
      const story = narrative();
      if (story && story.events.length) select(story.events[0], true);
      else update();
    });
    host.append(pick);
    const story = narrative();
    if (!story) return;
    const here = story.events.indexOf(state.selected);
    const go = d => {
      const n = Math.min(Math.max((here < 0 ? -1 : here) + d, 0), story.events.length - 1);
      select(story.events[here < 0 && d < 0 ? 0 : n], true);
    };
    const back = el('button', {type: 'button', id: 'tm-step-prev'}, '‹ Step');
    const next = el('button', {type: 'button', id: 'tm-step-next'}, 'Step ›');
    back.addEventListener('click', () => go(-1));
    next.addEventListener('click', () => go(1));
    host.append(el('div', {class: 'tm-row'}, back, next,
      el('span', {id: 'tm-step-count'}, `Step ${here < 0 ? 1 : here + 1} of ${story.events.length}`)));
  }

  // --- controls -------------------------------------------------------------------------------

  const STEP = HOUR * Math.max(1, Math.ceil((WHOLE[1] - WHOLE[0]) / HOUR / 5000));
  const from = $('tm-from');
  const to = $('tm-to');
  function setupControls() {
    const stops = Math.round((WHOLE[1] - WHOLE[0]) / STEP);
    for (const input of [from, to]) {
      input.min = 0;
      input.max = stops;
      input.step = 1;
    }
    const slide = () => {
      let a = +from.value;
      let b = +to.value;
      if (b <= a) { if (document.activeElement === from) a = b - 1; else b = a + 1; }
      setWindow(WHOLE[0] + a * STEP, WHOLE[0] + b * STEP);
      update({slider: false});
    };
    from.addEventListener('input', slide);
    to.addEventListener('input', slide);
    const presets = $('tm-presets');
    D.story.presets.forEach(([label, lo, hi]) => {
      const b = el('button', {type: 'button', 'data-lo': lo, 'data-hi': hi}, label);
      b.addEventListener('click', () => { setWindow(lo, hi); update(); });
      presets.append(b);
    });
    const speed = $('tm-speed');
    D.speeds.forEach(([label, hours]) => speed.append(el('option', {value: hours}, label)));
    $('tm-prev').addEventListener('click', () => step(-1));
    $('tm-next').addEventListener('click', () => step(1));
    $('tm-play').addEventListener('click', togglePlay);
    $('tm-fit').addEventListener('click', () => { state.fitNonce += 1; update(); });
  }
  function step(direction) {
    let r;
    if (state.selected !== null) {
      r = RANK[state.selected] + direction;
    } else {
      r = ORDER.findIndex(i => E.start[i] >= state.lo);
      if (r < 0) r = N;
    }
    if (r >= 0 && r < N) select(ORDER[r], true);
  }
  function togglePlay() {
    state.playing = !state.playing;
    clearInterval(state.timer);
    if (state.playing) {
      if (state.hi >= WHOLE[1]) setWindow(WHOLE[0], WHOLE[0] + (state.hi - state.lo));
      state.timer = setInterval(() => {
        const move = +$('tm-speed').value * HOUR;
        const width = state.hi - state.lo;
        const hi = Math.min(state.hi + move, WHOLE[1]);
        setWindow(hi - width, hi);
        if (hi >= WHOLE[1]) togglePlay(); else update();
      }, 1000);
    }
    $('tm-play').textContent = state.playing ? '❚❚ Pause' : '▶ Play';
    $('tm-play').setAttribute('aria-pressed', String(state.playing));
    update();
  }
  function renderControls(shown, slider) {
    let n = 0;
    let placed = 0;
    for (let i = 0; i < N; i++) {
      if (!shown[i]) continue;
      n += 1;
      if (placesOf[i].length) placed += 1;
    }
    $('tm-count').replaceChildren(el('strong', {}, `${n.toLocaleString('en')} of ` +
      `${N.toLocaleString('en')} events`), ' in the window · ',
      el('strong', {}, placed.toLocaleString('en')), ' on the map');
    $('tm-window').textContent = `${words(state.lo)} – ${words(state.hi)} UTC`;
    for (const b of $('tm-presets').children) {
      b.setAttribute('aria-pressed', String(+b.dataset.lo === state.lo && +b.dataset.hi === state.hi));
    }
    if (slider !== false) {
      from.value = Math.round((state.lo - WHOLE[0]) / STEP);
      to.value = Math.round((state.hi - WHOLE[0]) / STEP);
    }
    const unplaced = [];
    for (let i = 0; i < N; i++) if (shown[i] && !placesOf[i].length) unplaced.push(i);
    const host = $('tm-unplaced');
    host.replaceChildren();
    if (unplaced.length) {
      host.append(el('strong', {}, 'Not on the map:'),
        ...unplaced.slice(0, D.limits.unplacedShown).map(i => eventButton(i, cardOf(i).title)));
      if (unplaced.length > D.limits.unplacedShown) {
        host.append(`and ${(unplaced.length - D.limits.unplacedShown).toLocaleString('en')} more`);
      }
    }
  }

  // --- the view in the URL's fragment -------------------------------------------------------

  let lastHash = null;
  function writeFragment() {
    // The times as the app's links write them (a colon needs no escape in a fragment).
    let hash = `#from=${iso(state.lo)}&to=${iso(state.hi)}`;
    if (state.selected !== null) hash += `&event=${encodeURIComponent(E.id[state.selected])}`;
    if (state.narrative) hash += `&story=${encodeURIComponent(state.narrative)}`;
    if (location.hash !== hash) {
      try {
        history.replaceState(null, '', hash);
      } catch (err) {
        // A sandboxed frame may refuse: the view still works, only its link does not follow.
      }
    }
    lastHash = location.hash;
  }
  /** The view a link asks for; what cannot be used is said in the notice, and left out. */
  function readFragment() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ''));
    const notices = [];
    if (q.has('from') || q.has('to')) {
      const lo = parseIso(q.get('from'));
      const hi = parseIso(q.get('to'));
      if (lo === null || hi === null) notices.push("The link's time window is not a pair of ISO 8601 times.");
      else if (hi <= lo) notices.push("The link's window ends before it starts.");
      else if (hi <= WHOLE[0] || lo >= WHOLE[1]) notices.push("The link's window is outside the story.");
      else setWindow(Math.floor(lo / HOUR) * HOUR, Math.ceil(hi / HOUR) * HOUR);
    }
    if (q.has('story')) {
      if (D.story.narratives.some(n => n.id === q.get('story'))) state.narrative = q.get('story');
      else notices.push('The link names a story that this page does not hold.');
    }
    if (q.has('event')) {
      if (byId.has(q.get('event'))) state.selected = byId.get(q.get('event'));
      else notices.push(`The link names an event that is not in this page (${q.get('event').slice(0, 60)}).`);
    }
    const host = $('tm-filters');
    host.textContent = `Filters: ${D.about.filters} · the story runs ${D.about.story}`;
    if (notices.length) host.append(el('span', {class: 'tm-notice', role: 'status'}, ' · ' + notices.join(' ')));
  }

  // --- drawing it all -----------------------------------------------------------------------

  let pending = null;
  /** Redraw what the state shows, once per frame however many changes came in it. */
  function update(options) {
    const opts = Object.assign({}, pending || {}, options || {});
    if (pending) { pending = opts; return; }
    pending = opts;
    requestAnimationFrame(() => {
      const o = pending;
      pending = null;
      const shown = visible();
      renderControls(shown, o.slider);
      renderSteps();
      drawTimeline();
      drawMap(shown).then(() => {
        window.tmOverlay(overlaySpec(shown));
        renderCard(shown);
        if (o.scrollCard && window.innerWidth < 760) {
          const card = $('tm-card');
          const r = card.getBoundingClientRect();
          if (r.top < 0 || r.top > window.innerHeight * 0.6) card.scrollIntoView({block: 'start'});
        }
        if (!document.body.hasAttribute('data-tm-ready')) performance.mark('tm-ready');
        document.body.setAttribute('data-tm-ready', 'true');
      });
      writeFragment();
    });
  }

  function start() {
    $('tm-credit').textContent = `Base map and places: ${D.about.credit}`;
    $('tm-foot').textContent = `Made on ${D.about.made} with timeline-map. ` +
      `${D.about.holds}. This page holds everything it shows and fetches nothing.`;
    setWindow(D.view.window[0], D.view.window[1]);
    state.narrative = D.view.narrative;
    readFragment();
    setupControls();
    renderCard(new Uint8Array(N));
    update();
    window.addEventListener('hashchange', () => {
      if (location.hash === lastHash) return;
      state.selected = null;
      readFragment();
      if (state.selected !== null) windowAround(state.selected);
      update();
    });
  }
  if (typeof Plotly === 'undefined') {
    $('tm-card').textContent = 'The page could not start: its plotly.js is missing.';
  } else {
    start();
  }
})();
