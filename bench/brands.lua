-- wrk script for bench/brands.sh: a random generated brand per request (BENCH_BRANDS is
-- "slug:PFX,..."), either its storefront list (BENCH_MODE=list, 50 products with variants) or a
-- one-unit checkout of one of its 1,000 SKUs (BENCH_MODE=checkout, own Idempotency-Key each).
local brands = {}
for slug, pfx in string.gmatch(os.getenv("BENCH_BRANDS") or "", "([%w-]+):(%u+)") do
  table.insert(brands, {slug = slug, pfx = pfx})
end
local mode = os.getenv("BENCH_MODE") or "list"
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
  local b = brands[math.random(#brands)]
  if mode == "list" then
    return wrk.format("GET", "/v1/storefront/products?limit=50", {["X-Tenant-ID"] = b.slug})
  end
  local sku = string.format("%s-GEN-%04d-V%02d", b.pfx, math.random(100), math.random(10))
  local key = string.format("scale-%d-%d-%d", os.time(), thread_id or 0, counter)
  local body = string.format(
    '{"lines":[{"sku":"%s","quantity":1}],"customer":{"name":"Bench","email":"%s@bench.test"},' ..
    '"shipping_address":{"name":"Bench","line1":"Invalidenstrasse 117","city":"Berlin",' ..
    '"postal_code":"10115","country":"DE"},"shipping_method":"standard"}',
    sku, key)
  return wrk.format("POST", "/v1/storefront/checkouts",
    {["X-Tenant-ID"] = b.slug, ["Idempotency-Key"] = key, ["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status))
end
