/**
 * The job processor's view of the key pool: lease with exclusions, release with the outcome, and
 * the usage record appended to the usage stream by the release itself.
 */
import type { Logger } from '../core/logger.js';
import type { KeyLeaser } from '../jobs/ports.js';
import type { KeyPool } from '../lease/key-pool.js';
import type { Db } from '../store/database.js';
import { listKeys } from '../store/keys.js';
import type { LeaseEvents } from '../observability/lease-events.js';
import type { UsageStream } from '../usage/usage-stream.js';

/** "all keys of openai exhausted" / "2 disabled, 1 blocked until 12:00:00Z" — for the job's failure reason. */
export async function describeNoKey(db: Db, provider: string, paused: boolean): Promise<string> {
  if (paused) return `provider ${provider} is paused by its circuit breaker after failures across its keys`;
  const keys = await listKeys(db, { provider });
  if (keys.length === 0)
    return `no keys are configured for provider ${provider} (add KEY_N_PROVIDER=${provider} and run aikeys import)`;
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k.status, (counts.get(k.status) ?? 0) + 1);
  if (counts.size === 1 && counts.has('active')) {
    return `all ${keys.length} ${provider} keys are busy or past their daily or account limits`;
  }
  const parts = [...counts].map(([status, n]) => `${n} ${status.replace('temporarily_blocked', 'blocked')}`);
  return `${provider} keys: ${parts.join(', ')}`;
}

export function createKeyLeaser(deps: {
  pool: KeyPool;
  usage: UsageStream;
  db: Db;
  logger: Logger;
  /** Told when a provider's breaker opens or a lease is refused because it is paused. */
  events?: LeaseEvents;
}): KeyLeaser {
  const { pool, usage, db, logger, events } = deps;
  return {
    async lease(request) {
      const answer = await pool.lease(request);
      if (!answer.ok && answer.reason === 'provider_paused')
        events?.emit({ kind: 'provider_paused', provider: request.provider });
      return answer;
    },
    describeNoKey: (provider, answer) => describeNoKey(db, provider, answer.reason === 'provider_paused'),
    async release(key, outcome, record) {
      // One script: a worker killed mid-release leaves both the count and the record, or neither.
      const released = await pool.release({ leaseId: key.leaseId }, outcome, usage.entryFor(record));
      if (released.released && (released.providerEvent === 'opened' || released.providerEvent === 'reopened'))
        events?.emit({ kind: 'breaker_opened', provider: key.provider });
      // A release held for later delivery (Redis unreachable), or dropped, is logged by the pool.
      if (!released.released && (released.reason === 'expired' || released.reason === 'unknown'))
        logger.warn({ keyName: key.keyName, reason: released.reason }, 'lease was no longer held at release');
    },
  };
}
