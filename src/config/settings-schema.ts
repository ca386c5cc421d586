/**
 * The parser of system (`AI_*`) and service settings, built from their declarations
 * (setting-declarations.ts): one zod object keyed by the setting names, each value from its declared
 * type with its default. Every value arrives as a string (env file or process environment); an unset
 * or empty setting takes its default. Checks across settings (the lease TTL against the request
 * timeout) run after every setting parsed on its own.
 */
import { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import type { SettingDeclaration, SettingGroup } from './setting-declaration.js';
import { SETTINGS } from './setting-declarations.js';
import { problemAt, type SettingSources } from './setting-sources.js';
import type { ServiceSettings, SystemSettings } from './types.js';

export { LOG_LEVELS } from './setting-declarations.js';

const DECLARED: readonly SettingDeclaration[] = SETTINGS;

function declaredIn(group: SettingGroup): readonly SettingDeclaration[] {
  return DECLARED.filter((d) => d.group === group);
}

/** The zod object of a group's settings that zod checks (all but those checked elsewhere). */
function schemaOf(group: SettingGroup) {
  const shape: Record<string, z.ZodType<unknown, string | undefined>> = {};
  for (const d of declaredIn(group)) if ('schema' in d.type) shape[d.name] = d.type.schema;
  return z.object(shape);
}

export const systemSettingsSchema = schemaOf('system');
export const serviceSettingsSchema = schemaOf('service');

/** AI_ENCRYPTION_KEY is checked on its own (see encryption-key.ts): it is a Secret. */
export const ENCRYPTION_KEY_SETTING = 'AI_ENCRYPTION_KEY';
/** Comma-separated older master keys: they open envelopes, never seal (online rotation). */
export const ENCRYPTION_KEY_PREVIOUS_SETTING = 'AI_ENCRYPTION_KEY_PREVIOUS';
export const SYSTEM_SETTING_NAMES: readonly string[] = declaredIn('system').map((d) => d.name);
export const SERVICE_SETTING_NAMES: readonly string[] = declaredIn('service').map((d) => d.name);

type Parsed<T> = { value: T; problems: [] } | { value: undefined; problems: ConfigProblem[] };

/**
 * Parses a group's settings and renames them to their fields. The result's type is what the
 * declarations derive (types.ts); TypeScript cannot follow the renaming loop, hence the one cast.
 */
function parseGroup<T>(group: SettingGroup, schema: z.ZodType, sources: SettingSources): Parsed<T> {
  const input: Record<string, string> = {};
  for (const [name, source] of sources) input[name] = source.value;
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue): ConfigProblem => {
      const name = String(issue.path[0] ?? '');
      const source = sources.get(name);
      return source === undefined
        ? { file: '', name, message: issue.message }
        : problemAt(source, name, issue.message);
    });
    return { value: undefined, problems };
  }
  const byName = result.data as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  // Every field present, even when undefined: zod leaves an unset optional out of its output.
  for (const d of declaredIn(group)) if ('schema' in d.type) value[d.field] = byName[d.name];
  return { value: value as T, problems: [] };
}

/**
 * How much longer a lease must live than the provider call it covers: besides the call itself
 * (AI_REQUEST_TIMEOUT_MS) a lease spans decrypting the key, building the usage record and the release's
 * own round trip, and a busy event loop can add a few seconds to all of them.
 */
export const LEASE_TTL_MARGIN_MS = 5000;

/**
 * A lease that can expire while its call is still running hands the key to another caller beyond
 * its concurrency cap and reserves nothing for the call's tokens meanwhile: refused at startup.
 */
function leaseOutlivesCall(
  sources: SettingSources,
  leaseTtlMs: number,
  requestTimeoutMs: number,
): ConfigProblem | null {
  if (leaseTtlMs >= requestTimeoutMs + LEASE_TTL_MARGIN_MS) return null;
  const name = sources.has('AI_LEASE_TTL_MS') ? 'AI_LEASE_TTL_MS' : 'AI_REQUEST_TIMEOUT_MS';
  const message =
    `AI_LEASE_TTL_MS (${leaseTtlMs}) must be at least AI_REQUEST_TIMEOUT_MS (${requestTimeoutMs}) + ` +
    `${LEASE_TTL_MARGIN_MS} ms, so that a lease cannot expire while its provider call is still running`;
  const hint = `Raise AI_LEASE_TTL_MS to ${requestTimeoutMs + LEASE_TTL_MARGIN_MS} or more, or lower AI_REQUEST_TIMEOUT_MS`;
  const source = sources.get(name);
  return source === undefined ? { file: '', name, message, hint } : problemAt(source, name, message, hint);
}

/**
 * The default block is one of the blocks the cap bounds: a default above it could never apply.
 * Blamed on whichever of the two is written (AI_BLOCK_SECONDS when both are).
 */
function blockAboveCap(
  sources: SettingSources,
  blockSeconds: number,
  maxBlockSeconds: number,
): ConfigProblem | null {
  if (blockSeconds <= maxBlockSeconds) return null;
  const message = `AI_BLOCK_SECONDS (${blockSeconds}) must not exceed AI_MAX_BLOCK_SECONDS (${maxBlockSeconds}): lower AI_BLOCK_SECONDS or raise AI_MAX_BLOCK_SECONDS`;
  const name = sources.has('AI_BLOCK_SECONDS') ? 'AI_BLOCK_SECONDS' : 'AI_MAX_BLOCK_SECONDS';
  const source = sources.get(name);
  return source === undefined ? { file: '', name, message } : problemAt(source, name, message);
}

export function parseSystemSettings(
  sources: SettingSources,
): Parsed<Omit<SystemSettings, 'encryptionKey' | 'previousEncryptionKeys'>> {
  const parsed = parseGroup<Omit<SystemSettings, 'encryptionKey' | 'previousEncryptionKeys'>>(
    'system',
    systemSettingsSchema,
    sources,
  );
  if (parsed.value === undefined) return parsed;
  const ttlProblem = leaseOutlivesCall(sources, parsed.value.leaseTtlMs, parsed.value.requestTimeoutMs);
  if (ttlProblem) return { value: undefined, problems: [ttlProblem] };
  const blockProblem = blockAboveCap(sources, parsed.value.blockSeconds, parsed.value.maxBlockSeconds);
  if (blockProblem) return { value: undefined, problems: [blockProblem] };
  return parsed;
}

export function parseServiceSettings(sources: SettingSources): Parsed<ServiceSettings> {
  return parseGroup<ServiceSettings>('service', serviceSettingsSchema, sources);
}

/**
 * Every setting at its declared default (the master key aside): for configs built in code, such as
 * test fixtures, which then stay complete when a setting is declared.
 */
export function declaredDefaults(): {
  system: Omit<SystemSettings, 'encryptionKey' | 'previousEncryptionKeys'>;
  services: ServiceSettings;
} {
  const system = parseSystemSettings(new Map());
  const services = parseServiceSettings(new Map());
  if (system.value === undefined || services.value === undefined) {
    const problems = [...system.problems, ...services.problems].map((p) => `${p.name} ${p.message}`);
    throw new Error(`a declared default does not parse: ${problems.join('; ')}`);
  }
  return { system: system.value, services: services.value };
}
