--[[
  States parsed by earlier calls, kept by Redis name: the object, whose .packed is the string it was
  read from or written as. Lua strings are interned, so whether the key still holds that string is
  one comparison, and a load that finds it takes the object instead of parsing the string again (a
  lease and its release load the same key and account in two calls). The library builds its helpers
  once per load (library-source.ts), so this table lives as long as the library.

  A load takes the object out (the call may change it); flush_state puts back the objects the call
  loaded, with the strings it wrote. A call that fails half-way, or that writes states directly
  (admin operations, hydrate), puts nothing back, so no object kept here can differ from its string.
  Bounded: after PARSED_LIMIT put-backs the table starts again (a key not loaded since is parsed).
]]
local PARSED_LIMIT = 2000

local function parsed_cache() return { objects = {}, kept = 0 } end

-- The object kept for `name` if `s` is still its string; else nil.
local function take_parsed(cache, name, s)
  local o = cache.objects[name]
  if not o then return nil end
  cache.objects[name] = nil
  if o.packed == s then return o end
  return nil
end

local function keep_parsed(cache, o)
  if cache.kept >= PARSED_LIMIT then cache.objects, cache.kept = {}, 0 end
  cache.objects[o.name] = o
  cache.kept = cache.kept + 1
end
