import { describe, expect, it } from 'vitest';
import {
  checkJobData,
  DEFAULT_MAX_PROMPT_BYTES,
  MAX_MAX_TOKENS,
  MAX_MESSAGES,
  MAX_METADATA_BYTES,
  MAX_NAME_LENGTH,
} from '../../../src/jobs/job-schema.js';

const user = (content: string) => ({ role: 'user' as const, content });
const valid = { messages: [user('hi')] };

function refusal(input: unknown, limits?: { maxPromptBytes: number }): string {
  const check = checkJobData(input, limits);
  if (check.ok) throw new Error('expected the job data to be refused');
  return check.message;
}

describe('job data limits', () => {
  it('accepts data at every limit', () => {
    const atLimits = {
      provider: 'p'.repeat(MAX_NAME_LENGTH),
      model: 'm'.repeat(MAX_NAME_LENGTH),
      messages: Array.from({ length: MAX_MESSAGES }, () => user('x')),
      maxTokens: MAX_MAX_TOKENS,
      metadata: { note: 'n'.repeat(MAX_METADATA_BYTES - '{"note":""}'.length) },
    };
    expect(checkJobData(atLimits).ok).toBe(true);
    expect(checkJobData({ messages: [user('x'.repeat(DEFAULT_MAX_PROMPT_BYTES))] }).ok).toBe(true);
    expect(checkJobData({ ...valid, model: 'anthropic/claude-3.5-sonnet:beta' }).ok).toBe(true);
  });

  it('refuses more than 1000 messages, naming the field and the limit', () => {
    const message = refusal({ messages: Array.from({ length: MAX_MESSAGES + 1 }, () => user('x')) });
    expect(message).toBe('Invalid job data: messages: must hold at most 1000 messages');
  });

  it('refuses message contents over AI_MAX_PROMPT_BYTES, counted in UTF-8 bytes across messages', () => {
    expect(refusal({ messages: [user('x'.repeat(DEFAULT_MAX_PROMPT_BYTES + 1))] })).toBe(
      'Invalid job data: messages: content is 1048577 bytes, over the limit of 1048576 bytes (AI_MAX_PROMPT_BYTES)',
    );
    // 2 x 300 characters of 2 bytes each: 1200 bytes, though only 600 characters.
    const twoMessages = { messages: [user('é'.repeat(300)), user('é'.repeat(300))] };
    expect(refusal(twoMessages, { maxPromptBytes: 1000 })).toMatch(
      /content is 1200 bytes, over the limit of 1000 bytes \(AI_MAX_PROMPT_BYTES\)/,
    );
    expect(checkJobData(twoMessages, { maxPromptBytes: 1200 }).ok).toBe(true);
  });

  it('refuses model and provider names over 200 characters or not printable', () => {
    expect(refusal({ ...valid, model: 'm'.repeat(MAX_NAME_LENGTH + 1) })).toBe(
      'Invalid job data: model: must be at most 200 characters',
    );
    expect(refusal({ ...valid, provider: 'p'.repeat(MAX_NAME_LENGTH + 1) })).toMatch(
      /^Invalid job data: provider: must be at most 200 characters/,
    );
    for (const model of ['gpt 4o', 'gpt-4o\n', 'gpt\u0000', 'gpt\u200b4o']) {
      expect(refusal({ ...valid, model })).toBe(
        'Invalid job data: model: must be a model name: printable characters, no spaces',
      );
    }
  });

  it('refuses metadata over 16 KiB as JSON, saying how large it is', () => {
    const metadata = { blob: 'b'.repeat(MAX_METADATA_BYTES) };
    expect(refusal({ ...valid, metadata })).toBe(
      `Invalid job data: metadata: must be at most 16384 bytes as JSON (is ${MAX_METADATA_BYTES + 11})`,
    );
  });

  it('refuses metadata that is not JSON', () => {
    expect(refusal({ ...valid, metadata: { n: 10n } })).toBe(
      'Invalid job data: metadata: must be JSON (no cycles, no BigInt)',
    );
  });

  it('refuses maxTokens outside 1..1,000,000 or not whole', () => {
    expect(refusal({ ...valid, maxTokens: MAX_MAX_TOKENS + 1 })).toBe(
      'Invalid job data: maxTokens: must be at most 1000000',
    );
    expect(refusal({ ...valid, maxTokens: 0 })).toBe('Invalid job data: maxTokens: must be at least 1');
    expect(refusal({ ...valid, maxTokens: 1.5 })).toMatch(/^Invalid job data: maxTokens: /);
  });
});

describe('the client a job was run for', () => {
  it('accepts a client name and keeps it', () => {
    const check = checkJobData({ ...valid, client: 'billing.v2_eu-1' });
    expect(check.ok && check.data.client).toBe('billing.v2_eu-1');
  });

  it.each(['', 'Billing', 'has space', 'x'.repeat(65)])('refuses client %j, naming the field', (client) => {
    expect(refusal({ ...valid, client })).toMatch(/^Invalid job data: client: must be a client name/);
  });
});
