-- wrk script: unauthenticated login attempts, each with a different unknown email and a wrong
-- password (so no per-email lock ever trips: every attempt wants an argon2 check). Counts the
-- answers by status across threads; prints a machine-readable summary line at the end.
local threads = {}

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  counter = 0
  statuses = {}
end

request = function()
  counter = counter + 1
  local body = string.format('{"email":"guess-%d-%d@flood.test","password":"not the password"}', id, counter)
  return wrk.format("POST", "/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do totals[code] = (totals[code] or 0) + n end
  end
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d s401=%d s429=%d s503=%d s5xx=%d sockerr=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, totals[401] or 0, totals[429] or 0, totals[503] or 0,
    (totals[500] or 0) + (totals[502] or 0) + (totals[504] or 0),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
