-- wrk script: storefront checkouts of one unit, each with its own Idempotency-Key.
-- BENCH_SKUS (comma-separated) are drawn at random; one SKU makes one hot row.
local skus = {}
for s in string.gmatch(os.getenv("BENCH_SKUS") or "", "[^,]+") do table.insert(skus, s) end
local brand = os.getenv("BENCH_BRAND") or "fiber-x"
local counter = 0
-- setup runs in the main Lua state and numbers the threads; each thread reads its own number
-- as the global `thread_id` (a local of that name would shadow it and be 0 everywhere).
local next_thread = 0
local statuses = {}

setup = function(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

init = function(args)
  math.randomseed(os.time() + thread_id * 7919)
end

request = function()
  counter = counter + 1
  local sku = skus[math.random(#skus)]
  local key = string.format("bench-%d-%d-%d", os.time(), thread_id, counter)
  -- Every demo brand ships to Germany with `standard` (README, "Delivery and tax"), so the
  -- checkout carries an address and a method and is priced and taxed like a real one.
  local body = string.format(
    '{"lines":[{"sku":"%s","quantity":1}],"customer":{"name":"Bench","email":"%s@bench.test"},' ..
    '"shipping_address":{"name":"Bench","line1":"Invalidenstrasse 117","city":"Berlin",' ..
    '"postal_code":"10115","country":"DE"},"shipping_method":"standard"}',
    sku, key)
  return wrk.format("POST", "/v1/storefront/checkouts",
    {["X-Tenant-ID"] = brand, ["Idempotency-Key"] = key, ["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status))
end
