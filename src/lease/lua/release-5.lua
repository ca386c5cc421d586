--[[
  release: ends a lease and applies what the provider call did to its key (and provider).

  success          reservation reconciled to the actual tokens, failures reset, last_used set, the key
                   proven (slow start over: its cap applies again, see is_ready); a
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
  Any failure that carries tokens (a stream that broke after sending text was billed for them) counts
  them and their cost on the key and account like a success's; the failure's consequences are as above.
  An expired lease (still open past its expiry, or reclaimed at expiry and remembered in
  base..'expired') had its reservation returned then; its release still counts its tokens
  and cost on the key and account (the call used them; used >= limit -> exhausted), once, and
  nothing else: the key may serve others by now. An unknown lease (never issued, or released
  already) changes nothing.
  The call's usage record, when given, is appended to the usage stream in the same atomic step,
  whatever the lease's state (the call happened): a worker killed after its release reached Redis
  can then never leave tokens counted on the key without their usage record, or the reverse.

  One call carries a batch of releases (gathered by the engine like leases), applied in order, each
  exactly as if it were a call of its own at the same moment.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  KEYS[5] usage stream (written only for releases that carry a usage record)
  ARGV[1] base key prefix            ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] default block, seconds     ARGV[4] longest block, seconds (caps every retry-after)
  ARGV[5] breaker threshold (consecutive failures)
  ARGV[6] key probe delay, ms        ARGV[7] provider cool-down, ms
  ARGV[8] number of releases, then 7 values per release:
          lease id, outcome kind (as above), actual tokens (success; a failure's billed tokens, else
          0), cost USD (likewise; decimal string), retry-after ms (-1 = use the default), HTTP status (0 = no response),
          usage record for the stream's 'r' field ('' = none)

  Returns {1, reply per release...}, the replies one after another in one flat array (a nested table
  per release would cost Redis a table walk each), each one of
          1, seq, 1, providerEvent ('' | opened | reopened | closed), key reply (11)   status changed
          1, seq, 0, providerEvent, keyId                counters changed only
          4                                              unknown lease
          5, 0                                           expired lease, nothing counted
          5, 1, 1, key reply (11)                        expired lease, tokens counted, status changed
          5, 1, 0, keyId                                 expired lease, tokens counted
       or {0} state missing
]]
--- @include "includes/context"
--- @include "includes/clock"
--- @include "includes/provider-breaker"
--- @include "includes/provider-failures"
--- @include "includes/account-state"
--- @include "includes/key-state"
--- @include "includes/key-status"
--- @include "includes/ready-sets"
--- @include "includes/end-lease"
--- @include "includes/reclaim"
--- @include "includes/key-reply"
--- @include "includes/flush-state"

local S -- settings shared by the batch

local function close_provider_breaker(C, provider, ev)
  local pv = breaker(C, provider)
  if not pv.present then return ev end
  redis.call('DEL', pvfail_name(C, provider))
  local was_open = pv.opened
  clear_breaker(C, provider)
  if was_open then return 'closed' end
  return ev
end

local function server_error(C, k, lease, key_probe, provider_probe)
  local pv = breaker(C, lease.provider)
  local event = ''
  k.failures = k.failures + 1
  if provider_probe then
    save_breaker(C, lease.provider, C.now + S.cooldown, '')
    return 'reopened'
  end
  if key_probe and k.status == 'disabled' and k.kind == 'breaker' then
    set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', S.probe_after)
    return event
  end
  if k.status == 'disabled' then return event end
  local pvfail = pvfail_name(C, lease.provider)
  redis.call('SADD', pvfail, k.id)
  if not pv.present then save_breaker(C, lease.provider, 0, '') end
  if k.failures >= S.threshold then
    if redis.call('SCARD', pvfail) >= 2 then
      if not pv.opened then event = 'opened' end
      save_breaker(C, lease.provider, C.now + S.cooldown, '')
    else
      set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', S.probe_after)
    end
  end
  return event
end

-- A success's tokens and cost on the key and its account (the request's values start at ARGV[at]).
local function count_success(k, account, at)
  local tokens = tonumber(ARGV[at + 2])
  k.used = k.used + tokens
  if account and tracks_quota(account) then
    account.used = account.used + tokens
    account.dirty = true
  end
  if account and tracks_budget(account) then
    local cost = tonumber(ARGV[at + 3])
    if cost and cost > 0 then
      account.spent = account.spent + cost
      account.dirty = true
    end
  end
end

