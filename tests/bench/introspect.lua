-- wrk script: POST /introspect of one access token, client_secret_basic (RFC 7662).
-- Env: BENCH_BASIC (base64 of "client_id:client_secret"), BENCH_TOKEN (the token).
local basic = os.getenv("BENCH_BASIC") or error("BENCH_BASIC is not set")
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")

wrk.method = "POST"
wrk.body = "token=" .. token
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Accept"] = "application/json"

function response(status, headers, body)
   if status == 200 and not body:find('"active":true', 1, true) then
      error("introspection answered inactive: " .. body)
   end
end
