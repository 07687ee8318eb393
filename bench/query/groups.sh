#!/usr/bin/env bash
# Group reads benchmark (not a test; docs/PERFORMANCE.md "Groups"). A redis-server of its own on a free
# port holds 100,000 users, 30% of them online; presence-query (Release) in front of it holds groups of
# 100, 10,000 and 100,000 of them and 1,000 "users" of 3 devices each. For each, RUNS runs (default 3) of
# REQUESTS requests, one at a time on one keep-alive connection, medians printed:
#   GET /v1/groups/<g>/presence?limit=1000     against  POST /v1/presence/query with every member's id
#   POST /v1/groups/presence (1,000 names)     against  POST /v1/presence/query with their 3,000 ids
# Each pair in the same run: wall time per request and presence-query's and redis-server's CPU per request
# (from /proc), and the ratio group / batch: what reading the membership costs beyond the batch it leads to.
# The batch baseline runs with --max-batch 100000 so one request can carry a whole group.
# QUERY_BIN runs a prebuilt presence-query. Needs: redis-server, redis-cli, python3, the .NET SDK.
# Only 127.0.0.1 is targeted; leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-20}
for tool in redis-server redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), redis $(redis-server --version | awk '{ print $3 }'), dotnet $(dotnet --version)"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg); $0 (RUNS=$RUNS REQUESTS=$REQUESTS)"
if [ -n "${QUERY_BIN:-}" ]; then
  query_bin=$QUERY_BIN
else
  echo "== build: dotnet build src/Query -c Release"
  dotnet build src/Query -c Release -nologo -v:q -clp:NoSummary >/dev/null
  query_bin=src/Query/bin/Release/net10.0/presence-query
fi

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
pids+=($redis_pid)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
now_ms=$(($(date +%s) * 1000))
awk -v now="$now_ms" 'BEGIN { for (i = 1; i <= 100000; i++) if (i % 10 < 3) {
  k = sprintf("presence:%d", i); v = sprintf("%.0f", now - (i % 30000))
  printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$7\r\n3600000\r\n", length(k), k, length(v), v } }' |
  redis-cli -p "$redis_port" --pipe | tail -1

echo "admin-1" >"$work/admin-keys"
chmod 600 "$work/admin-keys"
query_port=$(free_port)
echo "$query_bin --http 127.0.0.1:$query_port --redis 127.0.0.1:$redis_port --max-batch 100000 --max-body 4000000 --admin-keys <file>"
"$query_bin" --http "127.0.0.1:$query_port" --redis "127.0.0.1:$redis_port" --max-batch 100000 --max-body 4000000 \
  --admin-keys "$work/admin-keys" >"$work/query.log" 2>&1 &
query_pid=$!
pids+=($query_pid)
for _ in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$query_port/readyz')" 2>/dev/null && break; sleep 0.2; done

python3 - "$query_port" "$query_pid" "$redis_pid" "$RUNS" "$REQUESTS" <<'PY'
import http.client, json, os, statistics, sys, time
port, query_pid, redis_pid, runs, requests = (int(a) for a in sys.argv[1:])
tick = os.sysconf("SC_CLK_TCK")
conn = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None, admin=False):
    headers = {"content-type": "application/json"}
    if admin:
        headers["authorization"] = "Bearer admin-1"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return data
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
sizes = {"g100": 100, "g10k": 10_000, "g100k": 100_000}
for name, size in sizes.items():
    call("PUT", f"/v1/groups/{name}", json.dumps({"ids": list(range(1, size + 1))}), admin=True)
for u in range(1000):
    call("PUT", f"/v1/groups/u{u}", json.dumps({"ids": [3 * u + 1, 3 * u + 2, 3 * u + 3]}), admin=True)
def measure(method, path, body):
    q0, r0, t0 = cpu(query_pid), cpu(redis_pid), time.perf_counter()
    for _ in range(requests):
        call(method, path, body)
    t1 = time.perf_counter()
    return ((t1 - t0) / requests * 1000, (cpu(query_pid) - q0) / tick / requests * 1000, (cpu(redis_pid) - r0) / tick / requests * 1000)
cases = [(f"group of {size:,}: GET presence?limit=1000", ("GET", f"/v1/groups/{name}/presence?limit=1000", None),
          f"batch of its {size:,} ids", ("POST", "/v1/presence/query", json.dumps({"ids": list(range(1, size + 1))})))
         for name, size in sizes.items()]
cases.append(("1,000 users of 3 devices: POST /v1/groups/presence", ("POST", "/v1/groups/presence", json.dumps({"names": [f"u{u}" for u in range(1000)]})),
              "batch of their 3,000 ids", ("POST", "/v1/presence/query", json.dumps({"ids": list(range(1, 3001))}))))
print("sample:", call("GET", "/v1/groups/g100/presence?limit=2").decode())
print("sample:", call("POST", "/v1/groups/presence", json.dumps({"names": ["u0", "u1"]})).decode())
for label, group, base_label, base in cases:
    g, b = [], []
    for _ in range(runs):  # the pair in the same run, alternating
        g.append(measure(*group))
        b.append(measure(*base))
    med = lambda rows, i: statistics.median(r[i] for r in rows)
    print(f"{label}: {med(g,0):.2f} ms a request, query CPU {med(g,1):.2f} ms, redis CPU {med(g,2):.2f} ms"
          f" | {base_label}: {med(b,0):.2f} ms, {med(b,1):.2f} ms, {med(b,2):.2f} ms"
          f" | ratio group/batch: wall {med(g,0)/med(b,0):.2f}, query CPU {med(g,1)/max(med(b,1),1e-9):.2f}")
PY
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