-- Applies the outcome to the key (and account, provider); returns the provider breaker event.
local function apply_outcome(C, k, lease, account, at)
  local outcome = ARGV[at + 1]
  local key_probe = string.find(lease.flags, 'k', 1, true) ~= nil
  local provider_probe = string.find(lease.flags, 'p', 1, true) ~= nil
  local event = ''
  -- Numbers are parsed only where the outcome uses them (tonumber goes through strtod).
  if outcome == 'success' then
    count_success(k, account, at)
    k.failures = 0
    k.last_used = C.now
    k.proven = 1
    if key_probe and k.status == 'disabled' and k.kind == 'breaker' then
      k.status, k.kind, k.reason, k.probing, k.probe_at = 'active', '', '', 0, 0
    end
    if k.status == 'active' and k.used >= k.limit then k.status = 'exhausted' end
    event = close_provider_breaker(C, lease.provider, event)
  elseif outcome == 'rate_limited' then
    local retry_after = tonumber(ARGV[at + 4])
    local ms = retry_after >= 0 and retry_after or S.block_seconds * 1000
    -- A provider's header can name any time at all; the key rests at most the longest block.
    if ms > S.max_block_ms then ms = S.max_block_ms end
    set_block(C, k, C.now + ms)
  elseif outcome == 'auth_failed' then
    set_disabled(C, k, 'invalid_key', 'invalid key (HTTP ' .. ARGV[at + 5] .. ')', S.probe_after)
  elseif outcome == 'quota_exhausted' then
    if k.status ~= 'disabled' then k.status = 'exhausted' end
  elseif outcome == 'server_error' then
    event = server_error(C, k, lease, key_probe, provider_probe)
  end
  if outcome ~= 'success' and ARGV[at + 2] ~= '0' then
    count_success(k, account, at)
    if k.status == 'active' and k.used >= k.limit then k.status = 'exhausted' end
  end
  -- Any answer other than a server error shows the provider is up again.
  if provider_probe and outcome ~= 'server_error' and outcome ~= 'success' then
    event = close_provider_breaker(C, lease.provider, event)
  end
  return event
end

-- The release of an expired lease (record rec): its tokens (a success's, or a failure's billed
-- ones) still count; reply code 5.
local function late_release(C, out, n, at, rec)
  local k = rec and (ARGV[at + 1] == 'success' or ARGV[at + 2] ~= '0') and load_key(C, rec.kid) or nil
  if not k then
    out[n + 1], out[n + 2] = 5, 0
    return n + 2
  end
  local account = load_account(C, k.account)
  local status_before = k.status
  count_success(k, account, at)
  if k.status == 'active' and k.used >= k.limit then k.status = 'exhausted' end
  sync_ready(C, k)
  save_key(C, k)
  if account and account.dirty then save_account(C, account) end
  out[n + 1], out[n + 2] = 5, 1
  if k.status == status_before then
    out[n + 3], out[n + 4] = 0, k.id
    return n + 4
  end
  out[n + 3] = 1
  return put_key_reply(out, n + 3, k)
end

-- The release whose 7 values start at ARGV[at]; its reply goes into out after position n. Returns
-- the new end of out.
local function release_one(C, out, n, at)
  local lid, entry = ARGV[at], ARGV[at + 6]
  if entry ~= '' then redis.call('XADD', KEYS[5], '*', 'r', entry) end
  -- Taken out of leases before reclaim could end it, to tell 'expired' (still there, past its
  -- expiry, which the id carries) from 'unknown' (never there, released, or reclaimed earlier).
  local open = redis.call('ZREM', C.leases, lid) == 1
  local rec = open and lease_record(lid) or nil
  local expired = open and (not rec or rec.expires <= C.now)
  -- Still open past its expiry: ended as reclaim would end it.
  if expired then expire_lease(C, lid, true, rec) end
  reclaim(C)
  if not open then
    -- Reclaimed at its expiry by an earlier call, which remembered it; else unknown.
    if redis.call('ZREM', expired_set(C), lid) == 0 then out[n + 1] = 4; return n + 1 end
    return late_release(C, out, n, at, lease_record(lid))
  end
  if expired then return late_release(C, out, n, at, rec) end

  local k, lease, account = end_lease(C, lid, true, rec)
  if not k then
    if account and account.dirty then save_account(C, account) end
    out[n + 1] = 4
    return n + 1
  end
  local status_before, kind_before = k.status, k.kind
  local event = apply_outcome(C, k, lease, account, at)
  if k.status ~= 'disabled' then k.probing = 0 end

  sync_ready(C, k)
  save_key(C, k)
  if account and account.dirty then save_account(C, account) end
  -- The key's whole state goes back only when its status changed (the engine writes that to Postgres
  -- at once); counters reach Postgres with the engine's next counter flush.
  out[n + 1], out[n + 2], out[n + 4] = 1, next_seq(C), event
  if k.status == status_before and k.kind == kind_before then
    out[n + 3], out[n + 5] = 0, k.id
    return n + 5
  end
  out[n + 3] = 1
  return put_key_reply(out, n + 4, k)
end

--- @call
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
if not open_state(C) then return { 0 } end
write_back(C)
S = { block_seconds = tonumber(ARGV[3]), max_block_ms = tonumber(ARGV[4]) * 1000,
      threshold = tonumber(ARGV[5]), probe_after = tonumber(ARGV[6]), cooldown = tonumber(ARGV[7]) }
local count = tonumber(ARGV[8])
reserve_seq(C, count)
local out, n = { 1 }, 1
for i = 0, count - 1 do n = release_one(C, out, n, 9 + i * 7) end
flush_state(C)
return out
