#!/usr/bin/env bash
# Store memory per group member (docs/SCALING.md, docs/HTTP-API.md "Groups"): INFO memory used_memory
# before and after 1M memberships written as presence-query writes them (<prefix>group:{<name>}, a sorted
# set, members the ids as 8 bytes big-endian, score 0), in groups of 10, 100, 1,000 and 100,000 members
# (random 63-bit ids), 3 runs each, medians; and, in the same script as the baseline, what an online
# user's presence key costs (presence:<id>, 13-digit value, PX). Redis keeps a sorted set of at most
# zset-max-listpack-entries members (128 by default) as a listpack; the script prints the encoding.
# Only 127.0.0.1 is targeted; the redis-server started here is ended by pid.
# Use: bench/sizing/group-memory.sh [MEMBERS=1000000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMBERS=${1:-1000000}
RUNS=${2:-3}
work=$(mktemp -d)
redis=""
trap '[ -n "$redis" ] && kill -KILL "$redis" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

echo "== $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); redis-server $(redis-server --version | cut -d' ' -f3 | cut -d= -f2); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $0 $MEMBERS $RUNS"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no --dir "$work" --logfile "" >/dev/null &
redis=$!
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
rcli() { redis-cli -p "$port" "$@"; }
echo "== zset-max-listpack-entries $(rcli config get zset-max-listpack-entries | tail -1), zset-max-listpack-value $(rcli config get zset-max-listpack-value | tail -1)"

SIZES="10 100 1000 100000"
python3 - "$MEMBERS" "$work" "$SIZES" <<'PY'
import sys, time, random, struct
n, work, sizes = int(sys.argv[1]), sys.argv[2], [int(s) for s in sys.argv[3].split()]
now_ms = str(int(time.time() * 1000)).encode()
def resp(*parts):
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
rng = random.Random(22)
for size in sizes:
    with open(f"{work}/g{size}.resp", "wb") as out:
        for g in range(n // size):
            key = b"presence:group:{g%d}" % g
            for start in range(0, size, 1000):  # ZADDs of 1,000 members, as the membership script sends them
                args = [b"ZADD", key]
                for _ in range(min(size - start, 1000)):
                    args += [b"0", struct.pack(">Q", rng.getrandbits(63) | 1)]
                out.write(resp(*args))
with open(f"{work}/presence.resp", "wb") as out:
    for user in range(1, n + 1):
        out.write(resp(b"SET", b"presence:%d" % user, now_ms, b"PX", b"600000"))
PY

measure() { # layout -> bytes per member (one decimal)
  rcli flushall >/dev/null
  rcli memory purge >/dev/null 2>&1 || true
  local before after
  before=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  rcli --pipe <"$work/$1.resp" >/dev/null
  after=$(rcli info memory | awk -F: '/^used_memory:/ {print $2+0}')
  awk -v a="$after" -v b="$before" -v n="$MEMBERS" 'BEGIN {printf "%.1f", (a - b) / n}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
runs=()
for ((r = 1; r <= RUNS; r++)); do runs+=("$(measure presence)"); done
base=$(printf '%s\n' "${runs[@]}" | median)
echo "presence key per online user: runs ${runs[*]}; median $base B"
for size in $SIZES; do
  runs=()
  for ((r = 1; r <= RUNS; r++)); do runs+=("$(measure "g$size")"); done
  med=$(printf '%s\n' "${runs[@]}" | median)
  echo "groups of $size members ($((MEMBERS / size)) groups, $(rcli object encoding 'presence:group:{g0}')): bytes per member, runs ${runs[*]}; median $med B; ratio to a presence key $(awk -v a="$med" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
done
