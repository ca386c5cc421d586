--[[
  enable: returns a key to service by hand, whatever took it out: clears the disable reason, the
  block, the failure count and any pending probe. A key already at its daily limit comes back as
  exhausted (the daily reset frees it).

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
if not open_state(C) then return { 0 } end
reclaim(C)
local k = load_key(C, ARGV[3])
if not k then return { 6 } end
local before = k.status .. '|' .. k.kind
k.status = k.used >= k.limit and 'exhausted' or 'active'
k.kind, k.reason, k.failures, k.block_until, k.probing, k.probe_at = '', '', 0, 0, 0, 0
redis.call('ZREM', C.blocked, k.id)
redis.call('ZREM', C.probes, k.id)
sync_ready(C, k)
save_key(C, k)
local reply = { 1, (k.status .. '|' .. k.kind) ~= before and 1 or 0 }
for _, v in ipairs(key_reply(k)) do reply[#reply + 1] = v end
return reply
