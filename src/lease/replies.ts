/**
 * The scripts answer with status codes (never errors for expected outcomes); this file is the one
 * place that turns them into typed results.
 */
import { AikeysError } from '../core/errors.js';
import type { ScriptReply } from './script-loader.js';
import type { DisabledKind, KeyStatus } from '../store/keys.js';
import type {
  KeyChange,
  KeyCount,
  KeyState,
  Lease,
  LeaseResult,
  ProviderBreakerEvent,
  ReleaseResult,
} from './types.js';
import { decodeLeaseId } from './packed-state.js';
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

const KEY_REPLY_LENGTH = 11;

/** Reads the 11-field key reply (put_key_reply in lua/includes/key-reply.lua) starting at `at`. */
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

/** Reads a batch script's flat reply, one item after another; each item's code says its length. */
export class ReplyCursor {
  #at = 1;
  constructor(readonly reply: ScriptReply) {
    codeOf(reply);
  }
  next(): string | number | null {
    if (this.#at >= this.reply.length)
      throw new AikeysError('LEASE_SCRIPT_REPLY', 'lease script reply ended early');
    return this.reply[this.#at++] ?? null;
  }
  /** The next `n` values, as a reply of their own. */
  take(n: number): ScriptReply {
    const values = this.reply.slice(this.#at, this.#at + n);
    if (values.length < n) throw new AikeysError('LEASE_SCRIPT_REPLY', 'lease script reply ended early');
    this.#at += n;
    return values;
  }
}

/** One lease item: 1, leaseId, model, inflight, committed | 2, retryAt, onlyExcluded | 3, retryAt. */
export function decodeLease(cursor: ReplyCursor, provider: string, estimatedTokens: number): LeaseResult {
  const code = num(cursor.next()) as ScriptCode;
  if (code === ScriptCode.Ok) {
    const [leaseId, model, inflight, committed] = cursor.take(4);
    const id = decodeLeaseId(String(leaseId));
    if (!id) throw new AikeysError('LEASE_SCRIPT_REPLY', `lease script issued a malformed lease id`);
    const lease: Lease = {
      leaseId: id.leaseId,
      keyId: id.keyId,
      accountId: id.accountId,
      provider,
      model: String(model),
      estimatedTokens,
      expiresAtMs: id.expiresAtMs,
      seq: id.seq,
      inflight: num(inflight),
      committedTokens: num(committed),
      keyProbe: id.flags.includes('k'),
      providerProbe: id.flags.includes('p'),
    };
    return { ok: true, lease };
  }
  if (code === ScriptCode.NoKey) {
    const [retry, onlyExcluded] = cursor.take(2);
    return {
      ok: false,
      reason: 'no_key',
      retryAtMs: num(retry) >= 0 ? num(retry) : null,
      onlyTriedKeysAvailable: num(onlyExcluded) === 1,
    };
  }
  if (code === ScriptCode.ProviderPaused) {
    return {
      ok: false,
      reason: 'provider_paused',
      retryAtMs: num(cursor.next()),
      onlyTriedKeysAvailable: false,
    };
  }
  throw new AikeysError('LEASE_SCRIPT_REPLY', `lease script answered with unknown code ${code}`);
}

/** A key's change after a release: 1, key reply (11) when its status changed | 0, keyId. */
function decodeKeyCount(cursor: ReplyCursor, changed: number): KeyCount {
  if (changed !== 1) return { keyId: num(cursor.next()), statusChanged: false };
  const key = decodeKeyState(cursor.take(KEY_REPLY_LENGTH), 0);
  return { keyId: key.keyId, statusChanged: true, key };
}

/**
 * One release item: 1, seq, changed, providerEvent, key count (decodeKeyCount) | 4 |
 * 5, 0 (expired, nothing counted) | 5, 1, changed, key count (expired, a success's tokens counted).
 */
export function decodeRelease(cursor: ReplyCursor): ReleaseResult {
  const code = num(cursor.next()) as ScriptCode;
  if (code === ScriptCode.UnknownLease) return { released: false, reason: 'unknown' };
  if (code === ScriptCode.ExpiredLease) {
    const counted = num(cursor.next()) === 1 ? decodeKeyCount(cursor, num(cursor.next())) : null;
    return { released: false, reason: 'expired', counted };
  }
  if (code !== ScriptCode.Ok)
    throw new AikeysError('LEASE_SCRIPT_REPLY', `release script answered with code ${code}`);
  const [seq, changed, event] = cursor.take(3);
  return {
    released: true as const,
    seq: num(seq),
    providerEvent: (textOrNull(event) as ProviderBreakerEvent | null) ?? null,
    ...decodeKeyCount(cursor, num(changed)),
  };
}

export function decodeKeyChange(reply: ScriptReply): KeyChange | null {
  const code = codeOf(reply);
  if (code === ScriptCode.UnknownKey) return null;
  if (code !== ScriptCode.Ok)
    throw new AikeysError('LEASE_SCRIPT_REPLY', `admin script answered with code ${code}`);
  return { statusChanged: num(reply[1]) === 1, key: decodeKeyState(reply, 2) };
}

/** Throws LeaseStateMissing on code 0; returns the rest of the reply. */
export function decodeList(reply: ScriptReply): ScriptReply {
  codeOf(reply);
  return reply.slice(1);
}
