/**
 * One `ChatProvider` per provider name, built from the configured endpoints. Well-known providers
 * work without a base URL (their public endpoints are listed here); any other name needs
 * `AI_PROVIDER_<NAME>_BASE_URL`, and asking for it without one is a configuration error that says so.
 */
import { AikeysError } from '../core/errors.js';
import type { ProviderApi, ProviderEndpoint } from '../config/types.js';
import { ANTHROPIC_DEFAULT_BASE_URL, createAnthropicProvider } from './anthropic.js';
import { createOpenAiCompatibleProvider, OPENAI_DEFAULT_BASE_URL } from './openai-compatible.js';
import type { ChatProvider } from './types.js';

/** Public endpoints of providers people use through this system, by lower-case name. */
export const KNOWN_ENDPOINTS: Readonly<
  Record<string, { readonly baseUrl: string; readonly api: ProviderApi }>
> = {
  openai: { baseUrl: OPENAI_DEFAULT_BASE_URL, api: 'openai' },
  anthropic: { baseUrl: ANTHROPIC_DEFAULT_BASE_URL, api: 'anthropic' },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', api: 'openai' },
  gemini: { baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai/', api: 'openai' },
  groq: { baseUrl: 'https://api.groq.com/openai/v1', api: 'openai' },
  together: { baseUrl: 'https://api.together.xyz/v1', api: 'openai' },
  deepseek: { baseUrl: 'https://api.deepseek.com/v1', api: 'openai' },
  mistral: { baseUrl: 'https://api.mistral.ai/v1', api: 'openai' },
  xai: { baseUrl: 'https://api.x.ai/v1', api: 'openai' },
};

export class UnknownProviderError extends AikeysError {}

export interface ProviderRegistry {
  /** The provider for a name (case-insensitive); throws UnknownProviderError if it has no endpoint. */
  get(providerName: string): ChatProvider;
  /** Names with a usable endpoint: configured ones, then the well-known ones. */
  names(): string[];
}

function envPrefixFor(provider: string): string {
  return `AI_PROVIDER_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The setting that gives a provider its endpoint, e.g. `AI_PROVIDER_LOCALLLM_BASE_URL`. */
export function envNameFor(provider: string): string {
  return `${envPrefixFor(provider)}_BASE_URL`;
}

function build(endpoint: ProviderEndpoint): ChatProvider {
  const known = KNOWN_ENDPOINTS[endpoint.name];
  const baseUrl = endpoint.baseUrl ?? known?.baseUrl;
  if (baseUrl === undefined) {
    throw new UnknownProviderError(
      'PROVIDER_UNKNOWN',
      `Provider "${endpoint.name}" has no endpoint: set ${envNameFor(endpoint.name)} (and ${envPrefixFor(endpoint.name)}_API=anthropic if it speaks Anthropic's API)`,
      { context: { provider: endpoint.name } },
    );
  }
  return endpoint.api === 'anthropic'
    ? createAnthropicProvider({ name: endpoint.name, baseUrl })
    : createOpenAiCompatibleProvider({ name: endpoint.name, baseUrl });
}

export function createProviderRegistry(
  endpoints: Readonly<Record<string, ProviderEndpoint>>,
): ProviderRegistry {
  const providers = new Map<string, ChatProvider>();

  function get(providerName: string): ChatProvider {
    const name = providerName.trim().toLowerCase();
    const cached = providers.get(name);
    if (cached !== undefined) return cached;
    const known = KNOWN_ENDPOINTS[name];
    const endpoint: ProviderEndpoint | undefined =
      endpoints[name] ?? (known === undefined ? undefined : { name, baseUrl: undefined, api: known.api });
    if (endpoint === undefined) {
      throw new UnknownProviderError(
        'PROVIDER_UNKNOWN',
        `Unknown provider "${name}": set ${envNameFor(name)} to its OpenAI-compatible base URL (known without one: ${Object.keys(KNOWN_ENDPOINTS).join(', ')})`,
        { context: { provider: name } },
      );
    }
    const provider = build({ ...endpoint, name });
    providers.set(name, provider);
    return provider;
  }

  function names(): string[] {
    const configured = Object.values(endpoints)
      .filter((e) => e.baseUrl !== undefined || KNOWN_ENDPOINTS[e.name] !== undefined)
      .map((e) => e.name);
    return [...new Set([...configured, ...Object.keys(KNOWN_ENDPOINTS)])];
  }

  return { get, names };
}
