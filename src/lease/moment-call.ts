/**
 * One moment's leases and releases as calls of lua/lease-release-5.lua: the arguments it reads and
 * the results its reply holds. The engine gathers both kinds in one batch (call-batcher.ts), so the
 * cost of a call (the call itself, the clock, the state every request reads) is paid once for both;
 * the script serves them in the order they were asked for. Releases name their usage stream (the
 * script's fifth key): a batch holding releases for several streams (never seen in one deployment,
 * which has one) makes a call per change of stream, in order.
 */
import type { ReleaseOutcome } from './outcome.js';
import { decodeLease, decodeRelease, ReplyCursor } from './replies.js';
import type { ScriptReply } from './script-loader.js';
import type { LeaseRequest, LeaseResult, LeaseSettings, ReleaseResult } from './types.js';
import { capBlockMs } from '../core/block-limits.js';

export interface PendingRelease {
  readonly leaseId: string;
  readonly outcome: ReleaseOutcome;
  readonly entry: string;
  /** The usage stream the entry goes to; '' = no entry. */
  readonly stream: string;
}

export type MomentItem =
  | { readonly kind: 'lease'; readonly request: LeaseRequest }
  | { readonly kind: 'release'; readonly release: PendingRelease };

export type MomentResult = LeaseResult | ReleaseResult;

/** One call: its usage stream ('' = none) and its items, in the order asked, by place in the batch. */
export interface MomentCall {
  readonly stream: string;
  readonly items: readonly { readonly at: number; readonly item: MomentItem }[];
}

/**
 * Splits a batch into calls, in order: a new call begins where a release names another usage stream
 * than the call's own (leases join the call under way).
 */
export function momentCalls(items: readonly MomentItem[]): MomentCall[] {
  const calls: { stream: string | undefined; items: { at: number; item: MomentItem }[] }[] = [];
  let current: (typeof calls)[number] | undefined;
  items.forEach((item, at) => {
    const stream = item.kind === 'release' ? item.release.stream : undefined;
    if (!current || (stream !== undefined && current.stream !== undefined && stream !== current.stream)) {
      current = { stream, items: [] };
      calls.push(current);
    }
    current.stream ??= stream;
    current.items.push({ at, item });
  });
  return calls.map((call) => ({ stream: call.stream ?? '', items: call.items }));
}

const estimateOf = (request: LeaseRequest) => Math.max(0, Math.ceil(request.estimatedTokens));

/** The script's ARGV after base and now (lease-release-5.lua): settings, then runs of one kind. */
export function momentArgs(call: MomentCall, s: LeaseSettings): (string | number)[] {
  const runs: (string | number)[] = [];
  let runCount = 0;
  let countAt = -1;
  let kind: MomentItem['kind'] | undefined;
  for (const { item } of call.items) {
    if (item.kind !== kind) {
      kind = item.kind;
      runs.push(kind === 'lease' ? 'L' : 'R', 0);
      countAt = runs.length - 1;
      runCount += 1;
    }
    runs[countAt] = (runs[countAt] as number) + 1;
    if (item.kind === 'release') {
      const { release } = item;
      runs.push(release.leaseId, ...outcomeArgs(release.outcome, s.maxBlockSeconds), release.entry);
    } else {
      const { request } = item;
      const excluded = request.excludeKeyIds ?? [];
      runs.push(
        request.provider,
        request.model ?? '',
        request.model === undefined ? '' : s.fallbackModel,
        estimateOf(request),
        excluded.length,
        ...excluded.map(String),
      );
    }
  }
  return [
    s.leaseTtlMs,
    s.blockSeconds,
    s.maxBlockSeconds,
    s.circuitBreakerThreshold,
    s.keyProbeAfterMs,
    s.providerCooldownMs,
    call.items.length,
    runCount,
    ...runs,
  ];
}

/** The call's results, each at its item's place in `into`. */
export function decodeMoment(call: MomentCall, reply: ScriptReply, into: MomentResult[]): void {
  const cursor = new ReplyCursor(reply);
  for (const { at, item } of call.items)
    into[at] =
      item.kind === 'release'
        ? decodeRelease(cursor)
        : decodeLease(cursor, item.request.provider, estimateOf(item.request));
}

/**
 * kind, actual tokens and cost USD (a success's, or what a failed call was billed for), retry-after
 * ms (-1 = default), HTTP status: as includes/release-request.lua reads them. The retry-after is
 * capped here and again by the script, so no caller can store a block past now +
 * AI_MAX_BLOCK_SECONDS; one that is not a number at all falls back to the default block.
 */
function outcomeArgs(outcome: ReleaseOutcome, maxBlockSeconds: number): (string | number)[] {
  const paid = outcome.kind === 'success' ? outcome : outcome.paid;
  const tokens = paid === undefined ? 0 : Math.max(0, Math.round(paid.tokens));
  const cost = paid?.costUsd ?? 0;
  const retryAfter =
    outcome.kind === 'rate_limited' &&
    outcome.retryAfterMs !== undefined &&
    !Number.isNaN(outcome.retryAfterMs)
      ? capBlockMs(outcome.retryAfterMs, maxBlockSeconds * 1000)
      : -1;
  const status = 'status' in outcome ? outcome.status : 0;
  return [outcome.kind, tokens, cost.toFixed(8), retryAfter, status];
}
