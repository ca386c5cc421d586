--[[
  Shared helpers, concatenated by the script loader ahead of every lease script (one copy per
  script, so each script stays self-contained for EVALSHA).

  Layout v3. Every name starts with `base`, ARGV[1], which begins with the prefix's hash tag, so
  every key a script touches lives in one Redis Cluster slot; derived names are built here the way
  BullMQ derives job keys from its queue prefix.
    base..'k:'..keyId        string  one key's state, struct-packed (KEY_FORMAT, parse_key below)
    base..'a:'..accountId    string  one account's state, a MessagePack array (load_account below)
    base..'accts:'..provider zset    accountId scored by priority (lower = preferred)
    base..'r:'..provider..':'..accountId..':m:'..model
                             zset    READY keys of that account and model, score = used + reserved,
                                     member = '%012d:keyId' lease sequence (a lease for any model
                                     merges the heads of the account's model sets)
    base..'pvfail:'..provider set    keys that failed with a server error since the provider's last success
    base..'keys' / base..'accounts'   set    every key id / account id (reset-daily and hydrate walk them)
  Fixed keys passed as KEYS:
    meta     hash  gen, seq, next_due, violations, hydrated_at, and per provider P 'pv:'..P, the
                   provider breaker, packed {until ms (0 = never opened), probe lease id}; present
                   whenever the breaker was opened or pvfail may hold keys (a success removes both)
    leases   zset  lease id scored by expiry ms; the id carries the lease record (LEASE_ID_FORMAT)
    blocked  zset  keyId by block end ms
    probes   zset  keyId by half-open probe time ms

  Why one string per key and account: a redis.call from Lua pays per call and per returned element
  (measured on Redis 7.0 here: a 19-field HMGET about 6 us, a GET about 0.5 us), and a lease
  touches every field of its key. One GET + unpack and one pack + SET per key and per account cost a
  fraction of the v1 hash layout. Keys, the hot path, use struct (no intermediate table); accounts,
  read once per call, keep MessagePack for their list of models. src/lease/packed-state.ts reads both.
]]

-- Library functions stay globals (redis.call, string.find, ...). Copying them into locals makes each
-- use cheaper but each call dearer: every helper defined here is a new closure on every call and
-- pays per local it captures (callgrind: no gain at batches of 8, 4% worse for single calls).

-- A reason is free text from outside (an operator, Postgres): a key state stores it zero-terminated
-- and bounded (the engine itself sends at most 1,000 characters, MAX_REASON_LENGTH).
local MAX_REASON_BYTES = 4000
local function clean_reason(reason)
  if string.find(reason, '\0', 1, true) then reason = string.gsub(reason, '%z', '') end
  if #reason > MAX_REASON_BYTES then reason = string.sub(reason, 1, MAX_REASON_BYTES) end
  return reason
end

-- An integer as redis.call's argument: a Lua number would be formatted with '%.17g' (slow) by Redis.
local function int_arg(n) return string.format('%d', n) end

local LOOKAHEAD = 8
local RECLAIM_BATCH = 1000
-- LEASE_ID_FORMAT: gen-seq:keyId:accountId:tokens:flags:expiresMs:provider
local LEASE_PATTERN = '^[^:]*:([^:]*):([^:]*):([^:]*):([^:]*):([^:]*):(.*)$'

local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- One script call's context. A call may carry a batch of requests (lease, release), so what the
-- requests share is read once per call and kept here: key and account states (every change goes
-- through save_key / save_account, which keep the cached object), providers' account lists and
-- breakers, and a block of lease sequence numbers.
local function context(keys, base, now)
  return { meta = keys[1], leases = keys[2], blocked = keys[3], probes = keys[4],
           base = base, now = now, next_due = 0, key_cache = {}, account_cache = {},
           accounts_of = {}, breakers = {}, seq_next = 0, seq_last = -1, write_back = false,
           dirty_keys = {}, dirty_accounts = {}, ready_names = {} }
end

-- Write-back (lease and release, which may touch a key many times in one batch): save_key and
-- save_account only mark the state, and flush_state writes each changed one once, in one MSET.
-- Reads go through the cache, so nothing in the call can see the difference.
local function write_back(C) C.write_back = true end

-- Sequence numbers order leases (least recently leased first) and state writes. A batch takes a
-- block of them in one HINCRBY; numbers a batch does not use are skipped, never reused.
local function reserve_seq(C, n)
  if n <= 0 then return end
  C.seq_last = redis.call('HINCRBY', C.meta, 'seq', int_arg(n))
  C.seq_next = C.seq_last - n + 1
end

local function next_seq(C)
  if C.seq_next > C.seq_last then reserve_seq(C, 1) end
  local seq = C.seq_next
  C.seq_next = seq + 1
  return seq
end

-- A moment after every lease expiry, block end and probe time (14 digits: Lua prints it exactly).
local NEVER = 99999999999999

-- A provider breaker: present = opened at some point or failures recorded since the last success;
-- opened = until > 0 (paused while now < until, then one probe lease at a time).
local function parse_breaker(packed)
  if not packed then return { present = false, opened = false, ['until'] = 0, probe = '' } end
  local t = cmsgpack.unpack(packed)
  return { present = true, opened = t[1] > 0, ['until'] = t[1], probe = t[2] }
end

-- The provider's breaker, read once per call (the object is the one later changes update).
local function breaker(C, provider)
  local pv = C.breakers[provider]
  if not pv then
    pv = parse_breaker(redis.call('HGET', C.meta, 'pv:' .. provider))
    C.breakers[provider] = pv
  end
  return pv
end

local function save_breaker(C, provider, until_ms, probe)
  redis.call('HSET', C.meta, 'pv:' .. provider, cmsgpack.pack({ until_ms, probe }))
  local pv = breaker(C, provider)
  pv.present, pv.opened, pv['until'], pv.probe = true, until_ms > 0, until_ms, probe
end

local function clear_breaker(C, provider)
  redis.call('HDEL', C.meta, 'pv:' .. provider)
  local pv = breaker(C, provider)
  pv.present, pv.opened, pv['until'], pv.probe = false, false, 0, ''
end

-- Reads the generation (nil = the state is missing) and the earliest moment anything may fall due,
-- in one HMGET. meta.next_due lets most calls skip reclaim's range reads; it is only ever lowered by
-- schedule() and recomputed after a reclaim, so it is never later than the true earliest due time.
local function open_state(C)
  local m = redis.call('HMGET', C.meta, 'gen', 'next_due')
  C.next_due = tonumber(m[2]) or 0
  return m[1]
end

-- ZADD to leases, blocked or probes: every timed entry goes through here to keep next_due honest.
local function schedule(C, zset, score, member, score_text)
  redis.call('ZADD', zset, score_text or int_arg(score), member)
  if score < C.next_due then
    C.next_due = score
    redis.call('HSET', C.meta, 'next_due', score)
  end
end

local function key_name(C, kid) return C.base .. 'k:' .. kid end
local function account_name(C, aid) return C.base .. 'a:' .. aid end

-- Ready = may be leased now, capacity permitting: active and below its cap, or a breaker-disabled key
-- whose half-open probe is due (one lease at a time). Limits per request are checked at lease time.
local function is_ready(k)
  if k.used >= k.limit then return false end
  if k.status == 'active' then return k.cap == 0 or k.inflight < k.cap end
  return k.status == 'disabled' and k.probing == 1 and k.inflight == 0
end

-- in_ready is derived, not stored: after every script a key is in its ready set, under its
-- member, exactly when is_ready holds for its saved state.
--
-- A key's state is one struct-packed string (KEY_FORMAT): ten numbers as little-endian doubles
-- (limit, cap, used, reserved, inflight, block_until, failures, probe_at, probing, last_used), then
-- seven zero-terminated strings (provider, model, account, status, kind, member, reason; none can
-- hold a zero byte: see clean_reason). struct.unpack hands back plain values, so a load builds one
-- table, where a MessagePack array cost a second table grown element by element
-- (src/lease/packed-state.ts reads the same bytes).
local KEY_FORMAT = '<ddddddddddsssssss'

local function parse_key(kid, s)
  local limit, cap, used, reserved, inflight, block_until, failures, probe_at, probing, last_used, provider, model,
        account, status, kind, member, reason = struct.unpack(KEY_FORMAT, s)
  local k = { id = kid, provider = provider, model = model, account = account, limit = limit, cap = cap, used = used,
              reserved = reserved, inflight = inflight, status = status, kind = kind, block_until = block_until,
              failures = failures, probe_at = probe_at, probing = probing, last_used = last_used, member = member,
              reason = reason, in_ready = false }
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
  k = parse_key(kid, s)
  k.name = name
  C.key_cache[kid] = k
  return k
end

local function pack_key(k)
  return struct.pack(KEY_FORMAT, k.limit, k.cap, k.used, k.reserved, k.inflight, k.block_until, k.failures,
    k.probe_at, k.probing, k.last_used, k.provider, k.model, k.account, k.status, k.kind, k.member, k.reason)
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

-- An account: provider, priority, status, quota (-1 = none), budget (-1 = none), used, reserved,
-- spent, models (the models of its keys, for leases of any model). Its counters exist for its limits
-- only: used and reserved are kept while it has a daily quota, spent while it has a monthly budget
-- (hydrate recomputes used and reserved from its keys, and takes the larger spent of Redis and Postgres,
-- so an import that sets a limit starts from the right values).
local function load_account(C, aid)
  local a = C.account_cache[aid]
  if a then return a end
  local s = redis.call('GET', account_name(C, aid))
  if not s then return nil end
  local t = cmsgpack.unpack(s)
  a = { id = aid, provider = t[1], priority = t[2], status = t[3], quota = t[4], budget = t[5], used = t[6],
        reserved = t[7], spent = t[8], models = t[9] }
  C.account_cache[aid] = a
  return a
end

local function pack_account(a)
  return cmsgpack.pack({ a.provider, a.priority, a.status, a.quota, a.budget, a.used, a.reserved, a.spent,
    a.models })
end

local function save_account(C, a)
  a.dirty = false
  C.account_cache[a.id] = a
  if C.write_back then C.dirty_accounts[a.id] = a; return end
  redis.call('SET', account_name(C, a.id), pack_account(a))
end

local function flush_state(C)
  local args, n = {}, 0
  local function add(name, packed)
    args[n + 1], args[n + 2] = name, packed
    n = n + 2
    -- unpack() is bounded by Lua's C stack: a reclaim of many leases writes in chunks.
    if n >= 2000 then redis.call('MSET', unpack(args)); args, n = {}, 0 end
  end
  for _, k in pairs(C.dirty_keys) do add(name_of_key(C, k), pack_key(k)) end
  for _, a in pairs(C.dirty_accounts) do add(account_name(C, a.id), pack_account(a)) end
  if n > 0 then redis.call('MSET', unpack(args)) end
  C.dirty_keys, C.dirty_accounts = {}, {}
end

-- The provider's account ids by priority (no script of a lease call changes them).
local function accounts_of(C, provider)
  local ids = C.accounts_of[provider]
  if not ids then
    ids = redis.call('ZRANGE', C.base .. 'accts:' .. provider, '0', '-1')
    C.accounts_of[provider] = ids
  end
  return ids
end

local function tracks_quota(a) return a.quota >= 0 end
local function tracks_budget(a) return a.budget >= 0 end

-- A lease sequence number as text: fixed width, so members sort by it.
local function seq_text(seq) return string.format('%012d', seq) end

local function member_for(seq_txt, kid) return seq_txt .. ':' .. kid end

-- The key id inside a ready-set member ('%012d:keyId').
local function member_key(member) return string.sub(member, string.find(member, ':', 1, true) + 1) end

-- Built once per call for each (provider, account, model): a lease or release names its key's set up to
-- three times.
local function ready_set(C, provider, aid, model)
  local by_account = C.ready_names[provider]
  if not by_account then
    by_account = {}
    C.ready_names[provider] = by_account
  end
  local by_model = by_account[aid]
  if not by_model then
    by_model = {}
    by_account[aid] = by_model
  end
  local name = by_model[model]
  if not name then
    name = C.base .. 'r:' .. provider .. ':' .. aid .. ':m:' .. model
    by_model[model] = name
  end
  return name
end

local function leave_ready(C, k)
  if k.in_ready then
    redis.call('ZREM', ready_set(C, k.provider, k.account, k.model), k.member)
    k.in_ready = false
  end
end

-- Puts the key into its ready set with score used + reserved, or takes it out. Caller saves k.
local function sync_ready(C, k)
  if not is_ready(k) then return leave_ready(C, k) end
  redis.call('ZADD', ready_set(C, k.provider, k.account, k.model), int_arg(k.used + k.reserved), k.member)
  k.in_ready = true
end

local function set_block(C, k, until_ms)
  if until_ms > k.block_until then k.block_until = until_ms end
  if k.status == 'active' or k.status == 'temporarily_blocked' then
    k.status = 'temporarily_blocked'
    schedule(C, C.blocked, k.block_until, k.id)
  end
end

local function set_disabled(C, k, kind, reason, probe_after_ms)
  k.status, k.kind, k.reason, k.probing = 'disabled', kind, clean_reason(reason), 0
  redis.call('ZREM', C.blocked, k.id)
  if kind == 'breaker' then
    k.probe_at = C.now + probe_after_ms
    schedule(C, C.probes, k.probe_at, k.id)
  else
    k.probe_at = 0
    redis.call('ZREM', C.probes, k.id)
  end
end

-- A lease id's record (LEASE_ID_FORMAT), or nil for an id this layout did not issue.
local function parse_lease(lid)
  local kid, aid, tokens, flags, expires, provider = string.match(lid, LEASE_PATTERN)
  if not kid then return nil end
  return { kid = kid, aid = aid, tokens = tonumber(tokens), flags = flags, expires = tonumber(expires),
           provider = provider }
end

-- Ends a lease (removed: the caller already took it out of leases; rec: its parsed id, if the caller
-- has it): its reservation and concurrency slot come back. Returns the key (unsaved; its ready set
-- not yet synced), the record and the account (marked dirty when changed).
local function end_lease(C, lid, removed, rec)
  if not removed then redis.call('ZREM', C.leases, lid) end
  rec = rec or parse_lease(lid)
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
  if string.find(rec.flags, 'p', 1, true) then
    local pv = breaker(C, rec.provider)
    if pv.probe == lid then save_breaker(C, rec.provider, pv['until'], '') end
  end
  return k, rec, a
end

-- Ends a lease whose time ran out (arguments as end_lease): its key and account are saved.
local function expire_lease(C, lid, removed, rec)
  local k, _, a = end_lease(C, lid, removed, rec)
  if a and a.dirty then save_account(C, a) end
  if k then sync_ready(C, k); save_key(C, k) end
end

-- Lazily applies what time has made due, so no sweeper is needed for correctness: expired leases give
-- back their reservation and slot, ended blocks return keys to service, due probes open half-open keys.
-- Bounded per call; what is left is picked up by the next call (each item is due exactly once).
-- Returns the ids of keys whose block ended (callers only read the list: most calls share one empty one).
local NOTHING_UNBLOCKED = {}
local function reclaim(C)
  if C.now < C.next_due then return NOTHING_UNBLOCKED end
  local unblocked = {}
  for _, lid in ipairs(redis.call('ZRANGEBYSCORE', C.leases, '-inf', C.now, 'LIMIT', 0, RECLAIM_BATCH)) do
    expire_lease(C, lid)
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
    local head = redis.call('ZRANGE', z, '0', '0', 'WITHSCORES')
    if head[2] and tonumber(head[2]) < due then due = tonumber(head[2]) end
  end
  C.next_due = due
  redis.call('HSET', C.meta, 'next_due', due)
  return unblocked
end

-- The key's state as returned to the engine (which writes status changes to Postgres).
-- Writes it into out after position n (11 values); returns the new end. Numbers go back as integer
-- replies: tostring would format each one through sprintf.
local function put_key_reply(out, n, k)
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] =
    k.id, k.status, k.kind, k.reason, k.block_until, k.failures
  out[n + 7], out[n + 8], out[n + 9], out[n + 10], out[n + 11] = k.used, k.last_used, k.probe_at, k.reserved,
    k.inflight
  return n + 11
end

-- An admin change to one key (block, unblock, disable, enable; ARGV[3] = key id) begins here: the
-- call's context and the key, reclaim applied; or nil and the code to return (0 state missing,
-- 6 unknown key).
local function open_key_change()
  local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
  if not open_state(C) then return nil, nil, 0 end
  reclaim(C)
  local k = load_key(C, ARGV[3])
  if not k then return nil, nil, 6 end
  return C, k
end

-- ... and ends here: the key's ready set synced, its state saved, and the reply
-- {1, statusChanged 0|1, key reply...}.
local function key_change_reply(C, k, changed)
  sync_ready(C, k)
  save_key(C, k)
  local out = { 1, changed and 1 or 0 }
  put_key_reply(out, 2, k)
  return out
end
