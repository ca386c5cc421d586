--[[
  reset-daily: the daily reset. Every key's used_today goes to 0 and exhausted keys return (to
  temporarily_blocked if a block is still running); accounts' used goes to 0, and their spent
  month too when asked (first day of a month). Reservations in flight stay. O(n) once a day.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  ARGV[1] base key prefix (starts with the hash tag)   ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] '1' = also reset the accounts' monthly spend
  ARGV[4] the day this reset closes, 'YYYY-MM-DD' ('' = an operator's reset: always runs). The
          latest such day is kept in meta 'reset_day'; a reset for a day not after it does nothing,
          so the scheduled reset zeroes the counters once per day however many replicas run it.

  Returns {1, keysReset}, {2} that day was reset already, or {0} state missing
]]
--- @include "includes/context"
--- @include "includes/clock"
--- @include "includes/reclaim"
--- @include "includes/key-state"
--- @include "includes/account-state"
--- @include "includes/ready-sets"

--- @call
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
if not open_state(C) then return { 0 } end
local day = ARGV[4] or ''
if day ~= '' then
  -- Days as YYYY-MM-DD compare as strings in date order.
  local last = redis.call('HGET', C.meta, 'reset_day')
  if last and last >= day then return { 2 } end
  redis.call('HSET', C.meta, 'reset_day', day)
end
reclaim(C)
local ids = redis.call('SMEMBERS', C.base .. 'keys')
for _, kid in ipairs(ids) do
  local k = load_key(C, kid)
  if k then
    k.used = 0
    if k.status == 'exhausted' then
      if k.block_until > C.now then
        k.status = 'temporarily_blocked'
        schedule(C, C.blocked, k.block_until, k.id)
      else
        k.status = 'active'
      end
    end
    sync_ready(C, k)
    save_key(C, k)
  end
end
for _, aid in ipairs(redis.call('SMEMBERS', C.base .. 'accounts')) do
  local a = load_account(C, aid)
  if a then
    a.used = 0
    if ARGV[3] == '1' then a.spent = 0 end
    save_account(C, a)
  end
end
return { 1, #ids }
