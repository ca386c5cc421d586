/**
 * The scripts answer with status codes (never errors for expected outcomes); this file is the one
 * place that turns them into typed results.
 */
import { AikeysError } from '../core/errors.js';
import type { ScriptReply } from './script-loader.js';
import type {
  DisabledKind,
  KeyChange,
  KeyState,
  KeyStatus,
  Lease,
  LeaseResult,
  ProviderBreakerEvent,
  ReleaseResult,
} from './types.js';
import { num, positiveOrNull, textOrNull } from './reply-values.js';

export enum ScriptCode {
  /** The hot state is missing (Redis restarted or was flushed): hydrate and call again. */
  NoState = 0,
  Ok = 1,
  NoKey = 2,
  ProviderPaused = 3,
  UnknownLease = 4,
  ExpiredLease = 5,
  UnknownKey = 6,
}

/** Raised inside the engine when a script found no state; the engine hydrates and retries. */
export class LeaseStateMissing extends AikeysError {
  constructor() {
    super('LEASE_STATE_MISSING', 'The lease state is missing from Redis', { retryable: true });
  }
}

function codeOf(reply: ScriptReply): ScriptCode {
  const code = Number(reply[0]) as ScriptCode;
  if (code === ScriptCode.NoState) throw new LeaseStateMissing();
  return code;
}

/** Reads the 11-field key reply (see key_reply in lua/includes/common.lua) starting at `at`. */
export function decodeKeyState(reply: ScriptReply, at: number): KeyState {
  const f = reply.slice(at);
  return {
    keyId: num(f[0]),
    status: String(f[1]) as KeyStatus,
    disabledKind: textOrNull(f[2]) as DisabledKind | null,
    disabledReason: textOrNull(f[3]),
    blockUntilMs: positiveOrNull(f[4]),
    consecutiveFailures: num(f[5]),
    usedToday: num(f[6]),
    lastUsedAtMs: positiveOrNull(f[7]),
    probeAtMs: positiveOrNull(f[8]),
    reserved: num(f[9]),
    inflight: num(f[10]),
  };
}

export function decodeLease(reply: ScriptReply, provider: string, estimatedTokens: number): LeaseResult {
  const code = codeOf(reply);
  if (code === ScriptCode.Ok) {
    const flags = String(reply[9] ?? '');
    const lease: Lease = {
      leaseId: String(reply[1]),
      keyId: num(reply[2]),
      accountId: num(reply[3]),
      provider,
      model: String(reply[4]),
      estimatedTokens,
      expiresAtMs: num(reply[5]),
      seq: num(reply[6]),
      inflight: num(reply[7]),
      committedTokens: num(reply[8]),
      keyProbe: flags.includes('k'),
      providerProbe: flags.includes('p'),
    };
    return { ok: true, lease };
  }
  if (code === ScriptCode.NoKey) {
    const retry = num(reply[1]);
    return {
      ok: false,
      reason: 'no_key',
      retryAtMs: retry >= 0 ? retry : null,
      onlyExcludedCouldServe: num(reply[2]) === 1,
    };
  }
  if (code === ScriptCode.ProviderPaused) {
    return { ok: false, reason: 'provider_paused', retryAtMs: num(reply[1]), onlyExcludedCouldServe: false };
  }
  throw new AikeysError('LEASE_SCRIPT_REPLY', `lease script answered with unknown code ${code}`);
}

export function decodeRelease(reply: ScriptReply): ReleaseResult {
  const code = codeOf(reply);
  if (code === ScriptCode.UnknownLease) return { released: false, reason: 'unknown' };
  if (code === ScriptCode.ExpiredLease) return { released: false, reason: 'expired' };
  if (code !== ScriptCode.Ok)
    throw new AikeysError('LEASE_SCRIPT_REPLY', `release script answered with code ${code}`);
  return {
    released: true,
    seq: num(reply[1]),
    statusChanged: num(reply[2]) === 1,
    providerEvent: (textOrNull(reply[3]) as ProviderBreakerEvent | null) ?? null,
    key: decodeKeyState(reply, 4),
  };
}

export function decodeKeyChange(reply: ScriptReply): KeyChange | null {
  const code = codeOf(reply);
  if (code === ScriptCode.UnknownKey) return null;
  if (code !== ScriptCode.Ok)
    throw new AikeysError('LEASE_SCRIPT_REPLY', `admin script answered with code ${code}`);
  return { statusChanged: num(reply[1]) === 1, key: decodeKeyState(reply, 2) };
}

/** A batch script's reply: one reply per request (throws LeaseStateMissing on code 0). */
export function decodeBatch(reply: ScriptReply): ScriptReply[] {
  codeOf(reply);
  return reply.slice(1) as unknown as ScriptReply[];
}

/** Throws LeaseStateMissing on code 0; returns the rest of the reply. */
export function decodeList(reply: ScriptReply): ScriptReply {
  codeOf(reply);
  return reply.slice(1);
}
