--[[
  A release: ends a lease and applies what the provider call did to its key (and provider)
  (lease-release-5.lua runs a moment's releases in one atomic step).

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

  One call carries a moment's releases (gathered by the engine with its leases), applied in order,
  each exactly as if it were a call of its own at the same moment.
]]
--- @include "context"
--- @include "provider-breaker"
--- @include "provider-failures"
--- @include "account-state"
--- @include "key-state"
--- @include "key-status"
--- @include "ready-sets"
--- @include "end-lease"
--- @include "reclaim"
--- @include "key-reply"
--- @include "lease-record"

-- The settings a moment's releases share, from ARGV[settings_at] on (default block, seconds; longest
-- block, seconds, which caps every retry-after; breaker threshold, consecutive failures; key probe
-- delay, ms; provider cool-down, ms), parsed on first use: a success needs none of them.
local S, settings_at
local function settings()
  if not S then
    local at = settings_at
    S = { block_seconds = tonumber(ARGV[at]), max_block_ms = tonumber(ARGV[at + 1]) * 1000,
          threshold = tonumber(ARGV[at + 2]), probe_after = tonumber(ARGV[at + 3]), cooldown = tonumber(ARGV[at + 4]) }
  end
  return S
end

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
    save_breaker(C, lease.provider, C.now + settings().cooldown, '')
    return 'reopened'
  end
  if key_probe and k.status == 'disabled' and k.kind == 'breaker' then
    set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', settings().probe_after)
    return event
  end
  if k.status == 'disabled' then return event end
  local pvfail = pvfail_name(C, lease.provider)
  redis.call('SADD', pvfail, k.id)
  if not pv.present then save_breaker(C, lease.provider, 0, '') end
  if k.failures >= settings().threshold then
    if redis.call('SCARD', pvfail) >= 2 then
      if not pv.opened then event = 'opened' end
      save_breaker(C, lease.provider, C.now + settings().cooldown, '')
    else
      set_disabled(C, k, 'breaker', k.failures .. ' consecutive failures', settings().probe_after)
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
  local flagged = lease.flags ~= ''
  local key_probe = flagged and string.find(lease.flags, 'k', 1, true) ~= nil
  local provider_probe = flagged and string.find(lease.flags, 'p', 1, true) ~= nil
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
    local ms = retry_after >= 0 and retry_after or settings().block_seconds * 1000
    -- A provider's header can name any time at all; the key rests at most the longest block.
    if ms > settings().max_block_ms then ms = settings().max_block_ms end
    set_block(C, k, C.now + ms)
  elseif outcome == 'auth_failed' then
    set_disabled(C, k, 'invalid_key', 'invalid key (HTTP ' .. ARGV[at + 5] .. ')', settings().probe_after)
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

-- The end of a release's reply: 0, keyId when the key's status stayed, else 1, key reply (11). The
-- 0 or 1 goes at out[flag_at], the rest after position n. Returns the new end of out.
local function put_key_outcome(out, flag_at, n, k, changed)
  if not changed then
    out[flag_at], out[n + 1] = 0, k.id
    return n + 1
  end
  out[flag_at] = 1
  return put_key_reply(out, n, k)
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
  return put_key_outcome(out, n + 3, n + 3, k, k.status ~= status_before)
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
  return put_key_outcome(out, n + 3, n + 4, k, k.status ~= status_before or k.kind ~= kind_before)
end

-- The settings of this call's releases start at ARGV[at] (see settings()).
local function release_settings_at(at) S, settings_at = nil, at end

-- Applies the count releases whose 7 values each start at ARGV[at] (lease id, outcome kind, actual
-- tokens (a success's; a failure's billed tokens, else 0), cost USD (likewise; decimal string),
-- retry-after ms (-1 = use the default), HTTP status (0 = no response), usage record for the
-- stream's 'r' field ('' = none)), in order; their replies go into out after position n (see
-- lease-release-5.lua). Returns the new end of out.
local function release_requests(C, count, at, out, n)
  for i = 0, count - 1 do n = release_one(C, out, n, at + i * 7) end
  return n
end
