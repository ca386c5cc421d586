-- Now, epoch ms: the caller's fixed clock (tests), else Redis TIME, the one clock all replicas share.
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
