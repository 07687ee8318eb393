#!/usr/bin/env bash
# Ingest CPU at the seed workload (not a test): 1M users, 100K heartbeats/s, 1 record a datagram,
# sent by the repository's C sender (bench/tools/udp-blast.c) and by presence-loadgen, alternating,
# RUNS times each, against one Release presence-ingest (events on, the default) and its own
# redis-server. Per run: utime+stime (/proc) of presence-ingest, redis-server and the sender over a
# steady WINDOW after a WARM-up (the first heartbeat of every user finds no key: the 1M-line online
# burst of the events log is appended in the warm-up), divided by the window; and presence-ingest's
# RSS at the window's end (VmRSS) and its peak (VmHWM); medians printed.
# Use: bench/ingest/cpu.sh   (RUNS=3 WARM=20 WINDOW=20 RATE=100000 USERS=1000000 SENDERS="blast loadgen" VARIANTS="defaults:")
# VARIANTS, "label:ingest args" separated by ';', also alternates ingest settings within each run, e.g.
#   VARIANTS="direct:--store-writes direct;multiplexer:--store-writes multiplexer" (INGEST.md, "Store writes");
# the summary gives each variant's CPU per heartbeat as a ratio of the first's.
# Only 127.0.0.1 is targeted; each load is bounded in time; every process started is ended.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
WARM=${WARM:-20}
WINDOW=${WINDOW:-20}
RATE=${RATE:-100000}
USERS=${USERS:-1000000}
SENDERS=${SENDERS:-blast loadgen}
VARIANTS=${VARIANTS:-defaults:}
work=$(mktemp -d)
started=()
end() { kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
trap 'for p in "${started[@]}"; do end "$p"; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(redis-server --version | cut -d' ' -f3); .NET $(dotnet --version); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $USERS users, $RATE heartbeats/s, 1 a datagram; warm-up $WARM s, window $WINDOW s; $RUNS runs of each sender ($SENDERS) and ingest variant ($VARIANTS), alternating"
cc -O2 -o "$work/udp-blast" bench/tools/udp-blast.c
dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
dotnet build src/LoadGen -c Release -nologo -v:q -clp:NoSummary >/dev/null
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$work" --logfile "" >/dev/null &
redis=$!
started+=("$redis")
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
echo "\$ redis-server --port $port --bind 127.0.0.1 --save \"\" --appendonly no"

one_run() { # $1 = blast | loadgen, $2 = run number, $3 = variant label, $4 = its ingest args
  redis-cli -p "$port" flushall >/dev/null
  local udp http ingest sender seconds=$((WARM + WINDOW + 2))
  udp=$(free_port); http=$(free_port)
  dotnet src/Ingest/bin/Release/net10.0/presence-ingest.dll --udp "127.0.0.1:$udp" --http "127.0.0.1:$http" --redis "127.0.0.1:$port" $4 >"$work/ingest.log" 2>&1 &
  [ "$2" = 1 ] && echo "\$ presence-ingest --udp 127.0.0.1:$udp --http 127.0.0.1:$http --redis 127.0.0.1:$port $4"
  ingest=$!; started+=("$ingest")
  until curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do sleep 0.1; done
  if [ "$1" = blast ]; then
    [ "$2" = 1 ] && echo "\$ udp-blast 127.0.0.1 $udp $seconds 1 $USERS 64 $RATE"
    "$work/udp-blast" 127.0.0.1 "$udp" "$seconds" 1 "$USERS" 64 "$RATE" >"$work/sender.out" &
  else
    [ "$2" = 1 ] && echo "\$ presence-loadgen --target 127.0.0.1:$udp --users $USERS --interval $((USERS / RATE)) --duration $seconds --per-frame 1 --json"
    dotnet src/LoadGen/bin/Release/net10.0/presence-loadgen.dll --target "127.0.0.1:$udp" --users "$USERS" --interval $((USERS / RATE)) \
      --duration "$seconds" --per-frame 1 --json >"$work/sender.out" 2>&1 &
  fi
  sender=$!; started+=("$sender")
  sleep "$WARM"
  local i0 r0 s0 f0 t0 i1 r1 s1 f1 t1 rss peak
  i0=$(cpu "$ingest"); r0=$(cpu "$redis"); s0=$(cpu "$sender"); t0=$(date +%s.%N)
  f0=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_records_accepted_total" {print $2}')
  sleep "$WINDOW"
  i1=$(cpu "$ingest"); r1=$(cpu "$redis"); s1=$(cpu "$sender"); t1=$(date +%s.%N)
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$ingest/status"); peak=$(awk '/^VmHWM/ {print $2}' "/proc/$ingest/status") # kB
  f1=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_records_accepted_total" {print $2}')
  wait "$sender" || true
  kill -TERM "$ingest"; wait "$ingest" 2>/dev/null || true
  awk -v who="$1/$3" -v n="$2" -v i0="$i0" -v i1="$i1" -v r0="$r0" -v r1="$r1" -v s0="$s0" -v s1="$s1" -v f0="$f0" -v f1="$f1" \
      -v t0="$t0" -v t1="$t1" -v hz="$ticks" -v rss="$rss" -v peak="$peak" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    s = t1 - t0; rate = (f1 - f0) / s
    printf "%-8s run %d: accepted %7.0f/s  ingest %.3f cores (%.3f per 100K/s)  redis %.3f  sender %.3f  ingest RSS %.0f MB (peak %.0f)  load %s\n",
      who, n, rate, (i1 - i0) / hz / s, (i1 - i0) / hz / s * 100000 / rate, (r1 - r0) / hz / s, (s1 - s0) / hz / s, rss / 1024, peak / 1024, load
  }' | tee -a "$work/results"
}

