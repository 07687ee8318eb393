"""Presence clients for gateways and scripts, standard library only.

    from presence_client import Device, UdpSender, PresenceClient, derive_device_key

Frames and signing: protocol (docs/PROTOCOL.md). UDP: Device (one device), Gateway (many).
HTTP: PresenceClient (batch queries, groups, the events stream; docs/HTTP-API.md).
"""
from .query import (GroupPage, GroupPresence, OnlineCount, PresenceApiError, PresenceClient, PresenceError, PresenceEvent,
                   EventStream, SseParser, UserPresence)
from .protocol import (HEARTBEAT, OFFLINE, MalformedFrame, Record, decode, derive_device_key, encode, tag,
                       verify)
from .udp import Device, Gateway, UdpSender

__all__ = [
    "HEARTBEAT", "OFFLINE", "MalformedFrame", "Record", "decode", "derive_device_key", "encode", "tag", "verify",
    "Device", "Gateway", "UdpSender",
    "GroupPage", "GroupPresence", "OnlineCount", "PresenceApiError", "PresenceClient", "PresenceError", "PresenceEvent", "EventStream", "SseParser", "UserPresence",
]
__version__ = "1.0.0"
