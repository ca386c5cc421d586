--[[
  Shared helpers, concatenated by the script loader ahead of every lease script (one copy per
  script, so each script stays self-contained for EVALSHA).

  Key layout (all names start with `base`, ARGV[1], which begins with the prefix's hash tag, so
  every key a script touches lives in one Redis Cluster slot; derived names are built here the way
  BullMQ derives job keys from its queue prefix):
    base..'k:'..keyId                 hash   one key's hot state (see KEY_FIELDS)
    base..'a:'..accountId             hash   status, priority, quota, budget (-1 = none), used, reserved, spent
    base..'accts:'..provider          zset   accountId scored by priority (lower = preferred)
    base..'r:'..provider..':'..accountId..':m:'..model / ':*'
                                      zset   READY keys of that account (for one model / any model),
                                             score = used + reserved, member = '%012d:keyId' lease sequence
    base..'pv:'..provider             hash   provider breaker while open: until (ms), probe (lease id)
    base..'pvfail:'..provider         set    keys that failed with a server error since the provider's last success
    base..'keys' / base..'accounts'   set    every key id / account id (reset-daily and hydrate walk them)
  Fixed keys passed as KEYS: meta (hash: gen, seq, violations), leases (zset leaseId by expiry ms),
  leasedata (hash leaseId -> 'keyId|accountId|tokens|flags|provider'), blocked (zset keyId by block end),
  probes (zset keyId by half-open probe time).
]]

local LOOKAHEAD = 8
local RECLAIM_BATCH = 1000

local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function context(keys, base, now)
  return { meta = keys[1], leases = keys[2], leasedata = keys[3], blocked = keys[4], probes = keys[5],
           base = base, now = now, next_due = 0 }
end

-- A moment after every lease expiry, block end and probe time (14 digits: Lua prints it exactly).
local NEVER = 99999999999999

-- Reads the generation (nil = the state is missing) and the earliest moment anything may fall due.
-- meta.next_due lets most calls skip reclaim's range reads: measured, the three ZRANGEBYSCOREs were
-- about a sixth of a lease's time in Redis. It is only ever lowered by schedule() and recomputed
-- after a reclaim, so it is never later than the true earliest due time.
local function open_state(C)
  local m = redis.call('HMGET', C.meta, 'gen', 'next_due')
  C.next_due = tonumber(m[2]) or 0
  return m[1]
end

-- ZADD to leases, blocked or probes: every timed entry goes through here to keep next_due honest.
local function schedule(C, zset, score, member)
  redis.call('ZADD', zset, score, member)
  if score < C.next_due then
    C.next_due = score
    redis.call('HSET', C.meta, 'next_due', score)
  end
end

local KEY_FIELDS = { 'provider', 'model', 'account', 'limit', 'cap', 'used', 'reserved', 'inflight', 'status',
  'kind', 'reason', 'block_until', 'failures', 'probe_at', 'probing', 'last_used', 'member', 'rz_model', 'rz_any' }
local NUMERIC = { limit = true, cap = true, used = true, reserved = true, inflight = true, block_until = true,
  failures = true, probe_at = true, probing = true, last_used = true }

local function key_name(C, kid) return C.base .. 'k:' .. kid end
local function account_name(C, aid) return C.base .. 'a:' .. aid end

local function load_key(C, kid)
  local vals = redis.call('HMGET', key_name(C, kid), unpack(KEY_FIELDS))
  if not vals[1] then return nil end
  local k = { id = kid }
  for i, f in ipairs(KEY_FIELDS) do
    local v = vals[i]
    if NUMERIC[f] then k[f] = tonumber(v) or 0 else k[f] = v or '' end
  end
  return k
end

local function save_key(C, k)
  redis.call('HSET', key_name(C, k.id), 'used', k.used, 'reserved', k.reserved, 'inflight', k.inflight,
    'status', k.status, 'kind', k.kind, 'reason', k.reason, 'block_until', k.block_until, 'failures', k.failures,
    'probe_at', k.probe_at, 'probing', k.probing, 'last_used', k.last_used, 'member', k.member,
    'rz_model', k.rz_model, 'rz_any', k.rz_any)
end

local function member_for(seq, kid) return string.format('%012d:%s', seq, kid) end

