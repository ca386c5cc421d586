/**
 * The demo's line saying what its import put into Postgres, built from the import report, so it
 * stays true when someone edits the demo's env file (more keys, another provider, a key removed).
 */
import type { ImportReport, ImportedKey } from '../store/import/report.js';

const ROLE_OF_PRIORITY: Readonly<Record<string, string>> = { '1': 'primary', '2': 'fallback' };

/** `key_1, key_2, key_3, key_5` -> `key_1-3, key_5`; names not of the form `key_N` are listed as they are. */
export function keyRanges(names: readonly string[]): string {
  const numbers: number[] = [];
  const others: string[] = [];
  for (const name of names) {
    const match = /^key_(\d+)$/.exec(name);
    if (match) numbers.push(Number(match[1]));
    else others.push(name);
  }
  numbers.sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    runs.push(i === j ? `key_${numbers[i]}` : `key_${numbers[i]}-${numbers[j]}`);
    i = j + 1;
  }
  return [...runs, ...others].join(', ');
}

/** `openai:1` -> `openai primary`, `openai:2` -> `openai fallback`. */
function accountLabel(ref: string): string {
  const at = ref.lastIndexOf(':');
  const provider = ref.slice(0, at);
  const priority = ref.slice(at + 1);
  return `${provider} ${ROLE_OF_PRIORITY[priority] ?? `priority ${priority}`}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line: how many keys the config holds now, in how many accounts, and which keys in which. */
export function describeImport(report: ImportReport): string {
  const keys: ImportedKey[] = [...report.added, ...report.changed, ...report.unchanged];
  if (keys.length === 0) return `Imported no keys: ${report.file} holds no KEY_N line.\n`;
  const byAccount = new Map<string, string[]>();
  for (const key of keys) byAccount.set(key.account, [...(byAccount.get(key.account) ?? []), key.name]);
  const accounts = [...byAccount.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const parts = accounts.map((ref) => `${accountLabel(ref)}: ${keyRanges(byAccount.get(ref)!)}`);
  return `Imported ${plural(keys.length, 'key')} into ${plural(accounts.length, 'account')} (${parts.join(', ')}).\n`;
}
