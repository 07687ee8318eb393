#!/usr/bin/env python3
"""The events log's Append script: redis-server CPU per online transition, this tree's script
against another revision's, in one process, on one redis-server (docs/PERFORMANCE.md, "The Append
script's cost per online").

A redis-server of its own on a free 127.0.0.1 port, set up as docs/REDIS.md says (list-compress-depth
1, no persistence); the log's online set is filled with ONLINE users spread over its 16,384 buckets
(what a store with that many users online holds), then each round appends 50,000 new users' onlines
(a cold start's burst: every transition an online of a user the log has offline, the `:off` and
`:pend` sets empty) with each script in turn, BATCH transitions a call as EventLogAppender sends them,
the order alternating per round. Per script and round: INFO commandstats' EVALSHA microseconds ÷
transitions, i.e. redis-server's own time inside the script. Prints the machine, the command, each
round, the medians and the ratio to the base.

Use: bench/store/append-script.py [--base REV] [--online N] [--rounds R] [--batch B]
     (--base: a git revision whose src/Core/Events/EventLogScripts.cs is the baseline; default HEAD)
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = 'src/Core/Events/EventLogScripts.cs'
PER_ROUND = 50_000


def append_script(text):
    m = re.search(r'public const string Append = """\n(.*?)\n\s*""";', text, re.S)
    if not m:
        sys.exit(f'no Append script in {SOURCE}')
    return '\n'.join(line[8:] if line.startswith(' ' * 8) else line for line in m.group(1).split('\n'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Resp:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.file = self.sock.makefile('rb')

    def call(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.sock.sendall(b''.join(out))
        return self.read()

    def read(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b'+', b':'):
            return rest.decode()
        if kind == b'-':
            raise RuntimeError(rest.decode())
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if kind == b'*':
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError(f'unexpected reply {line!r}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--base', default='HEAD', help='git revision of the baseline script (default HEAD)')
    ap.add_argument('--online', type=int, default=1_000_000, help='users in the online set before the rounds (default 1,000,000)')
    ap.add_argument('--rounds', type=int, default=5, help='rounds, each appending 50,000 onlines with each script (default 5)')
    ap.add_argument('--batch', type=int, default=100, help='transitions a script call (default 100, EventLogAppender.BatchSize)')
    o = ap.parse_args()
    if o.online < 0 or o.rounds < 1 or not 1 <= o.batch <= PER_ROUND:
        ap.error('--online >= 0, --rounds >= 1, 1 <= --batch <= 50000')

    base = subprocess.run(['git', '-C', ROOT, 'show', f'{o.base}:{SOURCE}'], capture_output=True, text=True)
    if base.returncode != 0:
        sys.exit(f'git show {o.base}:{SOURCE}: {base.stderr.strip()}')
    scripts = {'base': append_script(base.stdout), 'tree': append_script(open(os.path.join(ROOT, SOURCE)).read())}

    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2].removeprefix("v=")
    print(f'== {time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}; {os.cpu_count()} cores, {cpu}; redis-server {redis_version}; '
          f'load average {" ".join(open("/proc/loadavg").read().split()[:3])}')
    print(f'== bench/store/append-script.py --base {o.base} --online {o.online} --rounds {o.rounds} --batch {o.batch}')
    print(f'== base: {o.base}:{SOURCE}; tree: the working tree\'s')

    port = free_port()
    work = tempfile.mkdtemp()
    server = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                               '--dir', work, '--logfile', '', '--list-compress-depth', '1'], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                r = Resp(port)
                r.call('PING')
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit('redis-server did not answer within 10 s')
                time.sleep(0.1)
        per_bucket = o.online // 16384
        r.call('EVAL', """
            local unpack = unpack or table.unpack
            for b = 0, 16383 do
              local a = {}
              for i = 0, tonumber(ARGV[1]) - 1 do
                a[#a + 1] = tostring(1000000000 + i * 16384 + b)
                a[#a + 1] = '1700000000000'
                if #a >= 400 then redis.call('HSET', '{presence:events}:on:' .. b, unpack(a)) a = {} end
              end
              if #a > 0 then redis.call('HSET', '{presence:events}:on:' .. b, unpack(a)) end
            end
            return 1""", 0, per_bucket)
        print(f'online set: {per_bucket * 16384:,} users ({per_bucket} a bucket)')
        shas = {name: r.call('SCRIPT', 'LOAD', text) for name, text in scripts.items()}
        keys = ['{presence:events}:seq', '{presence:events}:log', '{presence:events}:epoch']
        next_id = [5_000_000_000]

        def run(name):
            r.call('CONFIG', 'RESETSTAT')
            for _ in range(PER_ROUND // o.batch):
                args = ['e1', '{presence:events}:on:', '0', '30000']
                for _ in range(o.batch):
                    uid = next_id[0]
                    next_id[0] += 1
                    args += ['n', str(uid), str(uid % 16384), str(1_700_000_000_000 + uid % 1000)]
                r.call('EVALSHA', shas[name], 3, *keys, *args)
            stats = r.call('INFO', 'commandstats')
            m = re.search(r'cmdstat_evalsha:calls=(\d+),usec=(\d+)', stats)
            return int(m.group(2)) / (int(m.group(1)) * o.batch)

        results = {name: [] for name in scripts}
        for round_ in range(o.rounds):
            order = list(scripts) if round_ % 2 == 0 else list(scripts)[::-1]
            line = []
            for name in order:
                results[name].append(run(name))
                line.append(f'{name} {results[name][-1]:.2f}')
            print(f'round {round_ + 1}: ' + ', '.join(line) + ' µs per online')
        medians = {name: sorted(v)[len(v) // 2] for name, v in results.items()}
        for name, v in results.items():
            print(f'{name}: median {medians[name]:.2f} µs of redis-server per online (runs {", ".join(f"{x:.2f}" for x in v)})')
        print(f'tree / base: {medians["tree"] / medians["base"]:.3f}')
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == '__main__':
    main()
