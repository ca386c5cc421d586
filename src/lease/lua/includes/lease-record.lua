-- LEASE_ID_FORMAT: gen-seq:keyId:accountId:tokens:flags:expiresMs:provider
local LEASE_PATTERN = '^[^:]*:([^:]*):([^:]*):([^:]*):([^:]*):([^:]*):(.*)$'

-- A lease id's record (LEASE_ID_FORMAT), or nil for an id this layout did not issue.
local function parse_lease(lid)
  local kid, aid, tokens, flags, expires, provider = string.match(lid, LEASE_PATTERN)
  if not kid then return nil end
  return { kid = kid, aid = aid, tokens = tonumber(tokens), flags = flags, expires = tonumber(expires),
           provider = provider }
end
