import { describe, expect, it } from 'vitest';
import { lastDelivered, nextStreamId, trimPoint } from '../../../src/usage/usage-trim.js';

describe('usage stream trim point', () => {
  it('keeps every pending record: trims below the oldest one', () => {
    expect(trimPoint([2, '1700000000000-3', '1700000000001-0', []], '1700000000009-0')).toBe(
      '1700000000000-3',
    );
  });

  it('with nothing pending trims just past the last delivered record, so unread ones stay', () => {
    expect(trimPoint([0, null, null, null], '1700000000009-41')).toBe('1700000000009-42');
  });

  it('does not trim when the group is unknown', () => {
    expect(trimPoint([0, null, null, null], undefined)).toBeUndefined();
  });

  it('counts sequence numbers past 2^53 exactly', () => {
    expect(nextStreamId('5-18446744073709551614')).toBe('5-18446744073709551615');
    expect(() => nextStreamId('nope')).toThrow('not a stream id');
  });

  it('reads last-delivered-id of the named group from XINFO GROUPS', () => {
    const groups = [
      ['name', 'other', 'consumers', 1, 'pending', 0, 'last-delivered-id', '9-9'],
      [
        'name',
        'usage-writers',
        'consumers',
        2,
        'pending',
        1,
        'last-delivered-id',
        '7-1',
        'entries-read',
        3,
        'lag',
        0,
      ],
    ];
    expect(lastDelivered(groups, 'usage-writers')).toBe('7-1');
    expect(lastDelivered(groups, 'missing')).toBeUndefined();
  });
});
