// What the operator is looking at (search, filters, page, sort, chart choices), kept in the address's
// hash: a refresh, a bookmark or a shared link opens the same view. Every value read from the hash
// is checked against what the page offers; anything else falls back to the default.
/* global AK, location, history, URLSearchParams */
'use strict';

AK.PAGE_SIZES = [25, 50, 100, 200];
AK.KEY_STATUSES = ['active', 'temporarily_blocked', 'exhausted', 'disabled'];
AK.SORTS = ['name', 'used_today', 'last_used_at', 'status'];

const DEFAULT_VIEW = Object.freeze({
  q: '',
  status: '',
  provider: '',
  model: '',
  page: 1,
  per_page: 50,
  sort: 'name',
  order: 'asc',
  range: '24h',
  metric: 'tokens',
  split: 'none',
});

function oneOf(value, allowed, fallback) {
  return allowed.includes(value) ? value : fallback;
}

/** Names of providers, models and accounts: printable, short. */
function plainName(value) {
  return typeof value === 'string' && /^[\x20-\x7e]{1,100}$/.test(value) ? value : '';
}

AK.readView = function () {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  const page = Number(p.get('page'));
  const perPage = Number(p.get('per_page'));
  return {
    q: (p.get('q') || '').slice(0, 100),
    status: oneOf(p.get('status'), AK.KEY_STATUSES, ''),
    provider: plainName(p.get('provider')),
    model: plainName(p.get('model')),
    page: Number.isInteger(page) && page >= 1 && page <= 100000 ? page : 1,
    per_page: AK.PAGE_SIZES.includes(perPage) ? perPage : DEFAULT_VIEW.per_page,
    sort: oneOf(p.get('sort'), AK.SORTS, DEFAULT_VIEW.sort),
    order: oneOf(p.get('order'), ['asc', 'desc'], DEFAULT_VIEW.order),
    range: oneOf(p.get('range'), ['24h', '30d'], DEFAULT_VIEW.range),
    metric: oneOf(p.get('metric'), ['tokens', 'requests', 'cost', 'errors'], DEFAULT_VIEW.metric),
    split: oneOf(p.get('split'), ['none', 'model', 'client'], DEFAULT_VIEW.split),
  };
};

AK.view = AK.readView();

/** Changes the view (a filter change goes back to page 1) and writes the non-default parts to the hash. */
AK.setView = function (changes) {
  const filterChanged = ['q', 'status', 'provider', 'model', 'per_page', 'sort', 'order'].some(
    (k) => k in changes && changes[k] !== AK.view[k],
  );
  AK.view = Object.assign({}, AK.view, filterChanged && !('page' in changes) ? { page: 1 } : {}, changes);
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(AK.view)) if (v !== DEFAULT_VIEW[k]) p.set(k, String(v));
  const hash = p.toString();
  // replaceState: no history entry per keystroke, and no hashchange event back to us.
  history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
};

/** The keys request for the current view. */
AK.keysPath = function () {
  const v = AK.view;
  const p = new URLSearchParams({ page: v.page, per_page: v.per_page, sort: v.sort, order: v.order });
  for (const k of ['q', 'status', 'provider', 'model']) if (v[k]) p.set(k, v[k]);
  return '/api/keys?' + p.toString();
};
