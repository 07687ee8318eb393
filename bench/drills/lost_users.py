#!/usr/bin/env python3
"""Counts users 1..USERS that have no presence key: the drills' "lost users".

Use: lost_users.py USERS PREFIX HOST:PORT[,HOST:PORT...]
One node: EXISTS pipelined 2000 at a time. Several (a Redis Cluster): the slot map is read with
CLUSTER SLOTS from the first node that answers, each key sent to the master owning its slot
(CRC16-XMODEM mod 16384, as Redis does). Prints "lost N errors E"; errors are replies that were
not 0/1 (a node away, MOVED), counted as lost too. Standard library only.
"""
import socket
import sys

BATCH = 2000


def crc16(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key: bytes) -> int:
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % 16384


class Node:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.file = self.sock.makefile("rb")

    def send(self, *commands):
        out = bytearray()
        for args in commands:
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def read(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b":":
            return int(rest)
        if kind in (b"+", b"-"):
            return rest.decode() if kind == b"+" else RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)
            return data[:-2]
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        raise IOError(f"unexpected reply {line!r}")


def main():
    users, prefix, nodes = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].split(",")
    addresses = [(n.rsplit(":", 1)[0], int(n.rsplit(":", 1)[1])) for n in nodes]
    owners = None  # slot -> (host, port)
    if len(addresses) > 1:
        for host, port in addresses:
            try:
                n = Node(host, port)
                n.send(["CLUSTER", "SLOTS"])
                ranges = n.read()
                owners = [None] * 16384
                for r in ranges:
                    master = (r[2][0].decode(), int(r[2][1]))
                    for s in range(int(r[0]), int(r[1]) + 1):
                        owners[s] = master
                break
            except OSError:
                continue
    conns = {}

    def node(addr):
        if addr not in conns:
            conns[addr] = Node(*addr)
        return conns[addr]

    lost = errors = 0
    for start in range(1, users + 1, BATCH):
        by_node = {}
        for u in range(start, min(start + BATCH, users + 1)):
            key = prefix + str(u).encode()
            addr = owners[slot(key)] if owners else addresses[0]
            by_node.setdefault(addr, []).append(key)
        for addr, keys in by_node.items():
            try:
                n = node(addr)
                n.send(*[["EXISTS", k] for k in keys])
                for _ in keys:
                    r = n.read()
                    if r == 0:
                        lost += 1
                    elif r != 1:
                        lost += 1
                        errors += 1
            except OSError:
                conns.pop(addr, None)
                lost += len(keys)
                errors += len(keys)
    print(f"lost {lost} errors {errors}")


if __name__ == "__main__":
    main()
