--[[
  unblock-expired: applies everything time has made due (ended blocks, due probes, expired leases).
  Every other script does this lazily too; this is the maintenance entry point that reports it.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)

  Returns {1, keyId...} the keys whose block ended, or {0} state missing
]]
--- @include "includes/context"
--- @include "includes/clock"
--- @include "includes/reclaim"

--- @call
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
if not open_state(C) then return { 0 } end
local reply = { 1 }
for _, kid in ipairs(reclaim(C)) do reply[#reply + 1] = kid end
return reply
