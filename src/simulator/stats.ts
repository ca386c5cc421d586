/**
 * What the simulated provider has answered, for tests and the benchmark to check against.
 * Counts per key are looked up with the key itself (`forKey`); the printable snapshot names keys
 * only masked, so it can be logged.
 */
import { maskSecret } from '../core/secret.js';

export interface KeyCounts {
  readonly requests: number;
  /** Responses by HTTP status; a request the client gave up on before the answer is not counted here. */
  readonly byStatus: Readonly<Record<number, number>>;
}

export interface SimulatorStats {
  readonly requests: number;
  byStatus(): Readonly<Record<number, number>>;
  forKey(key: string): KeyCounts;
  /** Per masked key; two keys that mask alike are summed. */
  snapshot(): { requests: number; byStatus: Record<number, number>; byKey: Record<string, KeyCounts> };
  reset(): void;
}

interface MutableCounts {
  requests: number;
  byStatus: Record<number, number>;
}

function emptyCounts(): MutableCounts {
  return { requests: 0, byStatus: {} };
}

export interface StatsRecorder extends SimulatorStats {
  request(key: string): void;
  response(key: string, status: number): void;
}

export function createStats(): StatsRecorder {
  let total = emptyCounts();
  let perKey = new Map<string, MutableCounts>();

  const countsFor = (key: string): MutableCounts => {
    let counts = perKey.get(key);
    if (counts === undefined) {
      counts = emptyCounts();
      perKey.set(key, counts);
    }
    return counts;
  };

  return {
    get requests() {
      return total.requests;
    },
    byStatus: () => ({ ...total.byStatus }),
    forKey(key) {
      const counts = perKey.get(key);
      return counts === undefined
        ? emptyCounts()
        : { requests: counts.requests, byStatus: { ...counts.byStatus } };
    },
    snapshot() {
      const byKey: Record<string, MutableCounts> = {};
      for (const [key, counts] of perKey) {
        const label = maskSecret(key);
        const into = (byKey[label] ??= emptyCounts());
        into.requests += counts.requests;
        for (const [status, n] of Object.entries(counts.byStatus)) {
          into.byStatus[Number(status)] = (into.byStatus[Number(status)] ?? 0) + n;
        }
      }
      return { requests: total.requests, byStatus: { ...total.byStatus }, byKey };
    },
    reset() {
      total = emptyCounts();
      perKey = new Map();
    },
    request(key) {
      total.requests += 1;
      countsFor(key).requests += 1;
    },
    response(key, status) {
      total.byStatus[status] = (total.byStatus[status] ?? 0) + 1;
      const counts = countsFor(key);
      counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    },
  };
}
