// Shared helpers of the dashboard's script (the page joins scripts/*.js, in the order routes/dashboard.ts
// lists them, inside one function that declares `AK`, the namespace they share). Values reach the
// page only through textContent / setAttribute (never innerHTML): key reasons and failure messages
// quote provider errors. The script never sees the admin token: the browser holds an HttpOnly
// session cookie, which fetch sends by itself (same origin).
/* global AK, document, fetch, Node */
'use strict';

AK.$ = (sel) => document.querySelector(sel);

AK.showMessage = function (text, isError) {
  const el = AK.$('#message');
  el.textContent = text;
  el.className = isError ? 'error' : '';
  el.hidden = !text;
};

/** JSON from the admin API; a failure carries the API's error code and the HTTP status. */
AK.api = async function (path, options) {
  const headers = { accept: 'application/json' };
  if (options && options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: (options && options.method) || 'GET',
    credentials: 'same-origin',
    headers: headers,
    body: options && options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = (data && data.error) || { code: 'HTTP_' + res.status, message: res.statusText };
    const e = new Error(err.message);
    e.code = err.code;
    e.status = res.status;
    throw e;
  }
  return data;
};

AK.el = function (tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
};

AK.row = function (cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c === null || c === undefined ? '—' : String(c);
    tr.appendChild(td);
  }
  return tr;
};

/** Replaces a tbody's rows, or shows one muted row saying why it is empty. */
AK.fill = function (tbody, rows, emptyText, colspan) {
  if (rows.length === 0) {
    const td = AK.el('td', emptyText, 'muted');
    td.colSpan = colspan;
    const tr = document.createElement('tr');
    tr.appendChild(td);
    rows = [tr];
  }
  tbody.replaceChildren(...rows);
};

/**
 * Brings a tbody to one row per item, rebuilding only rows whose item changed: a row the operator
 * is pointing at or has focused stays the same element through a refresh, so a click on its button
 * is not lost to a re-render under load. "… ago" cells (AK.agoSpan) are brought up to date in place.
 */
AK.patchRows = function (tbody, items, idOf, build, emptyText, colspan) {
  if (items.length === 0) {
    AK.fill(tbody, [], emptyText, colspan);
    return;
  }
  const old = new Map();
  for (const tr of tbody.children) if (tr.dataset.id) old.set(tr.dataset.id, tr);
  const rows = items.map((item) => {
    const id = idOf(item);
    const sig = JSON.stringify(item);
    const tr = old.get(id);
    if (tr && tr.dataset.sig === sig) return tr;
    const fresh = build(item);
    fresh.dataset.id = id;
    fresh.dataset.sig = sig;
    return fresh;
  });
  // Stale rows go first, so the rows kept never move (moving a node would take its focus).
  const keep = new Set(rows);
  for (const tr of [...tbody.children]) if (!keep.has(tr)) tr.remove();
  rows.forEach((tr, i) => {
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
  });
  for (const span of tbody.querySelectorAll('[data-ago]')) {
    const text = AK.ago(span.dataset.ago);
    if (span.textContent !== text) span.textContent = text;
  }
};

AK.fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '—');
AK.when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** "3 min ago": how long ago, for recent events (the full time is the cell's tooltip). */
AK.ago = function (iso) {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
};

/** A "3 min ago" cell with the full time as its tooltip; AK.patchRows keeps its text current. */
AK.agoSpan = function (iso) {
  const span = AK.el('span', AK.ago(iso));
  if (iso) {
    span.title = AK.when(iso);
    span.dataset.ago = iso;
  }
  return span;
};

/** 1234 -> "1.2k", 5600000 -> "5.6M": axis labels that stay short. */
AK.compact = function (n) {
  const abs = Math.abs(n);
  const trim = (x) => (x >= 10 ? Math.round(x).toString() : (Math.round(x * 10) / 10).toString());
  if (abs >= 1e9) return trim(n / 1e9) + 'G';
  if (abs >= 1e6) return trim(n / 1e6) + 'M';
  if (abs >= 1e3) return trim(n / 1e3) + 'k';
  return abs > 0 && abs < 1 ? n.toFixed(2) : trim(n);
};

AK.badge = function (status, reason) {
  const wrap = document.createElement('div');
  wrap.appendChild(AK.el('span', status.replace('_', ' '), 'badge ' + status));
  if (reason) wrap.appendChild(AK.el('span', reason, 'reason'));
  return wrap;
};

AK.quotaBar = function (used, limit) {
  const wrap = AK.el('div', undefined, 'quota');
  if (limit === null || limit === undefined) {
    wrap.appendChild(AK.el('span', AK.fmt(used) + ' (no quota)', 'bar-text'));
    return wrap;
  }
  const ratio = limit > 0 ? Math.min(1, used / limit) : 1;
  const bar = AK.el('div', undefined, 'bar' + (ratio >= 0.9 ? ' bad' : ratio >= 0.7 ? ' warn' : ''));
  const fillEl = document.createElement('span');
  fillEl.style.width = (ratio * 100).toFixed(1) + '%';
  bar.appendChild(fillEl);
  wrap.appendChild(bar);
  wrap.appendChild(
    AK.el('span', AK.fmt(used) + ' / ' + AK.fmt(limit) + ' (' + Math.round(ratio * 100) + '%)', 'bar-text'),
  );
  return wrap;
};

AK.button = function (label, onClick) {
  const b = AK.el('button', label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
};

/** Fills a <select> with values (keeping its first "any" option and the current choice). */
AK.setOptions = function (select, values, current) {
  const wanted = [...new Set(values.concat(current ? [current] : []))].sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join('\n') !== wanted.join('\n')) {
    const first = select.options[0];
    select.replaceChildren(first, ...wanted.map((v) => Object.assign(AK.el('option', v), { value: v })));
  }
  select.value = current || '';
};
