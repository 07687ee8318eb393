#!/usr/bin/env bash
# Per-user costs on this machine, the inputs of docs/SCALING.md:
#   1. store writes/s one redis-server master takes from the ingester's writer (bench/Micro flush)
#   2. store memory per online user: INFO memory used_memory delta for 1M presence keys
#      (presence:<id>, a 13-digit value, an expiry), as the ingester writes them
#   3. ingest CPU per 100K heartbeats/s: utime+stime of the Release ingest (/proc/PID/stat) over a
#      steady window of a capped udp-blast run (bench/tools/udp-blast.c), 1 record per datagram (devices) and 10 (gateways);
#      redis-server's CPU over the same window (it takes one SET per user per flush window)
# Only 127.0.0.1 is targeted; each load is bounded (SECONDS); every process started is ended by pid.
# Use: bench/sizing/measure.sh [SECONDS=20] [RATE_HEARTBEATS_PER_S=100000]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-20}
RATE=${2:-100000}
work=$(mktemp -d)
started=()
end() { kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
trap 'for p in "${started[@]}"; do end "$p"; done; rm -rf "$work"' EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(redis-server --version | cut -d' ' -f3); load average $(cut -d' ' -f1-3 /proc/loadavg)"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no --dir "$work" --logfile "" >/dev/null &
redis=$!
started+=("$redis")
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
rcli() { redis-cli -p "$port" "$@"; }

echo
echo "== 1. store writes/s per master: dotnet run -c Release --project bench/Micro -- flush --redis 127.0.0.1:$port --users 1000000 --runs 3"
dotnet run -c Release --project bench/Micro -- flush --redis "127.0.0.1:$port" --users 1000000 --runs 3 2>&1 | grep -E "^(run|median)"

echo
echo "== 2. store memory per online user (1M keys presence:<id> = 13 digits, PX 600000)"
rcli flushall >/dev/null
rcli memory purge >/dev/null 2>&1 || true
before=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
python3 - "$((1000000))" >"$work/set.resp" <<'EOF'
import sys, time
n = int(sys.argv[1]); now = str(int(time.time() * 1000)).encode()
out = sys.stdout.buffer
for i in range(1, n + 1):
    k = b"presence:%d" % i
    out.write(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$6\r\n600000\r\n" % (len(k), k, len(now), now))
EOF
rcli --pipe <"$work/set.resp" | tail -1
after=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
echo "keys $(rcli dbsize); used_memory $before -> $after; per key $(( (after - before) / 1000000 )) bytes; MEMORY USAGE presence:1 = $(rcli memory usage presence:1) bytes; RSS $(awk '/^VmRSS:/ {print $2}' /proc/$redis/status) kB"
rcli flushall >/dev/null

echo
echo "== 3. ingest CPU at $RATE heartbeats/s (1M users cycling), steady window of $((SECONDS_PER_RUN - 6)) s"
cc -O2 -o "$work/udp-blast" bench/tools/udp-blast.c
dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
for per_frame in 1 10; do
  udp=$(free_port); http=$(free_port)
  dotnet src/Ingest/bin/Release/net10.0/presence-ingest.dll --udp "127.0.0.1:$udp" --http "127.0.0.1:$http" --redis "127.0.0.1:$port" >"$work/ingest.log" 2>&1 &
  ingest=$!
  started+=("$ingest")
  until curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do sleep 0.1; done
  "$work/udp-blast" 127.0.0.1 "$udp" "$SECONDS_PER_RUN" "$per_frame" 1000000 64 $((RATE / per_frame)) >"$work/flood" &
  flood=$!
  started+=("$flood")
  sleep 3 # warm-up: JIT, tiered compilation, first windows
  i0=$(cpu "$ingest"); r0=$(cpu "$redis"); w0=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_store_writes_total{result=\"ok\"}" {print $2}'); t0=$(date +%s.%N)
  sleep $((SECONDS_PER_RUN - 6))
  i1=$(cpu "$ingest"); r1=$(cpu "$redis"); w1=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_store_writes_total{result=\"ok\"}" {print $2}'); t1=$(date +%s.%N)
  wait "$flood"
  curl -s "http://127.0.0.1:$http/metrics" >"$work/metrics"
  kill -TERM "$ingest"; wait "$ingest" 2>/dev/null || true
  awk -v i0="$i0" -v i1="$i1" -v r0="$r0" -v r1="$r1" -v w0="$w0" -v w1="$w1" -v t0="$t0" -v t1="$t1" -v hz="$ticks" -v k="$per_frame" -v rate="$RATE" '
    BEGIN {
      s = t1 - t0; ic = (i1 - i0) / hz / s; rc = (r1 - r0) / hz / s; ws = (w1 - w0) / s
      printf "%2d record(s)/datagram: ingest %.2f cores (%.2f per 100K heartbeats/s); redis %.2f cores at %.0f writes/s (%.2f per 100K writes/s)\n", k, ic, ic * 100000 / rate, rc, ws, rc * 100000 / ws
    }'
  grep -E '^presence_(frames_received_total|udp_kernel_drops_total|records_dropped_total)' "$work/metrics" | tr '\n' ' '; echo
done
