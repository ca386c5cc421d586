/**
 * The env file, read line by line so that every problem can name its file and 1-based line.
 * dotenv owns value semantics (quotes, escapes, inline `#` comments, multi-line quoted values):
 * each logical line is handed to `dotenv.parse` on its own, so nothing here ever touches process.env.
 */
import dotenv from 'dotenv';
import type { ConfigProblem } from '../core/errors.js';

export interface EnvEntry {
  readonly name: string;
  readonly value: string;
  /** 1-based line where the name is defined (the first line of a multi-line value). */
  readonly line: number;
}

export interface ParsedEnvFile {
  /** In file order; a name defined twice appears once (its first definition) plus a problem. */
  readonly entries: readonly EnvEntry[];
  readonly problems: readonly ConfigProblem[];
}

// dotenv accepts `[\w.-]+` names; we additionally require a leading letter or underscore.
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=(.*)$/;
const QUOTES = new Set(['"', "'", '`']);

/** Index just past the closing quote of a value opened by `quote` at `text[0]`, or -1 if none. */
function closingQuote(text: string, quote: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\')
      i++; // dotenv lets `\"` (and `\'`) sit inside a quoted value
    else if (ch === quote) return i + 1;
  }
  return -1;
}

export function parseEnvFile(text: string, file: string): ParsedEnvFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: EnvEntry[] = [];
  const problems: ConfigProblem[] = [];
  const firstLine = new Map<string, number>();

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    const match = ASSIGNMENT.exec(raw);
    if (!match) {
      // Never quote the line: an operator may have pasted a bare API key.
      problems.push({
        file,
        line,
        message: 'malformed line: expected NAME=value',
        hint: 'write NAME=value, or start the line with # to make it a comment',
      });
      continue;
    }
    const name = match[1] ?? '';
    let logical = raw;
    const rest = (match[2] ?? '').trimStart();
    const quote = rest[0];
    if (quote !== undefined && QUOTES.has(quote) && closingQuote(rest, quote, 1) < 0) {
      // A quoted value may span lines: gather lines until the quote closes.
      let joined = rest;
      let end = index;
      let closed = false;
      while (end + 1 < lines.length) {
        end++;
        joined += `\n${lines[end] ?? ''}`;
        if (closingQuote(joined, quote, 1) >= 0) {
          closed = true;
          break;
        }
      }
      if (!closed) {
        problems.push({
          file,
          line,
          name,
          message: `the quoted value opened here (${quote}) is never closed`,
          hint: `close the value with ${quote} or remove the opening quote`,
        });
        break; // everything after is swallowed by the open quote
      }
      logical = lines.slice(index, end + 1).join('\n');
      index = end;
    }

    const value = dotenv.parse(logical)[name];
    if (value === undefined) {
      problems.push({
        file,
        line,
        name,
        message: 'malformed line: expected NAME=value',
        hint: 'write NAME=value, or start the line with # to make it a comment',
      });
      continue;
    }

    const previous = firstLine.get(name);
    if (previous !== undefined) {
      problems.push({
        file,
        line,
        name,
        message: `is defined twice (lines ${previous} and ${line})`,
        hint: 'delete one of the two lines',
      });
      continue;
    }
    firstLine.set(name, line);
    entries.push({ name, value, line });
  }
  return { entries, problems };
}
