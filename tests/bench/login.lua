-- wrk script: POST /api/auth/login with a JSON email and password (one Argon2id verify each).
-- Env: BENCH_EMAIL, BENCH_PASSWORD.
local email = os.getenv("BENCH_EMAIL") or error("BENCH_EMAIL is not set")
local password = os.getenv("BENCH_PASSWORD") or error("BENCH_PASSWORD is not set")

wrk.method = "POST"
wrk.body = string.format('{"email":"%s","password":"%s"}', email, password)
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
