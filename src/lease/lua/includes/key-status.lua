--- @include "context"
--- @include "reason"

-- A block never shortens an existing one; it shows in the status only while the key is in service.
local function set_block(C, k, until_ms)
  if until_ms > k.block_until then k.block_until = until_ms end
  if k.status == 'active' or k.status == 'temporarily_blocked' then
    k.status = 'temporarily_blocked'
    schedule(C, C.blocked, k.block_until, k.id)
  end
end

-- A disabled key comes back (by hand or by its probe) unproven: one call at a time until one succeeds.
local function set_disabled(C, k, kind, reason, probe_after_ms)
  k.status, k.kind, k.reason, k.probing, k.proven = 'disabled', kind, clean_reason(reason), 0, 0
  redis.call('ZREM', C.blocked, k.id)
  if kind == 'breaker' then
    k.probe_at = C.now + probe_after_ms
    schedule(C, C.probes, k.probe_at, k.id)
  else
    k.probe_at = 0
    redis.call('ZREM', C.probes, k.id)
  end
end
