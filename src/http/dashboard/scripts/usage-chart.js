// The usage chart: `GET /api/usage` in hour buckets (last 24 hours) or day buckets (last 30 days),
// one bar per bucket, optionally split by model or client into stacked, coloured parts. Drawn as
// plain SVG by this file (no library: the page loads nothing from elsewhere).
/* global AK, document */
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 760;
const H = 260;
const PAD = { left: 52, right: 12, top: 14, bottom: 34 };
// Colour-blind-safe palette (Okabe–Ito, reordered); groups past it share "other".
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442'];
const OTHER_COLOUR = '#8c959f';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The requests for the current view: totals per bucket, and the split when one is chosen. Without
 * from/to the API answers the last 24 hours (hour buckets) or the last 30 days (day buckets, days of
 * AI_TIMEZONE), which keeps the address the same from one refresh to the next.
 */
AK.usagePaths = function () {
  const v = AK.view;
  const base = '/api/usage?bucket=' + (v.range === '30d' ? 'day' : 'hour');
  return {
    totals: base + '&group_by=none',
    split: v.split === 'none' ? null : base + '&group_by=' + v.split,
  };
};

/** A step of 1, 2 or 5 times a power of ten giving about four gridlines up to max. */
function niceStep(max) {
  const raw = max / 4;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/**
 * Axis and tooltip text of a bucket. Hours come as the instant they start and are printed as that
 * time zone's clock; days come as YYYY-MM-DD, already a date of that zone, so they are read and
 * printed as UTC, where no offset can move them to the day before.
 */
function labeller(timeZone) {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = undefined; // A zone this browser does not know: its own.
  }
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  const day = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' });
  return (time) =>
    /^\d{4}-\d{2}-\d{2}$/.test(time)
      ? day.format(new Date(time + 'T00:00:00Z'))
      : hour.format(new Date(time));
}

/** Calls made without a client (jobs put on the queue directly) have none. */
function groupName(group) {
  return group === null || group === '' ? (AK.view.split === 'client' ? 'no client' : '(none)') : group;
}

function metricText(metric, value) {
  return metric === 'cost' ? '$' + value.toFixed(value >= 100 ? 0 : 2) : AK.fmt(value) + ' ' + metric;
}

