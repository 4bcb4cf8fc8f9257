-- wrk script for bench/drops.py: POST /drops with bodies bench/drops.py wrote, one file per
-- wrk thread (BODIES_DIR/thread-<n>.txt, one JSON body per line; copies of a drop are the
-- lines right after it, so they go out on other connections at once, as other game clients
-- on that world would report them). Prints one JSON line that bench/drops.py reads back.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1] .. "/thread-" .. id .. ".txt") do
    bodies[#bodies + 1] = line
  end
  started = false
  issued = 0
  exhausted = 0
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if not started then
    -- wrk calls request() once on its first thread before the load, to check what it returns,
    -- and never sends that one. So every thread's first call is a copy of its first drop, which
    -- the server ignores or stores exactly as that drop whether or not it is sent.
    started = true
    return wrk.format(nil, nil, nil, bodies[1])
  end
  if issued >= #bodies then
    -- Out of prepared drops: an (ignored) copy of the last one, counted so the bench can fail.
    exhausted = exhausted + 1
    return wrk.format(nil, nil, nil, bodies[#bodies])
  end
  issued = issued + 1
  return wrk.format(nil, nil, nil, bodies[issued])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local out = {}
  for _, thread in ipairs(threads) do
    local counts = {}
    for status, count in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('"%d":%d', status, count)
    end
    out[#out + 1] = string.format(
      '{"id":%d,"issued":%d,"exhausted":%d,"statuses":{%s}}',
      thread:get("id"), thread:get("issued"), thread:get("exhausted"), table.concat(counts, ",")
    )
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"threads":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(out, ",")
  ))
end
