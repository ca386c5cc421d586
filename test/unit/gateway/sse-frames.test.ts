import { describe, expect, it } from 'vitest';
import type { ReplyEntry } from '../../../src/jobs/reply-stream.js';
import { decodeReplyEntry } from '../../../src/jobs/reply-stream.js';
import { anthropicSse, entriesOf, openAiSse } from '../../../src/gateway/sse-frames.js';

const usage = { promptTokens: 7, completionTokens: 3, totalTokens: 10, estimated: false };
const reply: ReplyEntry[] = [
  { t: 'd', r: 1, n: 0, x: 'Hel', m: 'gpt-4o-2024' },
  { t: 'd', r: 1, n: 1, x: 'lo' },
  { t: 'end', r: 1, n: 2, m: 'gpt-4o-2024', f: 'length', u: usage },
];

/** `data:` payloads of OpenAI frames, parsed (the [DONE] marker kept as a string). */
function openAiData(text: string): unknown[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      const data = frame.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

function anthropicEvents(
  text: string,
): { event: string; data: { type: string } & Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      const event = eventLine!.replace(/^event: /, '');
      const data = JSON.parse(dataLine!.replace(/^data: /, '')) as { type: string };
      expect(data.type).toBe(event);
      return { event, data };
    });
}

describe('OpenAI server-sent events', () => {
  it('opens with a role chunk, sends each piece, the finish reason, the usage when asked, then [DONE]', () => {
    const writer = openAiSse('gpt-4o', true, 1_700_000_000_000);
    const frames = openAiData(reply.map((e) => writer.entry(e)).join(''));
    expect(frames).toHaveLength(6);
    expect(frames[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'gpt-4o-2024',
      created: 1_700_000_000,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      usage: null,
    });
    expect(
      frames
        .slice(1, 3)
        .map((f) => (f as { choices: [{ delta: { content: string } }] }).choices[0].delta.content),
    ).toEqual(['Hel', 'lo']);
    expect(frames[3]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'length' }], usage: null });
    expect(frames[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(frames[5]).toBe('[DONE]');
    // One id for the whole reply.
    expect(new Set(frames.slice(0, 5).map((f) => (f as { id: string }).id)).size).toBe(1);
  });

  it('leaves usage out entirely unless include_usage was asked', () => {
    const writer = openAiSse('gpt-4o', false);
    const frames = openAiData(reply.map((e) => writer.entry(e)).join(''));
    expect(frames).toHaveLength(5);
    for (const frame of frames.slice(0, 4)) expect(frame).not.toHaveProperty('usage');
  });

  it('ends a broken reply with an error object, which the openai SDK raises', () => {
    const writer = openAiSse('gpt-4o', false);
    const text =
      writer.entry(reply[0]!) + writer.entry({ t: 'err', r: 1, n: 1, msg: 'key_1: HTTP 200 broke' });
    const frames = openAiData(text);
    expect(frames.at(-1)).toEqual({
      error: { message: 'key_1: HTTP 200 broke', type: 'api_error', code: 'upstream_failed', param: null },
    });
    expect(frames).not.toContain('[DONE]');
  });
});

describe('Anthropic server-sent events', () => {
  it('sends the event sequence the SDK accumulates, with the usage and stop reason at the end', () => {
    const writer = anthropicSse('claude-x');
    const events = anthropicEvents(reply.map((e) => writer.entry(e)).join(''));
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data).toMatchObject({
      message: { role: 'assistant', model: 'gpt-4o-2024', content: [] },
    });
    expect(events[2]!.data).toMatchObject({ index: 0, delta: { type: 'text_delta', text: 'Hel' } });
    expect(events[5]!.data).toMatchObject({
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { input_tokens: 7, output_tokens: 3 },
    });
  });

  it('ends a broken reply with an error event', () => {
    const writer = anthropicSse('claude-x');
    const events = anthropicEvents(
      writer.entry(reply[0]!) + writer.entry({ t: 'err', r: 1, n: 1, msg: 'broke' }),
    );
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'broke' } },
    });
  });
});

describe('reply entries', () => {
  it('replays a whole result as the entries a streaming worker writes', () => {
    const entries = entriesOf({
      content: 'hi',
      provider: 'openai',
      model: 'm',
      keyName: 'key_1',
      usage,
      estimatedCost: 0,
      attempts: [],
      finishReason: 'content_filter',
    });
    expect(entries).toEqual([
      { t: 'd', r: 0, n: 0, x: 'hi', m: 'm' },
      { t: 'end', r: 0, n: 1, m: 'm', f: 'content_filter', u: usage },
    ]);
  });

  it('decodes what the worker writes and nothing else', () => {
    for (const entry of reply) expect(decodeReplyEntry(JSON.stringify(entry))).toEqual(entry);
    for (const raw of [
      '',
      'nope',
      '[]',
      '{"t":"d","r":1,"n":0}',
      '{"t":"x","r":1,"n":0}',
      '{"t":"end","r":1,"n":0,"m":"m"}',
    ]) {
      expect(decodeReplyEntry(raw), raw).toBeUndefined();
    }
  });
});
