-- One fixed request, repeated: method, path, headers and body come from the environment
-- (BENCH_METHOD, BENCH_PATH, BENCH_HEADERS as "Name: value" lines, BENCH_BODY).
-- Answers other than BENCH_STATUS are counted and reported, so a run that measured errors says so.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local expected = tonumber(os.getenv("BENCH_STATUS") or "200")
local headers = {}
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    headers[name] = value
  end
end

local threads = {}
local prepared

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  prepared = wrk.format(method, path, headers, body)
  unexpected = 0
end

function request()
  return prepared
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("bench-unexpected: %d\n", total))
end
