#!/usr/bin/env bash
# Query benchmark (not a test). A redis-server of its own on a free port holds USERS online users;
# presence-query (Release) answers in front of it; h2load drives it over HTTP/1.1 with one request
# in flight per connection (no pipelining), beside redis-benchmark on the same keys:
#   batch:  GET /v1/presence?ids=<BATCH random ids>   against  redis-benchmark MGET of BATCH random keys
#   single: GET /v1/presence/<random id>              against  redis-benchmark GET of a random key
# Two measurements, each RUNS times (default 3), medians printed:
#   1. throughput: as fast as CONNECTIONS connections go, for DURATION seconds (at most 10), with
#      redis-benchmark's rate at the same connection count right after it, and the ratio of the two;
#   2. cost: a FIXED request rate (RATE_BATCH, RATE_SINGLE requests/s over CONNECTIONS connections) and
#      the CPU time presence-query and redis-server spent per request, from /proc. CPU per request at a
#      fixed rate is what other load on a shared machine disturbs least (the load average is printed), with
#      each process's context switches per request (every thread's, from /proc/<pid>/task/*/status);
#      and the same for GET /healthz at both rates: the floor of Kestrel and the middleware on this machine.
# The keys are presence:<id as 12 digits> (redis-benchmark's __rand_int__), and the service runs with
# --prefix presence:000000 over 6-digit ids, so both ask for the same keys byte for byte.
# QUERY_BIN runs a prebuilt presence-query (e.g. an older build, for before/after); QUERY_ARGS adds options.
# Needs: redis-server, redis-cli, redis-benchmark, h2load (nghttp2-client), curl, python3, the .NET SDK.
# Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-1000000}
BATCH=${BATCH:-50}
RUNS=${RUNS:-3}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-32}
RATE_BATCH=${RATE_BATCH:-2000}
RATE_SINGLE=${RATE_SINGLE:-4000}
MGET_REQUESTS=${MGET_REQUESTS:-100000}
GET_REQUESTS=${GET_REQUESTS:-300000}
QUERY_ARGS=${QUERY_ARGS:-}
[ "$DURATION" -le 10 ] || { echo "DURATION is at most 10 s (a shared 2-core machine)" >&2; exit 2; }
[ "$USERS" = 1000000 ] || { echo "USERS is 1000000 (6-digit ids under the 12-digit keys redis-benchmark makes)" >&2; exit 2; }
for tool in redis-server redis-cli redis-benchmark h2load curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (h2load: apt-get install nghttp2-client)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, in clock ticks
# Context switches (voluntary and not) of every thread the process has now: a thread that exits between two reads
# takes its count with it, so a figure from two reads is a lower bound.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
per_request() { awk -v d="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? d / n : 0) }'; }
ticks_per_second=$(getconf CLK_TCK)
per_request_us() { awk -v d="$1" -v n="$2" -v t="$ticks_per_second" 'BEGIN { printf "%.1f", (n > 0 ? d * 1e6 / t / n : 0) }'; }

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
echo "kernel: $(uname -r)"
echo "redis: $(redis-server --version | awk '{ print $3 }')  h2load: $(h2load --version | awk '{ print $2 }')  dotnet: $(dotnet --version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average: $(load)"

if [ -n "${QUERY_BIN:-}" ]; then
  query_bin=$QUERY_BIN
else
  echo "== build: dotnet build src/Query -c Release"
  dotnet build src/Query -c Release -nologo -v:q -clp:NoSummary >/dev/null
  query_bin=src/Query/bin/Release/net10.0/presence-query
fi

redis_port=$(free_port)
echo "== redis-server on 127.0.0.1:$redis_port, loading $USERS online users"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
pids+=($redis_pid)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
now_ms=$(($(date +%s) * 1000))
# SET presence:<12 digits> <ms> PX 3600000 (an hour: everyone stays online through the run), as RESP, piped in bulk.
awk -v n="$USERS" -v now="$now_ms" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = sprintf("presence:%012d", i); v = sprintf("%.0f", now - (i % 30000))
    printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$7\r\n3600000\r\n", length(k), k, length(v), v
  }
}' | redis-cli -p "$redis_port" --pipe | tail -1
echo "keys: $(redis-cli -p "$redis_port" dbsize)"

# The store alone: redis-server's CPU per MGET of BATCH random keys sent by redis-cli --pipe (no HTTP, no .NET).
awk -v n=20000 -v users="$USERS" -v b="$BATCH" 'BEGIN { srand(7); for (r = 0; r < n; r++) {
  printf "*%d\r\n$4\r\nMGET\r\n", b + 1
  for (j = 0; j < b; j++) { k = sprintf("presence:%012d", int(rand() * users)); printf "$%d\r\n%s\r\n", length(k), k } } }' >"$work/mget.resp"
