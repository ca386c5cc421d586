--[[
  unblock: ends a key's temporary block now (by hand). Other statuses are left alone.

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
local before = k.status
k.block_until = 0
redis.call('ZREM', C.blocked, k.id)
if k.status == 'temporarily_blocked' then k.status = 'active' end
sync_ready(C, k)
save_key(C, k)
local reply = { 1, k.status ~= before and 1 or 0 }
for _, v in ipairs(key_reply(k)) do reply[#reply + 1] = v end
return reply
