// One key in detail (`GET /api/keys/:name`), in a dialog opened from its name in the keys table:
// its settings and state, its calls today and over the last 7 days, and its recent failures.
/* global AK */
'use strict';

function totalsBlock(title, t) {
  const box = AK.el('div', undefined, 'card');
  box.appendChild(AK.el('div', title, 'label'));
  const rows = [
    ['requests', AK.fmt(t.requests)],
    ['tokens', AK.fmt(t.tokens)],
    ['cost', '$' + Number(t.cost).toFixed(4)],
    ['errors', AK.fmt(t.errors)],
  ];
  for (const [k, v] of rows) {
    const line = AK.el('div');
    line.append(AK.el('b', v), ' ' + k);
    box.appendChild(line);
  }
  return box;
}

function renderDetail(data) {
  const k = data.key;
  const facts = [
    ['Account', k.account + ' (priority ' + k.priority + ')'],
    ['Provider / model', k.provider + ' / ' + k.model],
    ['Daily limit', k.daily_limit === null ? 'none' : AK.fmt(k.daily_limit) + ' tokens'],
    ['Used today', AK.fmt(k.used_today) + ' tokens'],
    ['Max concurrency', k.max_concurrency === null ? 'unlimited' : AK.fmt(k.max_concurrency)],
    ['Consecutive failures', AK.fmt(k.consecutive_failures)],
    ['Last used', AK.when(k.last_used_at)],
  ];
  if (k.temporary_block_until) facts.push(['Blocked until', AK.when(k.temporary_block_until)]);
  if (k.disabled_reason) facts.push(['Disabled because', k.disabled_reason]);
  const list = AK.el('dl', undefined, 'facts');
  for (const [term, value] of facts) list.append(AK.el('dt', term), AK.el('dd', value));
  const stats = AK.el('div', undefined, 'cards');
  stats.append(totalsBlock('Today', k.today), totalsBlock('Last 7 days', k.last_7_days));
  const failures = AK.el('table');
  const head = AK.row(['When', 'Status', 'Error', 'Client']);
  failures.appendChild(AK.el('thead')).appendChild(head);
  const body = failures.appendChild(AK.el('tbody'));
  AK.fill(
    body,
    data.recent_failures.map((f) =>
      AK.row([AK.when(f.at), f.status === 0 ? 'no response' : f.status, f.error, f.client || '—']),
    ),
    'No recent failures.',
    4,
  );
  AK.$('#key-detail-body').replaceChildren(
    AK.badge(k.status),
    list,
    stats,
    AK.el('h3', 'Recent failures'),
    failures,
  );
}

AK.openKeyDetail = async function (name) {
  const dialog = AK.$('#key-detail');
  AK.$('#key-detail-title').textContent = name;
  AK.$('#key-detail-body').replaceChildren(AK.el('p', 'Loading…', 'muted'));
  if (!dialog.open) dialog.showModal();
  try {
    renderDetail(await AK.api('/api/keys/' + encodeURIComponent(name)));
  } catch (e) {
    AK.$('#key-detail-body').replaceChildren(AK.el('p', 'Could not load ' + name + ': ' + e.message, 'bad'));
  }
};

AK.$('#key-detail-close').addEventListener('click', () => AK.$('#key-detail').close());
