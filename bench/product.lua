-- wrk script: storefront product detail, a random product of three brands in rotation.
-- BENCH_PRODUCTS is "slug:count,slug:count,..." (each brand's products are numbered 1..count);
-- prints a machine-readable summary line at the end.
local brands = {}
for slug, n in string.gmatch(os.getenv("BENCH_PRODUCTS") or "", "([%w-]+):(%d+)") do
  table.insert(brands, {slug = slug, n = tonumber(n)})
end
local counter = 0
local next_thread = 0

setup = function(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

init = function(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end

request = function()
  counter = counter + 1
  local b = brands[(counter % #brands) + 1]
  return wrk.format("GET", "/v1/storefront/products/" .. math.random(b.n), {["X-Tenant-ID"] = b.slug})
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errors))
end
