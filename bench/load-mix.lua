-- The request mix of bench/load-http.sh: every connection takes the next path of this list in turn (the
-- dashboard's and a notebook's reads: the stock list, one stock's bars, rankings, a quote, the session, the indices).
-- load-http.sh checks that each answers 200 before the run; keep one path per line in this form.
local paths = {
  "/api/stocks?limit=50",
  "/api/stocks/005930/bars?from=2024-01-02",
  "/api/rankings?market=ALL",
  "/api/quotes/005930",
  "/api/session",
  "/api/indices",
}

local requests = {}
local next_path = 0

-- wrk passes the words after `--`: an API key, or an empty word for an open hub.
function init(args)
  local headers = { ["Accept"] = "application/json" }
  if args[1] ~= nil and args[1] ~= "" then
    headers["Authorization"] = "Bearer " .. args[1]
  end
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path, headers)
  end
  -- Threads start at different places in the list, so that the mix is even from the first second.
  next_path = math.random(#paths) - 1
end

function request()
  next_path = next_path % #paths + 1
  return requests[next_path]
end
