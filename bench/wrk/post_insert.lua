-- Baseline POST: one form field, a new value each request.
local counter = 0
local prefix = "x"

function init(args)
  prefix = args[1] or prefix
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/items",
    {["Content-Type"] = "application/x-www-form-urlencoded"},
    "name=" .. prefix .. "-" .. counter)
end
