#!/usr/bin/env bash
# Gatehouse benchmark: one command, bounded in time, loopback only. See docs/benchmarks.md.
#
#   bash tests/bench/run.sh
#
# Measures (a) cold start, (b) idle RSS, (c) discovery/JWKS throughput against nginx serving the
# same bytes, (d) /healthz p99 while 16 sign-ins hash passwords, (e) single-core JWT signing rate
# (cargo bench --bench signing), (f) client_credentials issuance (RS256; ES256 against
# node-oidc-provider when `service create --signing-alg` exists), (g) RSS during and after 64
# parallel failed sign-ins (tests/bench/signin_memory.py), (h) introspection of a JWT access
# token against node-oidc-provider, (i) the refresh-token grant (SQLite; PostgreSQL with
# BENCH_PG_URL), (j) the whole sign-in (tests/bench/signin_flow.py) against the Argon2 rate.
# Prints a summary table with each budget met / MISSED.
#
# Knobs (environment):
#   BENCH_DURATION=10      seconds per measured wrk run
#   BENCH_CONNECTIONS=64   connections for the throughput runs
#   BENCH_THREADS=2        wrk threads for the throughput runs
#   BENCH_COLD_RUNS=5      cold-start repetitions (median reported)
#   BENCH_SKIP_BUILD=1     reuse target/release/gatehouse as it is
#   BENCH_BIN=path         the binary to measure (default <target dir>/release/gatehouse)
#   BENCH_PG_URL=postgres://…/db  also run the refresh grant (i) on PostgreSQL (a scratch
#                          database named gatehouse_bench_<stamp> is created on that server)
#   BENCH_SKIP_NODE=1      skip node-oidc-provider
#   BENCH_NO_INSTALL=1     never apt-get/npm install; skip what is missing
#   BENCH_LOG=path         full log (default /tmp/gatehouse-bench-<timestamp>.log)
#   BENCH_WAIT_QUIET=60    before each phase, wait up to this many seconds for the CPUs to be
#                          less than 15 % busy with other work (0: don't wait; always logged)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR="$ROOT/tests/bench"
DUR=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
COLD_RUNS=${BENCH_COLD_RUNS:-5}
NODE_DIR=${BENCH_NODE_DIR:-/tmp/gatehouse-bench-node}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG=${BENCH_LOG:-/tmp/gatehouse-bench-$STAMP.log}
BIN=${BENCH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/gatehouse}
PASSWORD='bench-Password-correct-horse-42'
EMAIL='bench@bench.io'

WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers (user nobody when started as root) read files below it
STARTED=()        # pids of every server this script started
declare -A STOPPED=()

exec > >(tee "$LOG") 2>&1

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
    log "ERROR: $*"
    exit 1
}

stop_pid() { # stop_pid <pid>: SIGTERM, up to 15 s, then SIGKILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    STOPPED[$pid]=1
}

cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do
        [[ -n ${STOPPED[$pid]:-} ]] || stop_pid "$pid"
    done
    if [[ -n ${BENCH_KEEP_WORK:-} ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
MISSING_PKGS=()
need() { # need <command> <debian package>
    command -v "$1" >/dev/null 2>&1 || MISSING_PKGS+=("$2")
}
need wrk wrk
need nginx nginx-light
need curl curl
need jq jq
need pgrep procps
need timeout coreutils
if ((${#MISSING_PKGS[@]})); then
    if [[ -z ${BENCH_NO_INSTALL:-} ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        log "installing: ${MISSING_PKGS[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${MISSING_PKGS[@]}" >/dev/null
    else
        die "missing packages: ${MISSING_PKGS[*]} (apt-get install -y ${MISSING_PKGS[*]})"
    fi
fi
command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"

free_port() { # a loopback port nothing answers on
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

wait_http() { # wait_http <url> <pid> <seconds>: until 200, bounded
    local url=$1 pid=$2 deadline=$((SECONDS + $3))
    until curl -fs -o /dev/null --max-time 2 "$url"; do
        kill -0 "$pid" 2>/dev/null || die "process $pid exited before $url answered"
        ((SECONDS < deadline)) || die "$url did not answer within $3 s"
        sleep 0.05
    done
}

# wrk output parsing ---------------------------------------------------------------------------
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
total_requests() { awk '/ requests in / {print $1}' "$1"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {n=$NF} END {print n+0}' "$1"; }
sock_errors() { awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print}' "$1"; }
percentile_ms() { # percentile_ms <file> <50%|75%|90%|99%>
    awk -v p="$2" '$1 == p {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.2f\n", v
    }' "$1"
}
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
ge() { awk "BEGIN { exit !($1 >= $2) }"; }

run_wrk() { # run_wrk <outfile> <wrk args...>: bounded by -d plus a margin
    local out=$1
    shift
    log "\$ wrk $*"
    timeout $((DUR + 60)) wrk "$@" >"$out" 2>&1 || die "wrk failed: $(tail -3 "$out")"
    sed 's/^/    /' "$out"
    local bad errs
    bad=$(non2xx "$out")
    errs=$(sock_errors "$out")
    [[ $bad == 0 ]] || log "WARNING: $bad non-2xx responses"
    [[ -z $errs ]] || log "WARNING: socket errors: $errs"
}

cpu_busy() { # percent of all CPUs busy (anything, incl. steal) over 1 s
    local a b
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 1
    read -r -a b < <(grep '^cpu ' /proc/stat)
    awk -v u="$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8]))" \
        -v t="$((b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[4] - a[5] - a[6] - a[7] - a[8]))" \
        'BEGIN { printf "%.0f", t ? 100 * u / t : 0 }'
}

quiet() { # quiet <phase>: log how busy the machine is; wait (bounded) for it to calm down
    local busy deadline=$((SECONDS + ${BENCH_WAIT_QUIET:-60}))
    busy=$(cpu_busy)
    while ((busy >= 15 && SECONDS < deadline)); do
        busy=$(cpu_busy)
    done
    log "$1: CPUs ${busy} % busy with other work before it starts (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    BUSY_LOG+=("$1: ${busy} %")
}
BUSY_LOG=()

RESULTS=() # rows: metric|measured|target|status
row() { RESULTS+=("$1|$2|$3|$4"); }
verdict() { if ge "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }    # higher is better
verdict_le() { if ge "$2" "$1"; then echo "met"; else echo "MISSED"; fi; } # lower is better

# ---------------------------------------------------------------------------------------------
log "Gatehouse benchmark $STAMP, log: $LOG"
log "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
log "tools: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(nginx -v 2>&1), curl $(curl --version | head -1 | cut -d' ' -f2), $(cargo --version)"
log "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
CORES=$(nproc)

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
cd "$ROOT"
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
    log "\$ cargo build --release"
    build_start=$SECONDS
    cargo build --release 2>&1 | tail -3
    log "release build took $((SECONDS - build_start)) s"
fi
[[ -x $BIN ]] || die "$BIN is missing (cargo build --release)"
log "binary: $(du -h "$BIN" | cut -f1) $BIN"

# ---------------------------------------------------------------------------------------------
# (e) signing micro-benchmark, before any server runs (quiet machine)
# ---------------------------------------------------------------------------------------------
# compile first so that the measurement starts on a machine that is not compiling
log "\$ cargo bench --bench signing --no-run"
timeout 1800 cargo bench --bench signing --no-run 2>&1 | tail -2
quiet "(e) signing"
log "(e) \$ cargo bench --bench signing"
timeout 900 cargo bench --bench signing >"$WORK/signing.txt" 2>"$WORK/signing.err" ||
    die "cargo bench failed: $(tail -5 "$WORK/signing.err")"
sed 's/^/    /' "$WORK/signing.txt"
sign_field() { # sign_field <alg> <field>
    awk -v alg="$1" -v f="$2" '$1 == "RESULT" && $2 == alg {
        for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2) }
    }' "$WORK/signing.txt"
}
# Per core = per second of the signing thread's CPU time (see benches/signing.rs).
RS256_CORE=$(sign_field RS256 sign_per_cpu_sec)
ES256_CORE=$(sign_field ES256 sign_per_cpu_sec)
[[ -n $RS256_CORE && -n $ES256_CORE ]] || die "could not read the signing results"
RS256_LIMIT=$(calc "$CORES * $RS256_CORE" 0)
ES256_LIMIT=$(calc "$CORES * $ES256_CORE" 0)
log "signing limit = $CORES cores x $RS256_CORE RS256/s = $RS256_LIMIT RS256/s (ES256: $ES256_LIMIT/s)"
row "(e) RS256 signatures/s, one core" "$(calc "$RS256_CORE" 0) per CPU-s ($(calc "$(sign_field RS256 sign_per_sec)" 0) per wall-s)" "-" "info"
row "(e) ES256 signatures/s, one core" "$(calc "$ES256_CORE" 0) per CPU-s ($(calc "$(sign_field ES256 sign_per_sec)" 0) per wall-s)" "-" "info"
row "(e) signing limit = $CORES x RS256/core" "$RS256_LIMIT/s" "-" "info"

# ---------------------------------------------------------------------------------------------
# Data directory, clients, user
# ---------------------------------------------------------------------------------------------
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
unset DATABASE_URL GATEHOUSE_CONFIG GATEHOUSE_MASTER_KEY RUST_LOG
export GATEHOUSE_DATA_DIR="$WORK/data"
export GATEHOUSE_SERVER__HOST=127.0.0.1
export GATEHOUSE_SERVER__PORT=$PORT
export GATEHOUSE_SERVER__PUBLIC_URL=$BASE
export GATEHOUSE_LOG__LEVEL=warn
# The sign-in load test sends ~100 sign-ins/s from one IP for one account: lift the throttles so
# every request really verifies a password instead of being answered 429 without hashing.
export GATEHOUSE_RATE_LIMIT__LOGIN_PER_IP_PER_MINUTE=1000000
export GATEHOUSE_RATE_LIMIT__LOGIN_PER_ACCOUNT_PER_15_MINUTES=1000000
export GATEHOUSE_RATE_LIMIT__LOGIN_PER_ACCOUNT_CEILING_PER_15_MINUTES=1000000
# The whole-sign-in and refresh-seeding phases (i, j) open thousands of sign-in pages and
# authorization requests from 127.0.0.1: lift the per-address page and /authorize budgets too.
export GATEHOUSE_RATE_LIMIT__REQUESTS_PER_IP_PER_MINUTE=1000000
export GATEHOUSE_RATE_LIMIT__AUTHORIZE_PER_IP_PER_MINUTE=1000000
mkdir -p "$GATEHOUSE_DATA_DIR"
log "data dir $GATEHOUSE_DATA_DIR, server $BASE (Argon2 defaults m=19456 t=2 p=1)"

"$BIN" org create --slug bench --name Bench >/dev/null
"$BIN" service create --org bench --slug machine --name Machine \
    --grant-type client_credentials --scope api:read --json >"$WORK/machine.json"
RS_ID=$(jq -r .client_id "$WORK/machine.json")
RS_SECRET=$(jq -r .client_secret "$WORK/machine.json")
HAVE_ES256=
if "$BIN" service create --help 2>/dev/null | grep -q -- '--signing-alg'; then
    "$BIN" service create --org bench --slug machine-es --name "Machine ES256" \
        --grant-type client_credentials --scope api:read --signing-alg ES256 --json >"$WORK/machine-es.json"
    ES_ID=$(jq -r .client_id "$WORK/machine-es.json")
    ES_SECRET=$(jq -r .client_secret "$WORK/machine-es.json")
    HAVE_ES256=1
else
    log "NOTE: 'gatehouse service create --signing-alg' does not exist in this build: the ES256 part is skipped (pending)"
fi
printf '%s\n' "$PASSWORD" | "$BIN" user create --email "$EMAIL" --password-stdin --verified >/dev/null
WEB_REDIRECT=http://127.0.0.1:9/callback
# ES256 when available, as node-oidc-provider's ID tokens in the refresh comparison (i).
WEB_ALG=()
[[ -z $HAVE_ES256 ]] || WEB_ALG=(--signing-alg ES256)
"$BIN" service create --org bench --slug web --name Web --first-party "${WEB_ALG[@]}" \
    --grant-type authorization_code --grant-type refresh_token --redirect-uri "$WEB_REDIRECT" --json >"$WORK/web.json"
WEB_ID=$(jq -r .client_id "$WORK/web.json")
WEB_SECRET=$(jq -r .client_secret "$WORK/web.json")
basic() { printf '%s:%s' "$1" "$2" | base64 -w0; }

# ---------------------------------------------------------------------------------------------
# (a) cold start with an existing database, (b) idle RSS
# ---------------------------------------------------------------------------------------------
log "first start (creates the signing key), then stop"
"$BIN" serve >>"$WORK/serve.log" 2>&1 &
pid=$!
STARTED+=("$pid")
wait_http "$BASE/healthz" "$pid" 60
stop_pid "$pid"

quiet "(a) cold start"
log "(a) cold start: exec of 'gatehouse serve' until the first 200 from /healthz (curl loop), $COLD_RUNS runs"
cold=()
for ((run = 1; run <= COLD_RUNS; run++)); do
    t0=$(date +%s%N)
    "$BIN" serve >>"$WORK/serve.log" 2>&1 &
    pid=$!
    STARTED+=("$pid")
    until curl -fs -o /dev/null --max-time 5 "$BASE/healthz"; do
        kill -0 "$pid" 2>/dev/null || die "gatehouse exited during cold start: $(tail -5 "$WORK/serve.log")"
        (($(date +%s%N) - t0 < 30000000000)) || die "no 200 from /healthz within 30 s"
    done
    t1=$(date +%s%N)
    ms=$(calc "($t1 - $t0) / 1000000" 1)
    cold+=("$ms")
    log "    run $run: $ms ms"
    stop_pid "$pid"
done
COLD_MEDIAN=$(printf '%s\n' "${cold[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
log "cold start median: $COLD_MEDIAN ms (runs: ${cold[*]})"
row "(a) cold start, median of $COLD_RUNS" "$COLD_MEDIAN ms" "< 100 ms" "$(verdict_le "$COLD_MEDIAN" 100)"

start_idle_server() { # start_idle_server: `gatehouse serve` on the SQLite data, 2 s after its first 200; sets GH_PID
    "$BIN" serve >>"$WORK/serve.log" 2>&1 &
    GH_PID=$!
    STARTED+=("$GH_PID")
    wait_http "$BASE/healthz" "$GH_PID" 60
    sleep 2
}
log "starting the server for the load tests"
start_idle_server
rss_field() { calc "$(awk -v f="$1:" '$1 == f {print $2}' "/proc/$GH_PID/status") / 1024" 1; } # MiB
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$GH_PID/status")
THREADS_N=$(awk '/^Threads/ {print $2}' "/proc/$GH_PID/status")
RSS_MIB=$(calc "$RSS_KB / 1024" 1)
RSS_MB=$(calc "$RSS_KB * 1024 / 1000000" 1)
log "(b) idle RSS 2 s after the first 200: VmRSS $RSS_KB KiB = $RSS_MIB MiB = $RSS_MB MB, $THREADS_N threads"
row "(b) idle RSS (VmRSS, 2 s after start)" "$RSS_MIB MiB ($RSS_MB MB; heap $(rss_field RssAnon) MiB), $THREADS_N threads" "< 16 MiB" "$(verdict_le "$RSS_MIB" 16)"
# Idle work (the mail worker's poll every 2 s, key upkeep every 10 s) maps some code again.
sleep 23
RSS_LATER_MIB=$(rss_field VmRSS)
log "(b) idle RSS 25 s after the first 200: $RSS_LATER_MIB MiB (heap $(rss_field RssAnon) MiB)"
row "(b) idle RSS 25 s after start (two upkeep rounds)" "$RSS_LATER_MIB MiB (heap $(rss_field RssAnon) MiB)" "-" "info"

# ---------------------------------------------------------------------------------------------
# (c) discovery and JWKS vs nginx serving the same bytes
# ---------------------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/www/.well-known" "$WORK/nginx/tmp"
chmod -R a+rX "$WORK/www"
curl -fsS -o "$WORK/www/.well-known/openid-configuration" "$BASE/.well-known/openid-configuration"
curl -fsS -o "$WORK/www/.well-known/jwks.json" "$BASE/.well-known/jwks.json"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    types { }
    default_type application/json;
    sendfile on;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
    }
}
EOF
nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
STARTED+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/.well-known/jwks.json" "$NGINX_PID" 20
for doc in openid-configuration jwks.json; do
    cmp -s <(curl -fsS "$BASE/.well-known/$doc") <(curl -fsS "http://127.0.0.1:$NGINX_PORT/.well-known/$doc") ||
        die "nginx does not serve the same bytes for $doc"
done
log "(c) nginx $NGINX_PORT serves the same bodies ($(stat -c %s "$WORK/www/.well-known/openid-configuration") B discovery, $(stat -c %s "$WORK/www/.well-known/jwks.json") B JWKS)"

quiet "(c) discovery/JWKS"
declare -A STATIC_RPS
for doc in openid-configuration jwks.json; do
    for server in gatehouse nginx; do
        if [[ $server == gatehouse ]]; then url="$BASE/.well-known/$doc"; else url="http://127.0.0.1:$NGINX_PORT/.well-known/$doc"; fi
        run_wrk "$WORK/wrk-$server-$doc.txt" -t"$THREADS" -c"$CONNS" -d"${DUR}s" "$url"
        STATIC_RPS[$server-$doc]=$(rps "$WORK/wrk-$server-$doc.txt")
    done
    g=${STATIC_RPS[gatehouse-$doc]}
    n=${STATIC_RPS[nginx-$doc]}
    pct=$(calc "100 * $g / $n" 0)
    log "$doc: gatehouse $g req/s, nginx $n req/s: $pct %"
    row "(c) $doc: gatehouse / nginx" "$(calc "$g" 0) / $(calc "$n" 0) req/s = $pct %" ">= 90 %" "$(verdict "$pct" 90)"
done
stop_pid "$NGINX_PID"

# ---------------------------------------------------------------------------------------------
# (d) /healthz p99 while 16 sign-ins run continuously
# ---------------------------------------------------------------------------------------------
code=$(curl -s -o "$WORK/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login")
[[ $code == 200 ]] || die "a test sign-in returned $code: $(cat "$WORK/login.json")"
quiet "(d) healthz under sign-ins"
log "(d) baseline: /healthz alone"
run_wrk "$WORK/wrk-healthz-idle.txt" -t1 -c4 -d"${DUR}s" --latency "$BASE/healthz"
HZ_IDLE_P99=$(percentile_ms "$WORK/wrk-healthz-idle.txt" 99%)

log "(d) 16 concurrent sign-ins for $((DUR + 2)) s, /healthz measured for $DUR s inside that window"
export BENCH_EMAIL=$EMAIL BENCH_PASSWORD=$PASSWORD
log "\$ wrk -t1 -c16 -d$((DUR + 2))s -s tests/bench/login.lua $BASE/api/auth/login"
timeout $((DUR + 60)) wrk -t1 -c16 -d"$((DUR + 2))s" --timeout 10s --latency -s "$BENCH_DIR/login.lua" \
    "$BASE/api/auth/login" >"$WORK/wrk-login.txt" 2>&1 &
LOGIN_WRK=$!
sleep 1
run_wrk "$WORK/wrk-healthz-load.txt" -t1 -c4 -d"${DUR}s" --latency "$BASE/healthz"
wait "$LOGIN_WRK" || die "the sign-in load failed: $(tail -3 "$WORK/wrk-login.txt")"
sed 's/^/    /' "$WORK/wrk-login.txt"
LOGIN_BAD=$(non2xx "$WORK/wrk-login.txt")
[[ $LOGIN_BAD == 0 ]] || log "WARNING: $LOGIN_BAD sign-ins were not 200 (throttled?), the load was lighter than intended"
LOGIN_RPS=$(rps "$WORK/wrk-login.txt")
HZ_LOAD_P99=$(percentile_ms "$WORK/wrk-healthz-load.txt" 99%)
HZ_LOAD_P50=$(percentile_ms "$WORK/wrk-healthz-load.txt" 50%)
log "/healthz p99: $HZ_IDLE_P99 ms alone, $HZ_LOAD_P99 ms (p50 $HZ_LOAD_P50 ms) during $LOGIN_RPS sign-ins/s"
row "(d) /healthz p99 during 16 parallel sign-ins" "$HZ_LOAD_P99 ms (alone: $HZ_IDLE_P99 ms)" "< 20 ms" "$(verdict_le "$HZ_LOAD_P99" 20)"
row "(d) sign-ins/s during that test (non-200: $LOGIN_BAD)" "$(calc "$LOGIN_RPS" 1)/s, p50 $(percentile_ms "$WORK/wrk-login.txt" 50%) ms" "-" "info"

# ---------------------------------------------------------------------------------------------
# (f) client_credentials issuance
# ---------------------------------------------------------------------------------------------
b64url_decode() { # stdin: base64url without padding
    local s
    s=$(tr '_-' '/+')
    case $((${#s} % 4)) in
    2) s+='==' ;;
    3) s+='=' ;;
    esac
    base64 -d <<<"$s"
}

check_token() { # check_token <url> <basic> <expected alg>: one request, 200 and a JWT of that alg
    local body alg
    body=$(curl -fsS -H "Authorization: Basic $2" -d grant_type=client_credentials -d scope=api:read "$1") ||
        die "token request to $1 failed"
    alg=$(jq -r .access_token <<<"$body" | cut -d. -f1 | b64url_decode | jq -r .alg)
    [[ $alg == "$3" ]] || die "$1 issued a $alg token, expected $3"
    log "    $1 issues $3 JWT access tokens ($(jq -r .access_token <<<"$body" | wc -c) bytes)"
}

cc_run() { # cc_run <name> <url> <basic>: warm-up, then the measured run; sets CC_RPS
    export BENCH_BASIC=$3
    log "warm-up 3 s"
    timeout 60 wrk -t"$THREADS" -c"$CONNS" -d3s -s "$BENCH_DIR/token.lua" "$2" >/dev/null 2>&1 || true
    run_wrk "$WORK/wrk-cc-$1.txt" -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$BENCH_DIR/token.lua" "$2"
    CC_RPS=$(rps "$WORK/wrk-cc-$1.txt")
    [[ $(non2xx "$WORK/wrk-cc-$1.txt") == 0 ]] || die "$1: some token requests failed"
}

quiet "(f) client_credentials"
log "(f) client_credentials, RS256"
check_token "$BASE/token" "$(basic "$RS_ID" "$RS_SECRET")" RS256
cc_run gatehouse-rs256 "$BASE/token" "$(basic "$RS_ID" "$RS_SECRET")"
CC_RS=$CC_RPS
CC_RS_PCT=$(calc "100 * $CC_RS / $RS256_LIMIT" 0)
log "RS256: $CC_RS tokens/s = $CC_RS_PCT % of the signing limit $RS256_LIMIT/s"
row "(f) client_credentials RS256, $CONNS conns" "$(calc "$CC_RS" 0)/s = $CC_RS_PCT % of limit, p99 $(percentile_ms "$WORK/wrk-cc-gatehouse-rs256.txt" 99%) ms" ">= 85 %" "$(verdict "$CC_RS_PCT" 85)"

if [[ -n $HAVE_ES256 ]]; then
    log "(f) client_credentials, ES256"
    check_token "$BASE/token" "$(basic "$ES_ID" "$ES_SECRET")" ES256
    cc_run gatehouse-es256 "$BASE/token" "$(basic "$ES_ID" "$ES_SECRET")"
    CC_ES=$CC_RPS
    row "(f) client_credentials ES256, gatehouse" "$(calc "$CC_ES" 0)/s, p99 $(percentile_ms "$WORK/wrk-cc-gatehouse-es256.txt" 99%) ms" "-" "info"
else
    row "(f) client_credentials ES256, gatehouse" "skipped: --signing-alg pending" ">= 5x node" "n/a"
fi
# ---------------------------------------------------------------------------------------------
# (h) introspection of a JWT access token, (i) refresh grant, (j) the whole sign-in
# ---------------------------------------------------------------------------------------------
if [[ -n $HAVE_ES256 ]]; then INTRO_ID=$ES_ID INTRO_SECRET=$ES_SECRET; else INTRO_ID=$RS_ID INTRO_SECRET=$RS_SECRET; fi
INTRO_BASIC=$(basic "$INTRO_ID" "$INTRO_SECRET")
intro_run() { # intro_run <name> <base url> <basic>: one token, then wrk on its introspection endpoint; sets INTRO_RPS
    local token endpoint
    endpoint=$(curl -fsS "$2/.well-known/openid-configuration" | jq -r .introspection_endpoint)
    token=$(curl -fsS -H "Authorization: Basic $3" -d grant_type=client_credentials -d scope=api:read "$2/token" | jq -r .access_token)
    [[ -n $token && $token != null ]] || die "$1: no access token to introspect"
    curl -fsS -H "Authorization: Basic $3" -d "token=$token" "$endpoint" | jq -e '.active == true' >/dev/null ||
        die "$1: the token does not introspect as active"
    export BENCH_BASIC=$3 BENCH_TOKEN=$token
    timeout 60 wrk -t"$THREADS" -c"$CONNS" -d3s -s "$BENCH_DIR/introspect.lua" "$endpoint" >/dev/null 2>&1 || true
    run_wrk "$WORK/wrk-introspect-$1.txt" -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$BENCH_DIR/introspect.lua" "$endpoint"
    [[ $(non2xx "$WORK/wrk-introspect-$1.txt") == 0 ]] || die "$1: some introspections failed"
    INTRO_RPS=$(rps "$WORK/wrk-introspect-$1.txt")
}
quiet "(h) introspection"
log "(h) introspection of a client_credentials JWT access token, client_secret_basic, $CONNS connections"
intro_run gatehouse "$BASE" "$INTRO_BASIC"
INTRO_GH=$INTRO_RPS
row "(h) introspection of a JWT, gatehouse" "$(calc "$INTRO_GH" 0)/s, p99 $(percentile_ms "$WORK/wrk-introspect-gatehouse.txt" 99%) ms" "-" "info"

refresh_run() { # refresh_run <name> <base url>: CONNS refresh tokens from sign-ins, then wrk; sets REFRESH_RPS
    log "(i) $1: $CONNS refresh tokens from complete sign-ins (offline_access)"
    BENCH_REFRESH_TOKENS=$CONNS timeout 600 python3 "$BENCH_DIR/signin_flow.py" "$2" "$WEB_ID" "$WEB_SECRET" \
        "$WEB_REDIRECT" "$EMAIL" "$PASSWORD" >"$WORK/refresh-tokens-$1.txt" ||
        die "$1: could not collect refresh tokens"
    refresh_wrk "$1" "$2" "$(basic "$WEB_ID" "$WEB_SECRET")" "$WORK/refresh-tokens-$1.txt"
}
refresh_wrk() { # refresh_wrk <name> <base url> <basic> <tokens file>: sets REFRESH_RPS, REFRESH_BAD
    export BENCH_BASIC=$3 BENCH_TOKENS=$4 BENCH_THREADS_N=$THREADS
    run_wrk "$WORK/wrk-refresh-$1.txt" -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$BENCH_DIR/refresh.lua" "$2/token"
    REFRESH_RPS=$(rps "$WORK/wrk-refresh-$1.txt")
    REFRESH_BAD=$(non2xx "$WORK/wrk-refresh-$1.txt")
}
quiet "(i) refresh grant, SQLite"
refresh_run gatehouse-sqlite "$BASE"
REFRESH_SQLITE=$REFRESH_RPS
row "(i) refresh_token grant, SQLite, $CONNS conns (non-200: $REFRESH_BAD)" "$(calc "$REFRESH_RPS" 0)/s, p99 $(percentile_ms "$WORK/wrk-refresh-gatehouse-sqlite.txt" 99%) ms" "-" "info"

quiet "(j) whole sign-in"
log "(j) the whole sign-in: authorize -> sign-in page -> code -> token -> userinfo, 16 browsers, $DUR s"
timeout $((DUR + 120)) python3 "$BENCH_DIR/signin_flow.py" "$BASE" "$WEB_ID" "$WEB_SECRET" "$WEB_REDIRECT" \
    "$EMAIL" "$PASSWORD" 16 "$DUR" >"$WORK/signin-flow.txt" 2>&1 || die "the sign-in flows failed: $(tail -3 "$WORK/signin-flow.txt")"
sed 's/^/    /' "$WORK/signin-flow.txt"
FLOW_RATE=$(grep -o 'rate=[0-9.]*' "$WORK/signin-flow.txt" | cut -d= -f2)
FLOW_FAIL=$(grep -o 'failures=[0-9]*' "$WORK/signin-flow.txt" | cut -d= -f2)
# The Argon2 rate: the password sign-ins/s of (d), 16 connections, each one verification.
FLOW_PCT=$(calc "100 * $FLOW_RATE / $LOGIN_RPS" 0)
row "(j) whole sign-in flows/s vs Argon2 verifications/s (failures: $FLOW_FAIL)" "$FLOW_RATE / $(calc "$LOGIN_RPS" 1) = $FLOW_PCT %" ">= 80 %" "$(verdict "$FLOW_PCT" 80)"

# (g) starts from an idle instance, as the budget is stated: a fresh server on the same data
# (the instance above still holds what (i) and (j) left in its caches).
log "RSS after the load tests: $(awk '/^VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$GH_PID/status") (peak VmHWM $(awk '/^VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$GH_PID/status"))"
stop_pid "$GH_PID"
start_idle_server
quiet "(g) memory under a sign-in flood"
log "(g) $CONNS concurrent failed sign-ins (unknown accounts, the dummy hash) for $((DUR * 2)) s, VmRSS sampled every 100 ms, then 10 s idle"
timeout $((DUR * 2 + 120)) python3 "$BENCH_DIR/signin_memory.py" "$BASE" "$GH_PID" "$CONNS" $((DUR * 2)) 10 >"$WORK/signin-memory.txt" 2>&1 ||
    die "the sign-in flood failed: $(tail -3 "$WORK/signin-memory.txt")"
sed 's/^/    /' "$WORK/signin-memory.txt"
mem() { grep -o "$1=[0-9.]*" "$WORK/signin-memory.txt" | cut -d= -f2; }
row "(g) RSS peak, $CONNS parallel failed sign-ins" "$(mem rss_peak_mib) MiB (idle $(mem rss_idle_mib)), $(mem rate)/s" "< 64 MiB" "$(verdict_le "$(mem rss_peak_mib)" 64)"
row "(g) RSS 10 s after the flood" "$(mem rss_after_10s_mib) MiB" "< idle + 8 MiB" "$(verdict_le "$(mem rss_after_10s_mib)" "$(calc "$(mem rss_idle_mib) + 8" 1)")"
stop_pid "$GH_PID"

if [[ -n ${BENCH_PG_URL:-} ]]; then
    # (i) again on PostgreSQL: a scratch database, its own server, the same data set up.
    PG_DB="gatehouse_bench_$(tr 'A-Z' 'a-z' <<<"$STAMP")"
    psql "$BENCH_PG_URL" -qc "CREATE DATABASE $PG_DB" || die "cannot create $PG_DB on BENCH_PG_URL"
    export DATABASE_URL="${BENCH_PG_URL%/*}/$PG_DB"
    PG_PORT=$(free_port)
    PG_BASE="http://127.0.0.1:$PG_PORT"
    export GATEHOUSE_SERVER__PORT=$PG_PORT GATEHOUSE_SERVER__PUBLIC_URL=$PG_BASE
    "$BIN" org create --slug bench --name Bench >/dev/null
    "$BIN" service create --org bench --slug web --name Web --first-party "${WEB_ALG[@]}" \
        --grant-type authorization_code --grant-type refresh_token --redirect-uri "$WEB_REDIRECT" --json >"$WORK/web-pg.json"
    WEB_ID=$(jq -r .client_id "$WORK/web-pg.json")
    WEB_SECRET=$(jq -r .client_secret "$WORK/web-pg.json")
    printf '%s\n' "$PASSWORD" | "$BIN" user create --email "$EMAIL" --password-stdin --verified >/dev/null
    "$BIN" serve >>"$WORK/serve-pg.log" 2>&1 &
    PG_PID=$!
    STARTED+=("$PG_PID")
    wait_http "$PG_BASE/healthz" "$PG_PID" 60
    quiet "(i) refresh grant, PostgreSQL"
    refresh_run gatehouse-postgres "$PG_BASE"
    REFRESH_PG=$REFRESH_RPS
    row "(i) refresh_token grant, PostgreSQL, $CONNS conns (non-200: $REFRESH_BAD)" "$(calc "$REFRESH_RPS" 0)/s, p99 $(percentile_ms "$WORK/wrk-refresh-gatehouse-postgres.txt" 99%) ms" "-" "info"
    stop_pid "$PG_PID"
    unset DATABASE_URL
    psql "$BENCH_PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB" || log "NOTE: could not drop $PG_DB"
fi

NODE_OK=
if [[ -z ${BENCH_SKIP_NODE:-} ]]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        log "NOTE: node/npm not installed: node-oidc-provider skipped"
    else
        if [[ ! -d $NODE_DIR/node_modules/oidc-provider ]]; then
            [[ -z ${BENCH_NO_INSTALL:-} ]] || die "oidc-provider is not installed in $NODE_DIR"
            log "\$ npm install oidc-provider (into $NODE_DIR)"
            mkdir -p "$NODE_DIR"
            [[ -f $NODE_DIR/package.json ]] || echo '{"private":true}' >"$NODE_DIR/package.json"
            timeout 300 npm install --prefix "$NODE_DIR" --no-audit --no-fund oidc-provider >/dev/null 2>&1 ||
                die "npm install oidc-provider failed"
        fi
        cp "$BENCH_DIR/oidc-provider-server.mjs" "$NODE_DIR/"
        NODE_PORT=$(free_port)
        NODE_SECRET=bench-node-secret-0123456789abcdef
        PORT=$NODE_PORT CLIENT_ID=machine CLIENT_SECRET=$NODE_SECRET node "$NODE_DIR/oidc-provider-server.mjs" >"$WORK/node.log" 2>&1 &
        NODE_PID=$!
        STARTED+=("$NODE_PID")
        wait_http "http://127.0.0.1:$NODE_PORT/.well-known/openid-configuration" "$NODE_PID" 30
        log "(f) node-oidc-provider $(jq -r .version "$NODE_DIR/node_modules/oidc-provider/package.json") on node $(node --version), one process, ES256 JWT access tokens"
        check_token "http://127.0.0.1:$NODE_PORT/token" "$(basic machine "$NODE_SECRET")" ES256
        cc_run node-es256 "http://127.0.0.1:$NODE_PORT/token" "$(basic machine "$NODE_SECRET")"
        CC_NODE=$CC_RPS
        NODE_OK=1
        stop_pid "$NODE_PID"
        INTROSPECTION=1 PORT=$NODE_PORT CLIENT_ID=machine CLIENT_SECRET=$NODE_SECRET node "$NODE_DIR/oidc-provider-server.mjs" >"$WORK/node-introspect.log" 2>&1 &
        NODE_PID=$!
        STARTED+=("$NODE_PID")
        wait_http "http://127.0.0.1:$NODE_PORT/.well-known/openid-configuration" "$NODE_PID" 30
        log "(h) node-oidc-provider introspection (its own stored, opaque access tokens: it introspects no JWT it issued)"
        intro_run node "http://127.0.0.1:$NODE_PORT" "$(basic machine "$NODE_SECRET")"
        INTRO_NODE=$INTRO_RPS
        stop_pid "$NODE_PID"
        row "(h) introspection, node-oidc-provider" "$(calc "$INTRO_NODE" 0)/s, p99 $(percentile_ms "$WORK/wrk-introspect-node.txt" 99%) ms" "-" "info"
        x=$(calc "$INTRO_GH / $INTRO_NODE" 2)
        row "(h) introspection gatehouse / node-oidc-provider" "${x}x" ">= 5x" "$(verdict "$x" 5)"
        REFRESH_SEEDS=$CONNS REFRESH_TOKENS_FILE="$WORK/refresh-tokens-node.txt" PORT=$NODE_PORT CLIENT_ID=machine \
            CLIENT_SECRET=$NODE_SECRET node "$NODE_DIR/oidc-provider-server.mjs" >"$WORK/node-refresh.log" 2>&1 &
        NODE_PID=$!
        STARTED+=("$NODE_PID")
        wait_http "http://127.0.0.1:$NODE_PORT/.well-known/openid-configuration" "$NODE_PID" 30
        quiet "(i) refresh grant, node-oidc-provider"
        log "(i) node-oidc-provider refresh grant (rotation; in-memory adapter, opaque access token, one ES256 ID token)"
        refresh_wrk node "http://127.0.0.1:$NODE_PORT" "$(basic web "$NODE_SECRET")" "$WORK/refresh-tokens-node.txt"
        REFRESH_NODE=$REFRESH_RPS
        stop_pid "$NODE_PID"
        row "(i) refresh_token grant, node-oidc-provider (non-200: $REFRESH_BAD)" "$(calc "$REFRESH_NODE" 0)/s, p99 $(percentile_ms "$WORK/wrk-refresh-node.txt" 99%) ms" "-" "info"
        x=$(calc "$REFRESH_SQLITE / $REFRESH_NODE" 2)
        row "(i) refresh grant gatehouse SQLite / node-oidc-provider" "${x}x" ">= 1x" "$(verdict "$x" 1)"
        if [[ -n ${REFRESH_PG:-} ]]; then
            x=$(calc "$REFRESH_PG / $REFRESH_NODE" 2)
            row "(i) refresh grant gatehouse PostgreSQL / node-oidc-provider" "${x}x" ">= 1x" "$(verdict "$x" 1)"
        fi
        row "(f) client_credentials ES256, node-oidc-provider" "$(calc "$CC_NODE" 0)/s, p99 $(percentile_ms "$WORK/wrk-cc-node-es256.txt" 99%) ms" "-" "info"
        if [[ -n $HAVE_ES256 ]]; then
            x=$(calc "$CC_ES / $CC_NODE" 2)
            row "(f) ES256 gatehouse / node-oidc-provider" "${x}x" ">= 5x" "$(verdict "$x" 5)"
        else
            x=$(calc "$CC_RS / $CC_NODE" 2)
            row "(f) gatehouse RS256 / node ES256 (ES256 pending)" "${x}x" "(>= 5x, ES256 vs ES256)" "n/a"
        fi
    fi
fi

# ---------------------------------------------------------------------------------------------
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Summary ($STAMP, $CORES cores, wrk on the same cores; ${DUR}s per wrk run)"
{
    echo "measurement|measured|target|status"
    printf '%s\n' "${RESULTS[@]}"
} | awk -F'|' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
    END {
        for (r = 1; r <= NR; r++) {
            line = "| "
            for (i = 1; i <= 4; i++) line = line sprintf("%-" w[i] "s | ", cell[r, i])
            print line
            if (r == 1) {
                line = "|"
                for (i = 1; i <= 4; i++) { d = ""; for (k = 0; k < w[i] + 2; k++) d = d "-"; line = line d "|" }
                print line
            }
        }
    }'
echo
echo "machine busy with other work before each phase: $(IFS=';'; echo "${BUSY_LOG[*]}")"
echo "full log: $LOG"
