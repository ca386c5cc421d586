/**
 * Every Redis key the lease engine uses, from one builder. Layout version `v1` is in the name so a
 * future layout can live beside this one during an upgrade. The prefix is a hash tag (`{aikeys}`),
 * so all keys share one Redis Cluster slot and a script may touch any of them. Keys derived inside
 * the scripts (per key, per account, per provider) extend `base`; see lua/includes/common.lua.
 */
export interface LeaseKeys {
  /** Prefix for the keys the scripts derive: `${prefix}:lease:v1:`. */
  readonly base: string;
  readonly meta: string;
  readonly leases: string;
  readonly leaseData: string;
  readonly blocked: string;
  readonly probes: string;
  /** Short lock so that only one replica hydrates after Redis lost the state. */
  readonly hydrateLock: string;
  /** The five fixed KEYS every script takes, in order. */
  readonly scriptKeys: readonly string[];
  key(keyId: number | string): string;
  account(accountId: number | string): string;
  providerBreaker(provider: string): string;
  readySet(provider: string, accountId: number | string, model: string | null): string;
}

export function leaseKeys(prefix: string): LeaseKeys {
  const base = `${prefix}:lease:v1:`;
  const meta = `${base}meta`;
  const leases = `${base}leases`;
  const leaseData = `${base}leasedata`;
  const blocked = `${base}blocked`;
  const probes = `${base}probes`;
  return {
    base,
    meta,
    leases,
    leaseData,
    blocked,
    probes,
    hydrateLock: `${base}hydrate-lock`,
    scriptKeys: [meta, leases, leaseData, blocked, probes],
    key: (keyId) => `${base}k:${keyId}`,
    account: (accountId) => `${base}a:${accountId}`,
    providerBreaker: (provider) => `${base}pv:${provider}`,
    readySet: (provider, accountId, model) =>
      `${base}r:${provider}:${accountId}:${model === null ? '*' : `m:${model}`}`,
  };
}
