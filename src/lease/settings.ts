import type { AikeysConfig } from '../config/types.js';
import type { LeaseSettings } from './types.js';

export function leaseSettingsFromConfig(config: Pick<AikeysConfig, 'system'>): LeaseSettings {
  const s = config.system;
  return {
    leaseTtlMs: s.leaseTtlMs,
    circuitBreakerThreshold: s.circuitBreakerThreshold,
    blockSeconds: s.blockSeconds,
    maxBlockSeconds: s.maxBlockSeconds,
    keyProbeAfterMs: s.keyProbeAfterMs,
    providerCooldownMs: s.providerCooldownMs,
    fallbackModel: s.fallbackModel,
    keyMaxConcurrency: s.keyMaxConcurrency,
  };
}
