/**
 * The configuration as the dashboard's settings panel may show it: every setting by its
 * env-file name, with the master key reduced to "configured"/"not configured" (previous ones to a count), the admin token never
 * present, and any password or credential-looking query value in a URL masked.
 */
import type { AikeysConfig } from '../config/types.js';

export interface SettingEntry {
  readonly name: string;
  readonly value: string | number | boolean | null;
}

const CREDENTIAL_PARAM = /pass|secret|token|key|auth|cred/i;
const MASK = '***';

/** A URL with its password and credential-looking query values replaced by `***`. */
export function maskUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not parseable, so we cannot tell which part is a credential: show nothing of it.
    return '(set; not shown: not a valid URL)';
  }
  if (url.password !== '') url.password = MASK;
  for (const name of [...url.searchParams.keys()]) {
    if (CREDENTIAL_PARAM.test(name)) url.searchParams.set(name, MASK);
  }
  // URL encodes `*`; show the mask as written.
  return url.toString().replaceAll('%2A%2A%2A', MASK);
}

export interface SettingsView {
  readonly config_file: string;
  readonly keys_configured: number;
  readonly accounts_configured: number;
  readonly system: readonly SettingEntry[];
  readonly services: readonly SettingEntry[];
  readonly providers: readonly { name: string; base_url: string | null; api: string }[];
  readonly legacy_notices: readonly { line: number; name: string; new_name: string; message: string }[];
}

export function settingsView(config: AikeysConfig, adminTokenSet: boolean): SettingsView {
  const s = config.system;
  const v = config.services;
  return {
    config_file: config.file,
    keys_configured: config.keys.length,
    accounts_configured: config.accounts.length,
    system: [
      { name: 'AI_ENCRYPTION_KEY', value: s.encryptionKey.length > 0 ? 'configured' : 'not configured' },
      // How many, never which: even a previous master key opens every envelope it sealed.
      { name: 'AI_ENCRYPTION_KEY_PREVIOUS', value: `${s.previousEncryptionKeys.length} configured` },
      { name: 'AI_DEFAULT_MODEL', value: s.defaultModel },
      { name: 'AI_FALLBACK_MODEL', value: s.fallbackModel },
      { name: 'AI_DAILY_QUOTA_PER_KEY', value: s.dailyQuotaPerKey },
      { name: 'AI_MAX_RETRIES', value: s.maxRetries },
      { name: 'AI_RETRY_DELAY_MS', value: s.retryDelayMs },
      { name: 'AI_CIRCUIT_BREAKER_THRESHOLD', value: s.circuitBreakerThreshold },
      { name: 'AI_BLOCK_SECONDS', value: s.blockSeconds },
      { name: 'AI_LEASE_TTL_MS', value: s.leaseTtlMs },
      { name: 'AI_KEY_MAX_CONCURRENCY', value: s.keyMaxConcurrency },
      { name: 'AI_KEY_PROBE_AFTER_MS', value: s.keyProbeAfterMs },
      { name: 'AI_PROVIDER_COOLDOWN_MS', value: s.providerCooldownMs },
      { name: 'AI_NO_KEY_WAIT_MS', value: s.noKeyWaitMs },
      { name: 'AI_REQUEST_TIMEOUT_MS', value: s.requestTimeoutMs },
      { name: 'AI_JOB_LOCK_MS', value: s.jobLockMs },
      { name: 'AI_STALLED_INTERVAL_MS', value: s.stalledIntervalMs },
      { name: 'AI_USAGE_CLAIM_AFTER_MS', value: s.usageClaimAfterMs },
      { name: 'AI_USAGE_BACKLOG_MAX', value: s.usageBacklogMax },
      { name: 'AI_WORKER_CONCURRENCY', value: s.workerConcurrency },
      { name: 'AI_ACCOUNT_DAILY_QUOTA', value: s.accountDailyQuota },
      { name: 'AI_ACCOUNT_MONTHLY_BUDGET', value: s.accountMonthlyBudget },
      { name: 'AI_PRICES_FILE', value: s.pricesFile ?? null },
    ],
    services: [
      { name: 'REDIS_URL', value: maskUrl(v.redisUrl) },
      { name: 'DATABASE_URL', value: maskUrl(v.databaseUrl) },
      { name: 'AIKEYS_PREFIX', value: v.prefix },
      { name: 'AIKEYS_QUEUE', value: v.queueName },
      { name: 'HOST', value: v.host },
      { name: 'PORT', value: v.port },
      { name: 'LOG_LEVEL', value: v.logLevel },
      // Whether auth is on, from what the server enforces; the token itself is never shown.
      { name: 'AIKEYS_ADMIN_TOKEN', value: adminTokenSet ? 'configured' : 'not configured' },
    ],
    providers: Object.values(config.providers)
      .map((p) => ({ name: p.name, base_url: maskUrl(p.baseUrl), api: p.api }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    legacy_notices: config.legacy.map((n) => ({
      line: n.line,
      name: n.name,
      new_name: n.newName,
      message: n.message,
    })),
  };
}
