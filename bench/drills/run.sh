#!/usr/bin/env bash
# Fault drills: the Release presence-ingest under a bounded UDP load while its store fails.
#
#   restart  redis-server killed (SIGKILL) mid-load, started again 10 s later, empty
#   pause    redis-server stopped with SIGSTOP for 10 s, then SIGCONT
#   cluster  one master of a 3-master Redis Cluster killed, started again 10 s later
#
# Load: udp-blast (bench/tools/udp-blast.c, cc -O2), capped at FRAMES_PER_S so that USERS
# users (ids 1..USERS, cycled) heartbeat every 10 s. Timeline of each drill: load starts; the
# fault at FAULT_AT s; recovery FAULT_FOR s later; load stops TAIL s after that. So every user
# heartbeated within the TTL (30 s), most of them last during the fault, and a restarted store
# starts empty: a user whose key is missing at the end was lost by the ingester.
# While it runs, /metrics (presence_pending_users) and VmRSS of the ingest are sampled every
# 0.25 s. Prints one table row per drill: lost users, peak pending, peak RSS.
#
# Only 127.0.0.1 is targeted; every process started here is ended by its pid on exit.
# Use: bench/drills/run.sh [DRILLS="restart pause cluster"]   (env: USERS=100000 PER_FRAME=10
#      FAULT_AT=10 FAULT_FOR=10 TAIL=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
DRILLS=${1:-"restart pause cluster"}
USERS=${USERS:-100000}
PER_FRAME=${PER_FRAME:-10}
FAULT_AT=${FAULT_AT:-10}
FAULT_FOR=${FAULT_FOR:-10}
TAIL=${TAIL:-3}
FRAMES_PER_S=$((USERS / 10 / PER_FRAME)) # every user every 10 s
SEND_S=$((FAULT_AT + FAULT_FOR + TAIL))
PREFIX="drill:"

