-- An integer as redis.call's argument: a Lua number would be formatted with '%.17g' (slow) by Redis.
local function int_arg(n) return string.format('%d', n) end
