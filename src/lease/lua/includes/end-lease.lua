--- @include "lease-record"
--- @include "key-state"
--- @include "account-state"
--- @include "provider-breaker"
--- @include "ready-sets"

-- Ends a lease (removed: the caller already took it out of leases; rec: its parsed id, if the caller
-- has it): its reservation and concurrency slot come back. Returns the key (unsaved; its ready set
-- not yet synced), the record and the account (marked dirty when changed).
local function end_lease(C, lid, removed, rec)
  if not removed then redis.call('ZREM', C.leases, lid) end
  rec = rec or lease_record(lid)
  if not rec then return nil end
  local aid, tokens = rec.aid, rec.tokens
  local k = load_key(C, rec.kid)
  if k then
    -- The key's current account: a hydration after an import may have moved the key (and its reservation).
    aid = k.account
    rec.aid = aid
    k.reserved = math.max(0, k.reserved - tokens)
    k.inflight = math.max(0, k.inflight - 1)
  end
  local a = load_account(C, aid)
  if a and tracks_quota(a) then
    a.reserved = math.max(0, a.reserved - tokens)
    a.dirty = true
  end
  -- Most leases carry no flag: no search then.
  if rec.flags ~= '' then
    if string.find(rec.flags, 's', 1, true) then redis.call('HINCRBY', C.meta, 'slow', -1) end
    if string.find(rec.flags, 'p', 1, true) then
      local pv = breaker(C, rec.provider)
      if pv.probe == lid then save_breaker(C, rec.provider, pv['until'], '') end
    end
  end
  return k, rec, a
end

-- Ends a lease whose time ran out (arguments as end_lease): its key and account are saved.
local function expire_lease(C, lid, removed, rec)
  local k, _, a = end_lease(C, lid, removed, rec)
  if a and a.dirty then save_account(C, a) end
  if k then sync_ready(C, k); save_key(C, k) end
end
