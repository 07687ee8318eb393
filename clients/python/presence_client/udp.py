"""Sending heartbeats over UDP: one device (Device) or many behind a gateway (Gateway)."""
from __future__ import annotations

import socket
import time as _time
from typing import Dict, Iterable, List, Optional, Tuple

from . import protocol
from .protocol import HEARTBEAT, OFFLINE, Record


def parse_target(text: str) -> Tuple[str, int]:
    """'127.0.0.1:7700', '[::1]:7700' or 'host:7700' into (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT with a port 1..65535, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class UdpSender:
    """A UDP socket aimed at one ingester. The ingester never answers, so nothing is read."""

    def __init__(self, target: str):
        host, port = parse_target(target)
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self._socket = socket.socket(info[0], socket.SOCK_DGRAM)
        self._address = info[4]
        self.target = target

    def send(self, frame: bytes) -> None:
        if len(frame) > protocol.MAX_UDP_FRAME:
            raise ValueError(f"a UDP frame is at most {protocol.MAX_UDP_FRAME} bytes, not {len(frame)}")
        self._socket.sendto(frame, self._address)

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> "UdpSender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Device:
    """One device: its user id, its device key (None: unsigned), and the seq of its next record.

    A signed ingester drops a seq at or below the highest it saw minus 64 (modulo 65536): a
    device that restarts should restore seq, or start from int(time.time()) // interval."""

    def __init__(self, user_id: int, device_key: Optional[bytes] = None, key_id: int = 0, seq: int = 0,
                 sender: Optional[UdpSender] = None):
        if device_key is None and key_id != 0:
            raise ValueError("an unsigned device has key id 0")
        if device_key is not None and len(device_key) != protocol.KEY_SIZE:
            raise ValueError(f"a device key is {protocol.KEY_SIZE} bytes, not {len(device_key)}")
        protocol._check_user(user_id)
        self.user_id = user_id
        self.device_key = device_key
        self.key_id = key_id
        self.seq = seq & 0xFFFF
        self.sender = sender

    def build(self, kind: int = HEARTBEAT, unix_time: Optional[int] = None) -> bytes:
        """The next frame; advances seq."""
        now = int(_time.time()) if unix_time is None else unix_time
        record = Record(self.user_id, now, self.seq, kind, self.key_id)
        frame = protocol.encode([record], self.device_key)
        self.seq = (self.seq + 1) & 0xFFFF
        return frame

    def heartbeat(self) -> None:
        self._sender().send(self.build(HEARTBEAT))

    def sign_out(self) -> None:
        self._sender().send(self.build(OFFLINE))

    def _sender(self) -> UdpSender:
        if self.sender is None:
            raise ValueError("this Device was made without a sender")
        return self.sender


class Gateway:
    """Speaks for many devices: packs their records into as few UDP frames as fit (91 unsigned,
    45 signed), signing each with the device key derived from master_keys[key_id] when given."""

    def __init__(self, sender: UdpSender, master_keys: Optional[Dict[int, bytes]] = None):
        self.sender = sender
        self._masters = dict(master_keys or {})
        self._device_keys: Dict[Tuple[int, int], bytes] = {}

    def device_key(self, user_id: int, key_id: int) -> bytes:
        cached = self._device_keys.get((user_id, key_id))
        if cached is None:
            if key_id not in self._masters:
                raise KeyError(f"no master key with id {key_id}")
            cached = self._device_keys[(user_id, key_id)] = protocol.derive_device_key(self._masters[key_id], user_id)
        return cached

    def send(self, records: Iterable[Record]) -> int:
        """Sends the records; returns the number of frames."""
        batch: List[Record] = list(records)
        signed = bool(self._masters)
        per_frame = protocol.MAX_UDP_SIGNED_RECORDS if signed else protocol.MAX_UDP_UNSIGNED_RECORDS
        frames = 0
        for start in range(0, len(batch), per_frame):
            chunk = batch[start:start + per_frame]
            keys = (lambda r: self.device_key(r.user_id, r.key_id)) if signed else None
            self.sender.send(protocol.encode(chunk, keys))
            frames += 1
        return frames
