--[[
  One script call's context, and the layout every lease script works on.

  Layout v4. Every name starts with `base`, ARGV[1], which begins with the prefix's hash tag, so
  every key a script touches lives in one Redis Cluster slot; derived names are built by the
  includes that own them (key-state, account-state, ready-sets), the way BullMQ derives job keys
  from its queue prefix.
    base..'k:'..keyId        string  one key's state, struct-packed (key-state.lua)
    base..'a:'..accountId    string  one account's state, a MessagePack array (account-state.lua)
    base..'accts:'..provider zset    accountId scored by priority (lower = preferred)
    base..'r:'..provider..':'..accountId..':m:'..model
                             zset    READY keys of that account and model, score = used + reserved,
                                     member = '%012d:keyId' lease sequence (a lease for any model
                                     merges the heads of the account's model sets)
    base..'pvfail:'..provider set    keys that failed with a server error since the provider's last success
    base..'keys' / base..'accounts'   set    every key id / account id (reset-daily and hydrate walk them)
    base..'expired'          zset    lease ids reclaimed at expiry, scored by when (reclaim.lua), so a
                                     late release still counts its tokens once
  Fixed keys passed as KEYS:
    meta     hash  gen, seq, next_due, violations, hydrated_at, slow (open leases granted under slow
                   start, flag 's' in their id), and per provider P 'pv:'..P, the
                   provider breaker, packed {until ms (0 = never opened), probe lease id}; present
                   whenever the breaker was opened or pvfail may hold keys (a success removes both)
    leases   zset  lease id scored by expiry ms; the id carries the lease record (lease-record.lua)
    blocked  zset  keyId by block end ms
    probes   zset  keyId by half-open probe time ms

  Includes: each script names the helpers it uses (`--- @include "includes/<name>"`, as in BullMQ),
  and the loader places each once, ahead of its first user. The lines of a script up to its
  `--- @call` line run once, when Redis loads the function library (library-source.ts); the lines
  after it run on every call, so a helper is built once per load, not per call.
]]
--- @include "int-arg"

-- One script call's context. A call may carry a batch of requests (lease, release), so what the
-- requests share is read once per call and kept here: key and account states (every change goes
-- through save_key / save_account, which keep the cached object), providers' account lists and
-- breakers, and a block of lease sequence numbers.
-- One table serves every call (Redis runs one at a time; the library builds its helpers once per
-- load), each of its fields set afresh here: a new table of this size per call cost more.
local current = {}
local function context(keys, base, now)
  local C = current
  C.meta, C.leases, C.blocked, C.probes = keys[1], keys[2], keys[3], keys[4]
  C.base, C.now, C.next_due, C.seq_next, C.seq_last, C.write_back = base, now, 0, 0, -1, false
  C.key_cache, C.account_cache, C.accounts_of, C.breakers, C.dirty_keys, C.dirty_accounts = {}, {}, {}, {}, {}, {}
  return C
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
