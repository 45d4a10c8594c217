-- The real volunteer sign-up form, as a browser posts it: the CSRF token and session
-- cookie from one GET of the form, and for each request a new person (email and
-- submission id) taking one place on the same shift, whose maximum the bench raised to
-- the thousands: every request takes the shift's row lock, the hot spot of a sign-up.
-- Arguments: run prefix, CSRF token, Cookie header, shift id.
local counter = 0
local prefix, token, cookie, shift
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
  shift = args[4]
end

function request()
  counter = counter + 1
  local id = prefix .. "n" .. counter
  local body = "csrf_token=" .. token
    .. "&full_name=%D9%84%D9%8A%D9%86%D8%A7+%D8%AD%D8%AF%D8%A7%D8%AF"  -- لينا حداد
    .. "&email=volunteer." .. id .. "%40example.org"
    .. "&phone=%2B1+313+555+0100&languages=ar&languages=en&age_group=25_plus"
    .. "&tshirt_size=M&language=ar&shifts=" .. shift .. "&privacy=y"
    .. "&submission_id=submission0000" .. id
  return wrk.format("POST", "/volunteer", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end
