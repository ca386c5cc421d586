--[[
  forget-written: forgets the marks of key writes a replica has just made to Postgres, each only if
  no one marked that key again since the replica read the marks (a change made during its write is
  then written by the next flush; see src/lease/unwritten-keys.ts).

  KEYS[1] the marks hash (<kind>:<keyId> -> version)
  ARGV    field, version read, field, version read, ...

  Returns how many marks it removed.
]]
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
