/**
 * Calendar days in an IANA time zone (AI_TIMEZONE). Days are written as `YYYY-MM-DD`, the form a
 * Postgres `date` takes and gives back, so a day computed here and one computed in SQL with
 * `AT TIME ZONE` compare equal. Local days are not 24 hours long across a daylight-saving change;
 * nothing here adds milliseconds to a local time, only whole days to a date.
 */

/**
 * The canonical spelling of a time zone this runtime knows (`europe/berlin` → `Europe/Berlin`), or
 * null: the check AI_TIMEZONE gets at start (Intl.DateTimeFormat throws on an unknown zone).
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.trim() === '') return null;
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The calendar day (`YYYY-MM-DD`) that the instant `ms` falls on in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** `day` plus `n` calendar days (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/**
 * The day a reset running at `nowMs` closes: the local day before the one it runs in. The reset is
 * scheduled at the start of a local day, so that is the day that just ended; a late run (a replica
 * was down) still closes the day before its own.
 */
export function dayClosedAt(nowMs: number, timeZone: string): string {
  return addDays(localDate(nowMs, timeZone), -1);
}

/** Whether the day after `day` is the first of a month (closing `day` starts a new budget month). */
export function isLastDayOfMonth(day: string): boolean {
  return addDays(day, 1).endsWith('-01');
}
