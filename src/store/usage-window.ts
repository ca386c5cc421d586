/**
 * The window of a usage question (`GET /api/usage`, `aikeys usage`): which buckets, from the one
 * holding `from` to the one holding `to`, both included. Day buckets are calendar days in
 * AI_TIMEZONE (`YYYY-MM-DD`); hour buckets are the zone's hours, named by the instant they start.
 * Both ends accept a day (`2026-11-01`, its local midnight) or an ISO 8601 instant with a zone
 * (`2026-11-01T08:00:00Z`, `...+01:00`). Bounded so that one question cannot scan years of logs.
 */
import { AikeysError } from '../core/errors.js';
import { addDays, localDate } from '../core/time-zone.js';

export const USAGE_BUCKETS = ['hour', 'day'] as const;
export type UsageBucket = (typeof USAGE_BUCKETS)[number];

/** Hour buckets reach at most 31 days (744 points on a chart); day buckets at most 400 days. */
export const MAX_BUCKETS: Readonly<Record<UsageBucket, number>> = { hour: 24 * 31, day: 400 };
/** Without `from`: the last 24 hours, or the last 30 days, up to `to`. */
export const DEFAULT_BUCKETS: Readonly<Record<UsageBucket, number>> = { hour: 24, day: 30 };

const HOUR_MS = 3_600_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** An instant must carry its zone (Z or ±hh:mm): a bare local time would mean a different hour per server. */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface UsageWindow {
  readonly bucket: UsageBucket;
  /** First bucket: a day `YYYY-MM-DD`, or the ISO instant its hour starts. */
  readonly from: string;
  /** Last bucket, included. */
  readonly to: string;
  readonly buckets: number;
}

export interface WindowInput {
  readonly bucket: UsageBucket;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** How the caller names `from` and `to` in errors (`query.from`, `--from`). */
export interface FieldNames {
  readonly from: string;
  readonly to: string;
}

function invalid(message: string): AikeysError {
  return new AikeysError('VALIDATION_FAILED', message);
}

/** Milliseconds `timeZone` is ahead of UTC at instant `ms` (negative west of Greenwich). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight of `day` is in `timeZone`. */
export function localMidnight(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  const guess = wall - zoneOffsetMs(wall, timeZone);
  return wall - zoneOffsetMs(guess, timeZone);
}

/** The start of the local hour holding `ms`. */
export function localHourStart(ms: number, timeZone: string): number {
  const offset = zoneOffsetMs(ms, timeZone);
  return Math.floor((ms + offset) / HOUR_MS) * HOUR_MS - offset;
}

function parseEnd(value: string, field: string): { day: string } | { ms: number } {
  if (DAY_PATTERN.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw invalid(`${field}: ${value} is not a calendar day (YYYY-MM-DD)`);
    }
    return { day: value };
  }
  const ms = INSTANT_PATTERN.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalid(
      `${field}: expected a day (2026-11-01) or an ISO 8601 instant with its zone (2026-11-01T08:00:00Z)`,
    );
  }
  return { ms };
}

function dayOf(end: { day: string } | { ms: number }, timeZone: string): string {
  return 'day' in end ? end.day : localDate(end.ms, timeZone);
}

function hourOf(end: { day: string } | { ms: number }, timeZone: string): number {
  return 'day' in end ? localMidnight(end.day, timeZone) : localHourStart(end.ms, timeZone);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function hourIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The window asked for, or VALIDATION_FAILED naming the field, the rule and the limit. */
export function resolveUsageWindow(
  input: WindowInput,
  nowMs: number,
  timeZone: string,
  names: FieldNames = { from: 'from', to: 'to' },
): UsageWindow {
  const { bucket } = input;
  const max = MAX_BUCKETS[bucket];
  const toEnd = input.to === undefined ? { ms: nowMs } : parseEnd(input.to, names.to);
  const fromEnd = input.from === undefined ? undefined : parseEnd(input.from, names.from);
  let from: string;
  let to: string;
  let buckets: number;
  if (bucket === 'day') {
    to = dayOf(toEnd, timeZone);
    from = fromEnd === undefined ? addDays(to, 1 - DEFAULT_BUCKETS.day) : dayOf(fromEnd, timeZone);
    buckets = daysBetween(from, to) + 1;
  } else {
    const toMs = hourOf(toEnd, timeZone);
    const fromMs =
      fromEnd === undefined ? toMs - (DEFAULT_BUCKETS.hour - 1) * HOUR_MS : hourOf(fromEnd, timeZone);
    from = hourIso(fromMs);
    to = hourIso(toMs);
    buckets = Math.round((toMs - fromMs) / HOUR_MS) + 1;
  }
  if (buckets < 1) throw invalid(`${names.from}: ${from} is after ${names.to} (${to})`);
  if (buckets > max) {
    const span = bucket === 'day' ? `${max} days` : `${max / 24} days (${max} hours)`;
    throw invalid(
      `${names.to}: the window holds ${buckets} ${bucket}s; at most ${span} with bucket=${bucket}` +
        (bucket === 'hour' ? ': use bucket=day for a longer window' : ': ask for a shorter window'),
    );
  }
  return { bucket, from, to, buckets };
}
