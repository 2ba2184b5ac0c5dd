-- A Zipf-distributed request mix over N static URLs, for wrk.
-- Parameters come from the environment: BENCH_URLS (count), BENCH_ZIPF_S (exponent).
local count = tonumber(os.getenv("BENCH_URLS") or "10000")
local s = tonumber(os.getenv("BENCH_ZIPF_S") or "1.0")
local extensions = {"js", "css", "png", "svg", "woff2", "jpg", "webp", "ico"}
local cdf = {}
local paths = {}

local function build()
  local total = 0
  for rank = 1, count do
    total = total + 1 / rank ^ s
    cdf[rank] = total
  end
  for rank = 1, count do
    cdf[rank] = cdf[rank] / total
    local ext = extensions[(rank % #extensions) + 1]
    paths[rank] = string.format("/static/asset-%05d.%s", rank, ext)
  end
end

build()

local function sample()
  local u = math.random()
  local lo, hi = 1, count
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local requests = {}

function init(args)
  math.randomseed(os.time() * 1000 + id)
  -- Formatted once per thread: the load generator should spend its CPU on sending.
  for rank = 1, count do
    requests[rank] = wrk.format("GET", paths[rank])
  end
end

function request()
  return requests[sample()]
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
