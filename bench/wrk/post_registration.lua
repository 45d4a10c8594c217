-- The real registration form, as a browser posts it: the CSRF token and session cookie
-- from one GET of the form, and for each request a new email and a new submission id.
-- Arguments: run prefix, CSRF token, Cookie header, and optionally "trap": fill the spam
-- trap, so that the app answers as usual but validates and saves nothing (the floor); or
-- "repeat": every request uses the same address (that of the run), so that all but the
-- first are repeats of a registered address.
local counter = 0
local prefix, token, cookie, trap, repeat_address
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  -- The run (warm-up or measured) and thread make every address new.
  prefix = args[1] .. "r" .. os.time() .. "t" .. thread_number
  token = args[2]
  cookie = args[3]
  trap = args[4] == "trap"
  if args[4] == "repeat" then
    repeat_address = "bench.repeat." .. args[1]
  end
end

function request()
  counter = counter + 1
  local id = prefix .. "n" .. counter
  local body = "csrf_token=" .. token
    .. "&full_name=%D9%84%D9%8A%D9%86%D8%A7+%D8%AD%D8%AF%D8%A7%D8%AF"  -- لينا حداد
    .. "&email=" .. (repeat_address or ("bench." .. id)) .. "%40example.org"
    .. "&city=Dearborn&region=MI&language=ar&tracks=cultural&tracks=arts&privacy=y"
    .. "&submission_id=submission0000" .. id
  if trap then
    body = body .. "&website=example.org"
  end
  return wrk.format("POST", "/register", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end
