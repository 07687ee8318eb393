#!/usr/bin/env bash
# Store memory per remembered user of last seen (docs/SCALING.md, docs/HTTP-API.md "Last seen"):
# INFO memory used_memory before and after 1M users written as presence-ingest writes them
# (<prefix>seen:<bucket>, 16,384 hashes, field = decimal id, value = Unix seconds, an expiry per
# bucket; the bucket is LastSeenKeys.Bucket: the Fibonacci hash of the id), for dense ids (1..N)
# and random 63-bit ids, 3 runs each, medians; and, in the same script as the baseline, what an
# online user's presence key costs (presence:<id>, 13-digit value, PX).
# Only 127.0.0.1 is targeted; the redis-server started here is ended by pid.
# Use: bench/sizing/last-seen-memory.sh [USERS=1000000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-1000000}
RUNS=${2:-3}
work=$(mktemp -d)
redis=""
trap '[ -n "$redis" ] && kill -KILL "$redis" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); redis-server $(redis-server --version | cut -d' ' -f3 | cut -d= -f2); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $0 $USERS $RUNS"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no --dir "$work" --logfile "" >/dev/null &
redis=$!
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
rcli() { redis-cli -p "$port" "$@"; }
echo "== hash-max-listpack-entries $(rcli config get hash-max-listpack-entries | tail -1), hash-max-listpack-value $(rcli config get hash-max-listpack-value | tail -1)"

# The commands of one layout into $work/<layout>.resp (generated once, outside the measurement).
python3 - "$USERS" "$work" <<'PY'
import sys, time, random
n, work = int(sys.argv[1]), sys.argv[2]
now_s = str(int(time.time())).encode()
now_ms = str(int(time.time() * 1000)).encode()
def resp(*parts):
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
def bucket(user):  # LastSeenKeys.Bucket: (id * 0x9E3779B97F4A7C15) >> (64 - 14), unsigned 64-bit
    return ((user * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 50
rng = random.Random(19)
for name, ids in (("dense", range(1, n + 1)), ("random", [rng.getrandbits(63) | 1 for _ in range(n)])):
    with open(f"{work}/{name}.resp", "wb") as out:
        buckets = set()
        for user in ids:
            b = bucket(user)
            buckets.add(b)
            out.write(resp(b"HSET", b"presence:seen:%d" % b, str(user).encode(), now_s))
        for b in buckets:
            out.write(resp(b"EXPIRE", b"presence:seen:%d" % b, b"2595600"))
with open(f"{work}/presence.resp", "wb") as out:
    for user in range(1, n + 1):
        out.write(resp(b"SET", b"presence:%d" % user, now_ms, b"PX", b"600000"))
PY

measure() { # layout -> bytes per user (integer)
  rcli flushall >/dev/null
  rcli memory purge >/dev/null 2>&1 || true
  local before after
  before=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  rcli --pipe <"$work/$1.resp" >/dev/null
  after=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  echo $(( (after - before) / USERS ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A med
for layout in presence dense random; do
  runs=()
  for ((r = 1; r <= RUNS; r++)); do runs+=("$(measure "$layout")"); done
  med[$layout]=$(printf '%s\n' "${runs[@]}" | median)
  echo "$layout: bytes per user, runs: ${runs[*]}; median ${med[$layout]}"
done
echo "== last seen per remembered user: dense ids ${med[dense]} B, random 63-bit ids ${med[random]} B;" \
  "ratio to an online user's presence key (${med[presence]} B): $(awk -v a="${med[dense]}" -v b="${med[presence]}" 'BEGIN {printf "%.2f", a / b}') and $(awk -v a="${med[random]}" -v b="${med[presence]}" 'BEGIN {printf "%.2f", a / b}')"
