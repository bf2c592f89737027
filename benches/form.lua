-- wrk script: POST the body read from a file, with the given Content-Type, on every request.
-- usage: wrk -t1 -c16 -d5s -s benches/form.lua http://127.0.0.1:8000/form -- BODY_FILE CONTENT_TYPE

init = function(args)
   local file = assert(io.open(args[1], "rb"))
   local body = file:read("*a")
   file:close()
   post = wrk.format("POST", nil, { ["Content-Type"] = args[2] }, body)
end

request = function()
   return post
end
