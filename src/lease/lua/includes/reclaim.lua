--- @include "context"
--- @include "end-lease"
--- @include "key-state"
--- @include "ready-sets"

-- Items of each kind applied per call; the rest wait for the next call.
local RECLAIM_BATCH = 1000

-- How long an expired lease is remembered (base..'expired', scored by when it expired), so that its
-- release, arriving late, still counts a success's tokens exactly once (release-request.lua): a release is
-- late by its call's overrun, or by as long as its process held it while Redis was unreachable.
local EXPIRED_KEEP_MS = 24 * 3600 * 1000

local function expired_set(C) return C.base .. 'expired' end

local function remember_expired(C, lids)
  local args = { 'ZADD', expired_set(C) }
  local at = int_arg(C.now)
  for _, lid in ipairs(lids) do
    args[#args + 1] = at
    args[#args + 1] = lid
  end
  redis.call(unpack(args))
  redis.call('ZREMRANGEBYSCORE', expired_set(C), '-inf', int_arg(C.now - EXPIRED_KEEP_MS))
end

-- Lazily applies what time has made due, so no sweeper is needed for correctness: expired leases give
-- back their reservation and slot, ended blocks return keys to service, due probes open half-open keys.
-- Bounded per call; what is left is picked up by the next call (each item is due exactly once).
-- Returns the ids of keys whose block ended (callers only read the list: most calls share one empty one).
local NOTHING_UNBLOCKED = {}
local function reclaim(C)
  if C.now < C.next_due then return NOTHING_UNBLOCKED end
  local unblocked = {}
  local expired = redis.call('ZRANGEBYSCORE', C.leases, '-inf', C.now, 'LIMIT', 0, RECLAIM_BATCH)
  for _, lid in ipairs(expired) do
    expire_lease(C, lid)
  end
  if #expired > 0 then remember_expired(C, expired) end
  for _, kid in ipairs(redis.call('ZRANGEBYSCORE', C.blocked, '-inf', C.now, 'LIMIT', 0, RECLAIM_BATCH)) do
    redis.call('ZREM', C.blocked, kid)
    local k = load_key(C, kid)
    if k and k.status == 'temporarily_blocked' and k.block_until <= C.now then
      k.status = 'active'
      sync_ready(C, k); save_key(C, k)
      unblocked[#unblocked + 1] = kid
    end
  end
  for _, kid in ipairs(redis.call('ZRANGEBYSCORE', C.probes, '-inf', C.now, 'LIMIT', 0, RECLAIM_BATCH)) do
    redis.call('ZREM', C.probes, kid)
    local k = load_key(C, kid)
    if k and k.status == 'disabled' and k.kind == 'breaker' then
      k.probing = 1
      sync_ready(C, k); save_key(C, k)
    end
  end
  local due = NEVER
  for _, z in ipairs({ C.leases, C.blocked, C.probes }) do
    local head = redis.call('ZRANGE', z, '0', '0', 'WITHSCORES')
    if head[2] and tonumber(head[2]) < due then due = tonumber(head[2]) end
  end
  C.next_due = due
  redis.call('HSET', C.meta, 'next_due', due)
  return unblocked
end
