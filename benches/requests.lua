-- wrk script: DEPTH requests per write (default 1), GET, or POST with a BODY_BYTES body.
-- usage: wrk -t1 -c50 -d5s -s benches/requests.lua URL -- DEPTH [BODY_BYTES]
-- wrk counts every response, so Requests/sec is responses per second whatever the depth.

init = function(args)
   local depth = tonumber(args[1]) or 1
   local body_bytes = tonumber(args[2]) or 0
   if body_bytes > 0 then
      wrk.method = "POST"
      wrk.body = string.rep("x", body_bytes)
      wrk.headers["Content-Type"] = "application/octet-stream"
   end
   local requests = {}
   for i = 1, depth do
      requests[i] = wrk.format()
   end
   batch = table.concat(requests)
end

request = function()
   return batch
end
