-- wrk script: signed WhatsApp webhook deliveries (pre-generated: one unique message each),
-- paced to about BENCH_RATE requests/s overall (each connection waits 1000 * BENCH_CONNS /
-- BENCH_RATE ms between a response and its next request, so the achieved rate is a little lower;
-- the report shows it).
local lines = {}
local counter = 0
local rate = tonumber(os.getenv("BENCH_RATE") or "200")
local conns = tonumber(os.getenv("BENCH_CONNS") or "4")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
-- setup runs in the main Lua state and numbers the threads; each thread reads its own number
-- as the global `thread_id` (a local of that name would shadow it and be 0 everywhere).
local next_thread = 0

setup = function(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

-- Each thread walks its own share of the bodies, so no message is delivered twice (a duplicate
-- would take the cheaper already-stored path).
init = function(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do table.insert(lines, line) end
  counter = math.floor(#lines * thread_id / threads)
end

delay = function()
  return math.floor(1000 * conns / rate)
end

request = function()
  counter = counter % #lines + 1
  local sig, body = string.match(lines[counter], "^(%S+)\t(.*)$")
  return wrk.format("POST", "/v1/webhooks/whatsapp",
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}, body)
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.errors.status))
end
