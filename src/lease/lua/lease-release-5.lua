--[[
  lease-release: one moment's releases and leases, in the order they were asked for, in one atomic
  step. The engine gathers the releases and leases its callers ask for while its previous call is
  under way and sends them in one call, so what they share (the call itself, the clock, the
  generation, account lists, account and key states, breakers, a block of sequence numbers) is paid
  once. Each is applied exactly as if it were a call of its own at the same moment:
  includes/release-request.lua and includes/lease-request.lua.

  KEYS[1] meta        KEYS[2] leases     KEYS[3] blocked    KEYS[4] probes
  KEYS[5] usage stream (written only for releases that carry a usage record)
  ARGV[1] base key prefix (starts with the hash tag; derived keys, see includes/context.lua)
  ARGV[2] now, epoch ms (0 = Redis TIME)
  ARGV[3] lease TTL, ms
  ARGV[4] default block, seconds     ARGV[5] longest block, seconds (caps every retry-after)
  ARGV[6] breaker threshold (consecutive failures)
  ARGV[7] key probe delay, ms        ARGV[8] provider cool-down, ms
  ARGV[9] number of requests (releases and leases)
  ARGV[10] number of runs, then per run (requests of one kind, in order): 'R' or 'L', how many,
          then their values: 7 per release (release_requests), each lease request's (lease_requests)

  Returns {1, reply per request...}, in the requests' order, the replies one after another in one
  flat array (a nested table per request would cost Redis a table walk each). A release's is one of
          1, seq, 1, providerEvent ('' | opened | reopened | closed), key reply (11)   status changed
          1, seq, 0, providerEvent, keyId                counters changed only
          4                                              unknown lease
          5, 0                                           expired lease, nothing counted
          5, 1, 1, key reply (11)                        expired lease, tokens counted, status changed
          5, 1, 0, keyId                                 expired lease, tokens counted
  a lease request's as lease_requests says; or {0}: state missing, hydrate and retry.
]]
--- @include "includes/context"
--- @include "includes/clock"
--- @include "includes/release-request"
--- @include "includes/lease-request"
--- @include "includes/flush-state"

--- @call
local C = context(KEYS, ARGV[1], now_ms(ARGV[2]))
local gen = open_state(C)
if not gen then return { 0 } end
write_back(C)
reserve_seq(C, tonumber(ARGV[9]))
release_settings_at(4)
local ttl = tonumber(ARGV[3])
local out, n, at = { 1 }, 1, 11
for _ = 1, tonumber(ARGV[10]) do
  local count = tonumber(ARGV[at + 1])
  if ARGV[at] == 'R' then
    n = release_requests(C, count, at + 2, out, n)
    at = at + 2 + count * 7
  else
    n, at = lease_requests(C, gen, ttl, count, at + 2, out, n)
  end
end
flush_state(C)
return out
