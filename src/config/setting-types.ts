/**
 * The kinds of value a setting can hold, each a zod schema from the raw text (undefined = unset or
 * empty) to the typed value with the default applied, plus the default as the docs write it. The
 * default is given once, here, so the parser and the generated README/.env.example cannot disagree.
 * Messages name what is expected and never echo the value, which may be a URL with a password in it.
 */
import { z } from 'zod';
import { canonicalTimeZone } from '../core/time-zone.js';

export interface SettingType<Value> {
  /** Parses the raw text; undefined (unset or empty) gives the default. */
  readonly schema: z.ZodType<Value, string | undefined>;
  /** The default as an env line would write it; undefined when unset means "none" (see `unset`). */
  readonly defaultText: string | undefined;
  /** Values shown to an operator as a URL have their credentials masked in the settings view. */
  readonly url?: boolean;
}

/**
 * A setting whose value is checked outside the zod schema (the master key: it must become a Secret
 * at once and its problems carry their own hint); `Value` is only its type.
 */
export interface CheckedElsewhere<Value> {
  readonly checkedElsewhere: true;
  readonly defaultText: undefined;
  /** Never set: carries `Value` for the derived config types. */
  readonly valueType?: Value;
}

/**
 * The schema every text-read setting shares: unset gives `fallback`; otherwise `read` gets the
 * trimmed text and returns the value, or a `{ refused }` message (which never echoes the value).
 */
function readText<Value, D>(
  fallback: D,
  read: (text: string) => Value | { readonly refused: string },
): z.ZodType<Value | D, string | undefined> {
  return z
    .string()
    .optional()
    .transform((raw, ctx): Value | D => {
      if (raw === undefined) return fallback;
      const value = read(raw.trim());
      if (typeof value === 'object' && value !== null && 'refused' in value) {
        ctx.issues.push({ code: 'custom', message: value.refused, input: raw });
        return z.NEVER;
      }
      return value as Value;
    });
}

export function checkedElsewhere<Value>(): CheckedElsewhere<Value> {
  return { checkedElsewhere: true, defaultText: undefined };
}

/** Whole number >= min, or the default when unset; `fallback` null keeps "unset" as null. */
export function wholeNumber<D extends number | null>(min: number, fallback: D): SettingType<number | D> {
  const what = min === 0 ? 'a whole number (0 or more)' : `a whole number of at least ${min}`;
  const schema = readText<number, D>(fallback, (text) => {
    const value = Number(text);
    return /^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min
      ? value
      : { refused: `must be ${what}` };
  });
  return { schema, defaultText: fallback === null ? undefined : String(fallback) };
}

/** Trimmed text; `fallback` undefined keeps "unset" as undefined. */
export function text<D extends string | undefined>(fallback: D): SettingType<string | D> {
  const schema = z
    .string()
    .optional()
    .transform((raw): string | D => (raw === undefined ? fallback : raw.trim()));
  return { schema, defaultText: fallback };
}

export function url(protocols: readonly string[], fallback: string): SettingType<string> {
  const examples = protocols.map((p) => `${p}//...`).join(' or ');
  const schema = readText<string, string>(fallback, (text) => {
    let protocol: string | undefined;
    try {
      protocol = new URL(text).protocol;
    } catch {
      protocol = undefined;
    }
    return protocol !== undefined && protocols.includes(protocol)
      ? text
      : { refused: `must be a URL starting with ${examples}` };
  });
  return { schema, defaultText: fallback, url: true };
}

/** An amount in USD; unset = null (no limit). */
export function dollars(): SettingType<number | null> {
  const schema = readText<number, null>(null, (text) => {
    const value = Number(text);
    return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(value)
      ? value
      : { refused: 'must be an amount in USD (e.g. 250 or 99.50)' };
  });
  return { schema, defaultText: undefined };
}

/** `type` with one more rule on its parsed value (the default included). */
export function checked<Value>(
  type: SettingType<Value>,
  rule: (value: Value) => boolean,
  message: string,
): SettingType<Value> {
  return { ...type, schema: type.schema.refine(rule, { message }) };
}

/** An IANA time zone name (`Europe/Berlin`), checked against the runtime's own zone database. */
export function timeZone(fallback: string): SettingType<string> {
  const schema = readText<string, string>(
    fallback,
    (text) =>
      canonicalTimeZone(text) ?? { refused: 'must be an IANA time zone name such as UTC or Europe/Berlin' },
  );
  return { schema, defaultText: fallback };
}

/** One cron field: numbers, names, `*`, ranges, steps, lists, and cron-parser's `L W # ?`. */
const CRON_FIELD = /^[0-9A-Za-z*?/,#-]+$/;

/**
 * A cron pattern as BullMQ's job schedulers read it: 5 fields (minute hour day month weekday) or 6
 * (seconds first). Only the shape is checked here; BullMQ refuses a pattern it cannot read when the
 * scheduler is registered at start.
 */
export function cronPattern(fallback: string): SettingType<string> {
  const schema = readText<string, string>(fallback, (text) => {
    const fields = text.split(/\s+/);
    return fields.length >= 5 && fields.length <= 6 && fields.every((f) => CRON_FIELD.test(f))
      ? fields.join(' ')
      : { refused: 'must be a cron pattern of 5 fields (minute hour day month weekday), e.g. 0 0 * * *' };
  });
  return { schema, defaultText: fallback };
}