/** Groups ordered by their total, largest first; those past the palette are merged as "other". */
function groupColours(rows, metric) {
  const sums = new Map();
  for (const r of rows) sums.set(r.group, (sums.get(r.group) || 0) + r[metric]);
  const ordered = [...sums.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
  const colours = new Map();
  ordered.forEach((g, i) => colours.set(g, i < COLOURS.length ? COLOURS[i] : OTHER_COLOUR));
  return { ordered, colours };
}

function drawAxes(chart, max, step, metric) {
  const plotH = H - PAD.top - PAD.bottom;
  for (let v = 0; v <= max + step / 2; v += step) {
    const y = PAD.top + plotH - (v / max) * plotH;
    chart.appendChild(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    const label = metric === 'cost' ? '$' + AK.compact(v) : AK.compact(v);
    chart.appendChild(svg('text', { x: PAD.left - 6, y: y + 3, 'text-anchor': 'end' }, label));
  }
}

AK.renderUsage = function (totalsData, splitData) {
  const v = AK.view;
  const metric = v.metric;
  const label = labeller(totalsData.time_zone);
  const times = totalsData.series.map((s) => s.time);
  const rows = splitData ? splitData.series : totalsData.series.map((s) => ({ ...s, group: null }));
  const { ordered, colours } = groupColours(rows, metric);
  const byTime = new Map(times.map((t) => [t, []]));
  for (const r of rows) (byTime.get(r.time) || byTime.set(r.time, []).get(r.time)).push(r);
  const stackTotal = (t) => byTime.get(t).reduce((n, r) => n + r[metric], 0);
  const peak = Math.max(0, ...times.map(stackTotal));
  const step = peak > 0 ? niceStep(peak) : 1;
  const max = peak > 0 ? Math.ceil(peak / step) * step : 4;

  const chart = svg('svg', {
    viewBox: '0 0 ' + W + ' ' + H,
    role: 'img',
    'aria-label': metric + ' per ' + totalsData.bucket,
  });
  drawAxes(chart, max, peak > 0 ? step : 1, metric);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, times.length);
  const every = Math.ceil(times.length / 8);
  times.forEach((t, i) => {
    const x = PAD.left + i * slot;
    let y = PAD.top + plotH;
    const parts = byTime.get(t).sort((a, b) => ordered.indexOf(a.group) - ordered.indexOf(b.group));
    for (const r of parts) {
      const h = (r[metric] / max) * plotH;
      if (h <= 0) continue;
      y -= h;
      const rect = svg('rect', {
        x: x + slot * 0.12,
        y: y,
        width: Math.max(1, slot * 0.76),
        height: h,
        fill: colours.get(r.group),
        class: 'col',
      });
      const who = splitData ? groupName(r.group) + ': ' : '';
      rect.appendChild(svg('title', {}, label(t) + ' — ' + who + metricText(metric, r[metric])));
      chart.appendChild(rect);
    }
    if (i % every === 0) {
      chart.appendChild(
        svg('text', { x: x + slot / 2, y: H - PAD.bottom + 16, 'text-anchor': 'middle' }, label(t)),
      );
    }
  });
  chart.appendChild(
    svg('line', { x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH, class: 'axis' }),
  );
  if (peak === 0) {
    chart.appendChild(
      svg(
        'text',
        { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, 'text-anchor': 'middle', class: 'empty' },
        'No requests in this window',
      ),
    );
  }
  AK.$('#usage-chart').replaceChildren(chart);

  const legend = (splitData ? ordered : []).slice(0, COLOURS.length).map((g) => {
    const item = AK.el('span', groupName(g), 'legend-item');
    const swatch = AK.el('i');
    swatch.style.background = colours.get(g);
    item.prepend(swatch);
    return item;
  });
  if (splitData && ordered.length > COLOURS.length) {
    const item = AK.el('span', ordered.length - COLOURS.length + ' more', 'legend-item');
    const swatch = AK.el('i');
    swatch.style.background = OTHER_COLOUR;
    item.prepend(swatch);
    legend.push(item);
  }
  AK.$('#usage-legend').replaceChildren(...legend);

  const t = totalsData.totals;
  const span = v.range === '30d' ? 'last 30 days' : 'last 24 hours';
  const facts = [
    ['Requests', AK.fmt(t.requests)],
    ['Tokens', AK.fmt(t.tokens)],
    ['Cost', '$' + Number(t.cost).toFixed(2)],
    [
      'Errors',
      AK.fmt(t.errors) + (t.requests ? ' (' + ((100 * t.errors) / t.requests).toFixed(1) + '%)' : ''),
    ],
  ].map(([k, val]) => {
    const item = AK.el('span', undefined, 'total');
    item.append(AK.el('b', val), ' ' + k.toLowerCase());
    return item;
  });
  AK.$('#usage-totals').replaceChildren(
    AK.el('span', span + ' (' + totalsData.time_zone + '):', 'muted'),
    ...facts,
  );
};

function showUsageView() {
  for (const b of document.querySelectorAll('#usage-range button')) {
    b.setAttribute('aria-pressed', String(b.dataset.range === AK.view.range));
  }
  AK.$('#usage-metric').value = AK.view.metric;
  AK.$('#usage-split').value = AK.view.split;
}
AK.showUsageView = showUsageView;

function change(changes) {
  AK.setView(changes);
  showUsageView();
  AK.refreshNow();
}
for (const b of document.querySelectorAll('#usage-range button')) {
  b.addEventListener('click', () => change({ range: b.dataset.range }));
}
AK.$('#usage-metric').addEventListener('change', (e) => change({ metric: e.target.value }));
AK.$('#usage-split').addEventListener('change', (e) => change({ split: e.target.value }));
