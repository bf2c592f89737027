-- wrk script: send DEPTH pipelined requests per write (default 16), all for the URL's path.
-- usage: wrk -t1 -c50 -d5s --latency -s benches/pipeline.lua http://127.0.0.1:8000/hello [-- DEPTH]
-- wrk counts every response, so Requests/sec is responses per second, as without the script.

init = function(args)
   local depth = tonumber(args[1]) or 16
   local requests = {}
   for i = 1, depth do
      requests[i] = wrk.format()
   end
   pipelined = table.concat(requests)
end

request = function()
   return pipelined
end