t0=$(cpu_ticks "$redis_pid")
redis-cli -p "$redis_port" --pipe <"$work/mget.resp" >/dev/null
t1=$(cpu_ticks "$redis_pid")
echo "store alone (redis-cli --pipe, 20000 x MGET of $BATCH random keys): $(per_request_us $((t1 - t0)) 20000) us of redis-server CPU per MGET"

query_port=$(free_port)
base="http://127.0.0.1:$query_port"
echo "== presence-query on 127.0.0.1:$query_port"
echo "$query_bin --http 127.0.0.1:$query_port --redis 127.0.0.1:$redis_port --prefix presence:000000 $QUERY_ARGS"
# shellcheck disable=SC2086 # QUERY_ARGS is a list of options
"$query_bin" --http "127.0.0.1:$query_port" --redis "127.0.0.1:$redis_port" --prefix presence:000000 $QUERY_ARGS >"$work/query.log" 2>&1 &
query_pid=$!
pids+=($query_pid)
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$base/readyz" >/dev/null || { cat "$work/query.log"; exit 1; }
echo "sample: $(curl -s "$base/v1/presence?ids=100000,100001")"

# 2000 prepared requests each, of uniformly random ids in 100000 … 999999 (keys presence:000000<id>), cycled.
awk -v base="$base" -v b="$BATCH" 'BEGIN { srand(11); for (r = 0; r < 2000; r++) {
  printf "%s/v1/presence?ids=", base
  for (j = 0; j < b; j++) printf "%s%d", (j ? "," : ""), 100000 + int(rand() * 900000)
  printf "\n" } }' >"$work/batch.urls"
awk -v base="$base" 'BEGIN { srand(13); for (r = 0; r < 2000; r++) printf "%s/v1/presence/%d\n", base, 100000 + int(rand() * 900000) }' >"$work/single.urls"
# The floor: GET /healthz answers "ok" through the same Kestrel and middleware, asking no store and parsing no ids.
for _ in $(seq 2000); do echo "$base/healthz"; done >"$work/floor.urls"
mget_args=$(for _ in $(seq "$BATCH"); do printf 'presence:__rand_int__ '; done)