for n in $(seq 1 "$RUNS"); do
  order="$SENDERS"
  [ $((n % 2)) = 0 ] && order=$(echo "$SENDERS" | tr ' ' '\n' | tac | xargs) # every other run in reverse, so neither always goes first
  for who in $order; do
    IFS=';' read -ra variants <<< "$VARIANTS"
    for variant in "${variants[@]}"; do one_run "$who" "$n" "${variant%%:*}" "${variant#*:}"; done
  done
done

echo "== medians of $RUNS: ingest cores per 100K heartbeats/s, the sender's own cores, ingest RSS at the window's end and its peak"
python3 - "$work/results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"([\w/.=-]+)\s+run \d+: accepted\s+(\d+)/s\s+ingest ([\d.]+) cores \(([\d.]+) per 100K/s\)\s+redis ([\d.]+)\s+sender ([\d.]+)\s+ingest RSS (\d+) MB \(peak (\d+)\)", line)
    if m:
        rows.setdefault(m[1], []).append([float(x) for x in m.groups()[1:]])
for who, runs in rows.items():
    med = [statistics.median(col) for col in zip(*runs)]
    print(f"{who:20} accepted {med[0]:,.0f}/s  ingest {med[1]:.3f} cores ({med[2]:.3f} per 100K/s)  redis {med[3]:.3f}  sender {med[4]:.3f}  ingest RSS {med[5]:.0f} MB (peak {med[6]:.0f})")
def per(key):
    return statistics.median(r[2] for r in rows[key])
variants = list(dict.fromkeys(k.split("/", 1)[1] for k in rows))  # in the order first run
for v in variants:
    if f"blast/{v}" in rows and f"loadgen/{v}" in rows:
        print(f"ingest per 100K/s, presence-loadgen / udp-blast ({v}): {per(f'loadgen/{v}') / per(f'blast/{v}'):.2f}")
for who in dict.fromkeys(k.split("/")[0] for k in rows):
    for v in variants[1:]:
        print(f"ingest per 100K/s, {v} / {variants[0]} ({who}): {per(f'{who}/{v}') / per(f'{who}/{variants[0]}'):.2f}")
PY
