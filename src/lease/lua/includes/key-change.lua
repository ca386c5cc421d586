--- @include "context"
--- @include "clock"
--- @include "reclaim"
--- @include "key-state"
--- @include "ready-sets"
--- @include "key-reply"

-- An admin change to one key (block, unblock, disable, enable; ARGV[3] = key id) begins here: the
-- call's context and the key, reclaim applied; or nil and the code to return (0 state missing,
-- 6 unknown key).
local function open_key_change()
  local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
  if not open_state(C) then return nil, nil, 0 end
  reclaim(C)
  local k = load_key(C, ARGV[3])
  if not k then return nil, nil, 6 end
  return C, k
end

-- ... and ends here: the key's ready set synced, its state saved, and the reply
-- {1, statusChanged 0|1, key reply...}.
local function key_change_reply(C, k, changed)
  sync_ready(C, k)
  save_key(C, k)
  local out = { 1, changed and 1 or 0 }
  put_key_reply(out, 2, k)
  return out
end
