/**
 * The usage window: days and hours in the configured zone, from the bucket holding `from` to the
 * one holding `to`, bounded, with errors that name the field. Zones with a half-hour offset and a
 * daylight-saving change are where UTC arithmetic would go wrong.
 */
import { describe, expect, it } from 'vitest';
import { AikeysError } from '../../../src/core/errors.js';
import {
  localHourStart,
  localMidnight,
  resolveUsageWindow,
  zoneOffsetMs,
} from '../../../src/store/usage-window.js';

const at = (iso: string) => Date.parse(iso);

describe('zone arithmetic', () => {
  it('finds local midnight across offsets and daylight saving', () => {
    expect(new Date(localMidnight('2026-11-01', 'UTC')).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(localMidnight('2026-11-01', 'Asia/Kolkata')).toISOString()).toBe(
      '2026-10-31T18:30:00.000Z',
    );
    // Berlin: CET (+1) before the change on 29 March, CEST (+2) after.
    expect(new Date(localMidnight('2026-03-29', 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-28T23:00:00.000Z',
    );
    expect(new Date(localMidnight('2026-03-30', 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T22:00:00.000Z',
    );
    expect(new Date(localMidnight('2026-01-15', 'America/Los_Angeles')).toISOString()).toBe(
      '2026-01-15T08:00:00.000Z',
    );
  });

  it('starts hours on the local hour', () => {
    expect(new Date(localHourStart(at('2026-11-01T10:10:00Z'), 'Asia/Kolkata')).toISOString()).toBe(
      '2026-11-01T09:30:00.000Z',
    );
    expect(new Date(localHourStart(at('2026-11-01T10:59:59Z'), 'UTC')).toISOString()).toBe(
      '2026-11-01T10:00:00.000Z',
    );
    expect(zoneOffsetMs(at('2026-07-01T00:00:00Z'), 'Europe/Berlin')).toBe(2 * 3_600_000);
  });
});

describe('resolveUsageWindow', () => {
  const now = at('2026-11-20T15:45:00Z');

  it('defaults to the last 30 days, or the last 24 hours, up to now', () => {
    expect(resolveUsageWindow({ bucket: 'day' }, now, 'UTC')).toEqual({
      bucket: 'day',
      from: '2026-10-22',
      to: '2026-11-20',
      buckets: 30,
    });
    expect(resolveUsageWindow({ bucket: 'hour' }, now, 'UTC')).toEqual({
      bucket: 'hour',
      from: '2026-11-19T16:00:00Z',
      to: '2026-11-20T15:00:00Z',
      buckets: 24,
    });
  });

  it('takes days and instants for either end, in the zone', () => {
    // 23:30 UTC on the 20th is already the 21st in Kolkata.
    expect(
      resolveUsageWindow(
        { bucket: 'day', from: '2026-11-01', to: '2026-11-20T23:30:00Z' },
        now,
        'Asia/Kolkata',
      ),
    ).toMatchObject({ from: '2026-11-01', to: '2026-11-21', buckets: 21 });
    expect(
      resolveUsageWindow({ bucket: 'hour', from: '2026-11-20', to: '2026-11-20T03:15:00+01:00' }, now, 'UTC'),
    ).toMatchObject({ from: '2026-11-20T00:00:00Z', to: '2026-11-20T02:00:00Z', buckets: 3 });
  });

  it('counts the 23 hours of a spring-forward day', () => {
    const window = resolveUsageWindow(
      { bucket: 'hour', from: '2026-03-29', to: '2026-03-30' },
      now,
      'Europe/Berlin',
    );
    expect(window).toMatchObject({ from: '2026-03-28T23:00:00Z', to: '2026-03-29T22:00:00Z', buckets: 24 });
  });

  it('bounds the window and names the field', () => {
    const fail = (input: Parameters<typeof resolveUsageWindow>[0]) => {
      try {
        resolveUsageWindow(input, now, 'UTC', { from: 'query.from', to: 'query.to' });
      } catch (error) {
        expect(error).toBeInstanceOf(AikeysError);
        expect((error as AikeysError).code).toBe('VALIDATION_FAILED');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(fail({ bucket: 'day', from: '2025-01-01', to: '2026-11-20' })).toMatch(
      /^query\.to: the window holds 689 days; at most 400 days/,
    );
    expect(
      resolveUsageWindow({ bucket: 'day', from: '2025-10-17', to: '2026-11-20' }, now, 'UTC').buckets,
    ).toBe(400);
    expect(fail({ bucket: 'hour', from: '2026-10-01', to: '2026-11-20' })).toMatch(/^query\.to: .*744 hours/);
    expect(fail({ bucket: 'day', from: '2026-11-21', to: '2026-11-20' })).toMatch(
      /^query\.from: 2026-11-21 is after/,
    );
    expect(fail({ bucket: 'day', from: '2026-13-01' })).toMatch(
      /^query\.from: 2026-13-01 is not a calendar day/,
    );
    expect(fail({ bucket: 'hour', to: '2026-11-20T10:00:00' })).toMatch(/^query\.to: .*with its zone/);
    expect(fail({ bucket: 'hour', to: 'now' })).toMatch(/^query\.to:/);
  });
});
