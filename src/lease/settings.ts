import type { AikeysConfig } from '../config/types.js';
import { LEASE_SETTING_FIELDS, type LeaseSettings } from './types.js';

/** The engine's settings picked from the config (a copy: the engine keeps it for its lifetime). */
export function leaseSettingsFromConfig(config: Pick<AikeysConfig, 'system'>): LeaseSettings {
  const s = config.system;
  return Object.fromEntries(LEASE_SETTING_FIELDS.map((field) => [field, s[field]])) as LeaseSettings;
}
