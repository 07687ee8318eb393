#!/usr/bin/env bash
# Store memory per online user with events on (docs/PERFORMANCE.md, "Store memory per online user";
# docs/EVENTS.md, "Costs"): a redis-server of its own, presence-ingest with its defaults (events
# on), presence-loadgen sending USERS users × 10 s for SECONDS; then, with the ingest still running,
# INFO memory's used_memory per online user and per key (DBSIZE: what bench/EndToEnd --parts seed
# prints) and what each part takes (MEMORY USAGE of the events log, of every 64th online-set hash
# scaled up); then SIGTERM to the ingest and the same again: a stopping ingester hands the users it
# watches to the store (…:orphans) until another adopts them.
# Each run twice, with the store's list-compress-depth 0 (Redis' default) and 1 (what DEPLOY.md
# sets up), in turns; RUNS rounds, medians at the end.
# Only 127.0.0.1 is targeted; every process started here is ended by pid.
# Use: bench/sizing/events-memory.sh [USERS=1000000] [SECONDS=25] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-1000000}
SECONDS_SENT=${2:-25}
RUNS=${3:-3}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); redis-server $(redis-server --version | cut -d' ' -f3 | cut -d= -f2); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $0 $USERS $SECONDS_SENT $RUNS"
echo "== dotnet build -c Release src/Ingest src/LoadGen"
dotnet build -c Release src/Ingest -nologo -v:q -clp:NoSummary >/dev/null
dotnet build -c Release src/LoadGen -nologo -v:q -clp:NoSummary >/dev/null
ingest_dll=src/Ingest/bin/Release/net10.0/presence-ingest.dll
loadgen_dll=src/LoadGen/bin/Release/net10.0/presence-loadgen.dll
free_port() { python3 -c 'import socket,sys;s=socket.socket(socket.AF_INET,getattr(socket,"SOCK_"+sys.argv[1]));s.bind(("127.0.0.1",0));print(s.getsockname()[1])' "$1"; }
tag='{presence:events}'

run() { # depth -> one line: depth used_running per_user per_key log_B online_B rest_B used_stopped orphans_B
  local depth=$1 port udp http redis ingest
  port=$(free_port STREAM); udp=$(free_port DGRAM); http=$(free_port STREAM)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no \
    --dir "$work" --logfile "" --list-compress-depth "$depth" >/dev/null &
  redis=$!; pids+=("$redis")
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
  rcli() { redis-cli -p "$port" "$@"; }
  local base; base=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  dotnet "$ingest_dll" --udp "127.0.0.1:$udp" --http "127.0.0.1:$http" --redis "127.0.0.1:$port" --ttl 30 >"$work/ingest.log" 2>&1 &
  ingest=$!; pids+=("$ingest")
  local deadline=$((SECONDS + 30))
  until python3 -c 'import sys,urllib.request;urllib.request.urlopen(sys.argv[1],timeout=1)' "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "presence-ingest did not get ready:" >&2; cat "$work/ingest.log" >&2; exit 1; }
    sleep 0.2
  done
  dotnet "$loadgen_dll" --target "127.0.0.1:$udp" --users "$USERS" --interval 10 --duration "$SECONDS_SENT" >"$work/loadgen.log" 2>&1
  # Every user online in the store, and the log's lines of their onlines appended (the online count caught up).
  deadline=$((SECONDS + 30))
  until [ "$(rcli hget "$tag:count" n)" = "$USERS" ]; do
    [ $SECONDS -lt $deadline ] || { echo "the events log's online count did not reach $USERS: $(rcli hget "$tag:count" n)" >&2; exit 1; }
    sleep 0.2
  done
  local used keys log online sample=0 i
  used=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  keys=$(rcli dbsize)
  log=$(rcli memory usage "$tag:log" samples 0)
  for ((i = 0; i < 16384; i += 64)); do local one; one=$(rcli memory usage "$tag:on:$i" samples 0); sample=$((sample + ${one:-0})); done
  online=$((sample * 64))
  kill -TERM "$ingest"; wait "$ingest" || true
  local stopped orphans
  stopped=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  orphans=$(rcli memory usage "$tag:orphans" samples 0)
  orphans=${orphans:-0}
  kill -TERM "$redis"; wait "$redis" || true
  echo "$depth $used $((used / USERS)) $((used / keys)) $((log / USERS)) $((online / USERS)) $(((used - base - log - online) / USERS)) $((stopped / USERS)) $((orphans / USERS))"
}

printf '%-6s %-6s %14s %9s %8s %7s %9s %12s %12s %10s\n' run depth used_memory per_user per_key log online_set presence+rest after_stop hand-over
for ((r = 1; r <= RUNS; r++)); do
  for depth in 0 1; do
    run "$depth" >"$work/line"
    read -r d used per key log online rest stopped orphans <"$work/line"
    printf '%-6s %-6s %14s %9s %8s %7s %9s %12s %12s %10s\n' "$r" "$d" "$used" "$per" "$key" "$log" "$online" "$rest" "$stopped" "$orphans"
    echo "$d $per $key $log $online $rest $stopped $orphans" >>"$work/all"
  done
done
echo "== medians (bytes per online user; per_key: used_memory ÷ DBSIZE, the figure bench/EndToEnd prints)"
for depth in 0 1; do
  python3 - "$work/all" "$depth" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]
cols = ["per_user", "per_key", "log", "online_set", "presence+rest", "after_stop", "hand-over"]
print(f"list-compress-depth {sys.argv[2]}: " + ", ".join(f"{c} {statistics.median(int(r[i + 1]) for r in rows):.0f}" for i, c in enumerate(cols)))
PY
done
