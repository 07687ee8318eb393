-- wrk script: GET requests for random user ids in 1..USERS, BATCH ids a request
-- (BATCH=1 uses /v1/presence/{id}, otherwise /v1/presence?ids=…). The requests are made
-- once in init and cycled, so wrk spends its time sending, not building strings.
local users = tonumber(os.getenv("USERS") or "1000000")
local batch = tonumber(os.getenv("BATCH") or "50")
local distinct = 2000
local requests = {}
local next_request = 1

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
  for i = 1, distinct do
    local path
    if batch == 1 then
      path = "/v1/presence/" .. math.random(1, users)
    else
      local ids = {}
      for j = 1, batch do ids[j] = math.random(1, users) end
      path = "/v1/presence?ids=" .. table.concat(ids, ",")
    end
    requests[i] = wrk.format("GET", path)
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % distinct + 1
  return r
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, errors))
end
