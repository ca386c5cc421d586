--[[
  disable: takes a key out of service with a reason. Kind 'breaker' schedules a half-open probe
  after the probe delay; 'manual', 'invalid_key' and 'removed' keys come back only by enable.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id      ARGV[4] kind (manual | breaker | invalid_key | removed)
  ARGV[5] reason      ARGV[6] probe delay, ms (breaker only)

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
if not open_state(C) then return { 0 } end
reclaim(C)
local k = load_key(C, ARGV[3])
if not k then return { 6 } end
local before = k.status .. '|' .. k.kind .. '|' .. k.reason
set_disabled(C, k, ARGV[4], ARGV[5], tonumber(ARGV[6]))
sync_ready(C, k)
save_key(C, k)
local reply = { 1, (k.status .. '|' .. k.kind .. '|' .. k.reason) ~= before and 1 or 0 }
for _, v in ipairs(key_reply(k)) do reply[#reply + 1] = v end
return reply
