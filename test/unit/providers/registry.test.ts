import { describe, expect, it } from 'vitest';
import { createProviderRegistry, UnknownProviderError } from '../../../src/providers/registry.js';

describe('provider registry', () => {
  const registry = createProviderRegistry({
    openai: { name: 'openai', baseUrl: 'http://127.0.0.1:6556/v1', api: 'openai' },
    localllm: { name: 'localllm', baseUrl: 'http://127.0.0.1:8080/v1', api: 'openai' },
    claude: { name: 'claude', baseUrl: 'http://127.0.0.1:6556', api: 'anthropic' },
    nourl: { name: 'nourl', baseUrl: undefined, api: 'openai' },
  });

  it('builds one provider per name, case-insensitively, and reuses it', () => {
    const provider = registry.get('LocalLLM');
    expect(provider.name).toBe('localllm');
    expect(registry.get('localllm')).toBe(provider);
  });

  it('knows the public providers without a configured endpoint', () => {
    expect(registry.get('openrouter').name).toBe('openrouter');
    expect(registry.get('anthropic').name).toBe('anthropic');
    expect(registry.get('gemini').name).toBe('gemini');
  });

  it('names the setting to add for an unknown provider', () => {
    expect(() => registry.get('mystery')).toThrow(UnknownProviderError);
    expect(() => registry.get('mystery')).toThrow(/AI_PROVIDER_MYSTERY_BASE_URL/);
    expect(() => registry.get('nourl')).toThrow(/AI_PROVIDER_NOURL_BASE_URL/);
  });

  it('lists usable names', () => {
    expect(registry.names()).toEqual(expect.arrayContaining(['openai', 'localllm', 'claude', 'anthropic']));
    expect(registry.names()).not.toContain('nourl');
  });
});
