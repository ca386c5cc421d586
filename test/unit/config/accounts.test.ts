import { describe, expect, it } from 'vitest';
import { splitAccounts } from '../../../src/config/accounts.js';
import { ENCRYPTION_LINE, envText, parse } from './helpers.js';

const keys = (numbers: number[], provider = 'openai', dailyLimit = 1000) =>
  numbers.map((number) => ({ number, provider, dailyLimit }));
const none = { accountDailyQuota: null, accountMonthlyBudget: null };

describe('account split', () => {
  it('puts the first ceil(n/2) keys by number in the primary account for an odd count', () => {
    const { accounts, refByKey } = splitAccounts(keys([9, 1, 5, 3, 7]), none);
    expect(accounts).toEqual([
      {
        ref: 'openai:1',
        id: 1,
        name: 'Primary Account',
        provider: 'openai',
        priority: 1,
        dailyQuota: 3000,
        monthlyBudget: null,
        keyNumbers: [1, 3, 5],
      },
      {
        ref: 'openai:2',
        id: 2,
        name: 'Secondary Account (Fallback)',
        provider: 'openai',
        priority: 2,
        dailyQuota: 2000,
        monthlyBudget: null,
        keyNumbers: [7, 9],
      },
    ]);
    expect(refByKey.get(5)).toBe('openai:1');
    expect(refByKey.get(7)).toBe('openai:2');
  });

  it('splits an even count in halves', () => {
    const { accounts } = splitAccounts(keys([1, 2, 3, 4]), none);
    expect(accounts.map((a) => a.keyNumbers)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('gives a provider with one key only a primary account', () => {
    const { accounts } = splitAccounts(keys([4]), none);
    expect(accounts.map((a) => [a.ref, a.name])).toEqual([['openai:1', 'Primary Account']]);
  });

  it('names the provider when there are several, ids by provider then priority', () => {
    const { accounts } = splitAccounts(
      [...keys([1, 2, 3], 'openai'), ...keys([4, 5], 'anthropic'), ...keys([6], 'gemini')],
      none,
    );
    expect(accounts.map((a) => [a.id, a.ref, a.name, a.keyNumbers])).toEqual([
      [1, 'anthropic:1', 'Primary Account (anthropic)', [4]],
      [2, 'anthropic:2', 'Secondary Account (Fallback, anthropic)', [5]],
      [3, 'gemini:1', 'Primary Account (gemini)', [6]],
      [4, 'openai:1', 'Primary Account (openai)', [1, 2]],
      [5, 'openai:2', 'Secondary Account (Fallback, openai)', [3]],
    ]);
  });

  it('uses AI_ACCOUNT_DAILY_QUOTA and AI_ACCOUNT_MONTHLY_BUDGET when set', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        'AI_ACCOUNT_DAILY_QUOTA=777',
        'AI_ACCOUNT_MONTHLY_BUDGET=99.50',
        'KEY_1=sk-one-1111',
        'KEY_2=sk-two-2222',
      ),
    );
    expect(config.accounts.map((a) => [a.dailyQuota, a.monthlyBudget])).toEqual([
      [777, 99.5],
      [777, 99.5],
    ]);
  });

  it('derives the daily quota from per-key limits and the default', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        'AI_DAILY_QUOTA_PER_KEY=10',
        'KEY_1=sk-one-1111',
        'KEY_1_DAILY_LIMIT=5',
        'KEY_2=sk-two-2222',
      ),
    );
    expect(config.accounts.map((a) => a.dailyQuota)).toEqual([5, 10]);
    expect(config.keys.map((k) => k.accountRef)).toEqual(['openai:1', 'openai:2']);
  });
});
