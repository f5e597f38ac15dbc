-- wrk prints percentiles only as text; this prints the figures bench/web.py reads as one JSON line.
-- With BENCH_EXPECTED_STATUS set, it also counts responses of any other status (wrk itself counts
-- only those of 400 and above); otherwise it reads no response, which would slow wrk down.
local threads = {}
local expected = tonumber(os.getenv("BENCH_EXPECTED_STATUS") or "")

setup = function(thread)
  table.insert(threads, thread)
end

if expected then
  unexpected = 0
  response = function(status, headers, body)
    if status ~= expected then
      unexpected = unexpected + 1
    end
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "socket_errors": %d, ' ..
    '"non_2xx_3xx": %d, "unexpected_status": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    unexpected_total, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
