--[[
  A key's hot state: one string per key, loaded once per call into a cached object.

  Why one string per key and account: a redis.call from Lua pays per call and per returned element
  (measured on Redis 7.0 here: a 19-field HMGET about 6 us, a GET about 0.5 us), and a lease
  touches every field of its key. One GET + unpack and one pack + SET per key and per account cost a
  fraction of the v1 hash layout. Keys, the hot path, use struct (no intermediate table); accounts,
  read once per call, keep MessagePack for their list of models. src/lease/packed-state.ts reads both.
]]

--- @include "parsed-cache"

local function key_name(C, kid) return C.base .. 'k:' .. kid end

local parsed_keys = parsed_cache()

-- Ready = may be leased now, capacity permitting: active and below its cap, or a breaker-disabled key
-- whose half-open probe is due (one lease at a time). Limits per request are checked at lease time.
--
-- Slow start: a key not proven (no success since it entered service: new, enabled by hand, back
-- from a disable, or hydrated without a success on record) or with a failure since its last success
-- gets one call in flight, whatever its cap: all calls in flight at once would otherwise go to a key
-- that may be invalid or dead, so an invalid key costs one call and a dead one at most the breaker
-- threshold. A success proves it (release); set_disabled and enable take the proof away.
local function is_ready(k)
  if k.used >= k.limit then return false end
  if k.status == 'active' then
    if k.proven == 0 or k.failures > 0 then return k.inflight == 0 end
    return k.cap == 0 or k.inflight < k.cap
  end
  return k.status == 'disabled' and k.probing == 1 and k.inflight == 0
end

-- in_ready is derived, not stored: after every script a key is in its ready set, under its
-- member, exactly when is_ready holds for its saved state.
--
-- A key's state is one struct-packed string (KEY_FORMAT): eleven numbers as little-endian doubles
-- (limit, cap, used, reserved, inflight, block_until, failures, probe_at, probing, last_used, proven
-- 0|1), then
-- seven zero-terminated strings (provider, model, account, status, kind, member, reason; none can
-- hold a zero byte: see clean_reason). struct.unpack hands back plain values, so a load builds one
-- table, where a MessagePack array cost a second table grown element by element
-- (src/lease/packed-state.ts reads the same bytes).
local KEY_FORMAT = '<dddddddddddsssssss'

local function parse_key(kid, s)
  local limit, cap, used, reserved, inflight, block_until, failures, probe_at, probing, last_used, proven, provider,
        model, account, status, kind, member, reason = struct.unpack(KEY_FORMAT, s)
  local k = { id = kid, provider = provider, model = model, account = account, limit = limit, cap = cap, used = used,
              reserved = reserved, inflight = inflight, status = status, kind = kind, block_until = block_until,
              failures = failures, probe_at = probe_at, probing = probing, last_used = last_used, proven = proven,
              member = member, reason = reason, in_ready = false, packed = s }
  k.in_ready = is_ready(k)
  return k
end

-- Callers that change a key save it before the call ends, so the cached object is the saved state.
local function load_key(C, kid)
  local k = C.key_cache[kid]
  if k then return k end
  local name = key_name(C, kid)
  local s = redis.call('GET', name)
  if not s then return nil end
  k = take_parsed(parsed_keys, name, s)
  if not k then
    k = parse_key(kid, s)
    k.name = name
  end
  C.key_cache[kid] = k
  return k
end

local function pack_key(k)
  return struct.pack(KEY_FORMAT, k.limit, k.cap, k.used, k.reserved, k.inflight, k.block_until, k.failures,
    k.probe_at, k.probing, k.last_used, k.proven, k.provider, k.model, k.account, k.status, k.kind, k.member, k.reason)
end

-- A key's Redis name, kept on the object (a load has it; a key built by hydrate gets it here).
local function name_of_key(C, k)
  local name = k.name
  if not name then
    name = key_name(C, k.id)
    k.name = name
  end
  return name
end

local function save_key(C, k)
  C.key_cache[k.id] = k
  if C.write_back then C.dirty_keys[k.id] = k; return end
  redis.call('SET', name_of_key(C, k), pack_key(k))
end
