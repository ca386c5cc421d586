import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import {
  countTokensBounded,
  DEFAULT_COMPLETION_TOKENS,
  estimatePromptTokens,
  estimateTokens,
  TOKENIZE_BUDGET_CHARS,
  TOKENIZE_CHUNK_CHARS,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_REPLY,
} from '../../../src/pricing/estimate-tokens.js';
import { DEFAULT_MAX_PROMPT_BYTES } from '../../../src/jobs/job-schema.js';

const chat = (text: string) => [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: text },
];

describe('estimateTokens', () => {
  it('counts content plus per-message and reply overhead', () => {
    const messages = chat('Hello, world');
    expect(estimatePromptTokens(messages)).toBe(
      countTokens('You are terse.') + countTokens('Hello, world') + 2 * TOKENS_PER_MESSAGE + TOKENS_PER_REPLY,
    );
  });

  it('grows with the text', () => {
    const short = estimateTokens(chat('Summarise this.'), 100);
    const long = estimateTokens(chat('Summarise this. '.repeat(200)), 100);
    expect(long).toBeGreaterThan(short + 500);
  });

  it('adds maxTokens, or the default completion allowance', () => {
    const prompt = estimatePromptTokens(chat('hi'));
    expect(estimateTokens(chat('hi'), 250)).toBe(prompt + 250);
    expect(estimateTokens(chat('hi'))).toBe(prompt + DEFAULT_COMPLETION_TOKENS);
  });

  it('estimates a 2 KB English prompt at roughly a token per 4 characters', () => {
    const text = 'The quick brown fox jumps over the lazy dog near the river bank. '
      .repeat(32)
      .slice(0, 2048);
    const tokens = estimatePromptTokens([{ role: 'user', content: text }]);
    expect(tokens).toBeGreaterThan(2048 / 8);
    expect(tokens).toBeLessThan(2048 / 2);
  });
});

/** gpt-tokenizer's count, recording what it was given. */
function spy() {
  const pieces: string[] = [];
  const count = (text: string): number => {
    pieces.push(text);
    return countTokens(text);
  };
  return { pieces, count, chars: () => pieces.reduce((n, p) => n + p.length, 0) };
}

function randomText(length: number, from: number, span: number): string {
  let s = '';
  // A fixed seed: the test sees the same text on every run.
  let seed = 12345;
  for (let i = 0; i < length; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    s += String.fromCodePoint(from + (seed % span));
  }
  return s;
}

describe('estimates of prompts as large as AI_MAX_PROMPT_BYTES', () => {
  // Runs without spaces cost the tokenizer time quadratic in their length (minutes for 1 MiB).
  const adversarial: [string, string][] = [
    ['one run of "a"', 'a'.repeat(DEFAULT_MAX_PROMPT_BYTES)],
    ['random letters', randomText(DEFAULT_MAX_PROMPT_BYTES, 97, 26)],
    ['random CJK', randomText(DEFAULT_MAX_PROMPT_BYTES / 3, 0x4e00, 0x5000)],
    ['random emoji (surrogate pairs)', randomText(DEFAULT_MAX_PROMPT_BYTES / 4, 0x1f600, 0x50)],
  ];

  for (const [name, text] of adversarial) {
    it(`${name}: the tokenizer sees at most the budget, in pieces, and the count is sane`, () => {
      const counter = spy();
      const tokens = estimatePromptTokens([{ role: 'user', content: text }], counter.count);
      expect(counter.chars()).toBeLessThanOrEqual(TOKENIZE_BUDGET_CHARS);
      expect(Math.max(...counter.pieces.map((p) => p.length))).toBeLessThanOrEqual(TOKENIZE_CHUNK_CHARS);
      // No piece starts or ends inside a surrogate pair.
      const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
      expect(counter.pieces.filter((p) => loneSurrogate.test(p))).toEqual([]);
      // At most one token per UTF-8 byte, and no encoding packs more than ~8 bytes of such text in one.
      const bytes = Buffer.byteLength(text);
      expect(tokens).toBeLessThanOrEqual(bytes + TOKENS_PER_MESSAGE + TOKENS_PER_REPLY);
      expect(tokens).toBeGreaterThanOrEqual(bytes / 10);
    });
  }

  it('a run of "a" comes out at the exact rate of a shorter run (8 characters a token)', () => {
    expect(countTokensBounded(['a'.repeat(DEFAULT_MAX_PROMPT_BYTES)])).toBe(DEFAULT_MAX_PROMPT_BYTES / 8);
  });

  it('English text comes out within 5% of the exact count', () => {
    const text = 'The quick brown fox jumps over the lazy dog near the river bank, said the report. '
      .repeat(13_000)
      .slice(0, DEFAULT_MAX_PROMPT_BYTES);
    const exact = countTokens(text);
    const estimate = countTokensBounded([text]);
    expect(estimate).toBeGreaterThanOrEqual(exact * 0.95);
    expect(estimate).toBeLessThanOrEqual(exact * 1.05);
  });

  it('1000 messages share one budget', () => {
    const counter = spy();
    const messages = Array.from({ length: 1000 }, (_, i) => ({
      role: 'user',
      content: `${i} ${'x'.repeat(1000)}`,
    }));
    const tokens = estimatePromptTokens(messages, counter.count);
    expect(counter.chars()).toBeLessThanOrEqual(TOKENIZE_BUDGET_CHARS);
    expect(tokens).toBeGreaterThan(1000 * TOKENS_PER_MESSAGE + 1000 * (1000 / 8));
  });

  it('a text within the budget is counted whole, piece by piece', () => {
    const counter = spy();
    const text = 'word '.repeat(300);
    countTokensBounded([text], counter.count);
    expect(counter.pieces.join('')).toBe(text);
  });
});
