/**
 * A plain TypeScript model of the lease rules (highest priority, then least used, skipping blocked,
 * disabled, exhausted, over-quota and busy keys; one rule per branch), for the model-based test to compare the Lua engine against. Deliberately naive: it scans every key on
 * every lease, keeps no sorted sets, and derives "ready", "blocked" and "due" from the key's fields.
 */
import type { ReleaseOutcome } from '../../../src/lease/outcome.js';
import type { LeaseSettings } from '../../../src/lease/types.js';

export const LOOKAHEAD = 8;

export interface MKey {
  id: number;
  provider: string;
  model: string;
  account: number;
  limit: number;
  cap: number | null;
  used: number;
  reserved: number;
  inflight: number;
  status: 'active' | 'temporarily_blocked' | 'exhausted' | 'disabled';
  kind: string;
  reason: string;
  blockUntil: number;
  failures: number;
  probeAt: number;
  probing: boolean;
  /** A call succeeded since it entered service, none failed since: its cap applies (else one call at a time). */
  proven: boolean;
  /** Lease order: lower = less recently leased. */
  order: number;
}

export interface MAccount {
  id: number;
  provider: string;
  priority: number;
  quota: number | null;
  budget: number | null;
  used: number;
  reserved: number;
  spent: number;
}

interface MLease {
  keyId: number;
  tokens: number;
  expires: number;
  keyProbe: boolean;
  providerProbe: boolean;
  provider: string;
}

export type MLeaseResult =
  | { ok: true; keyId: number; model: string; keyProbe: boolean; providerProbe: boolean; expires: number }
  | {
      ok: false;
      reason: 'no_key' | 'provider_paused';
      retryAtMs: number | null;
      onlyTriedKeysAvailable: boolean;
    };

export class ReferenceModel {
  now: number;
  seq: number;
  readonly keys = new Map<number, MKey>();
  readonly accounts = new Map<number, MAccount>();
  readonly leases = new Map<string, MLease>();
  /** Leases reclaimed at expiry, until their late release (the engine forgets them after a day). */
  readonly expired = new Map<string, MLease>();
  readonly breakers = new Map<string, { until: number; probe: string | null }>();
  readonly failing = new Map<string, Set<number>>();

  constructor(
    readonly settings: LeaseSettings,
    keys: MKey[],
    accounts: MAccount[],
    now: number,
  ) {
    this.now = now;
    for (const a of accounts) this.accounts.set(a.id, a);
    for (const k of keys) this.keys.set(k.id, k);
    this.seq = keys.length;
  }

  /** What time has made due: expired leases, ended blocks, due probes. */
  #reclaim(): void {
    for (const [id, lease] of this.leases) {
      if (lease.expires <= this.now) this.expired.set(id, this.#endLease(id)!);
    }
    for (const k of this.keys.values()) {
      if (k.status === 'temporarily_blocked' && k.blockUntil <= this.now) k.status = 'active';
      if (
        k.status === 'disabled' &&
        k.kind === 'breaker' &&
        !k.probing &&
        k.probeAt > 0 &&
        k.probeAt <= this.now
      )
        k.probing = true;
    }
  }

