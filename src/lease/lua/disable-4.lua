--[[
  disable: takes a key out of service with a reason. Kind 'breaker' schedules a half-open probe
  after the probe delay; 'manual', 'invalid_key' and 'removed' keys come back only by enable.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id      ARGV[4] kind (manual | breaker | invalid_key | removed)
  ARGV[5] reason      ARGV[6] probe delay, ms (breaker only)

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
--- @include "includes/key-change"
--- @include "includes/key-status"

--- @call
local C, k, code = open_key_change()
if not C then return { code } end
local before = k.status .. '|' .. k.kind .. '|' .. k.reason
set_disabled(C, k, ARGV[4], ARGV[5], tonumber(ARGV[6]))
return key_change_reply(C, k, (k.status .. '|' .. k.kind .. '|' .. k.reason) ~= before)
