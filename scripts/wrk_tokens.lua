-- wrk: GET $WRK_PATH (default /api/resource) with the Bearer tokens of $WRK_TOKENS (one per
-- line), in order from token $WRK_OFFSET (default 0) round and round, each of the $WRK_THREADS
-- threads starting at its own share.
local tokens = {}
for line in io.lines(os.getenv("WRK_TOKENS")) do
  tokens[#tokens + 1] = line
end
local path = os.getenv("WRK_PATH") or "/api/resource"
local started = 0
id, n = 0, 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
end

function init(args)
  n = tonumber(os.getenv("WRK_OFFSET") or "0")
    + math.floor(id * #tokens / tonumber(os.getenv("WRK_THREADS") or "1"))
end

function request()
  n = n + 1
  return wrk.format("GET", path, { Authorization = "Bearer " .. tokens[(n % #tokens) + 1] })
end
