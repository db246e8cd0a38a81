-- wrk script: POST /token, grant_type=refresh_token (rotation), client_secret_basic.
-- Env: BENCH_BASIC (base64 of "client_id:client_secret"), BENCH_TOKENS (a file of refresh
-- tokens, one per line, at least as many as connections). Each thread takes its share; every
-- answer's new refresh token goes back into the thread's queue for a later request.
local basic = os.getenv("BENCH_BASIC") or error("BENCH_BASIC is not set")
local file = os.getenv("BENCH_TOKENS") or error("BENCH_TOKENS is not set")
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   queue = {}
   local mine, n = id, #threads
   n = tonumber(os.getenv("BENCH_THREADS_N") or "2")
   local i = 0
   for line in io.lines(file) do
      i = i + 1
      if line ~= "" and (i % n) + 1 == mine then
         table.insert(queue, line)
      end
   end
   last = queue[1]
end

function request()
   local token = table.remove(queue, 1) or last
   return wrk.format("POST", "/token", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. basic,
      ["Accept"] = "application/json",
   }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
   local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token then
      table.insert(queue, token)
      last = token
   end
end
