-- The authorization-code flow with PKCE, over and over: GET /oauth/authorize (auto-approved, 302
-- with a code), then POST /oauth/token with that code and the verifier. wrk keeps one Lua state per
-- thread for all its connections, so codes wait in a queue: a connection sends a token request when
-- a code is waiting, an authorization request otherwise. A flow is one 200 from the token endpoint.
-- Settings: BENCH_CLIENT, BENCH_REDIRECT, BENCH_CHALLENGE, BENCH_VERIFIER (all URL-safe).

local client = os.getenv("BENCH_CLIENT")
local redirect = os.getenv("BENCH_REDIRECT")
local challenge = os.getenv("BENCH_CHALLENGE")
local verifier = os.getenv("BENCH_VERIFIER")

local threads = {}
local authorize
local codes = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  authorize = wrk.format("GET", "/oauth/authorize?response_type=code&client_id=" .. client
    .. "&redirect_uri=" .. redirect .. "&state=s&code_challenge=" .. challenge
    .. "&code_challenge_method=S256")
  flows = 0
  unexpected = 0
end

function request()
  local code = table.remove(codes)
  if code == nil then
    return authorize
  end
  return wrk.format("POST", "/oauth/token",
    { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect
      .. "&client_id=" .. client .. "&code_verifier=" .. verifier)
end

function response(status, headers, body)
  if status == 302 then
    local code = (headers["Location"] or headers["location"] or ""):match("[?&]code=([^&]+)")
    if code then
      table.insert(codes, code)
      return
    end
  elseif status == 200 then
    flows = flows + 1
    return
  end
  unexpected = unexpected + 1
end

function done(summary, latency, requests)
  local total_flows, total_unexpected = 0, 0
  for _, thread in ipairs(threads) do
    total_flows = total_flows + thread:get("flows")
    total_unexpected = total_unexpected + thread:get("unexpected")
  end
  io.write(string.format("bench-flows: %d\n", total_flows))
  io.write(string.format("bench-unexpected: %d\n", total_unexpected))
end
