#!/usr/bin/env bash
# UDP receive loss of presence-ingest beside the C reference receiver (bench/tools/udp-sink.c), in one run.
#
# For each offered rate: two udp-blast senders (bench/tools, C) (1 record per frame, 1M users cycling) against
# udp-sink, then against presence-ingest writing to a local redis-server; frames received ÷
# frames sent for each, over RUNS runs, medians. Only 127.0.0.1 is targeted; every load is
# bounded by SECONDS.
#
# Use: bench/ingest/udp-loss.sh [RATES_PER_SENDER="25000 50000 100000 200000 0"] [SECONDS=5] [RUNS=3] [RECEIVER=recvmmsg]
#      (rate 0 = as fast as udp-blast can send)
set -euo pipefail
cd "$(dirname "$0")/../.."
RATES=${1:-"25000 50000 100000 200000 0"}
SECONDS_PER_RUN=${2:-5}
RUNS=${3:-3}
RECEIVER=${4:-recvmmsg}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "== net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max)"
cc -O2 -o "$work/udp-blast" bench/tools/udp-blast.c
cc -O2 -o "$work/udp-sink" bench/tools/udp-sink.c
dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
ingest_dll=src/Ingest/bin/Release/net10.0/presence-ingest.dll

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --logfile "" >/dev/null &
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done

# flood PORT RATE -> prints total frames sent by two senders
flood() {
  local port=$1 rate=$2
  "$work/udp-blast" 127.0.0.1 "$port" "$SECONDS_PER_RUN" 1 1000000 64 "$rate" >"$work/f1" &
  local a=$!
  "$work/udp-blast" 127.0.0.1 "$port" "$SECONDS_PER_RUN" 1 1000000 64 "$rate" >"$work/f2" &
  local b=$!
  wait $a $b
  awk '{s += $2} END {print s}' "$work/f1" "$work/f2"
}

sink_run() {
  local rate=$1 port; port=$(free_port)
  "$work/udp-sink" 127.0.0.1 "$port" $((SECONDS_PER_RUN + 2)) >"$work/sink" &
  local pid=$!
  sleep 0.3
  local sent; sent=$(flood "$port" "$rate")
  wait $pid
  local got; got=$(awk '{print $2}' "$work/sink")
  echo "$sent $got"
}

ingest_run() {
  local rate=$1 port hport; port=$(free_port); hport=$(free_port)
  redis-cli -p "$rport" flushall >/dev/null
  dotnet "$ingest_dll" --udp "127.0.0.1:$port" --http "127.0.0.1:$hport" --redis "127.0.0.1:$rport" --receiver "$RECEIVER" >"$work/ingest.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
  local sent; sent=$(flood "$port" "$rate")
  sleep 1
  local metrics; metrics=$(curl -s "http://127.0.0.1:$hport/metrics")
  kill -TERM $pid; wait $pid || true
  local got kdrop qdrop
  got=$(awk '/^presence_frames_received_total /{print $2}' <<<"$metrics")
  kdrop=$(awk '/^presence_udp_kernel_drops_total /{print $2}' <<<"$metrics")
  qdrop=$(awk '/^presence_records_dropped_total\{reason="queue_full"\}/{print $2}' <<<"$metrics")
  echo "$sent $got $kdrop $qdrop"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '\n%-14s %-26s %-26s %s\n' "rate/sender" "udp-sink recv/sent" "ingest recv/sent" "ingest kernel drops, queue drops (last run)"
for rate in $RATES; do
  s_ratios=(); i_ratios=(); s_sent=(); i_sent=()
  for run in $(seq "$RUNS"); do
    read -r sent got < <(sink_run "$rate")
    s_ratios+=("$(awk -v g="$got" -v s="$sent" 'BEGIN{printf "%.5f", g/s}')"); s_sent+=("$sent")
    read -r sent got kdrop qdrop < <(ingest_run "$rate")
    i_ratios+=("$(awk -v g="$got" -v s="$sent" 'BEGIN{printf "%.5f", g/s}')"); i_sent+=("$sent")
  done
  sm=$(printf '%s\n' "${s_ratios[@]}" | median); im=$(printf '%s\n' "${i_ratios[@]}" | median)
  ssent=$(printf '%s\n' "${s_sent[@]}" | median); isent=$(printf '%s\n' "${i_sent[@]}" | median)
  label=$rate; [ "$rate" = 0 ] && label=max
  printf '%-14s %-26s %-26s %s\n' "$label" \
    "$sm ($(awk -v s="$ssent" -v t="$SECONDS_PER_RUN" 'BEGIN{printf "%.0f", s/t}') f/s)" \
    "$im ($(awk -v s="$isent" -v t="$SECONDS_PER_RUN" 'BEGIN{printf "%.0f", s/t}') f/s)" "$kdrop, $qdrop"
done
echo
echo "(ratios are medians of $RUNS runs of ${SECONDS_PER_RUN}s; f/s = frames offered per second by both senders together)"
