/**
 * Replays what the workers saw in the engine's own total order (every lease and release step takes
 * a sequence number inside its script) and counts, for every grant, the leases then open on its key
 * and the tokens then committed: an independent check of the concurrency cap and the daily limit.
 */
import type { GrantEvent, ReleaseEvent, WorkerEvent } from './lease-worker.js';

export interface KeyRules {
  readonly cap: number | null;
  readonly limit: number;
  /** used_today when the generation began. */
  readonly initialUsed: number;
}

export interface ReplayReport {
  readonly grants: number;
  readonly violations: string[];
  readonly maxInflight: Map<number, number>;
  readonly usedTokens: Map<number, number>;
}

export function replay(
  events: readonly WorkerEvent[],
  rules: ReadonlyMap<number, KeyRules>,
  generation?: string,
): ReplayReport {
  const inGen = (id: string) => generation === undefined || id.startsWith(`${generation}-`);
  const steps = events
    .filter(
      (e): e is GrantEvent | ReleaseEvent =>
        (e.t === 'grant' || (e.t === 'release' && e.released)) && inGen(e.leaseId),
    )
    .sort((a, b) => a.seq - b.seq);
  const violations: string[] = [];
  const inflight = new Map<number, number>();
  const reserved = new Map<number, number>();
  const used = new Map<number, number>([...rules].map(([id, r]) => [id, r.initialUsed]));
  const maxInflight = new Map<number, number>();
  const open = new Map<string, GrantEvent>();
  let grants = 0;
  let lastSeq = -1;
  for (const step of steps) {
    if (step.seq === lastSeq) violations.push(`two steps share seq ${step.seq}`);
    lastSeq = step.seq;
    const rule = rules.get(step.keyId);
    if (!rule) {
      violations.push(`unknown key ${step.keyId}`);
      continue;
    }
    if (step.t === 'grant') {
      grants++;
      open.set(step.leaseId, step);
      const n = (inflight.get(step.keyId) ?? 0) + 1;
      inflight.set(step.keyId, n);
      maxInflight.set(step.keyId, Math.max(n, maxInflight.get(step.keyId) ?? 0));
      const r = (reserved.get(step.keyId) ?? 0) + step.estimate;
      reserved.set(step.keyId, r);
      if (rule.cap !== null && n > rule.cap)
        violations.push(`key ${step.keyId}: ${n} leases open, cap ${rule.cap} (seq ${step.seq})`);
      const committed = (used.get(step.keyId) ?? 0) + r;
      if (committed > rule.limit)
        violations.push(
          `key ${step.keyId}: ${committed} tokens committed, limit ${rule.limit} (seq ${step.seq})`,
        );
      if (committed !== step.committed)
        violations.push(
          `key ${step.keyId}: engine said ${step.committed} committed, replay ${committed} (seq ${step.seq})`,
        );
    } else {
      const grant = open.get(step.leaseId);
      if (!grant) {
        violations.push(`release of ${step.leaseId} before its grant`);
        continue;
      }
      open.delete(step.leaseId);
      inflight.set(step.keyId, (inflight.get(step.keyId) ?? 0) - 1);
      reserved.set(step.keyId, (reserved.get(step.keyId) ?? 0) - grant.estimate);
      used.set(step.keyId, (used.get(step.keyId) ?? 0) + step.tokens);
    }
  }
  return { grants, violations, maxInflight, usedTokens: used };
}
