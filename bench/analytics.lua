-- wrk script: one analytics endpoint (BENCH_PATH) as the owner (BENCH_TOKEN).
local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.1f p99_ms=%.1f requests=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status))
end
