import { hashSecret } from '../../../src/crypto/hash.js';
import { describe, expect, it } from 'vitest';
import { ENCRYPTION_LINE, envText, expectProblem, parse } from './helpers.js';

const S1 = 'sk-test-secret-one-1111';
const S2 = 'sk-test-secret-two-2222';

describe('KEY_N grammar', () => {
  it('reads keys with their per-key settings and defaults', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        `KEY_2=${S2}`,
        'KEY_2_MODEL=gpt-4o',
        'KEY_2_PROVIDER=OpenRouter',
        'KEY_2_DAILY_LIMIT=5000',
        'KEY_2_MAX_CONCURRENCY=3',
        `KEY_10=${S1}`,
      ),
    );
    for (const k of config.keys) expect(k.hash).toBe(hashSecret(k.secret));
    expect(config.keys.map(({ hash: _hash, ...k }) => ({ ...k, secret: k.secret.reveal() }))).toEqual([
      {
        number: 2,
        name: 'key_2',
        secret: S2,
        model: 'gpt-4o',
        provider: 'openrouter',
        dailyLimit: 5000,
        maxConcurrency: 3,
        accountRef: 'openrouter:1',
        line: 2,
      },
      {
        number: 10,
        name: 'key_10',
        secret: S1,
        model: 'gpt-4-turbo',
        provider: 'openai',
        dailyLimit: 100000,
        maxConcurrency: null,
        accountRef: 'openai:1',
        line: 7,
      },
    ]);
  });

  it.each(['KEY_0', 'KEY_01', 'KEY_x', 'KEY_'])('rejects the bad key number in %s', (name) => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_1=${S1}`, `${name}=${S2}`),
      { line: 3, name },
      [S1, S2],
    );
    expect(problem.message).toMatch(/positive whole number without leading zeros/);
    expect(problem.hint).toContain('KEY_1, KEY_2');
  });

  it('rejects a per-key setting without its KEY_N', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_1=${S1}`, 'KEY_4_MODEL=gpt-4o'),
      {
        line: 3,
        name: 'KEY_4_MODEL',
      },
      [S1],
    );
    expect(problem.message).toContain('KEY_4 is not');
    expect(problem.hint).toContain('add KEY_4=');
  });

  it('rejects an unknown suffix and lists the valid ones', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_3=${S1}`, 'KEY_3_MODLE=gpt-4o'),
      {
        line: 3,
        name: 'KEY_3_MODLE',
      },
      [S1],
    );
    expect(problem.hint).toContain('did you mean KEY_3_MODEL?');
    for (const suffix of ['MODEL', 'PROVIDER', 'DAILY_LIMIT', 'MAX_CONCURRENCY']) {
      expect(problem.hint).toContain(`KEY_3_${suffix}`);
    }
  });

  it.each(['KEY_1', 'KEY_1_MODEL', 'KEY_1_PROVIDER'])('rejects an empty value in %s', (name) => {
    const lines = [ENCRYPTION_LINE, `KEY_1=${S1}`, 'KEY_1_MODEL=gpt-4o', 'KEY_1_PROVIDER=openai'];
    const index = lines.findIndex((l) => l.startsWith(`${name}=`));
    lines[index] = `${name}=`;
    const problem = expectProblem(envText(...lines), { line: index + 1, name }, [S1]);
    expect(problem.message).toMatch(/empty value/);
  });

  it('rejects the same secret under two names, naming both and not the secret', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_1=${S1}`, `KEY_2=${S2}`, `KEY_7="${S1}"`),
      { line: 4, name: 'KEY_7' },
      [S1, S2],
    );
    expect(problem.message).toContain('KEY_1 (line 2)');
  });

  it.each([
    ['KEY_1_DAILY_LIMIT', 'lots'],
    ['KEY_1_DAILY_LIMIT', '-5'],
    ['KEY_1_DAILY_LIMIT', '0'],
    ['KEY_1_DAILY_LIMIT', '1.5'],
    ['KEY_1_MAX_CONCURRENCY', '0'],
    ['KEY_1_MAX_CONCURRENCY', 'two'],
  ])('rejects %s=%s', (name, value) => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_1=${S1}`, `${name}=${value}`),
      { line: 3, name },
      [S1],
    );
    expect(problem.message).toMatch(/positive whole number/);
  });

  it('rejects a provider name outside [a-z0-9][a-z0-9_-]*', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `KEY_1=${S1}`, 'KEY_1_PROVIDER=open ai!'),
      {
        line: 3,
        name: 'KEY_1_PROVIDER',
      },
      [S1],
    );
    expect(problem.message).toMatch(/provider name/);
  });

  it('lists every problem at once, in line order', () => {
    try {
      parse(envText(`KEY_0=${S1}`, 'KEY_2_MODLE=x', `KEY_3=`, ENCRYPTION_LINE));
      expect.unreachable();
    } catch (error) {
      const { problems } = error as { problems: { line?: number }[] };
      expect(problems.map((p) => p.line)).toEqual([1, 2, 3]);
    }
  });
});
