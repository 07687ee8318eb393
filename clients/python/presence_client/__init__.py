"""Presence clients for gateways and scripts, standard library only.

    from presence_client import Device, UdpSender, PresenceClient, derive_device_key

Frames and signing: protocol (docs/PROTOCOL.md). UDP: Device (one device), Gateway (many).
HTTP: PresenceClient (batch queries, groups, the events stream and the group streams; docs/HTTP-API.md).
"""
from .query import (GroupEvent, GroupEventStream, GroupPage, GroupPresence, GroupsEvent, GroupsEventStream, OnlineCount,
                    PresenceApiError, PresenceClient, PresenceError, PresenceEvent, EventStream, SseParser, UserPresence)
from .protocol import (HEARTBEAT, OFFLINE, MalformedFrame, Record, decode, derive_device_key, encode, tag,
                       verify)
from .udp import Device, Gateway, UdpSender

__all__ = [
    "HEARTBEAT", "OFFLINE", "MalformedFrame", "Record", "decode", "derive_device_key", "encode", "tag", "verify",
    "Device", "Gateway", "UdpSender",
    "GroupPage", "GroupPresence", "OnlineCount", "PresenceApiError", "PresenceClient", "PresenceError", "PresenceEvent", "EventStream", "SseParser", "UserPresence",
    "GroupEvent", "GroupEventStream", "GroupsEvent", "GroupsEventStream",
]
__version__ = "1.0.0"
