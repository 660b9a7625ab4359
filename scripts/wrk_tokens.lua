-- wrk: GET $WRK_PATH (default /api/resource) with the Bearer tokens of $WRK_TOKENS (one per
-- line), in order from token $WRK_OFFSET (default 0) round and round, each of the $WRK_THREADS
-- threads starting at its own share.
--
-- Each request is formatted once, when the thread starts: a new string per request costs the
-- load generator CPU that it takes from the cores the server shares with it.
local tokens = {}
for line in io.lines(os.getenv("WRK_TOKENS")) do
  tokens[#tokens + 1] = line
end
local path = os.getenv("WRK_PATH") or "/api/resource"
local requests = {}
local started = 0
id, n = 0, 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
end

function init(args)
  -- Here rather than above: wrk knows the Host header from init on.
  for i, token in ipairs(tokens) do
    requests[i] = wrk.format("GET", path, { Authorization = "Bearer " .. token })
  end
  tokens = nil
  n = tonumber(os.getenv("WRK_OFFSET") or "0")
    + math.floor(id * #requests / tonumber(os.getenv("WRK_THREADS") or "1"))
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
