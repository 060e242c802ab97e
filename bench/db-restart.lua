-- wrk script: storefront reads (the product list's first page, three brands in rotation) that
-- count the answers by status across threads; prints one summary line at the end.
local brands = {"fiber-x", "suzume", "showstopper"}
local threads = {}
local counter = 0

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  statuses = {}
end

request = function()
  counter = counter + 1
  local brand = brands[(counter % #brands) + 1]
  return wrk.format("GET", "/v1/storefront/products?limit=10", {["X-Tenant-ID"] = brand})
end

response = function(status, headers, body)
  local key = tostring(status)
  if status == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then
    key = "503-without-retry-after"
  end
  statuses[key] = (statuses[key] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format("s%s=%d", status, n))
  end
  table.sort(parts)
  io.write(string.format("RESULT requests=%d socket_errors=%d %s\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, " ")))
end
