/** Builds import configs for tests, apart from the env file grammar. */
import { splitAccounts } from '../../src/config/accounts.js';
import type {
  AikeysConfig,
  ImportableConfig,
  ImportableKeyConfig,
  LegacyNotice,
} from '../../src/config/types.js';
import { hashSecret } from '../../src/crypto/hash.js';
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
 * Builds the AikeysConfig that loadConfig would produce for these keys, with the accounts split by
 * the config's own splitAccounts, so the import is tested apart from the env file grammar.
 */
export function buildConfig(
  masterKey: Secret,
  specs: readonly KeySpec[],
  legacy: LegacyNotice[] = [],
): ImportableConfig {
  const sorted = [...specs].sort((a, b) => a.n - b.n);
  const { accounts, refByKey } = splitAccounts(
    sorted.map((s) => ({
      number: s.n,
      provider: s.provider ?? 'openai',
      dailyLimit: s.dailyLimit ?? 100_000,
    })),
    { accountDailyQuota: null, accountMonthlyBudget: null },
  );
  const keys = sorted.map((s): ImportableKeyConfig => ({
    number: s.n,
    name: `key_${s.n}`,
    secret: new Secret(s.secret),
    hash: hashSecret(new Secret(s.secret)),
    model: s.model ?? 'gpt-4-turbo',
    provider: s.provider ?? 'openai',
    dailyLimit: s.dailyLimit ?? 100_000,
    maxConcurrency: s.maxConcurrency ?? null,
    accountRef: refByKey.get(s.n)!,
    line: s.n,
  }));
  return {
    file: '/tmp/aikeys-test/.env.local',
    keys,
    accounts,
    providers: {},
    system: { encryptionKey: masterKey, previousEncryptionKeys: [] } as unknown as AikeysConfig['system'],
    services: {} as AikeysConfig['services'],
    legacy,
  };
}
