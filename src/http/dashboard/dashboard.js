// The admin dashboard's script: fetches the JSON routes and renders them. Values reach the page only
// through textContent / setAttribute (never innerHTML), since key reasons quote provider errors.
// It never sees the admin token: the browser signed in through /sign-in and holds an HttpOnly
// session cookie, which fetch sends by itself (same origin).
/* global document, location, fetch, Node, prompt, confirm, setInterval */
'use strict';
(function () {
  const REFRESH_MS = 10000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (sel) => document.querySelector(sel);

  function showMessage(text, isError) {
    const el = $('#message');
    el.textContent = text;
    el.className = isError ? 'error' : '';
    el.hidden = !text;
  }

  async function api(path, options) {
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
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      if (c instanceof Node) td.appendChild(c);
      else td.textContent = c === null || c === undefined ? '—' : String(c);
      tr.appendChild(td);
    }
    return tr;
  }

  function fill(tbody, rows, emptyText, colspan) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      const td = el('td', emptyText, 'muted');
      td.colSpan = colspan;
      const tr = document.createElement('tr');
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    for (const r of rows) tbody.appendChild(r);
  }

  const fmt = (n) => (typeof n === 'number' ? n.toLocaleString() : '—');
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

  function quotaBar(used, limit) {
    const wrap = document.createElement('div');
    if (limit === null || limit === undefined) {
      wrap.appendChild(el('span', fmt(used) + ' (no quota)', 'bar-text'));
      return wrap;
    }
    const ratio = limit > 0 ? Math.min(1, used / limit) : 1;
    const bar = el('div', undefined, 'bar' + (ratio >= 0.9 ? ' bad' : ratio >= 0.7 ? ' warn' : ''));
    const fillEl = document.createElement('span');
    fillEl.style.width = (ratio * 100).toFixed(1) + '%';
    bar.appendChild(fillEl);
    wrap.appendChild(bar);
    wrap.appendChild(
      el('span', fmt(used) + ' / ' + fmt(limit) + ' (' + Math.round(ratio * 100) + '%)', 'bar-text'),
    );
    return wrap;
  }

  function badge(status, reason) {
    const wrap = document.createElement('div');
    wrap.appendChild(el('span', status.replace('_', ' '), 'badge ' + status));
    if (reason) wrap.appendChild(el('span', reason, 'reason'));
    return wrap;
  }

  function renderHealth(h) {
    const cards = [
      ['Status', h.healthy ? 'healthy' : 'unhealthy', h.healthy ? 'ok' : 'bad'],
      ['Total keys', h.total_keys, ''],
      ['Active', h.active_keys, h.active_keys > 0 ? 'ok' : 'bad'],
      ['Blocked', h.blocked_keys, h.blocked_keys > 0 ? 'warn' : ''],
      ['Exhausted', h.exhausted_keys, h.exhausted_keys > 0 ? 'warn' : ''],
      ['Disabled', h.disabled_keys, h.disabled_keys > 0 ? 'bad' : ''],
      ['Accounts', h.accounts, ''],
      ['Encryption', h.encryption_enabled ? 'enabled' : 'not set up', h.encryption_enabled ? 'ok' : 'bad'],
    ];
    if (h.keys_sealed_by_other_master_key) {
      cards.push(['Need re-sealing', h.keys_sealed_by_other_master_key, 'bad']);
    }
    $('#health-cards').replaceChildren(
      ...cards.map(([label, value, cls]) => {
        const card = el('div', undefined, 'card ' + cls);
        card.appendChild(el('div', typeof value === 'number' ? fmt(value) : value, 'value'));
        card.appendChild(el('div', label, 'label'));
        return card;
      }),
    );
  }

  function renderAccounts(data) {
    const rows = data.accounts.map((a) =>
      row([
        a.name,
        a.provider,
        a.priority,
        badge(a.status),
        a.active_keys + ' / ' + a.total_keys,
        quotaBar(a.used_today, a.daily_quota),
      ]),
    );
    fill($('#accounts-table tbody'), rows, 'No accounts: run `aikeys import`.', 6);
  }

  function actionButton(label, onClick) {
    const b = el('button', label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  async function keyAction(name, action) {
    let body = {};
    if (action === 'disable') {
      const reason = prompt('Why disable ' + name + '?', 'disabled by an operator');
      if (reason === null) return;
      if (reason.trim()) body = { reason: reason.trim() };
    }
    if (action === 'block') {
      const minutes = prompt('Block ' + name + ' for how many minutes? (empty = the default)', '');
      if (minutes === null) return;
      if (minutes.trim()) body = { seconds: Math.round(Number(minutes) * 60) };
    }
    try {
      await api('/api/keys/' + encodeURIComponent(name) + '/' + action, { method: 'POST', body: body });
      showMessage(name + ': ' + action + ' done.', false);
    } catch (e) {
      showMessage(name + ': ' + action + ' failed: ' + e.message, true);
    }
    await refresh();
  }

  function renderKeys(data) {
    const rows = data.keys.map((k) => {
      const actions = el('div');
      const blocked = k.status === 'temporarily_blocked';
      if (blocked) actions.appendChild(actionButton('Unblock', () => keyAction(k.name, 'unblock')));
      else if (k.status !== 'disabled')
        actions.appendChild(actionButton('Block', () => keyAction(k.name, 'block')));
      if (k.status === 'disabled')
        actions.appendChild(actionButton('Enable', () => keyAction(k.name, 'enable')));
      else actions.appendChild(actionButton('Disable', () => keyAction(k.name, 'disable')));
      const reason =
        blocked && k.temporary_block_until ? 'until ' + when(k.temporary_block_until) : k.disabled_reason;
      const tr = row([
        k.name,
        k.account,
        k.provider,
        k.model,
        badge(k.status, reason),
        quotaBar(k.used_today, k.daily_limit),
        k.consecutive_failures,
        when(k.last_used_at),
        actions,
      ]);
      tr.lastChild.className = 'actions';
      return tr;
    });
    fill(
      $('#keys-table tbody'),
      rows,
      'No keys: add KEY_N lines to the env file and run `aikeys import`.',
      9,
    );
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderUsage(data) {
    const W = 960,
      H = 220,
      left = 56,
      bottom = 24,
      top = 10;
    const hours = data.hourly;
    const max = Math.max(1, ...hours.map((h) => h.tokens));
    const plotW = W - left - 8,
      plotH = H - top - bottom;
    const slot = plotW / Math.max(1, hours.length);
    const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Tokens per hour' });
    chart.appendChild(svg('text', { x: 4, y: top + 8 }, fmt(max)));
    chart.appendChild(svg('text', { x: 4, y: top + plotH }, '0'));
    hours.forEach((h, i) => {
      const barH = (h.tokens / max) * plotH;
      const x = left + i * slot + 1;
      const rect = svg('rect', {
        x: x,
        y: top + plotH - barH,
        width: Math.max(1, slot - 2),
        height: barH,
        class: 'bar-tokens',
      });
      rect.appendChild(
        svg(
          'title',
          {},
          h.hour + ': ' + fmt(h.tokens) + ' tokens, ' + h.requests + ' requests, ' + h.errors + ' errors',
        ),
      );
      chart.appendChild(rect);
      if (h.errors > 0)
        chart.appendChild(
          svg('rect', { x: x, y: top + plotH, width: Math.max(1, slot - 2), height: 3, class: 'bar-errors' }),
        );
      if (i % Math.ceil(hours.length / 12) === 0) {
        chart.appendChild(svg('text', { x: x, y: H - 6 }, h.hour.slice(11, 16)));
      }
    });
    $('#usage-chart').replaceChildren(chart);
    const rows = data.by_key.map((k) =>
      row([k.key, k.provider, fmt(k.requests), fmt(k.tokens), k.cost.toFixed(4), fmt(k.errors)]),
    );
    fill($('#usage-keys-table tbody'), rows, 'No requests in this window.', 6);
  }

  function renderSettings(s) {
    // The declaration's description as a tooltip, and whether changing it needs a restart.
    const entries = (list) =>
      list.map((e) => {
        const tr = row([e.name, e.value]);
        tr.title = e.description + (e.reloadable ? '' : ' (takes effect after a restart)');
        return tr;
      });
    fill($('#settings-system tbody'), entries(s.system), '—', 2);
    fill($('#settings-services tbody'), entries(s.services), '—', 2);
    fill(
      $('#settings-providers tbody'),
      s.providers.map((p) => row([p.name, p.base_url || '(default)', p.api])),
      'None',
      3,
    );
    $('#settings-file').textContent =
      'Config file: ' +
      s.config_file +
      ' (' +
      s.keys_configured +
      ' keys, ' +
      s.accounts_configured +
      ' accounts)';
  }

  async function refresh() {
    const jobs = [
      ['/api/health', renderHealth],
      ['/api/accounts', renderAccounts],
      ['/api/keys', renderKeys],
      ['/api/usage?hours=24', renderUsage],
      ['/api/settings', renderSettings],
    ];
    const results = await Promise.allSettled(jobs.map(([path, render]) => api(path).then(render)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && failed.reason.status === 401) {
      // No session, or it expired: sign in again.
      showMessage('Signed out: sign in again.', true);
      location.assign('/sign-in');
    } else if (failed) showMessage('Could not load: ' + failed.reason.message, true);
    else if ($('#message').classList.contains('error')) showMessage('', false);
    $('#updated').textContent = 'Last update: ' + new Date().toLocaleTimeString();
  }

  $('#reset-daily').addEventListener('click', async () => {
    if (!confirm("Zero every key's daily usage now?")) return;
    try {
      const r = await api('/api/reset-daily', { method: 'POST', body: {} });
      showMessage('Daily counters reset on ' + r.keys_reset + ' keys.', false);
    } catch (e) {
      showMessage('Reset failed: ' + e.message, true);
    }
    await refresh();
  });

  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
})();
