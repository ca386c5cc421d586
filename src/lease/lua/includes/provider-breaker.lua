-- A provider breaker: present = opened at some point or failures recorded since the last success;
-- opened = until > 0 (paused while now < until, then one probe lease at a time).
local function parse_breaker(packed)
  if not packed then return { present = false, opened = false, ['until'] = 0, probe = '' } end
  local t = cmsgpack.unpack(packed)
  return { present = true, opened = t[1] > 0, ['until'] = t[1], probe = t[2] }
end

-- The provider's breaker, read once per call (the object is the one later changes update).
local function breaker(C, provider)
  local pv = C.breakers[provider]
  if not pv then
    pv = parse_breaker(redis.call('HGET', C.meta, 'pv:' .. provider))
    C.breakers[provider] = pv
  end
  return pv
end

local function save_breaker(C, provider, until_ms, probe)
  redis.call('HSET', C.meta, 'pv:' .. provider, cmsgpack.pack({ until_ms, probe }))
  local pv = breaker(C, provider)
  pv.present, pv.opened, pv['until'], pv.probe = true, until_ms > 0, until_ms, probe
end

local function clear_breaker(C, provider)
  redis.call('HDEL', C.meta, 'pv:' .. provider)
  local pv = breaker(C, provider)
  pv.present, pv.opened, pv['until'], pv.probe = false, false, 0, ''
end
