--[[
  enable: returns a key to service by hand, whatever took it out: clears the disable reason, the
  block, the failure count and any pending probe. It comes back unproven (slow start: one call in
  flight until one succeeds), since whatever took it out may still hold. A key already at its daily limit comes back as
  exhausted (the daily reset frees it).

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
--- @include "includes/key-change"

--- @call
local C, k, code = open_key_change()
if not C then return { code } end
local before = k.status .. '|' .. k.kind
k.status = k.used >= k.limit and 'exhausted' or 'active'
k.kind, k.reason, k.failures, k.block_until, k.probing, k.probe_at, k.proven = '', '', 0, 0, 0, 0, 0
redis.call('ZREM', C.blocked, k.id)
redis.call('ZREM', C.probes, k.id)
return key_change_reply(C, k, (k.status .. '|' .. k.kind) ~= before)
