/**
 * Reads what the lease scripts keep per key (struct-packed, KEY_FORMAT), per account (MessagePack
 * arrays) and in each lease id (layout v4); the Lua side is lua/includes/: key-state.lua (parse_key),
 * account-state.lua (load_account), lease-record.lua (LEASE_PATTERN). Only readers live here: every
 * write goes through a script.
 */
import { decode } from '@msgpack/msgpack';
import { num, positiveOrNull, textOrNull } from './reply-values.js';
import type { DisabledKind, KeyStatus } from '../store/keys.js';
import type { KeyHotState } from './types.js';

type Packed = (string | number)[];

function unpack(packed: Uint8Array, what: string): Packed {
  const value = decode(packed);
  if (!Array.isArray(value)) throw new Error(`lease state for ${what} is not a MessagePack array`);
  return value as Packed;
}

/** Doubles at the head of KEY_FORMAT; the strings follow them. */
const KEY_NUMBERS = 11;

/**
 * A key's state as lua's struct.pack wrote it with KEY_FORMAT ('<' + 11 x 'd' + 7 x 's'): limit,
 * cap, used, reserved, inflight, block_until, failures, probe_at, probing, last_used, proven as
 * little-endian doubles, then provider, model, account, status, kind, member, reason, each UTF-8 and
 * zero-terminated.
 */
export function decodePackedKey(keyId: number, packed: Uint8Array): KeyHotState {
  const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const n = (i: number) => buf.readDoubleLE(i * 8);
  const strings: string[] = [];
  let at = KEY_NUMBERS * 8;
  for (let i = 0; i < 7; i++) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error(`lease state for key ${keyId} is not a v4 key state`);
    strings.push(buf.toString('utf8', at, end));
    at = end + 1;
  }
  if (at !== buf.length) throw new Error(`lease state for key ${keyId} is not a v4 key state`);
  const [, , , status, kind, , reason] = strings;
  return {
    keyId,
    status: status as KeyStatus,
    disabledKind: textOrNull(kind) as DisabledKind | null,
    disabledReason: textOrNull(reason),
    blockUntilMs: positiveOrNull(n(5)),
    consecutiveFailures: n(6),
    usedToday: n(2),
    lastUsedAtMs: positiveOrNull(n(9)),
    probeAtMs: positiveOrNull(n(7)),
    reserved: n(3),
    inflight: n(4),
    proven: n(10) === 1,
  };
}

/** The numbers a counter sync compares and writes. */
export type KeyCounters = Pick<KeyHotState, 'keyId' | 'usedToday' | 'consecutiveFailures' | 'lastUsedAtMs'>;

/**
 * Only the counters of a packed key state (doubles 2, 6 and 9 of KEY_FORMAT): a sync reads every
 * key each time, and decoding the seven strings as well was more than half of that read's CPU.
 */
export function decodePackedCounters(keyId: number, packed: Uint8Array): KeyCounters {
  if (packed.byteLength <= KEY_NUMBERS * 8)
    throw new Error(`lease state for key ${keyId} is not a v4 key state`);
  const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  return {
    keyId,
    usedToday: buf.readDoubleLE(2 * 8),
    consecutiveFailures: buf.readDoubleLE(6 * 8),
    lastUsedAtMs: positiveOrNull(buf.readDoubleLE(9 * 8)),
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

/** What a lease id carries (LEASE_ID_FORMAT in lua/includes/lease-record.lua). */
export interface LeaseIdFields extends OpenLease {
  readonly seq: number;
  /** 'k' = half-open key probe, 'p' = provider breaker probe, 's' = granted under slow start. */
  readonly flags: string;
}

const LEASE_ID = /^[^-]*-(\d+):([^:]*):([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/;

/** A lease id: `gen-seq:keyId:accountId:tokens:flags:expiresMs:provider`; null if it is not one. */
export function decodeLeaseId(leaseId: string): LeaseIdFields | null {
  const m = LEASE_ID.exec(leaseId);
  if (!m) return null;
  return {
    leaseId,
    seq: num(m[1]),
    keyId: num(m[2]),
    accountId: num(m[3]),
    estimatedTokens: num(m[4]),
    flags: m[5]!,
    expiresAtMs: num(m[6]),
    provider: m[7]!,
  };
}
