/**
 * The readers without zod give exactly what the schemas give for the bodies they take, and take
 * none the schemas refuse: each body below goes through both.
 */
import { describe, expect, it } from 'vitest';
import { messagesRequest } from '../../../src/gateway/anthropic-messages.js';
import { chatCompletionRequest } from '../../../src/gateway/openai-chat.js';
import { plainChatRequest, plainMessagesRequest } from '../../../src/gateway/plain-requests.js';

const user = { role: 'user', content: 'Hi' };
const chat = { model: 'gpt-4o-mini', messages: [user] };
const messages = { model: 'claude-x', messages: [user], max_tokens: 16 };

/** Variants of `base`: each field replaced by (or given) each value, one at a time. */
function variants(base: Record<string, unknown>, values: Record<string, unknown[]>): unknown[] {
  const out: unknown[] = [base];
  for (const [key, list] of Object.entries(values)) {
    for (const value of list) out.push({ ...base, [key]: value });
    const { [key]: _dropped, ...without } = base;
    out.push(without);
  }
  return out;
}

// JSON values only: a parsed body never holds undefined (an absent field is a variant of its own).
const odd = [null, 0, -1, 1.5, 2, 3, 16, '16', true, false, '', {}, [], 'x'];
const messageLists = [
  [],
  [user, { role: 'assistant', content: 'Hello' }],
  [{ role: 'system', content: 'Be brief' }, user],
  [{ role: 'developer', content: 'Be brief' }, user],
  [{ role: 'tool', content: 'x' }],
  [{ role: 'user', content: [{ type: 'text', text: 'parts' }] }],
  [{ role: 'user', content: null }],
  [{ role: 'user' }],
  [{ ...user, name: 'extra field' }],
  [['user', 'Hi']],
  [null],
  'Hi',
];

function sameAsSchema(
  plain: (body: unknown) => unknown,
  schema: { safeParse(body: unknown): { success: boolean; data?: unknown } },
  bodies: unknown[],
): { taken: number; refused: number } {
  let taken = 0;
  let refused = 0;
  for (const body of bodies) {
    const fast = plain(body);
    const slow = schema.safeParse(body);
    if (fast === undefined) {
      refused += 1;
      continue;
    }
    taken += 1;
    expect({ body, success: slow.success }).toEqual({ body, success: true });
    expect(fast).toStrictEqual(slow.data);
  }
  return { taken, refused };
}

describe('request bodies read without zod', () => {
  it('gives what the chat completions schema gives, and leaves the rest to it', () => {
    const bodies = variants(
      { ...chat, max_tokens: 16, temperature: 0.7, stream: true, stream_options: { include_usage: true } },
      {
        model: ['', 42, 'gpt-4o'],
        messages: messageLists,
        max_tokens: odd,
        max_completion_tokens: odd,
        temperature: odd,
        stream: odd,
        stream_options: [
          ...odd,
          { include_usage: false },
          { include_usage: null },
          { include_usage: 'yes' },
          { other: 1 },
        ],
        tools: [[{ type: 'function' }]],
      },
    );
    const { taken, refused } = sameAsSchema(plainChatRequest, chatCompletionRequest, [
      ...bodies,
      chat,
      null,
      [],
      'x',
    ]);
    expect(taken).toBeGreaterThan(25);
    expect(refused).toBeGreaterThan(40);
    expect(plainChatRequest(chat)).toStrictEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  it('gives what the messages schema gives, and leaves the rest to it', () => {
    const bodies = variants(
      { ...messages, system: 'Be brief', temperature: 0.5, stream: false },
      {
        model: ['', 42],
        messages: messageLists,
        max_tokens: odd,
        system: [...odd, [{ type: 'text', text: 'blocks' }]],
        temperature: odd,
        stream: odd,
        metadata: [{ user_id: 'u' }],
      },
    );
    const { taken, refused } = sameAsSchema(plainMessagesRequest, messagesRequest, [
      ...bodies,
      messages,
      null,
    ]);
    expect(taken).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(40);
  });
});
