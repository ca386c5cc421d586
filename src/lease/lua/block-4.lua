--[[
  block: takes a key out of service until a time (a rate limit, or by hand). A new block never
  shortens an existing one: the later end wins. A disabled or exhausted key keeps its status (the
  block end is still recorded and applies once it returns).

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id                     ARGV[4] block duration from now, ms
  ARGV[5] longest block, ms (a longer duration is cut to it)

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
--- @include "includes/key-change"
--- @include "includes/key-status"

--- @call
local C, k, code = open_key_change()
if not C then return { code } end
local before = k.status
set_block(C, k, C.now + math.min(tonumber(ARGV[4]), tonumber(ARGV[5])))
return key_change_reply(C, k, k.status ~= before)
