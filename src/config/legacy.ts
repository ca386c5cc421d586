/**
 * Legacy key names (`API_KEY_N_PRIMARY`, `API_KEY_N`, `OPENAI_API_KEY`,
 * `GEMINI_API_KEY`) still work: each becomes a key numbered after the highest explicit `KEY_N`, in
 * file order, and a notice says exactly how to rename it. A legacy key whose secret is already
 * configured is dropped with a notice to delete its line, since old files often repeat a key under
 * several names. Like `KEY_N`, legacy keys come from the env file only.
 */
import type { ConfigProblem } from '../core/errors.js';
import type { LegacyNotice } from './types.js';
import type { EnvEntry } from './env-file.js';
import type { KeyDraft } from './key-entries.js';

export const GEMINI_PROVIDER = 'gemini';
export const GEMINI_MODEL = 'gemini-2.0-flash';

const LEGACY_NAME = /^(?:API_KEY_[1-9][0-9]*(?:_PRIMARY)?|OPENAI_API_KEY|GEMINI_API_KEY)$/;

export function isLegacyKeyName(name: string): boolean {
  return LEGACY_NAME.test(name);
}

export interface LegacyKeys {
  /** The migrated keys, numbered after the explicit ones. */
  readonly drafts: readonly KeyDraft[];
  readonly notices: readonly LegacyNotice[];
  readonly problems: readonly ConfigProblem[];
}

export function migrateLegacyKeys(
  entries: readonly EnvEntry[],
  explicit: readonly KeyDraft[],
  file: string,
): LegacyKeys {
  const drafts: KeyDraft[] = [];
  const notices: LegacyNotice[] = [];
  const problems: ConfigProblem[] = [];
  const known = new Map<string, KeyDraft>(explicit.map((d) => [d.secret, d]));
  let next = explicit.reduce((max, d) => Math.max(max, d.number), 0) + 1;

  for (const entry of entries) {
    if (!isLegacyKeyName(entry.name)) continue;
    const { name, line, value } = entry;
    if (value.trim() === '') {
      problems.push({
        file,
        line,
        name,
        message: 'has an empty value',
        hint: 'set a value or delete the line',
      });
      continue;
    }
    const existing = known.get(value);
    if (existing !== undefined) {
      const newName = `KEY_${existing.number}`;
      notices.push({
        file,
        line,
        name,
        newName,
        message: `${name} is a legacy name for the same key as ${newName} (line ${existing.line}): delete line ${line}`,
      });
      continue;
    }
    const number = next++;
    const newName = `KEY_${number}`;
    const gemini = name === 'GEMINI_API_KEY';
    const draft: KeyDraft = gemini
      ? { number, setting: name, line, secret: value, provider: GEMINI_PROVIDER, model: GEMINI_MODEL }
      : { number, setting: name, line, secret: value };
    drafts.push(draft);
    known.set(value, draft);
    const extra = gemini
      ? ` (and add ${newName}_PROVIDER=${GEMINI_PROVIDER} and ${newName}_MODEL=${GEMINI_MODEL})`
      : '';
    notices.push({
      file,
      line,
      name,
      newName,
      message: `${name} is a legacy name: rename it to ${newName}${extra}`,
    });
  }
  return { drafts, notices, problems };
}
