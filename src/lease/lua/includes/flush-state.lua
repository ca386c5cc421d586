--- @include "key-state"
--- @include "account-state"
--- @include "parsed-cache"

-- Writes each key and account the call changed (write-back, see context.lua) once, in one MSET, and
-- keeps every state the call loaded, with the string it now holds, for later calls (parsed-cache.lua).
local function flush_state(C)
  local args, n = {}, 0
  local function add(name, packed)
    args[n + 1], args[n + 2] = name, packed
    n = n + 2
    -- unpack() is bounded by Lua's C stack: a reclaim of many leases writes in chunks.
    if n >= 2000 then redis.call('MSET', unpack(args)); args, n = {}, 0 end
  end
  for _, k in pairs(C.dirty_keys) do
    k.packed = pack_key(k)
    add(name_of_key(C, k), k.packed)
  end
  for _, a in pairs(C.dirty_accounts) do
    a.packed = pack_account(a)
    add(account_name(C, a.id), a.packed)
  end
  if n > 0 then redis.call('MSET', unpack(args)) end
  for _, k in pairs(C.key_cache) do keep_parsed(parsed_keys, k) end
  -- An account changed and not saved (never expected) no longer matches its string: not kept.
  for _, a in pairs(C.account_cache) do
    if not a.dirty then keep_parsed(parsed_accounts, a) end
  end
  C.dirty_keys, C.dirty_accounts = {}, {}
end
