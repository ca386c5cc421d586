import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { estimatePromptTokens, countTextTokens } from '../../../src/pricing/estimate-tokens.js';
import { readAnthropicMessage } from '../../../src/providers/anthropic.js';
import { readChatCompletion } from '../../../src/providers/openai-compatible.js';
import type { ChatRequest, ChatResult } from '../../../src/providers/types.js';
import { MAX_TOKENS_PER_CALL, tokenCount } from '../../../src/providers/usage-check.js';

const request: ChatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };
const secret = new Secret('sk-test-usage-check');
const content = 'hello there';
const estimate = {
  promptTokens: estimatePromptTokens(request.messages),
  completionTokens: countTextTokens(content),
};
const estimated = {
  ...estimate,
  totalTokens: estimate.promptTokens + estimate.completionTokens,
  estimated: true,
};

function usageOf(result: ChatResult) {
  if (!result.ok) throw new Error(`expected an answer, got ${result.message}`);
  return result.usage;
}

const openai = (usage: unknown) =>
  usageOf(readChatCompletion('openai', { choices: [{ message: { content } }], usage }, request, secret));
const anthropic = (usage: unknown) =>
  usageOf(
    readAnthropicMessage('anthropic', { content: [{ type: 'text', text: content }], usage }, request, secret),
  );

describe('token counts from a provider', () => {
  it('accepts non-negative integers up to the bound, rounds fractions, refuses the rest', () => {
    expect(tokenCount(0)).toBe(0);
    expect(tokenCount(20.5)).toBe(21);
    expect(tokenCount(20.4)).toBe(20);
    expect(tokenCount(MAX_TOKENS_PER_CALL)).toBe(MAX_TOKENS_PER_CALL);
    for (const garbage of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      MAX_TOKENS_PER_CALL + 1,
      '12',
      null,
      undefined,
      {},
    ]) {
      expect(tokenCount(garbage)).toBeUndefined();
    }
  });
});

describe('OpenAI-format usage', () => {
  it('rounds a fractional count, so Postgres can store it', () => {
    expect(openai({ prompt_tokens: 10, completion_tokens: 20.5, total_tokens: 30.5 })).toEqual({
      promptTokens: 10,
      completionTokens: 21,
      totalTokens: 31,
      estimated: false,
    });
  });

  it('takes prompt + completion as the total when the reported total disagrees', () => {
    expect(openai({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 999 })).toMatchObject({
      totalTokens: 15,
      estimated: false,
    });
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['negative', { prompt_tokens: -4, completion_tokens: 5 }],
    ['not a number', { prompt_tokens: '10', completion_tokens: 5 }],
    ['absurdly large', { prompt_tokens: 10, completion_tokens: 1e300 }],
    ['infinite', { prompt_tokens: 10, completion_tokens: Number.POSITIVE_INFINITY }],
  ])('counts the call with estimated tokens when usage is %s', (_label, usage) => {
    expect(openai(usage)).toEqual(estimated);
  });
});

describe('Anthropic-format usage', () => {
  it('adds cache reads and writes to the prompt and rounds fractions', () => {
    expect(
      anthropic({
        input_tokens: 10,
        output_tokens: 3.6,
        cache_creation_input_tokens: 2,
        cache_read_input_tokens: 1,
      }),
    ).toEqual({ promptTokens: 13, completionTokens: 4, totalTokens: 17, estimated: false });
  });

  it.each([
    ['missing', undefined],
    ['without input tokens', { output_tokens: 3 }],
    ['with a garbage cache count', { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 'x' }],
    ['negative', { input_tokens: 10, output_tokens: -3 }],
  ])('counts the answer with estimated tokens when usage is %s', (_label, usage) => {
    expect(anthropic(usage)).toEqual(estimated);
  });
});
