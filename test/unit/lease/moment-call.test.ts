import { describe, expect, it } from 'vitest';
import {
  decodeMoment,
  momentArgs,
  momentCalls,
  type MomentItem,
  type MomentResult,
} from '../../../src/lease/moment-call.js';
import { TEST_SETTINGS as SETTINGS } from '../../integration/lease/fixtures.js';

const lease = (estimatedTokens: number): MomentItem => ({
  kind: 'lease',
  request: { provider: 'openai', model: 'm', estimatedTokens },
});
const release = (leaseId: string, stream: string): MomentItem => ({
  kind: 'release',
  release: { leaseId, outcome: { kind: 'success', tokens: 7 }, entry: stream ? 'rec' : '', stream },
});

describe('momentCalls', () => {
  it('keeps the order asked, leases joining the call under way, a new call where the stream changes', () => {
    const items = [lease(1), release('a', 's1'), lease(2), release('b', 's2'), release('c', 's2'), lease(3)];
    expect(momentCalls(items).map((c) => ({ stream: c.stream, at: c.items.map((i) => i.at) }))).toEqual([
      { stream: 's1', at: [0, 1, 2] },
      { stream: 's2', at: [3, 4, 5] },
    ]);
  });

  it('makes one call without a stream for leases alone', () => {
    expect(momentCalls([lease(1), lease(2)]).map((c) => [c.stream, c.items.length])).toEqual([['', 2]]);
  });
});

describe('momentArgs', () => {
  it('sends the settings, the count of requests, then runs of one kind in order', () => {
    const [call] = momentCalls([lease(10), release('a', 's'), release('b', 's'), lease(20.5)]);
    expect(momentArgs(call!, SETTINGS)).toEqual([
      ...[120_000, 1800, 86_400, 3, 300_000, 30_000],
      4,
      3,
      ...['L', 1, 'openai', 'm', 'gpt-3.5-turbo', 10, 0],
      ...[
        'R',
        2,
        'a',
        'success',
        7,
        '0.00000000',
        -1,
        0,
        'rec',
        'b',
        'success',
        7,
        '0.00000000',
        -1,
        0,
        'rec',
      ],
      ...['L', 1, 'openai', 'm', 'gpt-3.5-turbo', 21, 0],
    ]);
  });
});

describe('decodeMoment', () => {
  it("reads each request's reply in order and puts it at the request's place in the batch", () => {
    const items = [release('x', ''), lease(5)];
    const [call] = momentCalls(items);
    const results: MomentResult[] = [];
    decodeMoment(call!, [1, 4, 2, -1, 0], results);
    expect(results).toEqual([
      { released: false, reason: 'unknown' },
      { ok: false, reason: 'no_key', retryAtMs: null, onlyTriedKeysAvailable: false },
    ]);
  });
});
