-- LEASE_ID_FORMAT: gen-seq:keyId:accountId:tokens:flags:expiresMs:provider
local LEASE_PATTERN = '^[^:]*:([^:]*):([^:]*):([^:]*):([^:]*):([^:]*):(.*)$'

-- A lease id's record (LEASE_ID_FORMAT), or nil for an id this layout did not issue.
local function parse_lease(lid)
  local kid, aid, tokens, flags, expires, provider = string.match(lid, LEASE_PATTERN)
  if not kid then return nil end
  return { kid = kid, aid = aid, tokens = tonumber(tokens), flags = flags, expires = tonumber(expires),
           provider = provider }
end

-- Records of the leases granted since the library was loaded, by id: exactly what parse_lease
-- returns for that id, kept by the lease that built it, so its end takes the record instead of
-- matching the id and parsing two numbers. Taken out when used; bounded like parsed-cache.lua (an
-- id not found is parsed).
local GRANTED_LIMIT = 10000
local granted = { records = {}, kept = 0 }

local function remember_lease(lid, rec)
  if granted.kept >= GRANTED_LIMIT then granted.records, granted.kept = {}, 0 end
  granted.records[lid] = rec
  granted.kept = granted.kept + 1
end

-- The record of lease lid (the caller may change it), or nil for an id this layout did not issue.
local function lease_record(lid)
  local rec = granted.records[lid]
  if not rec then return parse_lease(lid) end
  granted.records[lid] = nil
  return rec
end
