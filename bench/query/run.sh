#!/usr/bin/env bash
# End-to-end query benchmark (not a test): a redis-server of its own on a free port holding
# 1M online users, presence-query (Release) in front of it, and wrk against it:
#   batch:  GET /v1/presence?ids=<50 random ids>     (requests/s, p99)
#   single: GET /v1/presence/<random id>             (requests/s, p99)
# Each is run RUNS times (default 3) for DURATION seconds (default 8, at most 10) after a short
# warm-up; the medians are printed with the ids/s ratio batch/single, and the CPU time the service
# and redis-server spent per request (from /proc: less sensitive than req/s to other load on the
# machine, which the load average before and after is printed to judge).
# Needs: redis-server, redis-cli, wrk, curl, the .NET SDK. Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${USERS:-1000000}
BATCH=${BATCH:-50}
RUNS=${RUNS:-3}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
[ "$DURATION" -le 10 ] || { echo "DURATION is at most 10 s (a shared 2-core machine)" >&2; exit 2; }

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

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
echo "redis: $(redis-server --version | awk '{ print $3 }')  wrk: $(wrk --version 2>&1 | head -1 | awk '{ print $2 }')  dotnet: $(dotnet --version)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "== build"
dotnet build src/Query -c Release -nologo -v:q -clp:NoSummary >/dev/null
query_bin=src/Query/bin/Release/net10.0/presence-query

redis_port=$(free_port)
echo "== redis-server on 127.0.0.1:$redis_port, loading $USERS online users"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
pids+=($redis_pid)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
now_ms=$(($(date +%s) * 1000))
# RESP for SET presence:<id> <ms> PX 3600000 (an hour: everyone stays online through the run), piped in bulk.
awk -v n="$USERS" -v now="$now_ms" 'BEGIN {
  for (i = 1; i <= n; i++) {
    k = "presence:" i; v = sprintf("%.0f", now - (i % 30000))
    printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$7\r\n3600000\r\n", length(k), k, length(v), v
  }
}' | redis-cli -p "$redis_port" --pipe | tail -1
echo "keys: $(redis-cli -p "$redis_port" dbsize)"

# The store alone, for the ceiling: redis-server's CPU per MGET of BATCH random keys, sent by
# redis-cli --pipe (no HTTP, no .NET), against the full keyspace and against 1000 hot keys.
store_alone() { # users -> CPU us per MGET
  awk -v n=20000 -v users="$1" -v b="$BATCH" 'BEGIN { srand(7); for (r = 0; r < n; r++) {
    printf "*%d\r\n$4\r\nMGET\r\n", b + 1
    for (j = 0; j < b; j++) { k = "presence:" int(1 + rand() * users); printf "$%d\r\n%s\r\n", length(k), k } } }' >"$work/mget.resp"
  local t0 t1
  t0=$(awk '{ print $14 + $15 }' "/proc/$redis_pid/stat")
  redis-cli -p "$redis_port" --pipe <"$work/mget.resp" >/dev/null
  t1=$(awk '{ print $14 + $15 }' "/proc/$redis_pid/stat")
  awk -v d=$((t1 - t0)) -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", d * 1e6 / t / 20000 }'
}
echo "store alone (redis-cli --pipe, 20000 x MGET of $BATCH keys): $(store_alone "$USERS") us CPU per MGET over $USERS keys, $(store_alone 1000) us over 1000 hot keys"

query_port=$(free_port)
echo "== presence-query on 127.0.0.1:$query_port"
"$query_bin" --http "127.0.0.1:$query_port" --redis "127.0.0.1:$redis_port" >"$work/query.log" 2>&1 &
query_pid=$!
pids+=($query_pid)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$query_port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$query_port/readyz" >/dev/null || { cat "$work/query.log"; exit 1; }
base="http://127.0.0.1:$query_port"
echo "sample: $(curl -s "$base/v1/presence?ids=1,2,$((USERS + 1))")"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, in clock ticks
ticks_per_second=$(getconf CLK_TCK)

run() { # name batch -> prints one RESULT line per run, keeps them in $work/name
  local name=$1 batch=$2
  echo "-- $name: USERS=$USERS BATCH=$batch wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s -s bench/query/ids.lua $base"
  # Warm-up: the JIT's tiers and PGO settle in the first seconds, and would count against run 1.
  USERS=$USERS BATCH=$batch wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/query/ids.lua "$base" >/dev/null
  : >"$work/$name"
  for run in $(seq "$RUNS"); do
    local line q0 r0 q1 r1 n
    q0=$(cpu_ticks "$query_pid"); r0=$(cpu_ticks "$redis_pid")
    line=$(USERS=$USERS BATCH=$batch wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/query/ids.lua "$base" | grep '^RESULT')
    q1=$(cpu_ticks "$query_pid"); r1=$(cpu_ticks "$redis_pid")
    n=$(echo "$line" | sed 's/.* requests=\([0-9]*\).*/\1/')
    line="$line query_cpu_us=$(awk -v d=$((q1 - q0)) -v n="$n" -v t="$ticks_per_second" 'BEGIN { printf "%.1f", d * 1e6 / t / n }') redis_cpu_us=$(awk -v d=$((r1 - r0)) -v n="$n" -v t="$ticks_per_second" 'BEGIN { printf "%.1f", d * 1e6 / t / n }')"
    echo "   run $run: ${line#RESULT }"
    echo "$line" >>"$work/$name"
  done
}
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$work/$1" | median; }

echo "== runs (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
run batch "$BATCH"
run single 1

batch_rps=$(field batch rps); batch_p99=$(field batch p99_ms)
single_rps=$(field single rps); single_p99=$(field single p99_ms)
echo "== medians of $RUNS runs (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf "batch  (%d ids):  %8.0f req/s  p99 %6.2f ms  = %10.0f ids/s\n" "$BATCH" "$batch_rps" "$batch_p99" "$(awk -v r="$batch_rps" -v b="$BATCH" 'BEGIN { print r * b }')"
printf "single (1 id):    %8.0f req/s  p99 %6.2f ms  = %10.0f ids/s\n" "$single_rps" "$single_p99" "$single_rps"
printf "CPU per request, service / redis-server: batch %s / %s us, single %s / %s us\n" \
  "$(field batch query_cpu_us)" "$(field batch redis_cpu_us)" "$(field single query_cpu_us)" "$(field single redis_cpu_us)"
printf "ratio ids/s batch/single: %.1fx\n" "$(awk -v r="$batch_rps" -v b="$BATCH" -v s="$single_rps" 'BEGIN { print r * b / s }')"
