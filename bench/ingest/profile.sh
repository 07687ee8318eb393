#!/usr/bin/env bash
# Where presence-ingest's CPU goes at a high rate (not a test): one redis-server (list-compress-depth 1,
# as REDIS.md sets it), a Release presence-ingest (events on, the default) and presence-loadgen
# sending RATE heartbeats/s, PER_FRAME records a frame, to RATE x 10 users (every user new in the
# first 10 s, as in bench/EndToEnd's ladder). After WARM seconds, over WINDOW seconds:
#   - per thread (grouped by name): CPU, voluntary and involuntary context switches per second (/proc);
#   - with PERF=1 (the default; needs Linux perf, Debian's linux-perf), a sampled profile of the
#     ingest (perf record -g at 999 Hz; JIT frames named through the runtime's perf map) and its
#     hottest symbols, self time. perf's own cost inflates the CPU of that run: take CPU figures
#     from PERF=0 runs, and shares from the profile.
# Use: bench/ingest/profile.sh   (RATE=300000 PER_FRAME=8 DURATION=40 WARM=15 WINDOW=10 PERF=1 TOP=25 INGEST_ARGS=)
# INGEST_DLL=path/presence-ingest.dll profiles another build (e.g. a worktree's) with the same load.
# Only 127.0.0.1 is targeted; the load is bounded by DURATION; every process started is ended.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${RATE:-300000}
PER_FRAME=${PER_FRAME:-8}
DURATION=${DURATION:-40}
WARM=${WARM:-15}
WINDOW=${WINDOW:-10}
PERF=${PERF:-1}
TOP=${TOP:-25}
INGEST_ARGS=${INGEST_ARGS:-}
USERS=$((RATE * 10))
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null; then
  echo "perf not found: install Debian's linux-perf, or run with PERF=0 (threads only)" >&2
  exit 2
fi
if [ $((WARM + WINDOW)) -ge "$DURATION" ]; then
  echo "WARM + WINDOW ($((WARM + WINDOW)) s) must end before the load does (DURATION $DURATION s)" >&2
  exit 2
fi
work=$(mktemp -d)
started=()
end() { kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
trap 'for p in "${started[@]}"; do end "$p"; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime in clock ticks (redis-server's name has no space)

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(redis-server --version | cut -d' ' -f3); .NET $(dotnet --version); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $RATE heartbeats/s, $PER_FRAME a frame, $USERS users; window $WINDOW s after $WARM s; perf: $PERF"
dll=${INGEST_DLL:-src/Ingest/bin/Release/net10.0/presence-ingest.dll}
[ -n "${INGEST_DLL:-}" ] || dotnet build src/Ingest -c Release -nologo -v:q -clp:NoSummary >/dev/null
dotnet build src/LoadGen -c Release -nologo -v:q -clp:NoSummary >/dev/null
rport=$(free_port); udp=$(free_port); http=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --list-compress-depth 1 --daemonize no --dir "$work" --logfile "" >/dev/null &
redis=$!; started+=("$redis")
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
# W^X off, so JIT code has one address perf's map can name; the perf map is written only with PERF=1.
DOTNET_PerfMapEnabled=$([ "$PERF" = 1 ] && echo 3 || echo 0) DOTNET_EnableWriteXorExecute=0 \
  dotnet "$dll" --udp "127.0.0.1:$udp" --http "127.0.0.1:$http" --redis "127.0.0.1:$rport" $INGEST_ARGS >"$work/ingest.log" 2>&1 &
ingest=$!; started+=("$ingest")
echo "\$ presence-ingest --udp 127.0.0.1:$udp --http 127.0.0.1:$http --redis 127.0.0.1:$rport $INGEST_ARGS"
until curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do sleep 0.1; done
echo "\$ presence-loadgen --target 127.0.0.1:$udp --users $USERS --interval 10 --duration $DURATION --per-frame $PER_FRAME --json"
dotnet src/LoadGen/bin/Release/net10.0/presence-loadgen.dll --target "127.0.0.1:$udp" --users "$USERS" --interval 10 \
  --duration "$DURATION" --per-frame "$PER_FRAME" --json >"$work/loadgen.out" 2>&1 &
sender=$!; started+=("$sender")
sleep "$WARM"

i0=$(cpu "$ingest"); r0=$(cpu "$redis")
perfpid=
if [ "$PERF" = 1 ]; then
  perf record -F 999 -g -p "$ingest" -o "$work/perf.data" -- sleep "$WINDOW" >/dev/null 2>&1 &
  perfpid=$!
fi
# Per thread, grouped by name: CPU and context switches over the window (a thread born in it counts whole).
python3 - "$ingest" "$WINDOW" <<'PY'
import os, sys, time
pid, window = sys.argv[1], float(sys.argv[2])
def snap():
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            fields = stat[stat.rindex(")") + 2:].split()
            switches = {}
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                key, _, value = line.partition(":")
                if key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                    switches[key] = int(value)
            threads[tid] = (stat[stat.index("(") + 1:stat.rindex(")")], int(fields[11]) + int(fields[12]),
                            switches["voluntary_ctxt_switches"], switches["nonvoluntary_ctxt_switches"])
        except (OSError, ValueError, KeyError):
            pass  # a thread that ended between the listing and the read
    return threads
before = snap(); time.sleep(window); after = snap()
hz = os.sysconf("SC_CLK_TCK")
groups = {}
for tid, (name, cpu, vol, invol) in after.items():
    _, cpu0, vol0, invol0 = before.get(tid, (name, 0, 0, 0))
    g = groups.setdefault(name, [0, 0, 0, 0])
    g[0] += 1; g[1] += cpu - cpu0; g[2] += vol - vol0; g[3] += invol - invol0
print(f"{'ingest thread':22} {'threads':>7} {'cores':>6} {'switches/s':>11} {'preempted/s':>12}")
total = [0, 0, 0]
for name, (n, cpu, vol, invol) in sorted(groups.items(), key=lambda g: -g[1][1]):
    total[0] += cpu; total[1] += vol; total[2] += invol
    if cpu or vol:
        print(f"{name:22} {n:7} {cpu / hz / window:6.3f} {vol / window:11.0f} {invol / window:12.0f}")
print(f"{'all':22} {'':7} {total[0] / hz / window:6.3f} {total[1] / window:11.0f} {total[2] / window:12.0f}")
PY
[ -z "$perfpid" ] || wait "$perfpid" || true
i1=$(cpu "$ingest"); r1=$(cpu "$redis")
hz=$(getconf CLK_TCK)
accepted=$(curl -s "http://127.0.0.1:$http/metrics" | awk '$1 == "presence_records_accepted_total" {print $2}')
echo "== window: presence-ingest $(awk -v a="$i0" -v b="$i1" -v hz="$hz" -v w="$WINDOW" 'BEGIN {printf "%.3f", (b - a) / hz / w}') cores, redis-server $(awk -v a="$r0" -v b="$r1" -v hz="$hz" -v w="$WINDOW" 'BEGIN {printf "%.3f", (b - a) / hz / w}') cores; accepted so far $accepted"
if [ "$PERF" = 1 ]; then
  echo "== the ingest's hottest symbols (self time, share of its samples in the window)"
  perf report -i "$work/perf.data" --no-children --sort sym -g none -q 2>/dev/null | head -n "$TOP" | cut -c1-200 || true
  echo "== by thread name"
  perf report -i "$work/perf.data" --no-children --sort comm -g none -q 2>/dev/null | head -n 8 || true
fi
wait "$sender" || true
