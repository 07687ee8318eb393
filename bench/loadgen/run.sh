#!/usr/bin/env bash
# End-to-end sender benchmark: presence-loadgen against the C reference sender udp-blast, both
# sending to the C reference receiver udp-sink (both bench/tools/*.c) on 127.0.0.1, at 1 and 32
# records per frame.
# Prints the machine, every command, the medians of the runs and the ratio loadgen / udp-blast
# (target >= 0.8). Loopback only; every run is bounded (SECONDS_PER_RUN, default 3).
#
# The machine may be shared, so the senders take turns within each round (a change in the
# machine's load hits all of them alike), and each sender's CPU time is measured too: records
# per CPU second hardly depend on what else runs.
#
#   bench/loadgen/run.sh                              # 3 rounds of 3 s runs; senders sendmmsg and socket
#   RUNS=5 SECONDS_PER_RUN=5 SENDERS=sendmmsg bench/loadgen/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
tools="$root/bench/tools"
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-3}
senders=${SENDERS:-"sendmmsg socket"}
users=1000000
batch=64

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'echo "run.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cc -O2 -o "$work/udp-blast" "$tools/udp-blast.c"
cc -O2 -o "$work/udp-sink" "$tools/udp-sink.c"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/LoadGen -c Release -nologo -v:q -clp:NoSummary >/dev/null
loadgen="$root/src/LoadGen/bin/Release/net10.0/presence-loadgen"

# A UDP port nobody on 127.0.0.1 holds now.
port=$(( 20000 + RANDOM % 20000 ))
while ss -Huln "sport = :$port" 2>/dev/null | grep -q .; do port=$(( 20000 + RANDOM % 20000 )); done

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "kernel: $(uname -r)"
echo "dotnet: $(dotnet --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rounds: $runs, ${secs} s per run; users $users; $batch frames per send call"
echo
echo "== commands (K = records per frame: 1, then 32)"
echo "receiver, per run: udp-sink 127.0.0.1 $port $(( secs + 2 )) $batch"
echo "udp-blast 127.0.0.1 $port $secs K $users $batch"
for s in $senders; do
  echo "presence-loadgen --target 127.0.0.1:$port --users $users --interval 0 --duration $secs --per-frame K --batch $batch --sender $s --json"
done

# One run: the sink for secs+2 s (started first, so it misses nothing), the sender for secs s.
# Appends "sent_records_per_s received_records_per_s records_per_cpu_s" to the sender's results
# (received counted over the sender's secs; CPU = the sender's user + system seconds).
run_one() {
  local name=$1 k=$2
  "$work/udp-sink" 127.0.0.1 "$port" $(( secs + 2 )) "$batch" > "$work/sink.out" &
  local sink=$!
  sleep 0.5
  local TIMEFORMAT='%3U %3S'
  if [ "$name" = udp-blast ]; then
    { time "$work/udp-blast" 127.0.0.1 "$port" "$secs" "$k" "$users" "$batch" > "$work/out"; } 2> "$work/time"
  else
    { time "$loadgen" --target "127.0.0.1:$port" --users "$users" --interval 0 --duration "$secs" --per-frame "$k" \
        --batch "$batch" --sender "${name#loadgen-}" --json > "$work/out" 2> "$work/err"; } 2> "$work/time" \
      || { echo "run.sh: presence-loadgen failed:" >&2; cat "$work/err" >&2; exit 1; }
  fi
  wait "$sink" || { echo "run.sh: udp-sink on port $port failed" >&2; exit 1; }
  local sent records received
  sent=$(sed -n -e 's/.*records_per_s \([0-9.]*\).*/\1/p' -e 's/.*"recordsPerSecond":\([0-9.]*\).*/\1/p' "$work/out")
  records=$(sed -n -e 's/.*records_sent \([0-9]*\).*/\1/p' -e 's/.*"recordsSent":\([0-9]*\).*/\1/p' "$work/out")
  received=$(sed -n 's/.*records \([0-9]*\).*/\1/p' "$work/sink.out")
  read -r user sys < "$work/time"
  awk -v s="$sent" -v r="$received" -v t="$secs" -v n="$records" -v c="$(awk -v u="$user" -v y="$sys" 'BEGIN { print u + y }')" \
    'BEGIN { printf "%.0f %.0f %.0f\n", s, r / t, n / c }' >> "$work/$name.$k"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { cut -d' ' -f"$1" "$2" | median; }

names=(udp-blast)
for s in $senders; do names+=("loadgen-$s"); done
for k in 1 32; do
  for _ in $(seq "$runs"); do
    for name in "${names[@]}"; do run_one "$name" "$k"; done
  done
done

echo
echo "== medians"
printf '%-18s %3s %14s %16s %16s   %s\n' sender K "sent rec/s" "received rec/s" "rec per CPU s" "runs (sent/received/per CPU s)"
for k in 1 32; do
  for name in "${names[@]}"; do
    printf '%-18s %3s %14.0f %16.0f %16.0f   %s\n' "$name" "$k" "$(col 1 "$work/$name.$k")" "$(col 2 "$work/$name.$k")" \
      "$(col 3 "$work/$name.$k")" "$(tr ' ' '/' < "$work/$name.$k" | paste -sd' ')"
  done
done

echo
echo "== ratio loadgen / udp-blast (of the medians; target >= 0.8)"
for s in $senders; do
  for k in 1 32; do
    awk -v n="loadgen-$s" -v k="$k" \
        -v ls="$(col 1 "$work/loadgen-$s.$k")" -v fs="$(col 1 "$work/udp-blast.$k")" \
        -v lr="$(col 2 "$work/loadgen-$s.$k")" -v fr="$(col 2 "$work/udp-blast.$k")" \
        -v lc="$(col 3 "$work/loadgen-$s.$k")" -v fc="$(col 3 "$work/udp-blast.$k")" \
        'BEGIN { printf "%-18s K=%-3s sent %.2f   received %.2f   per CPU s %.2f\n", n, k, ls / fs, lr / fr, lc / fc }'
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
