--[[
  hydrate: (re)builds the hot state from a Postgres snapshot, atomically, then stamps meta.

  Fresh (meta missing: first start, or Redis lost its state): leftovers a partial loss may have left
  are removed, keys start with no reservation and no lease, and the ready sets are ordered by the
  snapshot's order (least recently used first). Merge (meta present: after an import): configuration
  and status come from Postgres, the source of truth; counters in flight (used, reserved, inflight,
  failures, last use, lease order) stay as Redis has them, since Redis is ahead of Postgres there.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] generation (unique per hydration; prefixes lease ids)
  ARGV[4] number of accounts A       ARGV[5] number of keys N
  then A x 7: accountId, provider, priority, status, daily quota (-1 none), monthly budget (-1 none),
              spent this month (USD)
  then N x 14: keyId, provider, model, accountId, daily limit, concurrency cap (0 = unlimited),
              used today, status, disabled kind, disabled reason, block end ms (0 none), failures,
              probe time ms (0 none), last used ms (0 never)
  then, only for a refresh after operator edits in Postgres (partial: the given accounts with ALL
  their keys, nothing else touched): E, then E x 4: keyId, used today to take (-1 keep Redis's),
  failures to take (-1 keep), claim (names the edit; only the first replica to claim it within a
  minute takes its counters, so a release between two replicas' refreshes is not undone)

  Returns {1, fresh 0|1, keys}; a refresh that finds no state returns {1, 1, 0} and writes nothing
  (the next lease rebuilds the whole state from Postgres)
]]
--- @include "includes/context"
--- @include "includes/clock"
--- @include "includes/reason"
--- @include "includes/key-state"
--- @include "includes/account-state"
--- @include "includes/ready-sets"
--- @include "includes/provider-failures"

--- @call
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
local fresh = redis.call('EXISTS', C.meta) == 0
local n_accounts, n_keys = tonumber(ARGV[4]), tonumber(ARGV[5])
local keys_set, accounts_set = C.base .. 'keys', C.base .. 'accounts'
local edits_at = 6 + n_accounts * 7 + n_keys * 14
local partial = ARGV[edits_at] ~= nil
if partial and fresh then return { 1, 1, 0 } end
local overrides = {}
if partial then
  for i = 0, tonumber(ARGV[edits_at]) - 1 do
    local e = edits_at + 1 + i * 4
    if redis.call('SET', C.base .. 'edit:' .. ARGV[e + 3], '1', 'NX', 'PX', 60000) then
      overrides[ARGV[e]] = { used = tonumber(ARGV[e + 1]), failures = tonumber(ARGV[e + 2]) }
    end
  end
end

if fresh then
  redis.call('DEL', C.leases, C.blocked, C.probes, C.base .. 'expired')
  for _, kid in ipairs(redis.call('SMEMBERS', keys_set)) do
    local k = load_key(C, kid)
    if k then leave_ready(C, k) end
    redis.call('DEL', key_name(C, kid))
  end
  for _, aid in ipairs(redis.call('SMEMBERS', accounts_set)) do
    local a = load_account(C, aid)
    if a then redis.call('DEL', C.base .. 'accts:' .. a.provider, pvfail_name(C, a.provider)) end
    redis.call('DEL', account_name(C, aid))
  end
  redis.call('DEL', keys_set, accounts_set)
  -- A partial loss may have taken the registries but left per-provider state and ready sets behind.
  for i = 0, n_accounts - 1 do
    local provider = ARGV[6 + i * 7 + 1]
    redis.call('DEL', C.base .. 'accts:' .. provider, pvfail_name(C, provider))
  end
  for i = 0, n_keys - 1 do
    local at = 6 + n_accounts * 7 + i * 14
    redis.call('DEL', ready_set(C, ARGV[at + 1], ARGV[at + 3], ARGV[at + 2]))
  end
end

local accounts = {}
local at = 6
for _ = 1, n_accounts do
  local aid, provider, priority = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local a = { id = aid, provider = provider, priority = tonumber(priority), status = ARGV[at + 3],
              quota = tonumber(ARGV[at + 4]), budget = tonumber(ARGV[at + 5]), used = 0, reserved = 0,
              spent = tonumber(ARGV[at + 6]), models = {}, has_model = {} }
  local existing = (not fresh) and load_account(C, aid) or nil
  if existing then a.spent = math.max(a.spent, existing.spent) end
  accounts[aid] = a
  redis.call('ZADD', C.base .. 'accts:' .. provider, a.priority, aid)
  redis.call('SADD', accounts_set, aid)
  at = at + 7
end

local seq = tonumber(redis.call('HGET', C.meta, 'seq')) or 0
for i = 1, n_keys do
  local kid = ARGV[at]
  local k = (not fresh) and load_key(C, kid) or nil
  if k then
    -- Its ready sets are named after provider, account and model, which may change below.
    leave_ready(C, k)
  else
    seq = seq + 1
    k = { id = kid, used = tonumber(ARGV[at + 6]), reserved = 0, inflight = 0, failures = tonumber(ARGV[at + 11]),
          last_used = tonumber(ARGV[at + 13]), member = member_for(seq_text(seq), kid), in_ready = false, probing = 0 }
    -- Slow start (see is_ready) for a key Redis did not know: Postgres keeps no proof, but last_used_at
    -- is written only by a successful release and consecutive_failures is reset by one, so a key with
    -- a last use and no failure since, in service, did succeed and had not failed since: proven, and
    -- a Redis loss does not throttle a working pool to one call per key. A key never used, failing, or
    -- out of service starts unproven. (A key enabled by hand after its last success passes as proven:
    -- Postgres cannot tell it apart; it still had a success and was not failing when it was disabled.)
    k.proven = (k.last_used > 0 and k.failures == 0 and ARGV[at + 7] ~= 'disabled') and 1 or 0
  end
  local o = overrides[kid]
  if o then
    if o.used >= 0 then k.used = o.used end
    if o.failures >= 0 then k.failures = o.failures end
  end
  local was = (k.status or '') .. '|' .. (k.kind or '')
  -- A key an import brings back into service (Postgres no longer says disabled) starts unproven,
  -- as one enabled by hand does.
  if k.status == 'disabled' and ARGV[at + 7] ~= 'disabled' then k.proven = 0 end
  k.provider, k.model, k.account = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  k.limit, k.cap = tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5])
  k.status, k.kind, k.reason = ARGV[at + 7], ARGV[at + 8], clean_reason(ARGV[at + 9])
  k.block_until, k.probe_at = tonumber(ARGV[at + 10]), tonumber(ARGV[at + 12])
  redis.call('ZREM', C.blocked, kid)
  redis.call('ZREM', C.probes, kid)
  if k.status == 'temporarily_blocked' then
    if k.block_until > C.now then redis.call('ZADD', C.blocked, k.block_until, kid) else k.status = 'active' end
  end
  if k.status == 'disabled' and k.kind == 'breaker' then
    -- A probe already opened keeps going; otherwise wait for the probe time.
    if was ~= 'disabled|breaker' then k.probing = 0 end
    if k.probing ~= 1 then
      if k.probe_at <= C.now then k.probing = 1 else redis.call('ZADD', C.probes, k.probe_at, kid) end
    end
  else
    k.probing = 0
  end
  sync_ready(C, k)
  save_key(C, k)
  redis.call('SADD', keys_set, kid)
  local a = accounts[k.account]
  if a then
    a.used = a.used + k.used
    a.reserved = a.reserved + k.reserved
    if not a.has_model[k.model] then
      a.has_model[k.model] = true
      a.models[#a.models + 1] = k.model
    end
  end
  at = at + 14
end
for _, a in pairs(accounts) do save_account(C, a) end

-- next_due 0: the first call after a hydration reclaims and computes it.
if partial then
  redis.call('HSET', C.meta, 'seq', seq, 'next_due', 0)
  return { 1, 0, n_keys }
end
redis.call('HSET', C.meta, 'gen', ARGV[3], 'seq', seq, 'hydrated_at', C.now, 'next_due', 0)
redis.call('HSETNX', C.meta, 'violations', 0)
return { 1, fresh and 1 or 0, n_keys }
