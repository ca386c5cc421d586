/** Builds import configs for tests, apart from the env file grammar. */
import type { AccountConfig, AikeysConfig, KeyConfig, LegacyNotice } from '../../src/config/types.js';
import { Secret } from '../../src/core/secret.js';

/** What a test says about a key; everything else takes the config defaults. */
export interface KeySpec {
  n: number;
  secret: string;
  model?: string;
  provider?: string;
  dailyLimit?: number;
  maxConcurrency?: number | null;
}

/**
 * Builds the AikeysConfig that loadConfig would produce for these keys (the accounts split per
 * contracts.md), so the import is tested apart from the env file grammar.
 */
export function buildConfig(
  masterKey: Secret,
  specs: readonly KeySpec[],
  legacy: LegacyNotice[] = [],
): AikeysConfig {
  const sorted = [...specs].sort((a, b) => a.n - b.n);
  const providers = [...new Set(sorted.map((s) => s.provider ?? 'openai'))].sort();
  const keys: KeyConfig[] = [];
  const accounts: AccountConfig[] = [];
  for (const provider of providers) {
    const mine = sorted.filter((s) => (s.provider ?? 'openai') === provider);
    const half = Math.ceil(mine.length / 2);
    const groups: [1 | 2, KeySpec[]][] = [
      [1, mine.slice(0, half)],
      [2, mine.slice(half)],
    ];
    for (const [priority, group] of groups) {
      if (group.length === 0) continue;
      const ref = `${provider}:${priority}`;
      const groupKeys = group.map((s): KeyConfig => ({
        number: s.n,
        name: `key_${s.n}`,
        secret: new Secret(s.secret),
        model: s.model ?? 'gpt-4-turbo',
        provider,
        dailyLimit: s.dailyLimit ?? 100_000,
        maxConcurrency: s.maxConcurrency ?? null,
        accountRef: ref,
        line: s.n,
      }));
      keys.push(...groupKeys);
      const base = priority === 1 ? 'Primary Account' : 'Secondary Account (Fallback)';
      accounts.push({
        ref,
        id: accounts.length + 1,
        name: providers.length > 1 ? `${base} (${provider})` : base,
        provider,
        priority,
        dailyQuota: groupKeys.reduce((sum, k) => sum + k.dailyLimit, 0),
        monthlyBudget: null,
        keyNumbers: groupKeys.map((k) => k.number),
      });
    }
  }
  keys.sort((a, b) => a.number - b.number);
  return {
    file: '/tmp/aikeys-test/.env.local',
    keys,
    accounts,
    providers: {},
    system: { encryptionKey: masterKey } as AikeysConfig['system'],
    services: {} as AikeysConfig['services'],
    legacy,
  };
}
