import { describe, expect, it } from 'vitest';
import { describeImport, keyRanges } from '../../../src/demo/import-line.js';
import type { ImportReport, ImportedKey } from '../../../src/store/import/report.js';

function key(n: number, account: string): ImportedKey {
  return {
    name: `key_${n}`,
    masked: 'sim-ok…abcd',
    provider: account.split(':')[0]!,
    model: 'gpt-4o-mini',
    account,
  };
}

function report(
  parts: Partial<Pick<ImportReport, 'added' | 'changed' | 'unchanged' | 'disabled'>>,
): ImportReport {
  return {
    dryRun: false,
    file: 'config/.env.demo',
    accounts: { added: [], changed: [], unchanged: [] },
    added: [],
    changed: [],
    disabled: [],
    unchanged: [],
    alreadyRemoved: 0,
    legacy: [],
    ...parts,
  };
}

describe('keyRanges', () => {
  it('joins consecutive key numbers into ranges, in numeric order', () => {
    expect(keyRanges(['key_10', 'key_2', 'key_1', 'key_3', 'key_5', 'key_9'])).toBe(
      'key_1-3, key_5, key_9-10',
    );
  });

  it('lists names that are not key_N as they are', () => {
    expect(keyRanges(['key_1', 'legacy'])).toBe('key_1, legacy');
  });
});

describe('describeImport', () => {
  it('says what the default demo config imports', () => {
    const added = [1, 2, 3, 4]
      .map((n) => key(n, 'openai:1'))
      .concat([5, 6, 7, 8].map((n) => key(n, 'openai:2')));
    expect(describeImport(report({ added }))).toBe(
      'Imported 8 keys into 2 accounts (openai primary: key_1-4, openai fallback: key_5-8).\n',
    );
  });

  it('follows an edited config: other counts, another provider, keys kept from an earlier import', () => {
    const r = report({
      added: [key(7, 'anthropic:1')],
      unchanged: [key(1, 'openai:1'), key(2, 'openai:1'), key(3, 'openai:2')],
      disabled: [{ ...key(4, 'openai:2'), reason: 'removed from config' }],
    });
    expect(describeImport(r)).toBe(
      'Imported 4 keys into 3 accounts (anthropic primary: key_7, openai primary: key_1-2, openai fallback: key_3).\n',
    );
  });

  it('says so when the config holds no key', () => {
    expect(describeImport(report({}))).toBe('Imported no keys: config/.env.demo holds no KEY_N line.\n');
  });

  it('uses the singular for one key in one account', () => {
    expect(describeImport(report({ added: [key(1, 'openai:1')] }))).toBe(
      'Imported 1 key into 1 account (openai primary: key_1).\n',
    );
  });
});
