#!/usr/bin/env bash
# Signed ingest throughput as a share of unsigned, end to end (SECURITY.md).
#
# presence-loadgen sends unsigned, then signed (--keys) frames to one presence-ingest started with
# --keys and writing to a local redis-server, USERS users each sent once per pass (--interval 0).
# Each run starts a fresh ingest, warms it up with WARMUP seconds of the same load (so the JIT has
# finished tiering the hot path; not counted), then measures SECONDS of load:
#   - records accepted per second, from the ingest's counters, over the time from the generator's
#     start until the ingest has drained its socket buffer (frames received unchanged for 0.6 s);
#   - CPU per accepted record of the ingest's receive threads (udp-recvmmsg-*, utime+stime in
#     /proc/PID/task/TID/stat): the single-threaded stage where signatures are checked, whose
#     cost per record sets the ingest's ceiling. Unlike records/s it does not depend on how the
#     2 cores were shared with the generator (which signs at the same cost the ingest verifies).
#     1 / that cost is the records/s one receive loop can take (the "ceiling" column).
# Modes alternate (unsigned, signed, unsigned, ...) RUNS times; medians, and signed/unsigned.
# Only 127.0.0.1 is targeted; each load lasts WARMUP + SECONDS. Rejected records are printed:
# they should be 0 (a non-zero count means the comparison is off).
#
# Use: bench/security/signed-throughput.sh [RATE_FRAMES_PER_S=10000] [PER_FRAME=32] [SECONDS=5] [RUNS=3] [USERS=1000000] [WARMUP=3]
#      (RATE 0: as fast as the generator can send)
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${1:-10000}
PER_FRAME=${2:-32}
SECONDS_PER_RUN=${3:-5}
RUNS=${4:-3}
USERS=${5:-1000000}
WARMUP=${6:-3}
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
receive_ticks() { # utime+stime of the receive threads
  local total=0 t
  for t in /proc/"$1"/task/*; do
    grep -q '^udp-recvmmsg' "$t/comm" 2>/dev/null || continue
    total=$((total + $(awk '{print $14 + $15}' "$t/stat")))
  done
  echo "$total"
}
drain() { # wait (at most 60 s) until the ingest has worked off what is queued in its socket
  local last=-1 same=0 now_frames
  drained_at=$(date +%s.%N)
  for _ in $(seq 1 300); do
    now_frames=$(metric presence_frames_received_total)
    if [ "$now_frames" = "$last" ]; then same=$((same + 1)); [ $same -ge 3 ] && return; else same=0; drained_at=$(date +%s.%N); fi
    last=$now_frames; sleep 0.2
  done
}
echo "== offered: ${RATE} frames/s (0 = flood), ${PER_FRAME} records per frame, ${USERS} users, ${WARMUP} s warm-up + ${SECONDS_PER_RUN} s per run, ${RUNS} runs per mode"
echo "mode run frames_recv/s records_accepted/s rejected sent_records/s receive_us_cpu/record ceiling_records/s"
for run in $(seq 1 "$RUNS"); do
  for mode in unsigned signed; do
    port=$(free_port); hport=$(free_port)
    redis-cli -p "$rport" flushall >/dev/null
    dotnet "$ingest" --udp "127.0.0.1:$port" --http "127.0.0.1:$hport" --redis "127.0.0.1:$rport" --keys "$work/master.keys" >"$work/ingest.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
    keys=()
    [ "$mode" = signed ] && keys=(--keys "$work/master.keys")
    load() { # SECONDS FIRST_ID
      dotnet "$loadgen" --target "127.0.0.1:$port" --users "$USERS" --first-id "$2" --interval 0 --duration "$1" \
        --per-frame "$PER_FRAME" "${rate_args[@]}" "${keys[@]}" --json >"$work/lg.json" 2>/dev/null
    }
    # The warm-up sends other users: a second generator restarts sequence numbers, which the
    # replay windows of users already seen would (rightly) refuse.
    load "$WARMUP" $((USERS + 1)); drain
    f0=$(metric presence_frames_received_total); a0=$(metric presence_records_accepted_total)
    c0=$(receive_ticks "$pid"); start=$(date +%s.%N)
    load "$SECONDS_PER_RUN" 1; drain
    f1=$(metric presence_frames_received_total); a1=$(metric presence_records_accepted_total)
    c1=$(receive_ticks "$pid")
    rej=$(curl -sf "http://127.0.0.1:$hport/metrics" | awk '/^presence_records_rejected_total/ {s += $2} END {print s + 0}')
    sent=$(python3 -c "import json;print(json.load(open('$work/lg.json'))['recordsSent'])")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    awk -v m="$mode" -v r="$run" -v f="$((f1 - f0))" -v a="$((a1 - a0))" -v st="$start" -v en="$drained_at" -v j="$rej" \
        -v s="$sent" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {t = en - st; us = (a > 0 ? c / hz / a * 1e6 : 0);
              printf "%s %d %.0f %.0f %d %.0f %.3f %.0f\n", m, r, f / t, a / t, j, s / t, us, (us > 0 ? 1e6 / us : 0)}' | tee -a "$work/results"
  done
done
echo "== medians (records accepted/s; receive-thread µs of CPU per record; ceiling records/s of one receive loop)"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for mode in unsigned signed; do
  echo "$mode $(awk -v m="$mode" '$1 == m {print $4}' "$work/results" | median) $(awk -v m="$mode" '$1 == m {print $7}' "$work/results" | median) $(awk -v m="$mode" '$1 == m {print $8}' "$work/results" | median)"
done | tee "$work/medians"
awk '{v[$1] = $2; c[$1] = $3; k[$1] = $4} END {printf "signed / unsigned: records accepted per second %.3f; ceiling (1 / receive CPU per record) %.3f\n", v["signed"] / v["unsigned"], k["signed"] / k["unsigned"]}' "$work/medians"