work=$(mktemp -d)
started=() # pids of everything started here, ended on exit
# end PID: SIGKILL one process started here, and reap it quietly.
end() {
  kill -CONT "$1" 2>/dev/null || true
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  for pid in "${started[@]}"; do end "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(redis-server --version | cut -d' ' -f3)"
echo "== load: $USERS users every 10 s ($FRAMES_PER_S frames/s x $PER_FRAME records); fault at ${FAULT_AT} s for ${FAULT_FOR} s; load ends ${TAIL} s after recovery"
cc -O2 -o "$work/udp-blast" bench/tools/udp-blast.c
dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
ingest_dll=src/Ingest/bin/Release/net10.0/presence-ingest.dll

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start_redis VAR PORT DIR [ARGS...]: starts redis-server, sets VAR to its pid, waits for PING
start_redis() {
  local var=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no \
    --dir "$dir" --logfile "$dir/log" "$@" >/dev/null 2>&1 &
  local pid=$!
  started+=("$pid")
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf -v "$var" '%s' "$pid"
}

metric() { awk -v m="$1" '$1 == m {print $2}' "$2"; }

# run_drill NAME REDIS_CONFIG FAULT_CMD RECOVER_CMD
run_drill() {
  local name=$1 conf=$2 fault=$3 recover=$4
  local udp http; udp=$(free_port); http=$(free_port)
  dotnet "$ingest_dll" --udp "127.0.0.1:$udp" --http "127.0.0.1:$http" --redis "$conf" --prefix "$PREFIX" \
    --store-timeout-ms 1000 >"$work/$name.log" 2>&1 &
  local ingest=$!
  started+=("$ingest")
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

  # Sampler: peak pending users and peak RSS, until the stop file appears.
  : >"$work/samples"
  (
    while [ ! -e "$work/stop-sampler" ] && kill -0 "$ingest" 2>/dev/null; do
      p=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_pending_users" {print $2}')
      r=$(awk '/^VmRSS:/ {print $2}' "/proc/$ingest/status" 2>/dev/null || echo 0)
      echo "${p:-0} ${r:-0}" >>"$work/samples"
      sleep 0.25
    done
  ) &
  local sampler=$!
  started+=("$sampler")

  "$work/udp-blast" 127.0.0.1 "$udp" "$SEND_S" "$PER_FRAME" "$USERS" 64 "$FRAMES_PER_S" >"$work/flood" &
  local flood=$!
  started+=("$flood")
  sleep "$FAULT_AT"
  local rss_before; rss_before=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$ingest/status")
  eval "$fault"
  sleep "$FAULT_FOR"
  eval "$recover"
  local recover_t; recover_t=$(date +%s.%N)
  wait "$flood"

  # Drained: nothing pending (at most 30 s: a user is online only that long anyway).
  local drained="no"
  for _ in $(seq 300); do
    curl -s "http://127.0.0.1:$http/metrics" >"$work/metrics"
    if [ "$(metric presence_pending_users "$work/metrics")" = "0" ]; then drained="yes"; break; fi
    sleep 0.1
  done
  local drain_s; drain_s=$(awk -v a="$recover_t" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  touch "$work/stop-sampler"; wait "$sampler" || true; rm -f "$work/stop-sampler"

  local nodes; nodes=$(tr ',' '\n' <<<"$conf" | grep -E '^[0-9.]+:[0-9]+$' | paste -sd,)
  local lost errors
  read -r _ lost _ errors < <(python3 bench/drills/lost_users.py "$USERS" "$PREFIX" "$nodes")
  kill -TERM "$ingest"; wait "$ingest" 2>/dev/null || true

  local sent failed kdrop dropped expired peak_pending peak_rss
  sent=$(awk '{print $2}' "$work/flood")
  failed=$(awk '$1 == "presence_store_writes_total{result=\"failed\"}" {print $2}' "$work/metrics")
  kdrop=$(metric presence_udp_kernel_drops_total "$work/metrics")
  dropped=$(awk '$1 ~ /^presence_records_dropped_total/ {s += $2} END {print s + 0}' "$work/metrics")
  expired=$(metric presence_users_expired_total "$work/metrics")
  peak_pending=$(awk 'BEGIN {m = 0} $1 > m {m = $1} END {printf "%d", m}' "$work/samples")
  peak_rss=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%.0f", m / 1024}' "$work/samples")
  printf '%-8s %8s %6s %7s %9s %17s %8s %14s %10s %9s %s\n' "$name" "$USERS" "$lost" "$errors" "$peak_pending" \
    "$rss_before -> $peak_rss MiB" "$sent" "${failed:-0}" "${kdrop:-0}" "$dropped/${expired:-0}" \
    "$([ "$drained" = yes ] && echo "${drain_s} s" || echo "not in ${drain_s} s")"
}

printf '\n%-8s %8s %6s %7s %9s %17s %8s %14s %10s %9s %s\n' drill users lost "(errs)" "peak" "RSS before->peak" \
  frames "writes failed" "udp drops" "drop/exp" "pending 0 after recovery"
printf '%-8s %8s %6s %7s %9s %17s %8s %14s %10s %9s\n' "" "" "" "" pending "" sent "" "" ""

for drill in $DRILLS; do
  case $drill in
    restart)
      port=$(free_port)
      start_redis rpid "$port" "$work/restart"
      run_drill restart "127.0.0.1:$port" 'end $rpid' 'start_redis rpid $port $work/restart'
      end "$rpid"
      ;;
    pause)
      port=$(free_port)
      start_redis rpid "$port" "$work/pause"
      run_drill pause "127.0.0.1:$port" 'kill -STOP $rpid' 'kill -CONT $rpid'
      end "$rpid"
      ;;
    cluster)
      cports=(); cpids=(); cargs=()
      for i in 0 1 2; do
        cports[i]=$(free_port)
        cargs[i]="--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 --cluster-port $(free_port) --cluster-require-full-coverage no"
        # shellcheck disable=SC2086
        start_redis "cpids[$i]" "${cports[i]}" "$work/cluster$i" ${cargs[i]}
      done
      redis-cli --cluster create "127.0.0.1:${cports[0]}" "127.0.0.1:${cports[1]}" "127.0.0.1:${cports[2]}" \
        --cluster-replicas 0 --cluster-yes >"$work/cluster-create" 2>&1
      for _ in $(seq 100); do
        ok=0
        for i in 0 1 2; do redis-cli -p "${cports[i]}" cluster info | grep -q cluster_state:ok && ok=$((ok + 1)); done
        [ $ok -eq 3 ] && break
        sleep 0.2
      done
      # shellcheck disable=SC2016
      run_drill cluster "127.0.0.1:${cports[0]},127.0.0.1:${cports[1]},127.0.0.1:${cports[2]}" \
        'end ${cpids[1]}' 'start_redis "cpids[1]" ${cports[1]} $work/cluster1 ${cargs[1]}'
      for pid in "${cpids[@]}"; do end "$pid"; done
      ;;
    *) echo "unknown drill '$drill' (restart, pause, cluster)" >&2; exit 2 ;;
  esac
done
