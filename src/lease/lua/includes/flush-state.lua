--- @include "key-state"
--- @include "account-state"

-- Writes each key and account the call changed (write-back, see context.lua) once, in one MSET.
local function flush_state(C)
  local args, n = {}, 0
  local function add(name, packed)
    args[n + 1], args[n + 2] = name, packed
    n = n + 2
    -- unpack() is bounded by Lua's C stack: a reclaim of many leases writes in chunks.
    if n >= 2000 then redis.call('MSET', unpack(args)); args, n = {}, 0 end
  end
  for _, k in pairs(C.dirty_keys) do add(name_of_key(C, k), pack_key(k)) end
  for _, a in pairs(C.dirty_accounts) do add(account_name(C, a.id), pack_account(a)) end
  if n > 0 then redis.call('MSET', unpack(args)) end
  C.dirty_keys, C.dirty_accounts = {}, {}
end
