--[[
  lease: picks the best key for a request and reserves its estimated tokens, in one atomic step.

  Order: accounts of the provider by priority (1 first); within an account the ready key with the
  lowest used + reserved tokens, ties to the least recently leased (the member's sequence prefix).
  The requested model first across all accounts, then AI_FALLBACK_MODEL's keys. A key whose own
  daily limit has no room for this estimate may sit at the head of its set (limits differ per key):
  up to LOOKAHEAD (+ excluded) heads are examined, so cost stays O(log n); the head alone is read
  first, since it nearly always serves. An account over its daily quota or monthly budget is skipped
  as a whole.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag; derived keys, see includes/common.lua)
  ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] provider
  ARGV[4] model ('' = any model of the provider)
  ARGV[5] fallback model ('' = none)
  ARGV[6] estimated tokens (integer >= 0)
  ARGV[7] lease TTL, ms
  ARGV[8..] key ids this request must not get (already tried)

  Returns {1, leaseId, keyId, accountId, model, expiresAtMs, seq, inflight, usedPlusReserved, flags}
          flags: 'k' = half-open key probe, 'p' = provider breaker probe
       or {2, retryAtMs | -1, onlyExcludedCouldServe 0|1}      no key can serve now
       or {3, retryAtMs}                                       provider paused by its breaker
       or {0}                                                  state missing: hydrate and retry
]]
local provider, model, fallback = ARGV[3], ARGV[4], ARGV[5]
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
local gen, pv = open_state(C, provider)
if not gen then return { 0 } end
local estimate, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local excluded, n_excluded = {}, 0
for i = 8, #ARGV do excluded[ARGV[i]] = true; n_excluded = n_excluded + 1 end

reclaim(C)

local provider_probe = false
if pv.opened then
  if C.now < pv['until'] then return { 3, pv['until'] } end
  if pv.probe ~= '' then
    return { 3, tonumber(redis.call('ZSCORE', C.leases, pv.probe)) or C.now }
  end
  provider_probe = true
end

local accounts = redis.call('ZRANGE', C.base .. 'accts:' .. provider, 0, -1)
-- '' = any model of the account
local models = { model }
if model ~= '' and fallback ~= '' and fallback ~= model then models[2] = fallback end

local function account_open(a)
  if not a or a.status ~= 'active' then return false end
  if a.quota >= 0 and a.used + a.reserved + estimate > a.quota then return false end
  if a.budget >= 0 and a.spent >= a.budget then return false end
  return true
end

-- The first acceptable key among ready-set entries (ZRANGE ... WITHSCORES); else nil, how many
-- entries were seen and how many of those were dropped.
local only_excluded = false
local function pick_from(ready, heads)
  local dropped = 0
  for i = 1, #heads, 2 do
    local kid = string.match(heads[i], ':(.*)$')
    local k = load_key(C, kid)
    if not k or k.member ~= heads[i] then
      -- Left behind by a partial loss of state (never by these scripts): drop it.
      redis.call('ZREM', ready, heads[i])
      dropped = dropped + 1
    elseif tonumber(heads[i + 1]) + estimate <= k.limit then
      if excluded[kid] then only_excluded = true else return k end
    end
  end
  return nil, #heads / 2, dropped
end

local window = LOOKAHEAD + n_excluded

-- One model: the head of its set nearly always serves; the rest of the window only when it does not.
local function pick_in_model(aid, m)
  local ready = ready_set(C, provider, aid, m)
  local k, seen, dropped = pick_from(ready, redis.call('ZRANGE', ready, 0, 0, 'WITHSCORES'))
  if not k and seen == 1 and window > 1 then
    k = pick_from(ready, redis.call('ZRANGE', ready, 1 - dropped, window - 1 - dropped, 'WITHSCORES'))
  end
  return k
end

-- Any model: the window of the union of the account's model sets, in the same order one set of all
-- its keys would give (score, then member).
local function pick_in_any(a)
  if #a.models == 1 then return pick_in_model(a.id, a.models[1]) end
  local merged = {}
  for _, m in ipairs(a.models) do
    local ready = ready_set(C, provider, a.id, m)
    local heads = redis.call('ZRANGE', ready, 0, window - 1, 'WITHSCORES')
    for i = 1, #heads, 2 do
      merged[#merged + 1] = { member = heads[i], score = tonumber(heads[i + 1]), set = ready }
    end
  end
  table.sort(merged, function(x, y)
    if x.score ~= y.score then return x.score < y.score end
    return x.member < y.member
  end)
  for i = 1, math.min(window, #merged) do
    local e = merged[i]
    local k = pick_from(e.set, { e.member, e.score })
    if k then return k end
  end
  return nil
end

local k, account = nil, nil
for _, m in ipairs(models) do
  for _, aid in ipairs(accounts) do
    local a = load_account(C, aid)
    if account_open(a) then
      if m == '' then k = pick_in_any(a) else k = pick_in_model(aid, m) end
      if k then account = a; break end
    end
  end
  if k then break end
end

if not k then
  local soonest = -1
  for _, z in ipairs({ C.blocked, C.probes, C.leases }) do
    local head = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
    if head[2] then
      local t = tonumber(head[2])
      if soonest < 0 or t < soonest then soonest = t end
    end
  end
  return { 2, soonest, only_excluded and 1 or 0 }
end

local seq = redis.call('HINCRBY', C.meta, 'seq', 1)
leave_ready(C, k)
k.member = member_for(seq, k.id)
k.reserved = k.reserved + estimate
k.inflight = k.inflight + 1
sync_ready(C, k)
save_key(C, k)
if tracks_quota(account) then
  account.reserved = account.reserved + estimate
  save_account(C, account)
end

local flags = ''
if k.probing == 1 then flags = flags .. 'k' end
if provider_probe then flags = flags .. 'p' end
local lid = gen .. '-' .. seq .. ':' .. k.id .. ':' .. k.account .. ':' .. estimate .. ':' .. flags .. ':' .. provider
if provider_probe then save_breaker(C, provider, pv['until'], lid) end
local expires = C.now + ttl
schedule(C, C.leases, expires, lid)

-- Invariant check on values the grant just produced: counted, never expected to move.
if (k.cap > 0 and k.inflight > k.cap) or k.used + k.reserved > k.limit then
  redis.call('HINCRBY', C.meta, 'violations', 1)
end
return { 1, lid, k.id, k.account, k.model, expires, seq, k.inflight, k.used + k.reserved, flags }
