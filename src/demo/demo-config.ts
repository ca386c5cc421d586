/**
 * The demo's env file: simulated keys whose secrets choose how the simulated provider answers
 * (see src/simulator/key-behaviour.ts), so every failure path shows up. Written once with a fresh
 * encryption key; later runs reuse it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateMasterKey } from '../crypto/key-ring.js';

export interface DemoKeyPlan {
  readonly secretPrefix: string;
  readonly role: string;
  readonly dailyLimit?: number;
}

/** First half primary (KEY_1-4), second half fallback (KEY_5-8), as the account split rules say. */
export const DEMO_KEYS: readonly DemoKeyPlan[] = [
  {
    secretPrefix: 'sim-ok-alpha',
    role: 'healthy; small daily limit so the primary account runs out',
    dailyLimit: 2500,
  },
  {
    secretPrefix: 'sim-ok-bravo',
    role: 'healthy; small daily limit so the primary account runs out',
    dailyLimit: 2500,
  },
  { secretPrefix: 'sim-401-revoked', role: 'invalid key: disabled at its first call' },
  { secretPrefix: 'sim-flaky70-wobbly', role: 'fails 70% of calls: trips the circuit breaker' },
  { secretPrefix: 'sim-429-2x3-busy', role: 'rate limited (Retry-After 2 s) for 3 calls, then fine' },
  { secretPrefix: 'sim-ok-charlie', role: 'healthy fallback' },
  { secretPrefix: 'sim-ok-delta', role: 'healthy fallback' },
  { secretPrefix: 'sim-slow400-echo', role: 'healthy but slow (400 ms)' },
];

export function demoEnvText(): string {
  const lines = [
    '# Written by `npm run demo`: simulated keys only, safe to delete (a new one is written next time).',
    `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
    'AI_DEFAULT_MODEL=gpt-4o-mini',
    'AI_FALLBACK_MODEL=gpt-4o-mini',
    'AI_MAX_RETRIES=3',
    'AI_RETRY_DELAY_MS=20',
    'AI_CIRCUIT_BREAKER_THRESHOLD=3',
    'AI_NO_KEY_WAIT_MS=60000',
    'AI_REQUEST_TIMEOUT_MS=5000',
    'AI_LEASE_TTL_MS=30000',
    'AI_WORKER_CONCURRENCY=16',
    '',
  ];
  DEMO_KEYS.forEach((plan, i) => {
    const n = i + 1;
    lines.push(`# ${plan.role}`);
    lines.push(`KEY_${n}=${plan.secretPrefix}-${randomBytes(12).toString('hex')}`);
    if (plan.dailyLimit !== undefined) lines.push(`KEY_${n}_DAILY_LIMIT=${plan.dailyLimit}`);
  });
  return `${lines.join('\n')}\n`;
}

export function ensureDemoEnvFile(file: string): { created: boolean } {
  if (existsSync(file)) return { created: false };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, demoEnvText(), { mode: 0o600 });
  return { created: true };
}
