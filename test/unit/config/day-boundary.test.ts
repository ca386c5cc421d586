/**
 * AI_TIMEZONE and AI_DAILY_RESET_CRON are checked where they enter, and the local-day arithmetic
 * the reset closes days with holds across daylight-saving changes.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dayClosedAt, isLastDayOfMonth, localDate } from '../../../src/core/time-zone.js';
import { maintenanceSchedules } from '../../../src/queues/maintenance-schedule.js';
import { ENCRYPTION_LINE, envText, expectProblem, parse } from './helpers.js';

const KEY = 'KEY_1=sk-boundary-1111';

describe('day boundary settings', () => {
  it('default to midnight UTC and a 90-day log retention', () => {
    const { system } = parse(envText(ENCRYPTION_LINE, KEY));
    expect(system).toMatchObject({ timeZone: 'UTC', dailyResetCron: '0 0 * * *', logRetentionDays: 90 });
  });

  it('take an IANA zone, a cron pattern and a retention', () => {
    const { system } = parse(
      envText(
        ENCRYPTION_LINE,
        KEY,
        'AI_TIMEZONE=europe/berlin',
        'AI_DAILY_RESET_CRON=0  6 * * 1-5',
        'AI_LOG_RETENTION_DAYS=7',
      ),
    );
    expect(system).toMatchObject({
      timeZone: 'Europe/Berlin',
      dailyResetCron: '0 6 * * 1-5',
      logRetentionDays: 7,
    });
  });

  it.each([
    ['AI_TIMEZONE', 'Mars/Olympus_Mons', /IANA time zone/],
    ['AI_TIMEZONE', 'CEST+2', /IANA time zone/],
    ['AI_DAILY_RESET_CRON', 'at midnight', /cron pattern/],
    ['AI_DAILY_RESET_CRON', '0 0 *', /cron pattern/],
    ['AI_LOG_RETENTION_DAYS', '0', /at least 1/],
  ])('rejects %s=%s, naming the setting and what to write', (name, value, message) => {
    const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, `${name}=${value}`), { line: 3, name });
    expect(problem.message).toMatch(message);
  });

  it('schedule the reset and the pruning in the zone', () => {
    const schedules = maintenanceSchedules({ dailyResetCron: '0 0 * * *', timeZone: 'Europe/Berlin' });
    expect(schedules.find((s) => s.task === 'reset-daily')?.repeat).toEqual({
      pattern: '0 0 * * *',
      tz: 'Europe/Berlin',
    });
    expect(schedules.find((s) => s.task === 'prune-logs')?.repeat).toMatchObject({ tz: 'Europe/Berlin' });
  });
});

describe('local days', () => {
  it('close the local day before the reset, across the spring-forward day (23 hours)', () => {
    // Berlin midnight after 2026-03-29 is 22:00 UTC (CEST); the midnight before it was 23:00 UTC (CET).
    expect(dayClosedAt(Date.parse('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(dayClosedAt(Date.parse('2026-03-29T21:59:59Z'), 'Europe/Berlin')).toBe('2026-03-28');
    expect(localDate(Date.parse('2026-03-28T23:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(dayClosedAt(Date.parse('2026-03-29T22:00:00Z'), 'UTC')).toBe('2026-03-28');
  });

  it('add whole days to dates and find month ends', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(isLastDayOfMonth('2026-02-28')).toBe(true);
    expect(isLastDayOfMonth('2028-02-28')).toBe(false);
  });
});