-- Ready = may be leased now, capacity permitting: active and below its cap, or a breaker-disabled key
-- whose half-open probe is due (one lease at a time). Limits per request are checked at lease time.
local function is_ready(k)
  if k.used >= k.limit then return false end
  if k.status == 'active' then return k.cap == 0 or k.inflight < k.cap end
  return k.status == 'disabled' and k.probing == 1 and k.inflight == 0
end

local function leave_ready(k)
  if k.rz_model ~= '' then redis.call('ZREM', k.rz_model, k.member) end
  if k.rz_any ~= '' then redis.call('ZREM', k.rz_any, k.member) end
  k.rz_model, k.rz_any = '', ''
end

-- Puts the key into its ready sets with score used + reserved, or takes it out. Caller saves k.
local function sync_ready(C, k)
  if not is_ready(k) then return leave_ready(k) end
  local p = C.base .. 'r:' .. k.provider .. ':' .. k.account .. ':'
  local rm, ra = p .. 'm:' .. k.model, p .. '*'
  if k.rz_model ~= rm or k.rz_any ~= ra then leave_ready(k) end
  local score = k.used + k.reserved
  redis.call('ZADD', rm, score, k.member)
  redis.call('ZADD', ra, score, k.member)
  k.rz_model, k.rz_any = rm, ra
end

local function set_block(C, k, until_ms)
  if until_ms > k.block_until then k.block_until = until_ms end
  if k.status == 'active' or k.status == 'temporarily_blocked' then
    k.status = 'temporarily_blocked'
    schedule(C, C.blocked, k.block_until, k.id)
  end
end

local function set_disabled(C, k, kind, reason, probe_after_ms)
  k.status, k.kind, k.reason, k.probing = 'disabled', kind, reason, 0
  redis.call('ZREM', C.blocked, k.id)
  if kind == 'breaker' then
    k.probe_at = C.now + probe_after_ms
    schedule(C, C.probes, k.probe_at, k.id)
  else
    k.probe_at = 0
    redis.call('ZREM', C.probes, k.id)
  end
end

local function parse_lease(rec)
  local kid, aid, tokens, flags, provider = string.match(rec, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return kid, aid, tonumber(tokens), flags, provider
end

-- Ends a lease: its reservation and concurrency slot come back. Returns the key (unsaved) and the record.
local function end_lease(C, lid)
  local rec = redis.call('HGET', C.leasedata, lid)
  redis.call('HDEL', C.leasedata, lid)
  redis.call('ZREM', C.leases, lid)
  if not rec then return nil end
  local kid, aid, tokens, flags, provider = parse_lease(rec)
  local k = load_key(C, kid)
  -- The key's current account: a hydration after an import may have moved the key (and its reservation).
  if k then aid = k.account end
  redis.call('HINCRBY', account_name(C, aid), 'reserved', 0 - tokens) -- never '-0', which HINCRBY rejects
  if string.find(flags, 'p', 1, true) then
    local pv = C.base .. 'pv:' .. provider
    if redis.call('HGET', pv, 'probe') == lid then redis.call('HSET', pv, 'probe', '') end
  end
  if k then
    k.reserved = math.max(0, k.reserved - tokens)
    k.inflight = math.max(0, k.inflight - 1)
  end
  return k, { kid = kid, aid = aid, tokens = tokens, flags = flags, provider = provider }
end

-- Lazily applies what time has made due, so no sweeper is needed for correctness: expired leases give
-- back their reservation and slot, ended blocks return keys to service, due probes open half-open keys.
-- Bounded per call; what is left is picked up by the next call (each item is due exactly once).
-- Returns the ids of keys whose block ended.
local function reclaim(C)
  local unblocked = {}
  if C.now < C.next_due then return unblocked end
  for _, lid in ipairs(redis.call('ZRANGEBYSCORE', C.leases, '-inf', C.now, 'LIMIT', 0, RECLAIM_BATCH)) do
    local k = end_lease(C, lid)
    if k then sync_ready(C, k); save_key(C, k) end
  end
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
    local head = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
    if head[2] and tonumber(head[2]) < due then due = tonumber(head[2]) end
  end
  C.next_due = due
  redis.call('HSET', C.meta, 'next_due', due)
  return unblocked
end

-- The key's state as returned to the engine (which writes status changes to Postgres).
local function key_reply(k)
  return { k.id, k.status, k.kind, k.reason, tostring(k.block_until), tostring(k.failures), tostring(k.used),
           tostring(k.last_used), tostring(k.probe_at), tostring(k.reserved), tostring(k.inflight) }
end
