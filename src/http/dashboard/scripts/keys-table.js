// The keys table: one page of keys from `GET /api/keys` (the server filters, sorts and pages, so the
// page renders at most `per_page` rows however many keys the pool has), its search box, filters,
// sortable headers and pager, and the row actions (block, unblock, disable, enable).
/* global AK, document, prompt, confirm, setTimeout, clearTimeout */
'use strict';

const SEARCH_DEBOUNCE_MS = 250;
let lastKeys = { total: 0, page: 1, per_page: 50 };
const seenModels = new Set();

async function keyAction(name, action) {
  let body = {};
  if (action === 'disable') {
    const reason = prompt('Why disable ' + name + '?', 'disabled by an operator');
    if (reason === null) return;
    if (reason.trim()) body = { reason: reason.trim().slice(0, 500) };
  }
  if (action === 'block') {
    const minutes = prompt('Block ' + name + ' for how many minutes? (empty = the default)', '');
    if (minutes === null) return;
    const n = Number(minutes);
    if (minutes.trim() && !(Number.isFinite(n) && n > 0)) {
      AK.showMessage(name + ': block needs a positive number of minutes, not "' + minutes + '".', true);
      return;
    }
    if (minutes.trim()) body = { seconds: Math.round(n * 60) };
  }
  try {
    await AK.api('/api/keys/' + encodeURIComponent(name) + '/' + action, { method: 'POST', body: body });
    AK.showMessage(name + ': ' + action + ' done.', false);
  } catch (e) {
    AK.showMessage(name + ': ' + action + ' failed: ' + e.message, true);
  }
  AK.refreshNow();
}

function actionsCell(k) {
  const actions = AK.el('div');
  const blocked = k.status === 'temporarily_blocked';
  if (blocked) actions.appendChild(AK.button('Unblock', () => keyAction(k.name, 'unblock')));
  else if (k.status !== 'disabled') actions.appendChild(AK.button('Block', () => keyAction(k.name, 'block')));
  if (k.status === 'disabled') actions.appendChild(AK.button('Enable', () => keyAction(k.name, 'enable')));
  else actions.appendChild(AK.button('Disable', () => keyAction(k.name, 'disable')));
  return actions;
}

function keyRow(k) {
  const blocked = k.status === 'temporarily_blocked';
  const reason =
    blocked && k.temporary_block_until ? 'until ' + AK.when(k.temporary_block_until) : k.disabled_reason;
  const lastUsed = AK.agoSpan(k.last_used_at);
  const name = AK.button(k.name, () => AK.openKeyDetail(k.name));
  name.className = 'link';
  name.title = 'Details of ' + k.name;
  const tr = AK.row([
    name,
    k.account,
    k.provider,
    k.model,
    AK.badge(k.status, reason),
    AK.quotaBar(k.used_today, k.daily_limit),
    k.consecutive_failures,
    lastUsed,
    actionsCell(k),
  ]);
  tr.lastChild.className = 'actions';
  return tr;
}

AK.renderKeys = function (data) {
  lastKeys = data;
  for (const k of data.keys) seenModels.add(k.model);
  AK.setOptions(AK.$('#keys-model'), [...seenModels].sort(), AK.view.model);
  const filtered = AK.view.q || AK.view.status || AK.view.provider || AK.view.model;
  AK.patchRows(
    AK.$('#keys-table tbody'),
    data.keys,
    (k) => k.name,
    keyRow,
    filtered
      ? 'No key matches these filters.'
      : 'No keys: add KEY_N lines to the env file and run `aikeys import`.',
    9,
  );
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  const first = data.total === 0 ? 0 : (data.page - 1) * data.per_page + 1;
  const last = Math.min(data.total, data.page * data.per_page);
  AK.$('#keys-range').textContent =
    AK.fmt(first) +
    '–' +
    AK.fmt(last) +
    ' of ' +
    AK.fmt(data.total) +
    (filtered ? ' matching' : '') +
    ' keys';
  AK.$('#keys-page-of').textContent = 'Page ' + AK.fmt(data.page) + ' of ' + AK.fmt(pages);
  AK.$('#keys-first').disabled = AK.$('#keys-prev').disabled = data.page <= 1;
  AK.$('#keys-next').disabled = AK.$('#keys-last').disabled = data.page >= pages;
  // Keys went away (a filter elsewhere, a removal) and this page is now past the end: show the last one.
  if (data.total > 0 && data.page > pages) {
    AK.setView({ page: pages });
    AK.refreshNow();
  }
};

