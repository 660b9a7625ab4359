-- wrk: an application renewing its tokens at the token endpoint (POST /oauth/token,
-- grant_type=refresh_token). Every refresh token works once, so each connection uses one of
-- its thread's tokens and puts back the one the answer carries: the $WRK_REFRESH_TOKENS
-- (comma-separated, at least one per connection) are shared out among the threads.
-- $WRK_CLIENT: the client's `Authorization: Basic` value.
local tokens = {}
for token in string.gmatch(os.getenv("WRK_REFRESH_TOKENS") or "", "[^,]+") do
  tokens[#tokens + 1] = token
end
local threads_total = tonumber(os.getenv("WRK_THREADS") or "1")
local client = os.getenv("WRK_CLIENT")
local started = 0
id = 0

function setup(thread)
  local mine = {}
  for i = started + 1, #tokens, threads_total do
    mine[#mine + 1] = tokens[i]
  end
  thread:set("held", table.concat(mine, ","))
  started = started + 1
end

local queue = {}

function init(args)
  for token in string.gmatch(held or "", "[^,]+") do
    queue[#queue + 1] = token
  end
end

function request()
  local token = table.remove(queue, 1) or "none-left"
  local body = "grant_type=refresh_token&refresh_token=" .. token
  return wrk.format("POST", "/oauth/token", {
    ["Authorization"] = client,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  local next_token = string.match(body, '"refresh_token":"([^"]+)"')
  if next_token then
    queue[#queue + 1] = next_token
  end
end
