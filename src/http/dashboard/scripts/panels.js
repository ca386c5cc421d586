// The smaller panels: health counts, configuration status, recent failures, accounts and settings.
/* global AK */
'use strict';

AK.renderHealth = function (h) {
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
  if (h.keys_sealed_by_other_master_key)
    cards.push(['Need re-sealing', h.keys_sealed_by_other_master_key, 'bad']);
  AK.$('#health-cards').replaceChildren(
    ...cards.map(([label, value, cls]) => {
      const card = AK.el('div', undefined, 'card ' + cls);
      card.appendChild(AK.el('div', typeof value === 'number' ? AK.fmt(value) : value, 'value'));
      card.appendChild(AK.el('div', label, 'label'));
      return card;
    }),
  );
  AK.renderConfig(h.config);
};

function fact(term, value, className) {
  const dt = AK.el('dt', term);
  const dd = AK.el('dd', undefined, className);
  if (typeof value === 'string') dd.textContent = value;
  else dd.appendChild(value);
  return [dt, dd];
}

/** `config` of `/api/health`: the env file's last import, its last error, settings awaiting a restart. */
AK.renderConfig = function (c) {
  const list = AK.$('#config-status');
  if (!c) {
    list.replaceChildren(...fact('Status', 'not reported yet: no import has been recorded', 'muted'));
    return;
  }
  const items = [fact('File', c.file || '—', 'mono')];
  if (c.last_import_at) {
    items.push(fact('Last import', AK.agoSpan(c.last_import_at)));
  } else items.push(fact('Last import', 'none yet', 'muted'));
  const r = c.last_import;
  if (r) {
    const text = [
      r.added + ' added',
      r.changed + ' changed',
      r.disabled + ' disabled',
      r.unchanged + ' unchanged',
    ].join(', ');
    items.push(fact('Result', text, 'import-result'));
  }
  const e = c.last_error;
  if (e) {
    const where = e.file + (e.line === null || e.line === undefined ? '' : ':' + e.line);
    const box = AK.el('div');
    box.append(AK.el('div', where, 'mono'), AK.el('div', e.message), AK.el('div', AK.when(e.at), 'muted'));
    items.push(fact('Last error', box, 'bad config-error'));
  } else items.push(fact('Last error', 'none', 'ok'));
  const restart = c.restart_needed || [];
  items.push(
    fact(
      'Restart needed',
      restart.length ? restart.join(', ') + ' (changed in the file; a restart applies them)' : 'no',
      restart.length ? 'warn restart-needed' : 'ok',
    ),
  );
  list.replaceChildren(...items.flat());
};

AK.renderFailures = function (data) {
  const build = (f) => {
    const at = AK.agoSpan(f.at);
    const error = AK.el('span', f.error || '—', 'error-text');
    error.title = (f.error || '') + (f.job_id ? '\njob ' + f.job_id + ', attempt ' + f.attempt : '');
    return AK.row([at, f.key, f.model, f.status === 0 ? 'no response' : f.status, error, f.client || '—']);
  };
  // A failure is identified by its call: the job, its attempt, the key and the time.
  const idOf = (f) => [f.at, f.key, f.job_id, f.attempt].join(' ');
  AK.patchRows(AK.$('#failures-table tbody'), data.failures, idOf, build, 'No failed calls recently.', 6);
};

AK.renderAccounts = function (data) {
  const rows = data.accounts.map((a) =>
    AK.row([
      a.name,
      a.provider,
      a.priority,
      AK.badge(a.status),
      AK.fmt(a.active_keys) + ' / ' + AK.fmt(a.total_keys),
      AK.quotaBar(a.used_today, a.daily_quota),
    ]),
  );
  AK.fill(AK.$('#accounts-table tbody'), rows, 'No accounts: run `aikeys import`.', 6);
  AK.setProviders([...new Set(data.accounts.map((a) => a.provider))]);
};

AK.renderSettings = function (s) {
  // The declaration's description as a tooltip, and whether changing it needs a restart.
  const entries = (list) =>
    list.map((e) => {
      const tr = AK.row([e.name, e.value]);
      tr.title = e.description + (e.reloadable ? '' : ' (takes effect after a restart)');
      return tr;
    });
  AK.fill(AK.$('#settings-system tbody'), entries(s.system), '—', 2);
  AK.fill(AK.$('#settings-services tbody'), entries(s.services), '—', 2);
  AK.fill(
    AK.$('#settings-providers tbody'),
    s.providers.map((p) => AK.row([p.name, p.base_url || '(default)', p.api])),
    'None',
    3,
  );
  AK.$('#settings-file').textContent =
    'Config file: ' +
    s.config_file +
    ' (' +
    s.keys_configured +
    ' keys, ' +
    s.accounts_configured +
    ' accounts)';
};
