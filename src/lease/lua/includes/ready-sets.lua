--- @include "int-arg"
--- @include "key-state"

-- A lease sequence number as text: fixed width, so members sort by it.
local function seq_text(seq) return string.format('%012d', seq) end

local function member_for(seq_txt, kid) return seq_txt .. ':' .. kid end

-- The key id inside a ready-set member ('%012d:keyId').
local function member_key(member) return string.sub(member, string.find(member, ':', 1, true) + 1) end

-- Built once per call for each (provider, account, model): a lease or release names its key's set up to
-- three times.
local function ready_set(C, provider, aid, model)
  local by_account = C.ready_names[provider]
  if not by_account then
    by_account = {}
    C.ready_names[provider] = by_account
  end
  local by_model = by_account[aid]
  if not by_model then
    by_model = {}
    by_account[aid] = by_model
  end
  local name = by_model[model]
  if not name then
    name = C.base .. 'r:' .. provider .. ':' .. aid .. ':m:' .. model
    by_model[model] = name
  end
  return name
end

local function leave_ready(C, k)
  if k.in_ready then
    redis.call('ZREM', ready_set(C, k.provider, k.account, k.model), k.member)
    k.in_ready = false
  end
end

-- Puts the key into its ready set with score used + reserved, or takes it out. Caller saves k.
local function sync_ready(C, k)
  if not is_ready(k) then return leave_ready(C, k) end
  redis.call('ZADD', ready_set(C, k.provider, k.account, k.model), int_arg(k.used + k.reserved), k.member)
  k.in_ready = true
end
