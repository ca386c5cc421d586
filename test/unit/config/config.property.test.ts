/**
 * Property tests: any well-formed env file round-trips to the config it describes, and any single
 * broken line is reported by its line number, never crashes the parser and never leaks a secret.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { expectNoSecrets, FILE, MASTER_KEY, parse } from './helpers.js';

interface GeneratedKey {
  readonly number: number;
  readonly secret: string;
  readonly model: string | undefined;
  readonly provider: string | undefined;
  readonly dailyLimit: number | undefined;
  readonly maxConcurrency: number | undefined;
}

/** One line of a generated file; `name`/`value` for assignments so mutations can rewrite them. */
interface Line {
  readonly text: string;
  readonly name?: string;
  readonly value?: string;
  /** Number of the key the line belongs to, and whether it is the `KEY_N=` line itself. */
  readonly key?: number;
  readonly base?: boolean;
}

interface GeneratedFile {
  readonly keys: readonly GeneratedKey[];
  readonly defaultModel: string | undefined;
  readonly quotaPerKey: number | undefined;
  readonly lines: readonly Line[];
}

const style = fc.record({
  exported: fc.boolean(),
  quote: fc.constantFrom('', '"', "'"),
  comment: fc.boolean(),
});

function render(
  name: string,
  value: string,
  s: { exported: boolean; quote: string; comment: boolean },
): string {
  // A '#' would start a comment in an unquoted value, so such values are always quoted.
  const quote = s.quote === '' && value.includes('#') ? '"' : s.quote;
  const comment = s.comment ? ' # a note' : '';
  return `${s.exported ? 'export ' : ''}${name}=${quote}${value}${quote}${comment}`;
}

const assignment = (name: string, value: string, extra: Partial<Line> = {}) =>
  style.map((s): Line => ({ text: render(name, value, s), name, value, ...extra }));

// Built once: constructing a stringMatching arbitrary is far costlier than drawing from it.
const secretTailArb = fc.tuple(fc.stringMatching(/^[A-Za-z0-9]{16,24}$/), fc.boolean());
const modelArb = fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/), { nil: undefined });
const providerArb = fc.option(
  fc.constantFrom('openai', 'anthropic', 'OpenRouter', 'gemini', 'my-proxy', 'x_1'),
  {
    nil: undefined,
  },
);
const dailyLimitArb = fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined });
const concurrencyArb = fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined });

const keyArb = (number: number) =>
  fc.record({
    number: fc.constant(number),
    // The number makes every secret unique; the random tail makes it unguessable in messages.
    secret: secretTailArb.map(
      ([tail, hash]) => `sk-${number}-${hash ? `${tail.slice(0, 8)}#${tail.slice(8)}` : tail}`,
    ),
    model: modelArb,
    provider: providerArb,
    dailyLimit: dailyLimitArb,
    maxConcurrency: concurrencyArb,
  });

function keyLines(key: GeneratedKey): fc.Arbitrary<Line>[] {
  const n = key.number;
  const lines = [assignment(`KEY_${n}`, key.secret, { key: n, base: true })];
  const extra = (suffix: string, value: string | number | undefined) => {
    if (value !== undefined)
      lines.push(assignment(`KEY_${n}_${suffix}`, String(value), { key: n, base: false }));
  };
  extra('MODEL', key.model);
  extra('PROVIDER', key.provider);
  extra('DAILY_LIMIT', key.dailyLimit);
  extra('MAX_CONCURRENCY', key.maxConcurrency);
  return lines;
}

const fileArb: fc.Arbitrary<GeneratedFile> = fc
  .uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 10 })
  .chain((numbers) =>
    fc.record({
      keys: fc.tuple(...numbers.map(keyArb)),
      defaultModel: fc.option(fc.constantFrom('gpt-4o', 'claude-x'), { nil: undefined }),
      quotaPerKey: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
      fillers: fc.array(fc.constantFrom('', '# comment', '   ', '# KEY_99=commented-out', 'OTHER_TOOL=1'), {
        maxLength: 8,
      }),
    }),
  )
  .chain(({ keys, defaultModel, quotaPerKey, fillers }) => {
    const parts: fc.Arbitrary<Line>[] = [
      assignment('AI_ENCRYPTION_KEY', MASTER_KEY),
      ...keys.flatMap(keyLines),
      // Numbered so that a repeated filler is not a name defined twice.
      ...fillers.map((text, i) => fc.constant<Line>({ text: text.replace('OTHER_TOOL', `OTHER_TOOL_${i}`) })),
    ];
    if (defaultModel !== undefined) parts.push(assignment('AI_DEFAULT_MODEL', defaultModel));
    if (quotaPerKey !== undefined) parts.push(assignment('AI_DAILY_QUOTA_PER_KEY', String(quotaPerKey)));
    return fc
      .tuple(...parts)
      .chain((lines) => fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length }))
      .map((lines): GeneratedFile => ({ keys, defaultModel, quotaPerKey, lines }));
  });

const textOf = (lines: readonly Line[]) => lines.map((l) => l.text).join('\n');