  #endLease(id: string): MLease | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    this.leases.delete(id);
    const k = this.keys.get(lease.keyId)!;
    k.reserved = Math.max(0, k.reserved - lease.tokens);
    k.inflight = Math.max(0, k.inflight - 1);
    this.accounts.get(k.account)!.reserved -= lease.tokens;
    const b = this.breakers.get(lease.provider);
    if (lease.providerProbe && b?.probe === id) b.probe = null;
    return lease;
  }

  #ready(k: MKey): boolean {
    if (k.used >= k.limit) return false;
    if (k.status === 'active') {
      // Slow start: unproven or failing keys take one call at a time, whatever their cap.
      if (!k.proven || k.failures > 0) return k.inflight === 0;
      return k.cap === null || k.inflight < k.cap;
    }
    return k.status === 'disabled' && k.probing && k.inflight === 0;
  }

  lease(
    provider: string,
    model: string | undefined,
    estimate: number,
    exclude: number[],
    leaseId: () => string,
  ): MLeaseResult {
    this.#reclaim();
    const b = this.breakers.get(provider);
    let providerProbe = false;
    if (b) {
      if (this.now < b.until)
        return { ok: false, reason: 'provider_paused', retryAtMs: b.until, onlyTriedKeysAvailable: false };
      if (b.probe)
        return {
          ok: false,
          reason: 'provider_paused',
          retryAtMs: this.leases.get(b.probe)?.expires ?? this.now,
          onlyTriedKeysAvailable: false,
        };
      providerProbe = true;
    }
    const passes =
      model === undefined
        ? [null]
        : model === this.settings.fallbackModel
          ? [model]
          : [model, this.settings.fallbackModel];
    const accounts = [...this.accounts.values()]
      .filter((a) => a.provider === provider)
      .sort((x, y) => x.priority - y.priority || (String(x.id) < String(y.id) ? -1 : 1));
    let onlyExcluded = false;
    for (const m of passes) {
      for (const a of accounts) {
        if (a.quota !== null && a.used + a.reserved + estimate > a.quota) continue;
        if (a.budget !== null && a.spent >= a.budget) continue;
        const candidates = [...this.keys.values()]
          .filter((k) => k.account === a.id && (m === null || k.model === m) && this.#ready(k))
          .sort((x, y) => x.used + x.reserved - (y.used + y.reserved) || x.order - y.order)
          .slice(0, LOOKAHEAD + exclude.length);
        for (const k of candidates) {
          if (k.used + k.reserved + estimate > k.limit) continue;
          if (exclude.includes(k.id)) {
            onlyExcluded = true;
            continue;
          }
          return this.#grant(k, a, estimate, providerProbe, leaseId());
        }
      }
    }
    const times = [
      ...[...this.keys.values()].filter((k) => k.status === 'temporarily_blocked').map((k) => k.blockUntil),
      ...[...this.keys.values()]
        .filter((k) => k.status === 'disabled' && k.kind === 'breaker' && !k.probing)
        .map((k) => k.probeAt),
      ...[...this.leases.values()].map((l) => l.expires),
    ];
    return {
      ok: false,
      reason: 'no_key',
      retryAtMs: times.length ? Math.min(...times) : null,
      onlyTriedKeysAvailable: onlyExcluded,
    };
  }

  #grant(k: MKey, a: MAccount, estimate: number, providerProbe: boolean, id: string): MLeaseResult {
    this.seq += 1;
    k.order = this.seq;
    k.reserved += estimate;
    k.inflight += 1;
    a.reserved += estimate;
    const expires = this.now + this.settings.leaseTtlMs;
    this.leases.set(id, {
      keyId: k.id,
      tokens: estimate,
      expires,
      keyProbe: k.probing,
      providerProbe,
      provider: k.provider,
    });
    if (providerProbe) this.breakers.get(k.provider)!.probe = id;
    return { ok: true, keyId: k.id, model: k.model, keyProbe: k.probing, providerProbe, expires };
  }

  #disable(k: MKey, kind: string, reason: string): void {
    k.status = 'disabled';
    k.kind = kind;
    k.reason = reason;
    k.probing = false;
    k.proven = false;
    k.probeAt = kind === 'breaker' ? this.now + this.settings.keyProbeAfterMs : 0;
  }

  #block(k: MKey, until: number): void {
    k.blockUntil = Math.max(k.blockUntil, until);
    if (k.status === 'active' || k.status === 'temporarily_blocked') k.status = 'temporarily_blocked';
  }

  /** A late release: its lease had expired; a success's tokens and cost still count, once. */
  #releaseLate(lease: MLease, outcome: ReleaseOutcome): void {
    if (outcome.kind !== 'success') return;
    const k = this.keys.get(lease.keyId)!;
    const a = this.accounts.get(k.account)!;
    k.used += outcome.tokens;
    a.used += outcome.tokens;
    a.spent += outcome.costUsd ?? 0;
    if (k.status === 'active' && k.used >= k.limit) k.status = 'exhausted';
  }

  release(id: string, outcome: ReleaseOutcome): 'released' | 'expired' | 'unknown' {
    this.#reclaim();
    const late = this.expired.get(id);
    if (late) {
      this.expired.delete(id);
      this.#releaseLate(late, outcome);
      return 'expired';
    }
    if (!this.leases.has(id)) return 'unknown';
    const lease = this.#endLease(id)!;
    const k = this.keys.get(lease.keyId)!;
    const s = this.settings;
    const closeBreaker = () => {
      this.failing.delete(lease.provider);
      this.breakers.delete(lease.provider);
    };
    switch (outcome.kind) {
      case 'success': {
        k.used += outcome.tokens;
        k.failures = 0;
        k.proven = true;
        const a = this.accounts.get(k.account)!;
        a.used += outcome.tokens;
        a.spent += outcome.costUsd ?? 0;
        if (lease.keyProbe && k.status === 'disabled' && k.kind === 'breaker') {
          Object.assign(k, { status: 'active', kind: '', reason: '', probing: false, probeAt: 0 });
        }
        if (k.status === 'active' && k.used >= k.limit) k.status = 'exhausted';
        closeBreaker();
        break;
      }
      case 'rate_limited':
        this.#block(
          k,
          this.now + Math.min(outcome.retryAfterMs ?? s.blockSeconds * 1000, s.maxBlockSeconds * 1000),
        );
        break;
      case 'auth_failed':
        this.#disable(k, 'invalid_key', `invalid key (HTTP ${outcome.status})`);
        break;
      case 'quota_exhausted':
        if (k.status !== 'disabled') k.status = 'exhausted';
        break;
      case 'server_error': {
        k.failures += 1;
        if (lease.providerProbe) {
          this.breakers.set(lease.provider, { until: this.now + s.providerCooldownMs, probe: null });
        } else if (lease.keyProbe && k.status === 'disabled' && k.kind === 'breaker') {
          this.#disable(k, 'breaker', `${k.failures} consecutive failures`);
        } else if (k.status !== 'disabled') {
          const failing = this.failing.get(lease.provider) ?? new Set<number>();
          failing.add(k.id);
          this.failing.set(lease.provider, failing);
          if (k.failures >= s.circuitBreakerThreshold) {
            if (failing.size >= 2)
              this.breakers.set(lease.provider, { until: this.now + s.providerCooldownMs, probe: null });
            else this.#disable(k, 'breaker', `${k.failures} consecutive failures`);
          }
        }
        break;
      }
      case 'request_error':
        break;
    }
    if (lease.providerProbe && outcome.kind !== 'server_error' && outcome.kind !== 'success') closeBreaker();
    if (k.status !== 'disabled') k.probing = false;
    this.seq += 1;
    return 'released';
  }

  block(keyId: number, durationMs: number): void {
    this.#reclaim();
    this.#block(this.keys.get(keyId)!, this.now + Math.min(durationMs, this.settings.maxBlockSeconds * 1000));
  }

  unblock(keyId: number): void {
    this.#reclaim();
    const k = this.keys.get(keyId)!;
    k.blockUntil = 0;
    if (k.status === 'temporarily_blocked') k.status = 'active';
  }

  disable(keyId: number, kind: string, reason: string): void {
    this.#reclaim();
    this.#disable(this.keys.get(keyId)!, kind, reason);
  }

  enable(keyId: number): void {
    this.#reclaim();
    const k = this.keys.get(keyId)!;
    Object.assign(k, {
      status: k.used >= k.limit ? 'exhausted' : 'active',
      kind: '',
      reason: '',
      failures: 0,
      blockUntil: 0,
      probing: false,
      probeAt: 0,
      proven: false,
    });
  }

  resetDaily(): void {
    this.#reclaim();
    for (const k of this.keys.values()) {
      k.used = 0;
      if (k.status === 'exhausted') k.status = k.blockUntil > this.now ? 'temporarily_blocked' : 'active';
    }
    for (const a of this.accounts.values()) a.used = 0;
  }

  unblockExpired(): void {
    this.#reclaim();
  }
}
