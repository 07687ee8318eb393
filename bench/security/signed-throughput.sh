#!/usr/bin/env bash
# Signed ingest throughput as a share of unsigned, end to end (SECURITY.md).
#
# presence-loadgen sends the same offered rate, unsigned then signed (--keys), to one
# presence-ingest started with --keys and writing to a local redis-server; the ingester's own
# counters give frames received and records accepted per second over each run. RUNS runs per
# mode, medians, and the signed/unsigned ratio. Only 127.0.0.1 is targeted; each load lasts
# SECONDS.
#
# Use: bench/security/signed-throughput.sh [RATE_FRAMES_PER_S=10000] [PER_FRAME=32] [SECONDS=5] [RUNS=3]
#      (RATE 0: as fast as the generator can send)
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${1:-10000}
PER_FRAME=${2:-32}
SECONDS_PER_RUN=${3:-5}
RUNS=${4:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
dotnet build src/LoadGen -c Release -nologo -v:q -clp:NoSummary >/dev/null
ingest=src/Ingest/bin/Release/net10.0/presence-ingest.dll
loadgen=src/LoadGen/bin/Release/net10.0/presence-loadgen.dll

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --logfile "" >/dev/null &
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
dotnet "$loadgen" keys new --out "$work/master.keys" >/dev/null

metric() { curl -sf "http://127.0.0.1:$hport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

rate_args=()
[ "$RATE" != 0 ] && rate_args=(--rate "$RATE")
echo "== offered: ${RATE} frames/s (0 = flood), ${PER_FRAME} records per frame, ${SECONDS_PER_RUN} s per run, ${RUNS} runs per mode"
echo "mode run frames_recv/s records_accepted/s rejected"
for mode in unsigned signed; do
  for run in $(seq 1 "$RUNS"); do
    port=$(free_port); hport=$(free_port)
    redis-cli -p "$rport" flushall >/dev/null
    dotnet "$ingest" --udp "127.0.0.1:$port" --http "127.0.0.1:$hport" --redis "127.0.0.1:$rport" --keys "$work/master.keys" >"$work/ingest.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
    keys=()
    [ "$mode" = signed ] && keys=(--keys "$work/master.keys")
    f0=$(metric presence_frames_received_total); a0=$(metric presence_records_accepted_total)
    dotnet "$loadgen" --target "127.0.0.1:$port" --users 1000000 --interval 0 --duration "$SECONDS_PER_RUN" \
      --per-frame "$PER_FRAME" "${rate_args[@]}" "${keys[@]}" --json >"$work/lg.json"
    sleep 0.5
    f1=$(metric presence_frames_received_total); a1=$(metric presence_records_accepted_total)
    rej=$(curl -sf "http://127.0.0.1:$hport/metrics" | awk '/^presence_records_rejected_total/ {s += $2} END {print s + 0}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    awk -v m="$mode" -v r="$run" -v f="$((f1 - f0))" -v a="$((a1 - a0))" -v s="$SECONDS_PER_RUN" -v j="$rej" \
      'BEGIN {printf "%s %d %.0f %.0f %d\n", m, r, f / s, a / s, j}' | tee -a "$work/results"
  done
done
echo "== medians"
for mode in unsigned signed; do
  awk -v m="$mode" '$1 == m {print $4}' "$work/results" | sort -n | awk -v m="$mode" '{v[NR] = $1} END {print m, v[int((NR + 1) / 2)]}'
done | tee "$work/medians"
awk '{v[$1] = $2} END {printf "signed / unsigned records accepted per second: %.3f\n", v["signed"] / v["unsigned"]}' "$work/medians"
