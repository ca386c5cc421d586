-- The provider's failure set: ids of its keys that failed with a server error since the provider's
-- last success (two or more at the breaker threshold mean the outage is the provider's).
local function pvfail_name(C, provider) return C.base .. 'pvfail:' .. provider end
