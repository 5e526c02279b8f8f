-- wrk script for benchmarks/bench_http.py: rotates Host headers (and their session
-- cookies) over the clinics listed in $BENCH_HOSTS ("host<TAB>cookie" per line) and the
-- paths in $BENCH_PATHS (space separated), as a proxy would send them (HTTPS ended
-- before gunicorn). Prints one JSON line at the end. (No request limit: wrk's
-- thread:stop() leaves its connections open until the run's end, and a sync worker that
-- accepted one waits on it until gunicorn's timeout kills it.)
local hosts, cookies, paths = {}, {}, {}
for line in io.lines(os.getenv("BENCH_HOSTS")) do
  local host, cookie = line:match("^([^\t]+)\t?(.*)$")
  if host then
    hosts[#hosts + 1] = host
    cookies[#cookies + 1] = cookie or ""
  end
end
for p in string.gmatch(os.getenv("BENCH_PATHS"), "%S+") do paths[#paths + 1] = p end
local i = 0

function request()
  i = i + 1
  local k = (i % #hosts) + 1
  local headers = { Host = hosts[k], ["X-Forwarded-Proto"] = "https", ["Accept-Language"] = "es" }
  if cookies[k] ~= "" then headers["Cookie"] = cookies[k] end
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
