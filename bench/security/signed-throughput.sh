#!/usr/bin/env bash
# Signed ingest throughput as a share of unsigned, end to end (SECURITY.md).
#
# presence-loadgen sends the same offered rate, unsigned then signed (--keys), to one
# presence-ingest started with --keys and writing to a local redis-server, USERS users each
# sent once per pass (--interval 0). The ingester's own counters give records accepted; the
# run's time is from the generator's start until the ingester has drained its socket buffer
# (frames received unchanged for 0.6 s), so a backlog the ingester works off after the generator
# stops counts at the pace it was worked off. Also printed: the ingester's CPU (utime+stime of
# /proc/PID/stat) per accepted record, which does not depend on how the two cores were shared.
# Modes alternate (unsigned, signed, unsigned, ...) RUNS times; medians, and signed/unsigned.
# Only 127.0.0.1 is targeted; each load lasts SECONDS.
#
# Use: bench/security/signed-throughput.sh [RATE_FRAMES_PER_S=10000] [PER_FRAME=32] [SECONDS=5] [RUNS=3] [USERS=1000000]
#      (RATE 0: as fast as the generator can send)
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${1:-10000}
PER_FRAME=${2:-32}
SECONDS_PER_RUN=${3:-5}
RUNS=${4:-3}
USERS=${5:-1000000}
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
echo "== offered: ${RATE} frames/s (0 = flood), ${PER_FRAME} records per frame, ${USERS} users, ${SECONDS_PER_RUN} s per run, ${RUNS} runs per mode"
echo "mode run frames_recv/s records_accepted/s rejected sent_records/s ingest_us_cpu/record"
for run in $(seq 1 "$RUNS"); do
  for mode in unsigned signed; do
    port=$(free_port); hport=$(free_port)
    redis-cli -p "$rport" flushall >/dev/null
    dotnet "$ingest" --udp "127.0.0.1:$port" --http "127.0.0.1:$hport" --redis "127.0.0.1:$rport" --keys "$work/master.keys" >"$work/ingest.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
    keys=()
    [ "$mode" = signed ] && keys=(--keys "$work/master.keys")
    f0=$(metric presence_frames_received_total); a0=$(metric presence_records_accepted_total)
    c0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); start=$(date +%s.%N)
    dotnet "$loadgen" --target "127.0.0.1:$port" --users "$USERS" --interval 0 --duration "$SECONDS_PER_RUN" \
      --per-frame "$PER_FRAME" "${rate_args[@]}" "${keys[@]}" --json >"$work/lg.json" 2>/dev/null
    # Wait (at most 60 s) until the ingester has worked off what is queued in its socket.
    last=-1; same=0; end=$(date +%s.%N)
    for _ in $(seq 1 300); do
      now_frames=$(metric presence_frames_received_total)
      if [ "$now_frames" = "$last" ]; then same=$((same + 1)); [ $same -ge 3 ] && break; else same=0; end=$(date +%s.%N); fi
      last=$now_frames; sleep 0.2
    done
    f1=$(metric presence_frames_received_total); a1=$(metric presence_records_accepted_total)
    c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    rej=$(curl -sf "http://127.0.0.1:$hport/metrics" | awk '/^presence_records_rejected_total/ {s += $2} END {print s + 0}')
    sent=$(python3 -c "import json;print(json.load(open('$work/lg.json'))['recordsSent'])")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    awk -v m="$mode" -v r="$run" -v f="$((f1 - f0))" -v a="$((a1 - a0))" -v st="$start" -v en="$end" -v j="$rej" \
        -v s="$sent" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {t = en - st; printf "%s %d %.0f %.0f %d %.0f %.2f\n", m, r, f / t, a / t, j, s / t, (a > 0 ? c / hz / a * 1e6 : 0)}' | tee -a "$work/results"
  done
done
echo "== medians (records accepted/s, ingest µs of CPU per record)"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for mode in unsigned signed; do
  echo "$mode $(awk -v m="$mode" '$1 == m {print $4}' "$work/results" | median) $(awk -v m="$mode" '$1 == m {print $7}' "$work/results" | median)"
done | tee "$work/medians"
awk '{v[$1] = $2; c[$1] = $3} END {printf "signed / unsigned records accepted per second: %.3f; CPU per record signed / unsigned: %.2f\n", v["signed"] / v["unsigned"], c["signed"] / c["unsigned"]}' "$work/medians"