/** Every model the pool has keys for (GET /api/models), not only those on the page shown. */
AK.setModels = function (data) {
  for (const m of data.models) seenModels.add(m.model);
  AK.setOptions(AK.$('#keys-model'), [...seenModels].sort(), AK.view.model);
};

/** Providers come from the accounts (every key belongs to one). */
AK.setProviders = function (providers) {
  AK.setOptions(AK.$('#keys-provider'), providers, AK.view.provider);
};

function showView() {
  const v = AK.view;
  const search = AK.$('#keys-search');
  if (document.activeElement !== search) search.value = v.q;
  AK.$('#keys-status').value = v.status;
  AK.setOptions(
    AK.$('#keys-provider'),
    [...AK.$('#keys-provider').options].slice(1).map((o) => o.value),
    v.provider,
  );
  AK.setOptions(AK.$('#keys-model'), [...seenModels].sort(), v.model);
  AK.$('#keys-per-page').value = String(v.per_page);
  for (const th of document.querySelectorAll('#keys-table th[data-sort]')) {
    const active = th.dataset.sort === v.sort;
    th.setAttribute('aria-sort', active ? (v.order === 'asc' ? 'ascending' : 'descending') : 'none');
  }
}
AK.showKeysView = showView;

function change(changes) {
  AK.setView(changes);
  showView();
  AK.refreshNow();
}

let searchTimer = null;
AK.$('#keys-search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  const value = e.target.value.slice(0, 100);
  // Debounced: one request when the operator pauses, not one per keystroke.
  searchTimer = setTimeout(() => change({ q: value.trim() }), SEARCH_DEBOUNCE_MS);
});
AK.$('#keys-filters').addEventListener('submit', (e) => e.preventDefault());
AK.$('#keys-status').addEventListener('change', (e) => change({ status: e.target.value }));
AK.$('#keys-provider').addEventListener('change', (e) => change({ provider: e.target.value }));
AK.$('#keys-model').addEventListener('change', (e) => change({ model: e.target.value }));
AK.$('#keys-per-page').addEventListener('change', (e) => change({ per_page: Number(e.target.value) }));
AK.$('#keys-clear').addEventListener('click', () => {
  AK.$('#keys-search').value = '';
  change({ q: '', status: '', provider: '', model: '' });
});
const pages = () => Math.max(1, Math.ceil(lastKeys.total / lastKeys.per_page));
AK.$('#keys-first').addEventListener('click', () => change({ page: 1 }));
AK.$('#keys-prev').addEventListener('click', () => change({ page: Math.max(1, AK.view.page - 1) }));
AK.$('#keys-next').addEventListener('click', () => change({ page: Math.min(pages(), AK.view.page + 1) }));
AK.$('#keys-last').addEventListener('click', () => change({ page: pages() }));
for (const th of document.querySelectorAll('#keys-table th[data-sort]')) {
  th.tabIndex = 0;
  th.title = 'Sort by this column';
  const sortBy = () => {
    const same = AK.view.sort === th.dataset.sort;
    change({ sort: th.dataset.sort, order: same && AK.view.order === 'asc' ? 'desc' : 'asc' });
  };
  th.addEventListener('click', sortBy);
  th.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      sortBy();
    }
  });
}

AK.$('#reset-daily').addEventListener('click', async () => {
  if (!confirm("Zero every key's daily usage now?")) return;
  try {
    const r = await AK.api('/api/reset-daily', { method: 'POST', body: {} });
    AK.showMessage('Daily counters reset on ' + r.keys_reset + ' keys.', false);
  } catch (e) {
    AK.showMessage('Reset failed: ' + e.message, true);
  }
  AK.refreshNow();
});
