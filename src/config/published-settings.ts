/**
 * Settings that change while processes run. The importing process publishes the reloadable,
 * non-secret `AI_*` values of the file it imported (as text, the way the file writes them); every
 * replica reads them back through the declarations' own schemas, so a value is checked where it
 * enters a process, with the bounds the env file has. Settings that are not reloadable and differ
 * from what a process runs are named, never applied.
 */
import type { ConfigProblem } from '../core/errors.js';
import { SETTINGS } from './setting-declarations.js';
import type { SettingDeclaration } from './setting-declaration.js';
import type { AikeysConfig, SystemSettings } from './types.js';

/** Setting name -> its value as text; null = unset (the declaration's default or "none"). */
export type PublishedSettings = Readonly<Record<string, string | null>>;

const DECLARATIONS: readonly SettingDeclaration[] = SETTINGS;

/** The reloadable `AI_*` settings a replica without the env file can take (never a secret). */
export const LIVE_SETTINGS: readonly SettingDeclaration[] = DECLARATIONS.filter(
  (d) => d.group === 'system' && d.reloadable && d.secret !== true && !('checkedElsewhere' in d.type),
);

function valueOf(config: Pick<AikeysConfig, 'system' | 'services'>, d: SettingDeclaration): unknown {
  const group: Readonly<Record<string, unknown>> = d.group === 'system' ? config.system : config.services;
  return group[d.field];
}

function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

export function publishedSettings(config: Pick<AikeysConfig, 'system'>): PublishedSettings {
  return Object.fromEntries(
    LIVE_SETTINGS.map((d) => [d.name, asText((config.system as Record<string, unknown>)[d.field])]),
  );
}

export interface LiveSettingsRead {
  /** The published values that passed their declaration's check, by SystemSettings field. */
  readonly settings: Partial<SystemSettings>;
  /** Values refused (named, never echoed), and names this version does not know. */
  readonly problems: readonly ConfigProblem[];
}

/** Reads published values back; `source` names where they came from, for the problems. */
export function readPublishedSettings(published: unknown, source: string): LiveSettingsRead {
  const settings: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  if (typeof published !== 'object' || published === null || Array.isArray(published)) {
    return { settings, problems: [{ file: source, message: 'published settings are not an object' }] };
  }
  const values = published as Record<string, unknown>;
  for (const d of LIVE_SETTINGS) {
    if (!(d.name in values)) continue;
    const raw = values[d.name];
    if (raw !== null && typeof raw !== 'string') {
      problems.push({ file: source, name: d.name, message: 'published value is not text' });
      continue;
    }
    if (!('schema' in d.type)) continue;
    const parsed = d.type.schema.safeParse(raw ?? undefined);
    if (parsed.success) settings[d.field] = parsed.data;
    else problems.push({ file: source, name: d.name, message: parsed.error.issues[0]?.message ?? 'invalid' });
  }
  return { settings: settings as Partial<SystemSettings>, problems };
}

function sameValue(a: unknown, b: unknown): boolean {
  // Secrets (the master keys) compare by content; Secret.equals never reveals either.
  if (isSecretLike(a) && isSecretLike(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  return JSON.stringify(a) === JSON.stringify(b);
}

function isSecretLike(v: unknown): v is { equals(other: unknown): boolean } {
  return typeof v === 'object' && v !== null && typeof (v as { equals?: unknown }).equals === 'function';
}

/**
 * Names of settings whose value in `next` differs from `running` and that take effect only after
 * a restart (KEY_N lines are not settings: the import applies them). Provider endpoints count as
 * `AI_PROVIDER_<NAME>_BASE_URL` / `_API`.
 */
export function restartNeeded(
  running: Pick<AikeysConfig, 'system' | 'services' | 'providers'>,
  next: Pick<AikeysConfig, 'system' | 'services' | 'providers'>,
): string[] {
  const names = DECLARATIONS.filter((d) => !d.reloadable)
    .filter((d) => !sameValue(valueOf(running, d), valueOf(next, d)))
    .map((d) => d.name);
  const providers = new Set([...Object.keys(running.providers), ...Object.keys(next.providers)]);
  for (const name of [...providers].sort()) {
    const [a, b] = [running.providers[name], next.providers[name]];
    const upper = name.toUpperCase().replace(/-/g, '_');
    if (a?.baseUrl !== b?.baseUrl) names.push(`AI_PROVIDER_${upper}_BASE_URL`);
    // A provider with no endpoint lines speaks its default wire format (providers.ts).
    const byDefault = name === 'anthropic' ? 'anthropic' : 'openai';
    if ((a?.api ?? byDefault) !== (b?.api ?? byDefault)) names.push(`AI_PROVIDER_${upper}_API`);
  }
  return names;
}
