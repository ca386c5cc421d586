// Loads every panel and refreshes them every few seconds. One refresh at a time: a tick that finds
// the last one still running is skipped (a slow server gets no pile of requests), and a change the
// operator makes meanwhile runs one more refresh right after. Nothing runs while the tab is hidden.
// A panel whose answer has not changed is left alone, so hover, focus, selection and scroll stay.
/* global AK, document, location, setInterval, window */
'use strict';

const REFRESH_MS = 5000;
const shown = new Map();
let inFlight = false;
let again = false;

/** Renders `data` unless this panel already shows the same answer (re-rendered at least each minute: "3 min ago"). */
function show(panel, data, render) {
  const text = Math.floor(Date.now() / 60000) + JSON.stringify(data);
  if (shown.get(panel) === text) return;
  shown.set(panel, text);
  render(data);
}

async function loadUsage() {
  const view = AK.view.range + AK.view.split + AK.view.metric;
  const paths = AK.usagePaths();
  const [totals, split] = await Promise.all([
    AK.api(paths.totals),
    paths.split ? AK.api(paths.split) : Promise.resolve(null),
  ]);
  // The operator changed the chart meanwhile: the refresh that follows draws the new one.
  if (view !== AK.view.range + AK.view.split + AK.view.metric) return;
  show('usage', { totals, split, metric: AK.view.metric }, (d) => AK.renderUsage(d.totals, d.split));
}

async function loadKeys() {
  const path = AK.keysPath();
  const data = await AK.api(path);
  if (path !== AK.keysPath()) return;
  show('keys', data, AK.renderKeys);
}

async function refresh() {
  const loads = [
    AK.api('/api/health').then((d) => show('health', d, AK.renderHealth)),
    AK.api('/api/accounts').then((d) => show('accounts', d, AK.renderAccounts)),
    AK.api('/api/models').then((d) => show('models', d, AK.setModels)),
    loadKeys(),
    loadUsage(),
    AK.api('/api/failures?limit=50').then((d) => show('failures', d, AK.renderFailures)),
    AK.api('/api/settings').then((d) => show('settings', d, AK.renderSettings)),
  ];
  const results = await Promise.allSettled(loads);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed && failed.reason.status === 401) {
    // No session, or it expired: sign in again.
    AK.showMessage('Signed out: sign in again.', true);
    location.assign('/sign-in');
  } else if (failed) AK.showMessage('Could not load: ' + failed.reason.message, true);
  else if (AK.$('#message').classList.contains('error')) AK.showMessage('', false);
  showUpdated();
}

function showUpdated() {
  AK.$('#updated').textContent = document.hidden
    ? 'Paused while this tab is hidden'
    : 'Updated ' + new Date().toLocaleTimeString();
}

/** Refreshes now, or right after the refresh under way (never two at once). */
AK.refreshNow = function () {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  again = false;
  refresh()
    .catch((e) => AK.showMessage('Could not refresh: ' + e.message, true))
    .finally(() => {
      inFlight = false;
      if (again) AK.refreshNow();
    });
};

function showView() {
  AK.showKeysView();
  AK.showUsageView();
}

// Someone edited the address or went back: read the view from it again.
window.addEventListener('hashchange', () => {
  AK.view = AK.readView();
  showView();
  AK.refreshNow();
});
document.addEventListener('visibilitychange', () => {
  if (document.hidden) showUpdated();
  else AK.refreshNow();
});
setInterval(() => {
  if (!document.hidden && !inFlight) AK.refreshNow();
}, REFRESH_MS);
showView();
AK.refreshNow();
