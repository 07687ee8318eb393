"""python -m presence_client send|get|group|groups|watch|watch-group|watch-groups: the client from a shell (see --help)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from . import protocol
from .query import GROUP_NAME, PresenceClient, PresenceError
from .udp import Device, UdpSender


def _key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 64 hex digits") from None
    if len(key) != protocol.KEY_SIZE:
        raise argparse.ArgumentTypeError(f"must be 64 hex digits, not {len(text)}")
    return key


def _user(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= protocol.MAX_USER_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer in 1 .. {protocol.MAX_USER_ID}")
    return int(text)


def _ids(text: str) -> List[int]:
    return [_user(part.strip()) for part in text.split(",") if part.strip()]


def _group(text: str) -> str:
    if not GROUP_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is no group name: [A-Za-z0-9._:-], 1 to 128 characters")
    return text


def _ranged(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be {low}..{high}")
        return int(text)
    return parse


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m presence_client", description="Presence from a shell.")
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", help="send heartbeats (or a sign-out) for one user over UDP")
    send.add_argument("--to", required=True, help="the ingester's UDP address, HOST:PORT")
    send.add_argument("--user", required=True, type=_user, help="user id")
    keys = send.add_mutually_exclusive_group()
    keys.add_argument("--device-key", type=_key, help="sign with this device key (64 hex digits)")
    keys.add_argument("--master-key", type=_key, help="sign with the device key derived from this master key")
    send.add_argument("--key-id", type=_ranged(0, 255), default=0, help="master key id (default 0)")
    send.add_argument("--offline", action="store_true", help="send a sign-out instead of a heartbeat")
    send.add_argument("--count", type=_ranged(1, 1_000_000), default=1, help="frames to send, seq counting up (default 1)")
    send.add_argument("--seq", type=_ranged(0, 65535), default=0, help="seq of the first frame (default 0)")
    send.add_argument("--corrupt-tag", action="store_true", help="flip the last bit of each tag (the ingester must reject it)")

    get = commands.add_parser("get", help="batch presence: one JSON line per id")
    get.add_argument("--url", required=True, help="the query service, e.g. http://127.0.0.1:8080")
    get.add_argument("--api-key", help="bearer key, when the service has --api-keys")
    get.add_argument("ids", type=_ids, help="comma-separated ids")

    group = commands.add_parser("group", help="one group's members with their presence: one JSON line per member, ascending by id")
    group.add_argument("--url", required=True, help="the query service, e.g. http://127.0.0.1:8080")
    group.add_argument("--api-key", help="bearer key, when the service has --api-keys")
    group.add_argument("--online-only", action="store_true", help="list online members only")
    group.add_argument("--limit", type=_ranged(1, 1_000_000), metavar="N",
                       help="members per request (default: the service's --max-batch); every page is listed")
    group.add_argument("name", type=_group, help="the group's name")

    groups = commands.add_parser("groups", help="groups' aggregate presence (e.g. users with several devices): one JSON line per group")
    groups.add_argument("--url", required=True, help="the query service, e.g. http://127.0.0.1:8080")
    groups.add_argument("--api-key", help="bearer key, when the service has --api-keys")
    groups.add_argument("names", type=_group, nargs="+", metavar="NAME", help="group names")

    watch = commands.add_parser("watch", help="the events stream: one JSON line per event, until Ctrl-C")
    watch.add_argument("--url", required=True, help="the query service, e.g. http://127.0.0.1:8080")
    watch.add_argument("--api-key", help="bearer key, when the service has --api-keys")
    watch.add_argument("--last-event-id", help="resume after this event")
    watch.add_argument("--debounce", type=_ranged(0, 60), default=0, metavar="S",
                       help="hold offlines S seconds (0-60, default 0): a blink shorter than S is not shown")
    watch.add_argument("ids", type=_ids, help="comma-separated ids")

    watch_group = commands.add_parser("watch-group", help="one group's stream (its online members, then members online/offline, "
                                      "added/removed): one JSON line per event, until Ctrl-C")
    watch_groups = commands.add_parser("watch-groups", help="many groups' stream (each group online while any member is): "
                                       "one JSON line per event, until Ctrl-C")
    for stream in (watch_group, watch_groups):
        stream.add_argument("--url", required=True, help="the query service, e.g. http://127.0.0.1:8080")
        stream.add_argument("--api-key", help="bearer key, when the service has --api-keys")
        stream.add_argument("--last-event-id", help="resume after this event")
        stream.add_argument("--debounce", type=_ranged(0, 60), default=0, metavar="S",
                            help="hold members' offlines S seconds (0-60, default 0): a blink shorter than S is not shown")
    watch_group.add_argument("name", type=_group, help="the group's name")
    watch_groups.add_argument("names", type=_group, nargs="+", metavar="NAME", help="group names")

    args = parser.parse_args(argv)
    try:
        if args.command == "send":
            return _send(args)
        client = PresenceClient(args.url, api_key=args.api_key)
        if args.command == "get":
            for user in client.get_many(args.ids):
                print(json.dumps({"id": str(user.id), "online": user.online, "lastSeenMs": user.last_seen_ms}))
            return 0
        if args.command == "group":
            for user in client.iter_group(args.name, online_only=args.online_only, limit=args.limit):
                print(json.dumps({"id": str(user.id), "online": user.online, "lastSeenMs": user.last_seen_ms}), flush=True)
            return 0
        if args.command == "groups":
            for g in client.groups_presence(args.names):
                print(json.dumps({"name": g.name, "online": g.online, "onlineMembers": g.online_members, "members": g.members,
                                  "lastSeenMs": g.last_seen_ms}))
            return 0
        if args.command == "watch-group":
            stream = client.group_events(args.name, last_event_id=args.last_event_id, debounce=args.debounce)
        elif args.command == "watch-groups":
            stream = client.groups_events(args.names, last_event_id=args.last_event_id, debounce=args.debounce)
        else:
            stream = client.events(args.ids, last_event_id=args.last_event_id, debounce=args.debounce)
        with stream:
            for event in stream:
                print(json.dumps({"event": event.type, "id": event.event_id, "data": event.data}), flush=True)
        return 0
    except (PresenceError, OSError, ValueError) as e:
        print(f"presence_client: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _send(args) -> int:
    if args.corrupt_tag and args.device_key is None and args.master_key is None:
        print("presence_client: --corrupt-tag needs a key (an unsigned frame has no tag)", file=sys.stderr)
        return 2
    key = args.device_key
    if args.master_key is not None:
        key = protocol.derive_device_key(args.master_key, args.user)
    with UdpSender(args.to) as sender:
        device = Device(args.user, key, args.key_id if key is not None else 0, seq=args.seq)
        for _ in range(args.count):
            frame = bytearray(device.build(protocol.OFFLINE if args.offline else protocol.HEARTBEAT))
            if args.corrupt_tag:
                frame[-1] ^= 1
            sender.send(bytes(frame))
    kind = "sign-out" if args.offline else "heartbeat"
    how = ("signed, tag corrupted" if args.corrupt_tag else "signed") if key is not None else "unsigned"
    print(f"sent {args.count} {kind} frame(s) for user {args.user} to {args.to} ({how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
