--- @include "parsed-cache"

-- An account's state: one string per account (see key-state.lua for why), read once per call.
local function account_name(C, aid) return C.base .. 'a:' .. aid end

local parsed_accounts = parsed_cache()

-- An account: provider, priority, status, quota (-1 = none), budget (-1 = none), used, reserved,
-- spent, models (the models of its keys, for leases of any model). Its counters exist for its limits
-- only: used and reserved are kept while it has a daily quota, spent while it has a monthly budget
-- (hydrate recomputes used and reserved from its keys, and takes the larger spent of Redis and Postgres,
-- so an import that sets a limit starts from the right values).
local function load_account(C, aid)
  local a = C.account_cache[aid]
  if a then return a end
  local name = account_name(C, aid)
  local s = redis.call('GET', name)
  if not s then return nil end
  a = take_parsed(parsed_accounts, name, s)
  if not a then
    local t = cmsgpack.unpack(s)
    a = { id = aid, provider = t[1], priority = t[2], status = t[3], quota = t[4], budget = t[5], used = t[6],
          reserved = t[7], spent = t[8], models = t[9], name = name, packed = s }
  end
  C.account_cache[aid] = a
  return a
end

local function pack_account(a)
  return cmsgpack.pack({ a.provider, a.priority, a.status, a.quota, a.budget, a.used, a.reserved, a.spent,
    a.models })
end

local function save_account(C, a)
  a.dirty = false
  C.account_cache[a.id] = a
  if C.write_back then C.dirty_accounts[a.id] = a; return end
  redis.call('SET', account_name(C, a.id), pack_account(a))
end

-- The provider's account ids by priority (no script of a lease call changes them).
local function accounts_of(C, provider)
  local ids = C.accounts_of[provider]
  if not ids then
    ids = redis.call('ZRANGE', C.base .. 'accts:' .. provider, '0', '-1')
    C.accounts_of[provider] = ids
  end
  return ids
end

local function tracks_quota(a) return a.quota >= 0 end
local function tracks_budget(a) return a.budget >= 0 end
