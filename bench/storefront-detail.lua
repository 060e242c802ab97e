-- wrk script: storefront product detail (one product with its variants) for three brands in
-- rotation, a random product number in 1..PRODUCTS (environment, default 75: every demo brand has that many); prints a
-- machine-readable summary line at the end.
local brands = {"fiber-x", "suzume", "showstopper"}
local products = tonumber(os.getenv("PRODUCTS") or "75")
local counter = 0

request = function()
  counter = counter + 1
  local brand = brands[(counter % #brands) + 1]
  local number = math.random(1, products)
  return wrk.format("GET", "/v1/storefront/products/" .. number, {["X-Tenant-ID"] = brand})
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errors))
end
