/**
 * The key grammar: `KEY_N=<secret>` plus optional `KEY_N_MODEL`, `KEY_N_PROVIDER`, `KEY_N_DAILY_LIMIT`,
 * `KEY_N_MAX_CONCURRENCY`; N a positive integer without leading zeros. Keys come from the env file
 * only, never from the process environment. Problems name the setting and line, never the value.
 */
import type { ConfigProblem } from '../core/errors.js';
import { closestName } from './did-you-mean.js';
import type { EnvEntry } from './env-file.js';

export const KEY_SUFFIXES = ['MODEL', 'PROVIDER', 'DAILY_LIMIT', 'MAX_CONCURRENCY'] as const;
export type KeySuffix = (typeof KEY_SUFFIXES)[number];

export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** A key as written in the file, before defaults and accounts are applied. */
export interface KeyDraft {
  readonly number: number;
  /** The setting that holds the secret (`KEY_3`, or a legacy name such as `OPENAI_API_KEY`). */
  readonly setting: string;
  readonly line: number;
  readonly secret: string;
  readonly model?: string;
  readonly provider?: string;
  readonly dailyLimit?: number;
  readonly maxConcurrency?: number;
}

export interface KeyEntries {
  /** Sorted by number. */
  readonly drafts: readonly KeyDraft[];
  readonly problems: readonly ConfigProblem[];
}

const KEY_NAME = /^KEY_([^_]*)(?:_(.*))?$/;
const POSITIVE_NUMBER = /^[1-9][0-9]*$/;

export function isKeySettingName(name: string): boolean {
  return KEY_NAME.test(name);
}

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

export function parseKeyEntries(entries: readonly EnvEntry[], file: string): KeyEntries {
  const problems: ConfigProblem[] = [];
  const problem = (entry: EnvEntry, message: string, hint: string): void => {
    problems.push({ file, line: entry.line, name: entry.name, message, hint });
  };
  const bases = new Map<number, Mutable<KeyDraft>>();
  const extras: { entry: EnvEntry; number: number; suffix: KeySuffix }[] = [];

  for (const entry of entries) {
    const match = KEY_NAME.exec(entry.name);
    if (!match) continue;
    const digits = match[1] ?? '';
    const suffix = match[2];
    const number = Number(digits);
    if (!POSITIVE_NUMBER.test(digits) || !Number.isSafeInteger(number)) {
      problem(
        entry,
        'the key number must be a positive whole number without leading zeros',
        'number keys KEY_1, KEY_2, KEY_3, ...',
      );
      continue;
    }
    if (suffix !== undefined && !(KEY_SUFFIXES as readonly string[]).includes(suffix)) {
      const valid = KEY_SUFFIXES.map((s) => `KEY_${number}_${s}`);
      const close = closestName(entry.name, valid);
      problem(
        entry,
        `unknown key setting "_${suffix}"`,
        `${close === undefined ? '' : `did you mean ${close}? `}valid settings are ${valid.join(', ')}`,
      );
      continue;
    }
    if (entry.value.trim() === '') {
      problem(entry, 'has an empty value', 'set a value or delete the line');
      continue;
    }
    if (suffix === undefined) {
      bases.set(number, { number, setting: entry.name, line: entry.line, secret: entry.value });
    } else {
      extras.push({ entry, number, suffix: suffix as KeySuffix });
    }
  }

  for (const { entry, number, suffix } of extras) {
    const draft = bases.get(number);
    if (draft === undefined) {
      problem(entry, `is set but KEY_${number} is not`, `add KEY_${number}=<api key>, or delete this line`);
      continue;
    }
    const value = entry.value.trim();
    switch (suffix) {
      case 'MODEL':
        draft.model = value;
        break;
      case 'PROVIDER': {
        const provider = value.toLowerCase();
        if (PROVIDER_NAME.test(provider)) draft.provider = provider;
        else
          problem(
            entry,
            'is not a valid provider name',
            'use letters, digits, "-" and "_", starting with a letter or digit (e.g. openai, anthropic)',
          );
        break;
      }
      case 'DAILY_LIMIT':
      case 'MAX_CONCURRENCY': {
        const amount = Number(value);
        if (/^\d+$/.test(value) && Number.isSafeInteger(amount) && amount > 0) {
          if (suffix === 'DAILY_LIMIT') draft.dailyLimit = amount;
          else draft.maxConcurrency = amount;
        } else {
          const what = suffix === 'DAILY_LIMIT' ? 'tokens per day' : 'concurrent requests';
          problem(
            entry,
            `must be a positive whole number (${what})`,
            `write e.g. ${entry.name}=${suffix === 'DAILY_LIMIT' ? 100000 : 4}`,
          );
        }
        break;
      }
    }
  }

  const drafts = [...bases.values()].sort((a, b) => a.number - b.number);
  problems.push(...duplicateSecrets(drafts, file));
  return { drafts, problems };
}

/** The same secret under two names would be imported twice and spent twice as fast as its limit. */
function duplicateSecrets(drafts: readonly KeyDraft[], file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, KeyDraft>();
  for (const draft of [...drafts].sort((a, b) => a.line - b.line)) {
    const earlier = seen.get(draft.secret);
    if (earlier === undefined) {
      seen.set(draft.secret, draft);
      continue;
    }
    problems.push({
      file,
      line: draft.line,
      name: draft.setting,
      message: `holds the same key as ${earlier.setting} (line ${earlier.line})`,
      hint: `each key must appear once: delete line ${draft.line} or line ${earlier.line}`,
    });
  }
  return problems;
}
