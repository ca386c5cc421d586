/**
 * Reads what the lease scripts keep per key and per account (MessagePack arrays, layout v2) and in
 * each lease id; the Lua side is lua/includes/common.lua (parse_key, load_account, LEASE_PATTERN).
 * Only readers live here: every write goes through a script.
 */
import { decode } from '@msgpack/msgpack';
import { num, positiveOrNull, textOrNull } from './reply-values.js';
import type { DisabledKind, KeyState, KeyStatus } from './types.js';

type Packed = (string | number)[];

function unpack(packed: Uint8Array, what: string): Packed {
  const value = decode(packed);
  if (!Array.isArray(value)) throw new Error(`lease state for ${what} is not a MessagePack array`);
  return value as Packed;
}

/** A key's array: provider, model, account, limit, cap, used, reserved, inflight, status, kind,
 * block_until, failures, probe_at, probing, last_used, member, reason (parse_key in common.lua). */
export function decodePackedKey(keyId: number, packed: Uint8Array): KeyState {
  const f = unpack(packed, `key ${keyId}`);
  return {
    keyId,
    status: String(f[8]) as KeyStatus,
    disabledKind: textOrNull(f[9]) as DisabledKind | null,
    disabledReason: textOrNull(f[16]),
    blockUntilMs: positiveOrNull(f[10]),
    consecutiveFailures: num(f[11]),
    usedToday: num(f[5]),
    lastUsedAtMs: positiveOrNull(f[14]),
    probeAtMs: positiveOrNull(f[12]),
    reserved: num(f[6]),
    inflight: num(f[7]),
  };
}

export interface AccountCounters {
  readonly accountId: number;
  readonly status: string;
  readonly used: number;
  readonly reserved: number;
  readonly spentUsd: number;
}

/** An account's array: provider, priority, status, quota, budget, used, reserved, spent. */
export function decodePackedAccount(accountId: number, packed: Uint8Array): AccountCounters {
  const f = unpack(packed, `account ${accountId}`);
  return { accountId, status: String(f[2] ?? ''), used: num(f[5]), reserved: num(f[6]), spentUsd: num(f[7]) };
}

export interface OpenLease {
  readonly leaseId: string;
  readonly keyId: number;
  readonly accountId: number;
  readonly estimatedTokens: number;
  readonly provider: string;
  readonly expiresAtMs: number;
}

/** A lease id: `gen-seq:keyId:accountId:tokens:flags:expiresMs:provider`. */
export function decodeLeaseId(leaseId: string, expiresAtMs: number): OpenLease | null {
  const m = /^[^:]*:([^:]*):([^:]*):([^:]*):[^:]*:[^:]*:(.*)$/.exec(leaseId);
  if (!m) return null;
  return {
    leaseId,
    keyId: num(m[1]),
    accountId: num(m[2]),
    estimatedTokens: num(m[3]),
    provider: m[4]!,
    expiresAtMs,
  };
}
