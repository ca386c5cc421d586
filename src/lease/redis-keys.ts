/**
 * Every Redis key the lease engine uses, from one builder. The layout version (`v4`: packed key (with its slow-start proof) and
 * account strings, lease records and expiries inside the lease ids) is in the name, so a Redis that still holds
 * an older layout is simply seen as empty and hydrated from Postgres. The prefix is a hash tag (`{aikeys}`),
 * so all keys share one Redis Cluster slot and a script may touch any of them. Keys derived inside
 * the scripts (per key, per account, per provider) extend `base`; see lua/includes/context.lua.
 */
export interface LeaseKeys {
  /** Prefix for the keys the scripts derive: `${prefix}:lease:v4:`. */
  readonly base: string;
  readonly meta: string;
  readonly leases: string;
  readonly blocked: string;
  readonly probes: string;
  /** Short lock so that only one replica hydrates after Redis lost the state. */
  readonly hydrateLock: string;
  /** Key writes Postgres has not taken yet, `<kind>:<keyId>` -> version (unwritten-keys.ts). */
  readonly unwritten: string;
  /** The four fixed KEYS every script starts with, in order (release adds the usage stream). */
  readonly scriptKeys: readonly string[];
  key(keyId: number | string): string;
  account(accountId: number | string): string;
}

export function leaseKeys(prefix: string): LeaseKeys {
  const base = `${prefix}:lease:v4:`;
  const meta = `${base}meta`;
  const leases = `${base}leases`;
  const blocked = `${base}blocked`;
  const probes = `${base}probes`;
  return {
    base,
    meta,
    leases,
    blocked,
    probes,
    hydrateLock: `${base}hydrate-lock`,
    unwritten: `${base}unwritten`,
    scriptKeys: [meta, leases, blocked, probes],
    key: (keyId) => `${base}k:${keyId}`,
    account: (accountId) => `${base}a:${accountId}`,
  };
}

/**
 * The Redis stream one streamed job's reply travels through, worker to front door, by job id:
 * under the deployment prefix (its hash tag keeps it in the queue's Cluster slot, so one XREAD can
 * follow many replies at once). Versioned like the lease layout.
 */
export function replyStreamKey(prefix: string, jobId: string): string {
  return `${prefix}:reply:v1:${jobId}`;
}