# h2load, one request in flight per connection: prints "rps p50_ms p99_ms succeeded failed".
h2() { # urls duration [extra h2load options…]
  local urls=$1 duration=$2 out
  shift 2
  out=$(h2load --h1 -c "$CONNECTIONS" -m 1 -D "$duration" -i "$urls" --log-file="$work/h2.log" "$@" 2>&1)
  local rps ok failed
  rps=$(echo "$out" | sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
  ok=$(echo "$out" | sed -n 's/.* \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1/p')
  # failed: not answered, or answered with anything but 2xx
  failed=$(echo "$out" | awk '/^requests:/ { total = $2 } /^status codes:/ { ok = $3 } END { print total - ok }')
  read -r p50 p99 < <(cut -f3 "$work/h2.log" | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
  echo "$rps $p50 $p99 ${ok:-0} ${failed:-0}"
}
rb() { # requests command… -> requests/s of redis-benchmark at the same connection count, no pipelining
  local n=$1
  shift
  redis-benchmark -p "$redis_port" -c "$CONNECTIONS" -n "$n" -r "$USERS" -P 1 --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'
}

echo "== throughput, $CONNECTIONS connections (load average before: $(load))"
echo "   h2load --h1 -c $CONNECTIONS -m 1 -D $DURATION -i <2000 prepared URLs>"
echo "   redis-benchmark -c $CONNECTIONS -P 1 -r $USERS -n $MGET_REQUESTS MGET presence:__rand_int__ … ($BATCH keys)   and   -n $GET_REQUESTS GET presence:__rand_int__"
# Warm-up: the JIT's tiers and PGO settle in the first seconds, and would count against run 1.
h2 "$work/batch.urls" 5 >/dev/null
h2 "$work/single.urls" 5 >/dev/null
: >"$work/throughput"
for run in $(seq "$RUNS"); do
  read -r b_rps b_p50 b_p99 b_ok b_failed < <(h2 "$work/batch.urls" "$DURATION")
  # shellcheck disable=SC2086 # the MGET's keys
  m_rps=$(rb "$MGET_REQUESTS" MGET $mget_args)
  read -r s_rps s_p50 s_p99 s_ok s_failed < <(h2 "$work/single.urls" "$DURATION")
  g_rps=$(rb "$GET_REQUESTS" GET presence:__rand_int__)
  b_ratio=$(awk -v a="$b_rps" -v b="$m_rps" 'BEGIN { printf "%.2f", a / b }')
  s_ratio=$(awk -v a="$s_rps" -v b="$g_rps" 'BEGIN { printf "%.2f", a / b }')
  echo "   run $run: batch $b_rps req/s (p50 $b_p50 p99 $b_p99 ms, $b_failed failed) / MGET $m_rps = $b_ratio;" \
    "single $s_rps req/s (p50 $s_p50 p99 $s_p99 ms, $s_failed failed) / GET $g_rps = $s_ratio"
  echo "$b_rps $b_p99 $m_rps $b_ratio $s_rps $s_p99 $g_rps $s_ratio" >>"$work/throughput"
done

echo "== cost at a fixed rate: batch $RATE_BATCH req/s, single $RATE_SINGLE req/s over $CONNECTIONS connections (load average before: $(load))"
echo "   h2load --h1 -c $CONNECTIONS -m 1 -D $DURATION --rps <rate / $CONNECTIONS per connection> -i <2000 prepared URLs>"
fixed() { # name urls rate -> one line per run: "rps query_us redis_us query_switches redis_switches"
  local name=$1 urls=$2 rate=$3 per
  per=$(awk -v r="$rate" -v c="$CONNECTIONS" 'BEGIN { printf "%.2f", r / c }')
  h2 "$urls" 5 --rps "$per" >/dev/null
  : >"$work/$name"
  for run in $(seq "$RUNS"); do
    local q0 r0 q1 r1 qs0 rs0 qs1 rs1 rps p50 p99 ok failed
    q0=$(cpu_ticks "$query_pid"); r0=$(cpu_ticks "$redis_pid"); qs0=$(switches "$query_pid"); rs0=$(switches "$redis_pid")
    read -r rps p50 p99 ok failed < <(h2 "$urls" "$DURATION" --rps "$per")
    q1=$(cpu_ticks "$query_pid"); r1=$(cpu_ticks "$redis_pid"); qs1=$(switches "$query_pid"); rs1=$(switches "$redis_pid")
    echo "   $name run $run: $rps req/s (p50 $p50 p99 $p99 ms, $failed failed), presence-query $(per_request_us $((q1 - q0)) "$ok") us and redis-server $(per_request_us $((r1 - r0)) "$ok") us CPU per request," \
      "$(per_request $((qs1 - qs0)) "$ok") and $(per_request $((rs1 - rs0)) "$ok") context switches per request"
    echo "$rps $(per_request_us $((q1 - q0)) "$ok") $(per_request_us $((r1 - r0)) "$ok") $(per_request $((qs1 - qs0)) "$ok") $(per_request $((rs1 - rs0)) "$ok")" >>"$work/$name"
  done
}
fixed batch "$work/batch.urls" "$RATE_BATCH"
fixed single "$work/single.urls" "$RATE_SINGLE"
fixed floor_batch "$work/floor.urls" "$RATE_BATCH"
fixed floor_single "$work/floor.urls" "$RATE_SINGLE"

col() { awk -v c="$2" '{ print $c }' "$work/$1" | median; }
echo "== medians of $RUNS runs (load average after: $(load))"
printf "throughput, batch (%d ids): %8.0f req/s  p99 %6.2f ms   redis-benchmark MGET-%d: %8.0f req/s   ratio %s\n" \
  "$BATCH" "$(col throughput 1)" "$(col throughput 2)" "$BATCH" "$(col throughput 3)" "$(col throughput 4)"
printf "throughput, single:          %8.0f req/s  p99 %6.2f ms   redis-benchmark GET:     %8.0f req/s   ratio %s\n" \
  "$(col throughput 5)" "$(col throughput 6)" "$(col throughput 7)" "$(col throughput 8)"
printf "CPU per request at %s batch req/s:  presence-query %s us, redis-server %s us; context switches per request %s and %s\n" \
  "$(col batch 1)" "$(col batch 2)" "$(col batch 3)" "$(col batch 4)" "$(col batch 5)"
printf "CPU per request at %s single req/s: presence-query %s us, redis-server %s us; context switches per request %s and %s\n" \
  "$(col single 1)" "$(col single 2)" "$(col single 3)" "$(col single 4)" "$(col single 5)"
printf "the floor, GET /healthz (no store, no ids): presence-query %s us at %s req/s, %s us at %s req/s; context switches per request %s and %s\n" \
  "$(col floor_batch 2)" "$(col floor_batch 1)" "$(col floor_single 2)" "$(col floor_single 1)" "$(col floor_batch 4)" "$(col floor_single 4)"
