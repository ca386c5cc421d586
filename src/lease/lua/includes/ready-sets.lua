--- @include "int-arg"
--- @include "key-state"

-- A lease sequence number as text: fixed width, so members sort by it.
local function seq_text(seq) return string.format('%012d', seq) end

local function member_for(seq_txt, kid) return seq_txt .. ':' .. kid end

-- The key id inside a ready-set member ('%012d:keyId').
local function member_key(member) return string.sub(member, string.find(member, ':', 1, true) + 1) end

-- Ready-set names by base, provider, account and model, kept between calls (a name depends on
-- nothing else, and the library builds its helpers once per load): a lease or release names its
-- key's set up to three times. Bounded: after READY_NAMES_LIMIT names the table starts again.
local READY_NAMES_LIMIT = 10000
local ready_names = { by_base = {}, count = 0 }

local function ready_set(C, provider, aid, model)
  local by_provider = ready_names.by_base[C.base]
  if not by_provider then
    if ready_names.count >= READY_NAMES_LIMIT then ready_names.by_base, ready_names.count = {}, 0 end
    by_provider = {}
    ready_names.by_base[C.base] = by_provider
  end
  local by_account = by_provider[provider]
  if not by_account then
    by_account = {}
    by_provider[provider] = by_account
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
    ready_names.count = ready_names.count + 1
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
