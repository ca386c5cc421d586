--[[
  A lease request: picks the best key and reserves its estimated tokens (lease-release-5.lua runs
  a moment's requests in one atomic step).

  Order: accounts of the provider by priority (1 first); within an account the ready key with the
  lowest used + reserved tokens, ties to the least recently leased (the member's sequence prefix).
  The requested model first across all accounts, then AI_FALLBACK_MODEL's keys. A key whose own
  daily limit has no room for this estimate may sit at the head of its set (limits differ per key):
  up to LOOKAHEAD (+ excluded) heads are examined, so cost stays O(log n); the head alone is read
  first, since it nearly always serves. An account over its daily quota or monthly budget is skipped
  as a whole.

  One call carries a moment's requests (the engine gathers the leases and releases its callers ask
  for while its previous call is under way). They are served in order, after the moment's
  releases, each exactly as if it were a call of its own at the same moment; what they share (the
  generation, account lists, account and key states, breakers, a block of sequence numbers) is read
  once.
]]
--- @include "context"
--- @include "provider-breaker"
--- @include "account-state"
--- @include "key-state"
--- @include "ready-sets"
--- @include "reclaim"
--- @include "lease-record"

-- Heads of a ready set examined per model when the first cannot serve (limits differ per key).
local LOOKAHEAD = 8

-- No key excluded (a request's default; never written).
local NONE = {}

-- How soon a caller told "no key" should ask again while a key is held to one call by slow start
-- (see is_ready): that call's release frees the key, usually long before its lease would expire.
local SLOW_START_POLL_MS = 500

local function account_open(a, estimate)
  if not a or a.status ~= 'active' then return false end
  if a.quota >= 0 and a.used + a.reserved + estimate > a.quota then return false end
  if a.budget >= 0 and a.spent >= a.budget then return false end
  return true
end

-- The first acceptable key among ready-set members, in set order; else nil, how many members were
-- seen and how many of those were dropped. R is the request. A member's score is its key's
-- used + reserved (sync_ready keeps them equal), so the key's state stands in for it.
local function pick_from(C, R, ready, members)
  local dropped = 0
  for _, member in ipairs(members) do
    local kid = member_key(member)
    local k = load_key(C, kid)
    if not k or k.member ~= member then
      -- Left behind by a partial loss of state (never by these scripts): drop it.
      redis.call('ZREM', ready, member)
      dropped = dropped + 1
    elseif k.used + k.reserved + R.estimate <= k.limit then
      if R.excluded[kid] then R.only_excluded = true else return k end
    end
  end
  return nil, #members, dropped
end

-- One model: the head of its set nearly always serves; the rest of the window only when it does not.
local function pick_in_model(C, R, aid, m)
  local ready = ready_set(C, R.provider, aid, m)
  local k, seen, dropped = pick_from(C, R, ready, redis.call('ZRANGE', ready, '0', '0'))
  if not k and seen == 1 and R.window > 1 then
    k = pick_from(C, R, ready, redis.call('ZRANGE', ready, 1 - dropped, R.window - 1 - dropped))
  end
  return k
end

-- Any model: the window of the union of the account's model sets, in the same order one set of all
-- its keys would give (score, then member).
local function pick_in_any(C, R, a)
  if #a.models == 1 then return pick_in_model(C, R, a.id, a.models[1]) end
  local merged = {}
  for _, m in ipairs(a.models) do
    local ready = ready_set(C, R.provider, a.id, m)
    local heads = redis.call('ZRANGE', ready, 0, R.window - 1, 'WITHSCORES')
    for i = 1, #heads, 2 do
      merged[#merged + 1] = { member = heads[i], score = tonumber(heads[i + 1]), set = ready }
    end
  end
  table.sort(merged, function(x, y)
    if x.score ~= y.score then return x.score < y.score end
    return x.member < y.member
  end)
  for i = 1, math.min(R.window, #merged) do
    local e = merged[i]
    local k = pick_from(C, R, e.set, { e.member })
    if k then return k end
  end
  return nil
end

-- The earliest moment anything may change: a block ending, a probe falling due, a lease expiring;
-- or, while a slow-start call is in flight (meta.slow > 0), the next poll.
local function soonest_change(C)
  local soonest = -1
  for _, z in ipairs({ C.blocked, C.probes, C.leases }) do
    local head = redis.call('ZRANGE', z, '0', '0', 'WITHSCORES')
    if head[2] then
      local t = tonumber(head[2])
      if soonest < 0 or t < soonest then soonest = t end
    end
  end
  if (tonumber(redis.call('HGET', C.meta, 'slow')) or 0) > 0 then
    local poll = C.now + SLOW_START_POLL_MS
    if soonest < 0 or poll < soonest then soonest = poll end
  end
  return soonest
end

-- The best key of model m ('' = any model) across the provider's accounts, by priority, and its account.
local function pick(C, R, m)
  for _, aid in ipairs(accounts_of(C, R.provider)) do
    local a = load_account(C, aid)
    if account_open(a, R.estimate) then
      local k
      if m == '' then k = pick_in_any(C, R, a) else k = pick_in_model(C, R, aid, m) end
      if k then return k, a end
    end
  end
  return nil
end

-- Serves request R; its reply goes into out after position n (see the header). Returns the new end.
local function lease_one(C, gen, ttl, R, out, n)
  reclaim(C)
  local pv = breaker(C, R.provider)
  local provider_probe = false
  if pv.opened then
    if C.now < pv['until'] then
      out[n + 1], out[n + 2] = 3, pv['until']
      return n + 2
    end
    if pv.probe ~= '' then
      out[n + 1], out[n + 2] = 3, tonumber(redis.call('ZSCORE', C.leases, pv.probe)) or C.now
      return n + 2
    end
    provider_probe = true
  end

  local k, account = pick(C, R, R.model)
  if not k and R.model ~= '' and R.fallback ~= '' and R.fallback ~= R.model then
    k, account = pick(C, R, R.fallback)
  end
  if not k then
    out[n + 1], out[n + 2], out[n + 3] = 2, soonest_change(C), R.only_excluded and 1 or 0
    return n + 3
  end

  -- Read before the grant: a slow-start lease (flag 's') is counted in meta.slow until it ends.
  local slow = k.status == 'active' and (k.proven == 0 or k.failures > 0)
  -- Numbers become text once each (string.format is the slow part of building ids).
  local seq = seq_text(next_seq(C))
  leave_ready(C, k)
  k.member = member_for(seq, k.id)
  k.reserved = k.reserved + R.estimate
  k.inflight = k.inflight + 1
  sync_ready(C, k)
  save_key(C, k)
  if tracks_quota(account) then
    account.reserved = account.reserved + R.estimate
    save_account(C, account)
  end

  local flags = ''
  if k.probing == 1 then flags = flags .. 'k' end
  if provider_probe then flags = flags .. 'p' end
  if slow then
    flags = flags .. 's'
    redis.call('HINCRBY', C.meta, 'slow', 1)
  end
  local expires = C.now + ttl
  local expires_text = int_arg(expires)
  local lid = gen .. '-' .. seq .. ':' .. k.id .. ':' .. k.account .. ':' .. R.estimate_text .. ':' .. flags ..
    ':' .. expires_text .. ':' .. R.provider
  if provider_probe then save_breaker(C, R.provider, pv['until'], lid) end
  schedule(C, C.leases, expires, lid, expires_text)
  remember_lease(lid, { kid = k.id, aid = k.account, tokens = R.estimate, flags = flags, expires = expires,
                        provider = R.provider })

  -- Invariant check on values the grant just produced: counted, never expected to move.
  if (k.cap > 0 and k.inflight > k.cap) or k.used + k.reserved > k.limit
      or ((k.proven == 0 or k.failures > 0) and k.inflight > 1) then
    redis.call('HINCRBY', C.meta, 'violations', 1)
  end
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = 1, lid, k.model, k.inflight, k.used + k.reserved
  return n + 5
end

-- One request object, refilled per request (nothing keeps it past its request).
local shared_request = {}

-- Serves the n lease requests whose values start at ARGV[at] (provider, model ('' = any model of the
-- provider), fallback model ('' = none), estimated tokens (integer >= 0), m, then m key ids it must
-- not get (already tried)), in order; their replies go into out after position size (one of
--   1, leaseId, model, inflight, usedPlusReserved   granted; the id carries key, account, seq, flags
--                                                   and expiry (LEASE_ID_FORMAT)
--   2, retryAtMs | -1, onlyTriedKeysAvailable 0|1   no key can serve now
--   3, retryAtMs                                    provider paused by its breaker
-- each). Returns the new end of out and the position after the requests' values.
local function lease_requests(C, gen, ttl, n, at, out, size)
  local R = shared_request
  for _ = 1, n do
    local n_excluded = ARGV[at + 4] == '0' and 0 or tonumber(ARGV[at + 4])
    R.provider, R.model, R.fallback, R.estimate = ARGV[at], ARGV[at + 1], ARGV[at + 2], tonumber(ARGV[at + 3])
    R.estimate_text, R.excluded, R.only_excluded, R.window = ARGV[at + 3], NONE, false, LOOKAHEAD + n_excluded
    if n_excluded > 0 then
      R.excluded = {}
      for i = at + 5, at + 4 + n_excluded do R.excluded[ARGV[i]] = true end
    end
    size = lease_one(C, gen, ttl, R, out, size)
    at = at + 5 + n_excluded
  end
  return size, at
end
