--[[
  unblock: ends a key's temporary block now (by hand). Other statuses are left alone.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] key id

  Returns {1, statusChanged 0|1, key reply...} or {6} unknown key, {0} state missing
]]
--- @include "includes/key-change"

--- @call
local C, k, code = open_key_change()
if not C then return { code } end
local before = k.status
k.block_until = 0
redis.call('ZREM', C.blocked, k.id)
if k.status == 'temporarily_blocked' then k.status = 'active' end
return key_change_reply(C, k, k.status ~= before)
