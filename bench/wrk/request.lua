-- One fixed request, repeated: method, path, headers and body come from the environment
-- (BENCH_METHOD, BENCH_PATH, BENCH_HEADERS as "Name: value" lines, BENCH_BODY).
-- Answers other than BENCH_STATUS are counted and reported, so a run that measured errors says so.
-- BENCH_SESSIONS (comma-separated MCP session ids) gives each wrk thread its own session, sent as
-- Mcp-Session-Id: an MCP session answers one request at a time, as a real client's does.

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

local sessions = {}
for id in (os.getenv("BENCH_SESSIONS") or ""):gmatch("[^,]+") do
  table.insert(sessions, id)
end

local threads = {}
local prepared

function setup(thread)
  table.insert(threads, thread)
  if #sessions > 0 then
    thread:set("session", sessions[(#threads - 1) % #sessions + 1])
  end
end

function init(args)
  if session then
    headers["Mcp-Session-Id"] = session
  end
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
