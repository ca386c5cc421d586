--[[
  release: ends a lease and applies what the provider call did to its key (and provider).

  success          reservation reconciled to the actual tokens, failures reset, last_used set; a
                   half-open probe returns the key to service; used >= daily limit -> exhausted;
                   any success closes the provider's breaker and clears its failure set
  rate_limited     temporarily_blocked until now + retry-after (default block seconds); later end wins
  auth_failed      disabled at once, kind invalid_key, "invalid key (HTTP <status>)"
  quota_exhausted  exhausted until the daily reset
  server_error     failures + 1. At the threshold: when >= 2 distinct keys of the provider failed since
                   its last success, the outage is the provider's: its breaker opens for the cool-down
                   (keys stay active); otherwise the key is disabled (kind breaker) with a probe later.
                   A failed key probe re-disables with a new probe time; a failed provider probe reopens.
  request_error    no penalty
  An expired or unknown lease changes nothing and says so (its reservation was already returned).
  The call's usage record, when given, is appended to the usage stream in the same atomic step,
  whatever the lease's state (the call happened): a worker killed after its release reached Redis
  can then never leave tokens counted on the key without their usage record, or the reverse.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  KEYS[5] usage stream (written only when ARGV[13] is not empty)
  ARGV[1] base key prefix            ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] lease id                   ARGV[4] outcome kind (as above)
  ARGV[5] actual tokens (success)    ARGV[6] cost, USD (success; decimal string)
  ARGV[7] retry-after, ms (-1 = use the default)      ARGV[8] HTTP status (0 = no response)
  ARGV[9] default block, seconds     ARGV[10] breaker threshold (consecutive failures)
  ARGV[11] key probe delay, ms       ARGV[12] provider cool-down, ms
  ARGV[13] usage record for the stream's 'r' field ('' = none)

  Returns {1, seq, statusChanged 0|1, providerEvent ('' | opened | reopened | closed), key reply...}
       or {4} unknown lease, {5} expired lease, {0} state missing
]]
local lid, outcome = ARGV[3], ARGV[4]
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
local lease_provider = string.match(lid, ':([^:]*)$') or ''
local gen, pv = open_state(C, lease_provider)
if not gen then return { 0 } end
if ARGV[13] ~= '' then redis.call('XADD', KEYS[5], '*', 'r', ARGV[13]) end
local tokens, cost, retry_after, http = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local block_seconds, threshold = tonumber(ARGV[9]), tonumber(ARGV[10])
local probe_after, cooldown = tonumber(ARGV[11]), tonumber(ARGV[12])

-- Look at the lease before reclaim would end it, to tell 'expired' from 'unknown'.
local expires = redis.call('ZSCORE', C.leases, lid)
reclaim(C)
if not expires then return { 4 } end
if tonumber(expires) <= C.now then return { 5 } end

local k, lease, account = end_lease(C, lid)
if not k then
  if account and account.dirty then save_account(C, account) end
  return { 4 }
end
local key_probe = string.find(lease.flags, 'k', 1, true) ~= nil
local provider_probe = string.find(lease.flags, 'p', 1, true) ~= nil
local before = k.status .. '|' .. k.kind
local pvfail = C.base .. 'pvfail:' .. lease.provider
local event = ''

local function close_provider_breaker()
  if not pv.present then return end
  redis.call('DEL', pvfail)
  redis.call('HDEL', C.meta, 'pv:' .. lease.provider)
  if pv.opened then event = 'closed' end
  pv.present, pv.opened = false, false
end

local function open_provider_breaker()
  save_breaker(C, lease.provider, C.now + cooldown, '')
  pv.present, pv.opened = true, true
end

if outcome == 'success' then
  k.used = k.used + tokens
  k.failures = 0
  k.last_used = C.now
  if account and tracks_quota(account) then
    account.used = account.used + tokens
    account.dirty = true
  end
  if account and tracks_budget(account) and cost and cost > 0 then
    account.spent = account.spent + cost
    account.dirty = true
  end
  if key_probe and k.status == 'disabled' and k.kind == 'breaker' then
    k.status, k.kind, k.reason, k.probing, k.probe_at = 'active', '', '', 0, 0
  end
  if k.status == 'active' and k.used >= k.limit then k.status = 'exhausted' end
  close_provider_breaker()
elseif outcome == 'rate_limited' then
  local ms = retry_after >= 0 and retry_after or block_seconds * 1000
  set_block(C, k, C.now + ms)
elseif outcome == 'auth_failed' then
  set_disabled(C, k, 'invalid_key', 'invalid key (HTTP ' .. http .. ')', probe_after)
elseif outcome == 'quota_exhausted' then
  if k.status ~= 'disabled' then k.status = 'exhausted' end
elseif outcome == 'server_error' then
  k.failures = k.failures + 1
  if provider_probe then
    open_provider_breaker()
    event = 'reopened'
  elseif key_probe and k.status == 'disabled' and k.kind == 'breaker' then
    set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', probe_after)
  elseif k.status ~= 'disabled' then
    redis.call('SADD', pvfail, k.id)
    if not pv.present then
      save_breaker(C, lease.provider, 0, '')
      pv.present = true
    end
    if k.failures >= threshold then
      if redis.call('SCARD', pvfail) >= 2 then
        if not pv.opened then event = 'opened' end
        open_provider_breaker()
      else
        set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', probe_after)
      end
    end
  end
end
-- Any answer other than a server error shows the provider is up again.
if provider_probe and outcome ~= 'server_error' and outcome ~= 'success' then close_provider_breaker() end
if k.status ~= 'disabled' then k.probing = 0 end

sync_ready(C, k)
save_key(C, k)
if account and account.dirty then save_account(C, account) end
local seq = redis.call('HINCRBY', C.meta, 'seq', 1)
local reply = { 1, seq, (k.status .. '|' .. k.kind) ~= before and 1 or 0, event }
for _, v in ipairs(key_reply(k)) do reply[#reply + 1] = v end
return reply
