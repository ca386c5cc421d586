/**
 * The configuration as the dashboard's settings panel may show it: every declared setting by its
 * env-file name (setting-declarations.ts), secrets (the master key, the admin token) reduced to
 * "configured"/"not configured", and any password or credential-looking query value in a URL masked.
 */
import type { SettingDeclaration, SettingGroup } from '../config/setting-declaration.js';
import { SETTINGS } from '../config/setting-declarations.js';
import type { AikeysConfig } from '../config/types.js';
import { Secret } from '../core/secret.js';

export interface SettingEntry {
  readonly name: string;
  readonly value: string | number | boolean | null;
  /** The declaration's one-line description. */
  readonly description: string;
  /** Whether running processes take a new value from the env file without a restart. */
  readonly reloadable: boolean;
}

const CREDENTIAL_PARAM = /pass|secret|token|key|auth|cred/i;
const MASK = '***';

/** A URL with its password and credential-looking query values replaced by `***`. */
export function maskUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not parseable, so we cannot tell which part is a credential: show nothing of it.
    return '(set; not shown: not a valid URL)';
  }
  if (url.password !== '') url.password = MASK;
  for (const name of [...url.searchParams.keys()]) {
    if (CREDENTIAL_PARAM.test(name)) url.searchParams.set(name, MASK);
  }
  // URL encodes `*`; show the mask as written.
  return url.toString().replaceAll('%2A%2A%2A', MASK);
}

export interface SettingsView {
  readonly config_file: string;
  readonly keys_configured: number;
  readonly accounts_configured: number;
  readonly system: readonly SettingEntry[];
  readonly services: readonly SettingEntry[];
  readonly providers: readonly { name: string; base_url: string | null; api: string }[];
  readonly legacy_notices: readonly { line: number; name: string; new_name: string; message: string }[];
}

function isSet(value: unknown): boolean {
  if (value instanceof Secret) return value.length > 0;
  return value !== undefined && value !== null && value !== '';
}

/** What the view shows of a value: secrets only as configured or not, URLs masked. */
function shown(declaration: SettingDeclaration, value: unknown, configured: boolean): SettingEntry['value'] {
  if (declaration.secret === true) return configured ? 'configured' : 'not configured';
  if (value === undefined || value === null) return null;
  if ('url' in declaration.type && declaration.type.url === true) return maskUrl(String(value));
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  // A list setting (AIKEYS_TRUST_PROXY) as it would be written in the env file.
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  // Only secrets hold other kinds of value (a Secret); never show one by accident.
  return '(not shown)';
}

function entries(group: SettingGroup, values: object, adminTokenSet: boolean): SettingEntry[] {
  const byField = values as Record<string, unknown>;
  return SETTINGS.filter((d) => d.group === group).map((d: SettingDeclaration) => {
    const value = byField[d.field];
    // Whether auth is on comes from what the server enforces, which the caller knows.
    const configured = d.name === 'AIKEYS_ADMIN_TOKEN' ? adminTokenSet : isSet(value);
    return {
      name: d.name,
      value: shown(d, value, configured),
      description: d.description,
      reloadable: d.reloadable,
    };
  });
}

export function settingsView(config: AikeysConfig, adminTokenSet: boolean): SettingsView {
  return {
    config_file: config.file,
    keys_configured: config.keys.length,
    accounts_configured: config.accounts.length,
    system: entries('system', config.system, adminTokenSet),
    services: entries('service', config.services, adminTokenSet),
    providers: Object.values(config.providers)
      .map((p) => ({ name: p.name, base_url: maskUrl(p.baseUrl), api: p.api }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    legacy_notices: config.legacy.map((n) => ({
      line: n.line,
      name: n.name,
      new_name: n.newName,
      message: n.message,
    })),
  };
}
