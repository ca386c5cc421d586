-- A reason is free text from outside (an operator, Postgres): a key state stores it zero-terminated
-- and bounded (the engine itself sends at most 1,000 characters, MAX_REASON_LENGTH).
local MAX_REASON_BYTES = 4000
local function clean_reason(reason)
  if string.find(reason, '\0', 1, true) then reason = string.gsub(reason, '%z', '') end
  if #reason > MAX_REASON_BYTES then reason = string.sub(reason, 1, MAX_REASON_BYTES) end
  return reason
end
