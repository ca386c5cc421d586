import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COMPLETION_TOKENS,
  estimatePromptTokens,
  estimateTokens,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_REPLY,
} from '../../../src/pricing/estimate-tokens.js';

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
