import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { anthropicStreamReader } from '../../../src/providers/anthropic-stream.js';
import { openAiStreamReader } from '../../../src/providers/openai-stream.js';
import { streamFrames } from '../../../src/simulator/stream-wire.js';

const request = { model: 'asked', messages: [{ role: 'user' as const, content: 'hello there' }] };
const secret = new Secret('sk-test-stream-reader-0001');

/** The JSON payloads of simulated frames, as the SDKs hand them to a reader. */
function payloads(frames: readonly string[]): unknown[] {
  return frames
    .map((f) => /data: (.*)\n\n$/s.exec(f)?.[1])
    .filter((d): d is string => d !== undefined && d !== '[DONE]')
    .map((d) => JSON.parse(d) as unknown);
}

describe('openAiStreamReader', () => {
  it('passes each piece on and takes the usage of the last chunk', () => {
    const pieces: string[] = [];
    const reader = openAiStreamReader('openai', request, secret, (text) => pieces.push(text));
    const frames = streamFrames('openai', {
      model: 'gpt-4o-2024',
      content: 'echo: hello there',
      usage: { promptTokens: 11, completionTokens: 5 },
      pieceDelayMs: 0,
    });
    for (const p of payloads(frames)) reader.take(p);
    expect(pieces).toEqual(['echo: ', 'hello ', 'there']);
    expect(reader.finish()).toEqual({
      ok: true,
      content: 'echo: hello there',
      model: 'gpt-4o-2024',
      usage: { promptTokens: 11, completionTokens: 5, totalTokens: 16, estimated: false },
      status: 200,
      finishReason: 'stop',
    });
  });

  it('estimates the usage of a stream that carries none, and says so', () => {
    const reader = openAiStreamReader('openai', request, secret, () => undefined);
    const frames = streamFrames('openai', {
      model: 'm',
      content: 'echo: hi',
      usage: undefined,
      pieceDelayMs: 0,
    });
    for (const p of payloads(frames)) reader.take(p);
    const result = reader.finish();
    expect(result.ok && result.usage.estimated).toBe(true);
    expect(result.ok && result.usage.completionTokens).toBeGreaterThan(0);
  });

  it('maps finish reasons and refuses a stream with no chunk at all', () => {
    const reader = openAiStreamReader('openai', request, secret, () => undefined);
    reader.take({ choices: [{ delta: { content: 'x' }, finish_reason: 'length' }] });
    expect(reader.finish()).toMatchObject({ ok: true, finishReason: 'length' });
    const empty = openAiStreamReader('openai', request, secret, () => undefined);
    expect(empty.started).toBe(false);
    expect(empty.finish()).toMatchObject({ ok: false, status: 200 });
  });
});

describe('anthropicStreamReader', () => {
  it('reads text deltas, input tokens from message_start and output tokens from message_delta', () => {
    const pieces: string[] = [];
    const reader = anthropicStreamReader('anthropic', request, secret, (text, model) =>
      pieces.push(`${model}:${text}`),
    );
    const frames = streamFrames('anthropic', {
      model: 'claude-x',
      content: 'echo: hi you',
      usage: { promptTokens: 9, completionTokens: 4 },
      pieceDelayMs: 0,
    });
    for (const p of payloads(frames)) reader.take(p);
    expect(pieces).toEqual(['claude-x:echo: ', 'claude-x:hi ', 'claude-x:you']);
    expect(reader.finish()).toEqual({
      ok: true,
      content: 'echo: hi you',
      model: 'claude-x',
      usage: { promptTokens: 9, completionTokens: 4, totalTokens: 13, estimated: false },
      status: 200,
      finishReason: 'stop',
    });
  });

  it('counts prompt-cache tokens as input and maps max_tokens to length', () => {
    const reader = anthropicStreamReader('anthropic', request, secret, () => undefined);
    reader.take({
      type: 'message_start',
      message: { model: 'c', usage: { input_tokens: 2, cache_read_input_tokens: 5 } },
    });
    reader.take({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'a' } });
    reader.take({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 1 } });
    reader.take({ type: 'message_stop' });
    expect(reader.finish()).toMatchObject({
      usage: { promptTokens: 7, completionTokens: 1, estimated: false },
      finishReason: 'length',
    });
  });
});

describe('simulated stream frames', () => {
  it("break after the first piece with each format's error frame", () => {
    const answer = { model: 'm', content: 'one two three', usage: undefined, pieceDelayMs: 0, breakAfter: 1 };
    const openai = streamFrames('openai', answer);
    expect(openai).toHaveLength(3);
    expect(openai.at(-1)).toMatch(/^data: \{"error":/);
    const anthropic = streamFrames('anthropic', answer);
    expect(anthropic).toHaveLength(4);
    expect(anthropic.at(-1)).toMatch(/^event: error\n/);
  });
});
