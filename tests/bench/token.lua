-- wrk script: POST /token, grant_type=client_credentials, client_secret_basic.
-- Env: BENCH_BASIC (base64 of "client_id:client_secret"), BENCH_SCOPE (default api:read).
local basic = os.getenv("BENCH_BASIC") or error("BENCH_BASIC is not set")
local scope = (os.getenv("BENCH_SCOPE") or "api:read"):gsub(":", "%%3A"):gsub(" ", "+")

wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=" .. scope
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Accept"] = "application/json"
