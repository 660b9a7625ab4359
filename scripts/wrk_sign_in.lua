-- wrk: password sign-ins (GET /api/token, Basic) of random accounts scale1..$WRK_ACCOUNTS, or,
-- with WRK_REGISTER set, registrations (POST /api/users) of names never used before (each load
-- generator at once with its own $WRK_PREFIX).
local accounts = tonumber(os.getenv("WRK_ACCOUNTS") or "1")
local register = os.getenv("WRK_REGISTER")
local prefix = os.getenv("WRK_PREFIX") or "0"
local started = 0
id, n = 0, 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
end

function init(args)
  math.randomseed(os.time() + id)
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(text)
  return ((text:gsub(".", function(c)
    local bits, byte = "", c:byte()
    for i = 8, 1, -1 do bits = bits .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(bits)
    if #bits < 6 then return "" end
    local value = 0
    for i = 1, 6 do value = value + (bits:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(value + 1, value + 1)
  end) .. ({ "", "==", "=" })[#text % 3 + 1])
end

function request()
  n = n + 1
  if register then
    local name = string.format("new%s_%d_%d_%d", prefix, id, math.random(1, 1e9), n)
    local body = string.format('{"username":"%s","password":"scale-password"}', name)
    return wrk.format("POST", "/api/users", { ["Content-Type"] = "application/json" }, body)
  end
  local name = "scale" .. math.random(1, accounts)
  local credentials = base64(name .. ":scale-password")
  return wrk.format("GET", "/api/token", { Authorization = "Basic " .. credentials })
end