function expectedAccounts(file: GeneratedFile) {
  const quota = file.quotaPerKey ?? 100_000;
  const byProvider = new Map<string, GeneratedKey[]>();
  for (const key of file.keys) {
    const provider = (key.provider ?? 'openai').toLowerCase();
    byProvider.set(provider, [...(byProvider.get(provider) ?? []), key]);
  }
  const several = byProvider.size > 1;
  return [...byProvider.keys()].sort().flatMap((provider) => {
    const sorted = [...(byProvider.get(provider) ?? [])].sort((a, b) => a.number - b.number);
    const cut = Math.ceil(sorted.length / 2);
    return [sorted.slice(0, cut), sorted.slice(cut)]
      .map((members, i) => ({ members, priority: i + 1 }))
      .filter(({ members }) => members.length > 0)
      .map(({ members, priority }) => ({
        provider,
        priority,
        name:
          priority === 1
            ? `Primary Account${several ? ` (${provider})` : ''}`
            : `Secondary Account (Fallback${several ? `, ${provider}` : ''})`,
        keyNumbers: members.map((k) => k.number),
        dailyQuota: members.reduce((sum, k) => sum + (k.dailyLimit ?? quota), 0),
      }));
  });
}

describe('config properties', () => {
  it('a generated valid file round-trips to the config it describes', () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const config = parse(textOf(file.lines));
        const expectedKeys = [...file.keys]
          .sort((a, b) => a.number - b.number)
          .map((k) => ({
            number: k.number,
            name: `key_${k.number}`,
            secret: k.secret,
            model: k.model ?? file.defaultModel ?? 'gpt-4-turbo',
            provider: (k.provider ?? 'openai').toLowerCase(),
            dailyLimit: k.dailyLimit ?? file.quotaPerKey ?? 100_000,
            maxConcurrency: k.maxConcurrency ?? null,
            line: file.lines.findIndex((l) => l.key === k.number && l.base) + 1,
          }));
        expect(
          config.keys.map(({ secret, accountRef: _ref, hash: _hash, ...k }) => ({
            ...k,
            secret: secret.reveal(),
          })),
        ).toEqual(expectedKeys);
        const accounts = expectedAccounts(file);
        expect(
          config.accounts.map(({ provider, priority, name, keyNumbers, dailyQuota }) => ({
            provider,
            priority,
            name,
            keyNumbers,
            dailyQuota,
          })),
        ).toEqual(accounts);
        expect(config.accounts.map((a) => a.id)).toEqual(accounts.map((_, i) => i + 1));
        for (const key of config.keys) {
          const account = config.accounts.find((a) => a.ref === key.accountRef);
          expect(account?.keyNumbers).toContain(key.number);
        }
        expect(Object.keys(config.providers).sort()).toEqual(
          [...new Set(accounts.map((a) => a.provider))].sort(),
        );
        expect(config.system.encryptionKey.reveal()).toBe(MASTER_KEY);
      }),
      { numRuns: 300 },
    );
  });

  type Mutation = 'empty' | 'badNumber' | 'typoSuffix' | 'duplicateSecret' | 'junk' | 'random';

  /** The mutated file, or undefined when the mutation does not apply to that line. */
  function mutate(
    file: GeneratedFile,
    index: number,
    mutation: Mutation,
    random: string,
  ): Line[] | undefined {
    const lines = [...file.lines];
    const line = lines[index];
    if (line === undefined) return undefined;
    const set = (text: string) => {
      lines[index] = { text };
      return lines;
    };
    switch (mutation) {
      case 'empty':
        return line.key !== undefined || line.name === 'AI_ENCRYPTION_KEY' ? set(`${line.name}=`) : undefined;
      case 'badNumber':
        return line.key === undefined
          ? undefined
          : set(`${line.name?.replace(/^KEY_/, 'KEY_0')}="${line.value}"`);
      case 'typoSuffix':
        return line.key === undefined || line.base ? undefined : set(`${line.name}X="${line.value}"`);
      case 'duplicateSecret': {
        const other = file.keys.find((k) => k.number !== line.key);
        return line.base && other ? set(`KEY_${line.key}="${other.secret}"`) : undefined;
      }
      case 'junk':
        return set('this line is not a setting');
      case 'random':
        return set(random);
    }
  }

  it('a single broken line is reported by its line number, without crashing or leaking a secret', () => {
    const mutationArb = fc.constantFrom<Mutation>(
      'empty',
      'badNumber',
      'typoSuffix',
      'duplicateSecret',
      'junk',
      'random',
    );
    let checked = 0;
    fc.assert(
      fc.property(
        fileArb,
        fc.nat(),
        mutationArb,
        fc.string({ maxLength: 40 }),
        (file, at, mutation, random) => {
          const index = at % file.lines.length;
          const lines = mutate(file, index, mutation, random);
          if (lines === undefined) return;
          const line = index + 1;
          const secrets = file.keys.map((k) => k.secret);
          let error: unknown;
          try {
            parse(textOf(lines));
          } catch (caught) {
            error = caught;
          }
          if (error === undefined) {
            // Only an arbitrary replacement line may happen to be harmless (a comment, an unknown name).
            expect(mutation).toBe('random');
            return;
          }
          expect(error).toBeInstanceOf(ConfigError);
          const configError = error as ConfigError;
          expectNoSecrets(configError, secrets);
          if (mutation === 'random') return;
          checked++;
          const names = configError.problems.some(
            (p) =>
              p.file === FILE &&
              (p.line === line || new RegExp(`\\bline ${line}\\b|lines \\d+ and ${line}\\b`).test(p.message)),
          );
          expect(names, configError.message).toBe(true);
          expect(configError.message).toContain(FILE);
        },
      ),
      { numRuns: 500 },
    );
    expect(checked).toBeGreaterThan(100);
  });
});
