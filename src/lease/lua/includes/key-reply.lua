-- The key's state as returned to the engine (which writes status changes to Postgres).
-- Writes it into out after position n (11 values); returns the new end. Numbers go back as integer
-- replies: tostring would format each one through sprintf.
local function put_key_reply(out, n, k)
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] =
    k.id, k.status, k.kind, k.reason, k.block_until, k.failures
  out[n + 7], out[n + 8], out[n + 9], out[n + 10], out[n + 11] = k.used, k.last_used, k.probe_at, k.reserved,
    k.inflight
  return n + 11
end
