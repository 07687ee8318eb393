"""The heartbeat wire format (docs/PROTOCOL.md, version 1): frames, records, device keys, tags."""
from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence, Union

MAGIC = b"PH"
VERSION = 1
FLAG_SIGNED = 0x01
HEADER_SIZE = 6
SIGNED_HEADER_SIZE = 4
RECORD_SIZE = 16
TAG_SIZE = 16
SIGNED_RECORD_SIZE = RECORD_SIZE + TAG_SIZE
KEY_SIZE = 32
MAX_USER_ID = 2**64 - 1
# One Ethernet payload: the largest frame the ingester accepts on UDP.
MAX_UDP_FRAME = 1472
MAX_UDP_UNSIGNED_RECORDS = (MAX_UDP_FRAME - HEADER_SIZE) // RECORD_SIZE  # 91
MAX_UDP_SIGNED_RECORDS = (MAX_UDP_FRAME - HEADER_SIZE) // SIGNED_RECORD_SIZE  # 45

HEARTBEAT = 0
OFFLINE = 1

_SALT = b"presence/v1"
_RECORD = struct.Struct(">QIHBB")


class MalformedFrame(ValueError):
    """A frame (or a record to encode) breaks a rule of PROTOCOL.md; the message names the rule."""


@dataclass(frozen=True)
class Record:
    """One 16-byte record. time 0 means unknown (allowed only unsigned); key_id is 0 when unsigned."""

    user_id: int
    time: int = 0
    seq: int = 0
    kind: int = HEARTBEAT
    key_id: int = 0


def frame_size(count: int, signed: bool) -> int:
    return HEADER_SIZE + count * (SIGNED_RECORD_SIZE if signed else RECORD_SIZE)


def derive_device_key(master_key: bytes, user_id: int) -> bytes:
    """device_key = HKDF-SHA256(ikm=master_key, salt="presence/v1", info=user id big-endian, 32 bytes)."""
    if len(master_key) != KEY_SIZE:
        raise ValueError(f"a master key is {KEY_SIZE} bytes, not {len(master_key)}")
    _check_user(user_id)
    prk = hmac.new(_SALT, master_key, hashlib.sha256).digest()
    # One expand block is the 32 bytes asked for: T(1) = HMAC(PRK, info || 0x01).
    return hmac.new(prk, user_id.to_bytes(8, "big") + b"\x01", hashlib.sha256).digest()


def tag(device_key: bytes, signed_header: bytes, record: bytes) -> bytes:
    """First 16 bytes of HMAC-SHA256(device_key, header[0..4] || record[0..16])."""
    if len(device_key) != KEY_SIZE:
        raise ValueError(f"a device key is {KEY_SIZE} bytes, not {len(device_key)}")
    return hmac.new(device_key, bytes(signed_header[:SIGNED_HEADER_SIZE]) + bytes(record[:RECORD_SIZE]), hashlib.sha256).digest()[:TAG_SIZE]


KeySource = Union[bytes, Sequence[bytes], Callable[[Record], bytes]]


def encode(records: Iterable[Record], keys: Optional[KeySource] = None) -> bytes:
    """Builds one frame. keys None: unsigned. bytes: one device key signs every record (a device).
    A sequence: record i is signed with keys[i]. A callable: called with each record for its key
    (a gateway deriving keys from its master keys). Records the protocol forbids raise MalformedFrame."""
    records = list(records)
    if not 1 <= len(records) <= 0xFFFF:
        raise ValueError(f"a frame holds 1 to 65535 records, not {len(records)}")
    signed = keys is not None
    header = MAGIC + bytes([VERSION, FLAG_SIGNED if signed else 0]) + len(records).to_bytes(2, "big")
    out = bytearray(header)
    for i, r in enumerate(records):
        _check_record(r, signed)
        body = _RECORD.pack(r.user_id, r.time, r.seq, r.kind, r.key_id)
        out += body
        if signed:
            if isinstance(keys, (bytes, bytearray)):
                key = bytes(keys)
            elif callable(keys):
                key = keys(r)
            else:
                key = keys[i]  # type: ignore[index]
            out += tag(key, header, body)
    return bytes(out)


def decode(frame: bytes) -> List[Record]:
    """Checks a frame by every rule of PROTOCOL.md and returns its records; MalformedFrame says which rule broke."""
    signed = check_header(frame)
    count = int.from_bytes(frame[4:6], "big")
    if len(frame) != frame_size(count, signed):
        raise MalformedFrame(f"length {len(frame)} is not 6 + {count} x {SIGNED_RECORD_SIZE if signed else RECORD_SIZE}")
    step = SIGNED_RECORD_SIZE if signed else RECORD_SIZE
    records = []
    for i in range(count):
        user_id, time, seq, kind, key_id = _RECORD.unpack_from(frame, HEADER_SIZE + i * step)
        record = Record(user_id, time, seq, kind, key_id)
        try:
            _check_record(record, signed)
        except MalformedFrame as e:
            raise MalformedFrame(f"record {i}: {e}") from None
        records.append(record)
    return records


def check_header(frame: bytes) -> bool:
    """Checks the 6-byte header; returns whether the frame is signed."""
    if len(frame) < HEADER_SIZE:
        raise MalformedFrame(f"{len(frame)} bytes: shorter than the 6-byte header")
    if frame[:2] != MAGIC:
        raise MalformedFrame("bad magic (not 'PH')")
    if frame[2] != VERSION:
        raise MalformedFrame(f"version {frame[2]} (only 1 is known)")
    if frame[3] & ~FLAG_SIGNED:
        raise MalformedFrame(f"unknown flag bits 0x{frame[3] & ~FLAG_SIGNED:02x}")
    if frame[4:6] == b"\x00\x00":
        raise MalformedFrame("record count 0")
    return bool(frame[3] & FLAG_SIGNED)


def verify(frame: bytes, index: int, device_key: bytes) -> bool:
    """Whether record index of a signed frame carries the right tag (compared in constant time)."""
    if not frame[3] & FLAG_SIGNED:
        return False
    at = HEADER_SIZE + index * SIGNED_RECORD_SIZE
    expected = tag(device_key, frame[:SIGNED_HEADER_SIZE], frame[at:at + RECORD_SIZE])
    return hmac.compare_digest(expected, bytes(frame[at + RECORD_SIZE:at + SIGNED_RECORD_SIZE]))


def _check_user(user_id: int) -> None:
    if not isinstance(user_id, int) or not 1 <= user_id <= MAX_USER_ID:
        raise MalformedFrame(f"user id {user_id!r} is not an integer in 1 .. {MAX_USER_ID}")


def _check_record(r: Record, signed: bool) -> None:
    _check_user(r.user_id)
    if not 0 <= r.time <= 0xFFFFFFFF:
        raise MalformedFrame(f"time {r.time} is not a 32-bit unsigned number of seconds")
    if not 0 <= r.seq <= 0xFFFF:
        raise MalformedFrame(f"seq {r.seq} is not 0..65535")
    if r.kind not in (HEARTBEAT, OFFLINE):
        raise MalformedFrame(f"kind {r.kind} (0 heartbeat, 1 offline)")
    if not 0 <= r.key_id <= 255:
        raise MalformedFrame(f"key id {r.key_id} is not 0..255")
    if signed and r.time == 0:
        raise MalformedFrame("a signed record needs a time (0 = unknown is allowed only unsigned)")
    if not signed and r.key_id != 0:
        raise MalformedFrame(f"an unsigned record has key id {r.key_id}, not 0")
