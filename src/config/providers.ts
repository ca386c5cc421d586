/**
 * Provider endpoints: `AI_PROVIDER_<NAME>_BASE_URL` and `AI_PROVIDER_<NAME>_API` (openai | anthropic).
 * The map holds every provider that has keys or settings. Wire format defaults to anthropic for the
 * provider named `anthropic` and to openai for every other name (OpenAI-compatible gateways).
 */
import type { ConfigProblem } from '../core/errors.js';
import { PROVIDER_NAME } from './key-entries.js';
import { problemAt, type SettingSources } from './setting-sources.js';
import type { ProviderApi, ProviderEndpoint } from './types.js';

const PROVIDER_SETTING = /^AI_PROVIDER_(.+)_(BASE_URL|API)$/;
const APIS: readonly ProviderApi[] = ['openai', 'anthropic'];

/**
 * Base URLs for providers the OpenAI client does not know by itself. `gemini` is what legacy
 * GEMINI_API_KEY migrates to, so it must work without further settings.
 */
export const KNOWN_BASE_URLS: Readonly<Record<string, string>> = {
  gemini: 'https://generativelanguage.googleapis.com/v1beta/openai/',
  openrouter: 'https://openrouter.ai/api/v1',
};

export function isProviderSettingName(name: string): boolean {
  return PROVIDER_SETTING.test(name);
}

export function defaultApi(provider: string): ProviderApi {
  return provider === 'anthropic' ? 'anthropic' : 'openai';
}

export function buildProviders(
  keyProviders: Iterable<string>,
  sources: SettingSources,
): { providers: Record<string, ProviderEndpoint>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const baseUrls = new Map<string, string>();
  const apis = new Map<string, ProviderApi>();
  const names = new Set(keyProviders);

  for (const [name, source] of sources) {
    const match = PROVIDER_SETTING.exec(name);
    if (!match) continue;
    const provider = (match[1] ?? '').toLowerCase();
    if (!PROVIDER_NAME.test(provider)) {
      problems.push(
        problemAt(
          source,
          name,
          'does not name a valid provider',
          'write AI_PROVIDER_<NAME>_BASE_URL, e.g. AI_PROVIDER_OPENAI_BASE_URL',
        ),
      );
      continue;
    }
    names.add(provider);
    const value = source.value.trim();
    if (match[2] === 'BASE_URL') {
      let protocol: string | undefined;
      try {
        protocol = new URL(value).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol === 'http:' || protocol === 'https:') baseUrls.set(provider, value);
      else
        problems.push(
          problemAt(
            source,
            name,
            'must be a URL starting with http:// or https://',
            'e.g. http://127.0.0.1:6556/v1',
          ),
        );
    } else {
      const api = value.toLowerCase();
      if ((APIS as readonly string[]).includes(api)) apis.set(provider, api as ProviderApi);
      else
        problems.push(
          problemAt(source, name, `must be one of ${APIS.join(', ')}`, 'the wire format the endpoint speaks'),
        );
    }
  }

  const providers: Record<string, ProviderEndpoint> = {};
  for (const name of [...names].sort()) {
    providers[name] = {
      name,
      baseUrl: baseUrls.get(name) ?? KNOWN_BASE_URLS[name],
      api: apis.get(name) ?? defaultApi(name),
    };
  }
  return { providers, problems };
}
