--[[
  lease: picks the best key for a request and reserves its estimated tokens, in one atomic step.

  Order: accounts of the provider by priority (1 first); within an account the ready key with the
  lowest used + reserved tokens, ties to the least recently leased (the member's sequence prefix).
  The requested model first across all accounts, then AI_FALLBACK_MODEL's keys. A key whose own
  daily limit has no room for this estimate may sit at the head of its set (limits differ per key):
  up to LOOKAHEAD (+ excluded) heads are examined, so cost stays O(log n). An account over its daily
  quota or monthly budget is skipped as a whole.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] leasedata   KEYS[4] blocked    KEYS[5] probes
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
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
local gen = open_state(C)
if not gen then return { 0 } end
local provider, model, fallback = ARGV[3], ARGV[4], ARGV[5]
local estimate, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local excluded, n_excluded = {}, 0
for i = 8, #ARGV do excluded[ARGV[i]] = true; n_excluded = n_excluded + 1 end

reclaim(C)

local pv = C.base .. 'pv:' .. provider
local pv_until, pv_probe = unpack(redis.call('HMGET', pv, 'until', 'probe'))
local provider_probe = false
if pv_until then
  pv_until = tonumber(pv_until)
  if C.now < pv_until then return { 3, pv_until } end
  if pv_probe and pv_probe ~= '' then
    return { 3, tonumber(redis.call('ZSCORE', C.leases, pv_probe)) or C.now }
  end
  provider_probe = true
end

local accounts = redis.call('ZRANGE', C.base .. 'accts:' .. provider, 0, -1)
local models = { model == '' and '*' or 'm:' .. model }
if model ~= '' and fallback ~= '' and fallback ~= model then models[2] = 'm:' .. fallback end

local function account_open(aid)
  local a = redis.call('HMGET', account_name(C, aid), 'status', 'quota', 'used', 'reserved', 'budget', 'spent')
  if a[1] ~= 'active' then return false end
  local quota, budget = tonumber(a[2]) or -1, tonumber(a[5]) or -1
  if quota >= 0 and (tonumber(a[3]) or 0) + (tonumber(a[4]) or 0) + estimate > quota then return false end
  if budget >= 0 and (tonumber(a[6]) or 0) >= budget then return false end
  return true
end

local chosen, only_excluded = nil, false
for _, m in ipairs(models) do
  for _, aid in ipairs(accounts) do
    if account_open(aid) then
      local ready = C.base .. 'r:' .. provider .. ':' .. aid .. ':' .. m
      local heads = redis.call('ZRANGE', ready, 0, LOOKAHEAD + n_excluded - 1, 'WITHSCORES')
      for i = 1, #heads, 2 do
        local kid = string.match(heads[i], ':(.*)$')
        local limit, member = unpack(redis.call('HMGET', key_name(C, kid), 'limit', 'member'))
        limit = tonumber(limit) or 0
        if member ~= heads[i] then
          -- Left behind by a partial loss of state (never by these scripts): drop it.
          redis.call('ZREM', ready, heads[i])
        elseif tonumber(heads[i + 1]) + estimate <= limit then
          if excluded[kid] then only_excluded = true else chosen = kid; break end
        end
      end
    end
    if chosen then break end
  end
  if chosen then break end
end

if not chosen then
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

local k = load_key(C, chosen)
local seq = redis.call('HINCRBY', C.meta, 'seq', 1)
local lid = gen .. '-' .. seq
leave_ready(k)
k.member = member_for(seq, chosen)
k.reserved = k.reserved + estimate
k.inflight = k.inflight + 1
sync_ready(C, k)
save_key(C, k)
redis.call('HINCRBY', account_name(C, k.account), 'reserved', estimate)

local flags = ''
if k.probing == 1 then flags = flags .. 'k' end
if provider_probe then flags = flags .. 'p'; redis.call('HSET', pv, 'probe', lid) end
local expires = C.now + ttl
schedule(C, C.leases, expires, lid)
redis.call('HSET', C.leasedata, lid, chosen .. '|' .. k.account .. '|' .. estimate .. '|' .. flags .. '|' .. provider)

-- Invariant check on values the grant just produced: counted, never expected to move.
if (k.cap > 0 and k.inflight > k.cap) or k.used + k.reserved > k.limit then
  redis.call('HINCRBY', C.meta, 'violations', 1)
end
return { 1, lid, chosen, k.account, k.model, expires, seq, k.inflight, k.used + k.reserved, flags }
