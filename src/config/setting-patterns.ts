/**
 * Families of setting names (`KEY_N...`, `AI_PROVIDER_<NAME>_...`). Their values are parsed by
 * key-entries.ts and providers.ts; they are declared here so the README table and
 * config/.env.example list them next to the settings (settings-docs.ts).
 */
import type { SettingPattern } from './setting-declaration.js';

/** Families of names; their values are parsed by key-entries.ts and providers.ts. */
export const SETTING_PATTERNS: readonly SettingPattern[] = [
  {
    name: 'KEY_N',
    group: 'key',
    default: '—',
    placeholder: '<secret>',
    description: 'An API key; N = 1, 2, 3, … (no leading zeros; gaps are fine). `aikeys import` stores it.',
    reloadable: false,
    secret: true,
  },
  {
    name: 'KEY_N_MODEL',
    group: 'key',
    default: '`AI_DEFAULT_MODEL`',
    placeholder: '<model>',
    description: 'The model this key serves.',
    reloadable: false,
  },
  {
    name: 'KEY_N_PROVIDER',
    group: 'key',
    default: '`openai`',
    placeholder: '<name>',
    description: 'Provider name: lower-case letters, digits, - and _.',
    reloadable: false,
  },
  {
    name: 'KEY_N_DAILY_LIMIT',
    group: 'key',
    default: '`AI_DAILY_QUOTA_PER_KEY`',
    placeholder: '<n>',
    description: 'Tokens per day for this key.',
    reloadable: false,
  },
  {
    name: 'KEY_N_MAX_CONCURRENCY',
    group: 'key',
    default: '`AI_KEY_MAX_CONCURRENCY`',
    placeholder: '<n>',
    description: 'Concurrent calls on this key.',
    reloadable: false,
  },
  {
    name: 'AI_PROVIDER_<NAME>_BASE_URL',
    group: 'provider',
    default: "the provider's own",
    placeholder: '<url>',
    description: 'Base URL of a provider; any name with a base URL works.',
    reloadable: false,
  },
  {
    name: 'AI_PROVIDER_<NAME>_API',
    group: 'provider',
    default: '`openai` (`anthropic` for anthropic)',
    placeholder: 'openai|anthropic',
    description: 'Wire format of that provider.',
    reloadable: false,
  },
];
