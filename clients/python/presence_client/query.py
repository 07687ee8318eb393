"""The query API over HTTP (docs/HTTP-API.md): batch presence, groups, the presence events stream and the group streams."""
from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional

MAX_USER_ID = 2**64 - 1
MAX_DEBOUNCE = 60  # seconds: the events routes answer 400 bad-debounce above it (docs/HTTP-API.md, "Debounce")
GROUP_NAME = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # docs/HTTP-API.md, "Groups": else 400 bad-group-name
NOT_FOUND = "urn:presence:problem:not-found"
GROUP_NOT_FOUND = "urn:presence:problem:group-not-found"


class PresenceError(Exception):
    """The service could not be reached, or answered outside the API's contract."""


class PresenceApiError(PresenceError):
    """The service answered an RFC 9457 problem (application/problem+json): what was wrong, from its body."""

    def __init__(self, status: int, type: str, title: str, detail: str, id: Optional[str] = None,
                 index: Optional[int] = None, retry_after: Optional[int] = None):
        self.status = status
        self.type = type  # e.g. urn:presence:problem:bad-id
        self.title = title
        self.detail = detail
        self.id = id  # the offending id of a bad-id problem
        self.index = index
        self.retry_after = retry_after  # seconds, for 429 and 503
        super().__init__(f"{status} {title}: {detail} ({type})")


@dataclass(frozen=True)
class UserPresence:
    """One user's presence. last_seen_ms: online, the receive time (Unix ms) of its latest
    heartbeat; offline, its last seen (a whole second) when the service keeps one, else None."""
    id: int
    online: bool
    last_seen_ms: Optional[int]


@dataclass(frozen=True)
class OnlineCount:
    """GET /v1/presence/count: users online now, exact as of the events log; at_ms is the newest
    transition's at (the log's clock): two answers with the same at_ms count the same users."""
    online: int
    at_ms: int


@dataclass(frozen=True)
class GroupPage:
    """GET /v1/groups/{name}/presence: one page of a group's members, ascending by id, with the group's
    counts (members: every member; online: every online member, whatever the page). next: the cursor of
    the next page (opaque), None on the last. A group with no members is an empty page (members 0)."""
    name: str
    members: int
    online: int
    users: List[UserPresence]
    next: Optional[str]


@dataclass(frozen=True)
class GroupPresence:
    """One group's aggregate presence (POST /v1/groups/presence): for a user with several devices, the
    user's. online: any member is; last_seen_ms: the latest of its members' values (an online member's
    last heartbeat, an offline one's last seen), None when none is known or the group has no members."""
    name: str
    online: bool
    online_members: int
    members: int
    last_seen_ms: Optional[int]


@dataclass(frozen=True)
class PresenceEvent:
    """One event of the stream. type is 'snapshot', 'online' or 'offline'.
    snapshot: users and online (the batch answer's shape). online/offline: user_id and at (Unix ms);
    offline also reason ('timeout' or 'signout'). event_id is the SSE id (None when the event has none)."""

    type: str
    event_id: Optional[str] = None
    user_id: Optional[int] = None
    at: Optional[int] = None
    reason: Optional[str] = None
    users: List[UserPresence] = field(default_factory=list)
    online: Optional[int] = None
    data: Dict = field(default_factory=dict)


@dataclass(frozen=True)
class GroupEvent:
    """One event of a group's stream (PresenceClient.group_events). type is 'snapshot', 'online', 'offline',
    'member_added' or 'member_removed' (another, newer type is passed on with its data only).
    snapshot: name, members, online (members online) and users (the online members, ascending by id).
    online/offline: user_id and at (Unix ms); offline also reason ('timeout' or 'signout').
    member_added: user_id and user (a UserPresence: its state at that point of the stream).
    Every event but a snapshot carries count (members online after it), member_added/member_removed members
    (members after it); a snapshot's count is its online. event_id is the SSE id (the last one before it when
    it has none: of a membership change's events only the last has one of its own)."""

    type: str
    event_id: Optional[str] = None
    name: Optional[str] = None
    user_id: Optional[int] = None
    at: Optional[int] = None
    reason: Optional[str] = None
    user: Optional[UserPresence] = None
    users: List[UserPresence] = field(default_factory=list)
    members: Optional[int] = None
    online: Optional[int] = None
    count: Optional[int] = None
    data: Dict = field(default_factory=dict)


@dataclass(frozen=True)
class GroupsEvent:
    """One event of the many-groups stream (PresenceClient.groups_events). type is 'snapshot', 'online' or
    'offline' (another, newer type is passed on with its data only).
    snapshot: groups (a GroupPresence per distinct name, in the order asked) and online (groups online).
    online/offline: name and at (Unix ms); offline also reason ('timeout', 'signout', or 'membership': a
    membership change left the group without an online member). event_id as in GroupEvent."""

    type: str
    event_id: Optional[str] = None
    name: Optional[str] = None
    at: Optional[int] = None
    reason: Optional[str] = None
    groups: List[GroupPresence] = field(default_factory=list)
    online: Optional[int] = None
    data: Dict = field(default_factory=dict)


def _user_id(value) -> int:
    """An id of the API (a decimal string, or a JSON number) as an int; anything else breaks the contract."""
    if isinstance(value, bool):
        raise PresenceError(f"id {value!r} is not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        raise PresenceError(f"id {value!r} is not an integer")
    if not 1 <= number <= MAX_USER_ID:
        raise PresenceError(f"id {value!r} is not in 1 .. {MAX_USER_ID}")
    return number


def _user(entry) -> UserPresence:
    try:
        return UserPresence(_user_id(entry["id"]), bool(entry["online"]), entry.get("lastSeenMs"))
    except (KeyError, TypeError, AttributeError) as e:
        raise PresenceError(f"an answer entry outside the contract: {entry!r}") from e


def _check_ids(ids: Iterable[int]) -> List[int]:
    checked = []
    for i, value in enumerate(ids):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_USER_ID:
            raise ValueError(f"ids[{i}] {value!r} is not an integer in 1 .. {MAX_USER_ID}")
        checked.append(value)
    return checked


def _check_name(name: str, what: str = "name") -> str:
    """A group name the service takes ([A-Za-z0-9._:-]{1,128}, not '.' or '..': no URL path can hold those dot
    segments, RFC 3986 5.2.4, so the service refuses them everywhere), else ValueError (the service: 400
    bad-group-name), in a path and in a body alike."""
    if not isinstance(name, str) or not GROUP_NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"{what} {name!r} is no group name: [A-Za-z0-9._:-], 1 to 128 characters, not '.' or '..'")
    return name


def _check_admin_key(admin_key: str) -> str:
    if not isinstance(admin_key, str) or not admin_key:
        raise ValueError("admin_key: give a key of the service's --admin-keys")
    return admin_key


def _check_debounce(debounce: int) -> int:
    """The events routes' debounce: an int of seconds in 0 .. MAX_DEBOUNCE (not a bool, not a float)."""
    if isinstance(debounce, bool) or not isinstance(debounce, int) or not 0 <= debounce <= MAX_DEBOUNCE:
        raise ValueError(f"debounce {debounce!r} is not an integer number of seconds in 0 .. {MAX_DEBOUNCE}")
    return debounce


class SseParser:
    """Server-Sent Events, line by line, as the WHATWG HTML standard reads them (event, data, id,
    retry, comments). feed() returns (event type, data, last event id) when a blank line ends an event."""

    def __init__(self) -> None:
        self.last_event_id: Optional[str] = None
        self.retry_ms: Optional[int] = None
        self._type = ""
        self._data: List[str] = []

    def feed(self, line: str):
        line = line.rstrip("\r\n")
        if line == "":
            if not self._data:
                self._type = ""
                return None
            event = (self._type or "message", "\n".join(self._data), self.last_event_id)
            self._type, self._data = "", []
            return event
        if line.startswith(":"):
            return None  # a comment: the keepalive
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


class PresenceClient:
    """Batch presence, groups and the events stream of one query service.

    base_url: e.g. http://127.0.0.1:8080 (a path such as /api is kept). api_key: sent as
    'Authorization: Bearer KEY' when the service has --api-keys. max_batch: ids (or group names) per
    request (the service's --max-batch, default 1000); get_many and groups_presence split longer lists
    and keep their order. Group membership is written with a key of the service's --admin-keys, given
    to each write (replace_group, change_group, delete_group); a bad group name, and any argument the
    service would answer 400 for, raises ValueError before any request."""

    def __init__(self, base_url: str, api_key: Optional[str] = None, timeout: float = 10.0, max_batch: int = 1000):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url must be http(s)://HOST[:PORT][/PATH], not {base_url!r}")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._scheme = url.scheme
        self._host = url.hostname
        self._port = url.port
        self._path = url.path.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.max_batch = max_batch
        self.base_url = base_url

    # ---- batch ----

    def get(self, user_id: int) -> UserPresence:
        """GET /v1/presence/{id}."""
        _check_ids([user_id])
        answer = self._json("GET", f"/v1/presence/{user_id}")
        user = _user(answer)
        if user.id != user_id:
            raise PresenceError(f"asked for {user_id}, the service answered {user.id}")
        return user

    def get_many(self, ids: Iterable[int]) -> List[UserPresence]:
        """POST /v1/presence/query, in requests of at most max_batch ids; one entry per id, in order."""
        wanted = _check_ids(ids)
        result: List[UserPresence] = []
        for start in range(0, len(wanted), self.max_batch):
            chunk = wanted[start:start + self.max_batch]
            # Ids go as decimal strings: the contract accepts them, and no JSON reader rounds them.
            answer = self._json("POST", "/v1/presence/query", {"ids": [str(i) for i in chunk]})
            users = answer.get("users") if isinstance(answer, dict) else None
            if not isinstance(users, list) or len(users) != len(chunk):
                raise PresenceError(f"asked for {len(chunk)} ids, the service answered {len(users) if isinstance(users, list) else 'no'} users")
            for asked, entry in zip(chunk, users):
                user = _user(entry)
                if user.id != asked:
                    raise PresenceError(f"the service answered id {user.id} where {asked} was asked (answers keep request order)")
                result.append(user)
        return result

    def count(self) -> OnlineCount:
        """GET /v1/presence/count. Raises PresenceApiError 503 events-off when the store has no events log."""
        answer = self._json("GET", "/v1/presence/count")
        online = answer.get("online") if isinstance(answer, dict) else None
        at = answer.get("at") if isinstance(answer, dict) else None
        if not isinstance(online, int) or not isinstance(at, int):
            raise PresenceError(f"the query service at {self.base_url} answered a count outside the contract: {answer!r}")
        return OnlineCount(online, at)

    def erase_last_seen(self, user_id: int, admin_key: str) -> None:
        """DELETE /v1/presence/{id}/last-seen (privacy): needs a key of the service's --admin-keys
        (403 forbidden with a read key or without --admin-keys). An online user stays online."""
        _check_ids([user_id])
        self._json("DELETE", f"/v1/presence/{user_id}/last-seen", expect=204, key=admin_key)

    # ---- groups ----

    def replace_group(self, name: str, ids: Iterable[int], admin_key: str) -> int:
        """PUT /v1/groups/{name} (a key of --admin-keys): replaces the members, atomically; an empty ids
        deletes the group. A repeated id counts once. Returns the members after the write. A read key
        answers 403 forbidden; more ids than the service's --max-group-size, 400 group-too-large."""
        _check_name(name)
        wanted = _check_ids(ids)
        answer = self._json("PUT", f"/v1/groups/{name}", {"ids": [str(i) for i in wanted]}, key=_check_admin_key(admin_key))
        return self._group_size(answer, name)

    def change_group(self, name: str, add: Iterable[int] = (), remove: Iterable[int] = (), *, admin_key: str) -> int:
        """POST /v1/groups/{name}/members (a key of --admin-keys): removes, then adds, atomically (an id in
        both ends a member); creates the group. Give add, remove or both. Returns the members after it
        (0: the last member left, the group is gone)."""
        _check_name(name)
        adding, removing = _check_ids(add), _check_ids(remove)
        if not adding and not removing:
            raise ValueError("give ids to add, to remove, or both")
        body = {}
        if removing:
            body["remove"] = [str(i) for i in removing]
        if adding:
            body["add"] = [str(i) for i in adding]
        answer = self._json("POST", f"/v1/groups/{name}/members", body, key=_check_admin_key(admin_key))
        return self._group_size(answer, name)

    def delete_group(self, name: str, admin_key: str) -> None:
        """DELETE /v1/groups/{name} (a key of --admin-keys): the group is gone, also when it had no members."""
        _check_name(name)
        self._json("DELETE", f"/v1/groups/{name}", expect=204, key=_check_admin_key(admin_key))

    def group_size(self, name: str) -> int:
        """GET /v1/groups/{name}: its members; 0 for a group with none (the service's 404 group-not-found is not raised)."""
        _check_name(name)
        try:
            answer = self._json("GET", f"/v1/groups/{name}")
        except PresenceApiError as e:
            if _no_such_group(e):
                return 0
            raise
        return self._group_size(answer, name)

    def group_presence(self, name: str, online_only: bool = False, limit: Optional[int] = None,
                       cursor: Optional[str] = None) -> GroupPage:
        """GET /v1/groups/{name}/presence: one page of members, ascending by id (online ones only with
        online_only), at most limit of them (1 .. the service's --max-batch, its default when None; more is
        400 bad-parameter). cursor: None for the first page, else the previous page's next (another is 400
        bad-cursor). A group with no members is an empty GroupPage, not the service's 404. iter_group pages for you."""
        _check_name(name)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError(f"limit {limit!r} is not an integer of at least 1 (at most the service's --max-batch)")
        if cursor is not None and (not isinstance(cursor, str) or not cursor):
            raise ValueError(f"cursor {cursor!r}: give the next of the previous page, or None for the first")
        query = []
        if online_only:
            query.append(("online", "only"))
        if limit is not None:
            query.append(("limit", str(limit)))
        if cursor is not None:
            query.append(("cursor", cursor))
        path = f"/v1/groups/{name}/presence" + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")
        try:
            answer = self._json("GET", path)
        except PresenceApiError as e:
            if _no_such_group(e):
                return GroupPage(name, 0, 0, [], None)
            raise
        if not isinstance(answer, dict) or answer.get("name") != name or not isinstance(answer.get("users"), list) \
                or not _count(answer.get("members")) or not _count(answer.get("online")) \
                or answer["online"] > answer["members"] or not (answer.get("next") is None or (isinstance(answer["next"], str) and answer["next"])):
            raise PresenceError(f"the query service at {self.base_url} answered a group page outside the contract: {str(answer)[:200]}")
        users = [_user(u) for u in answer["users"]]
        for before, after in zip(users, users[1:]):
            if after.id <= before.id:
                raise PresenceError(f"the service answered id {after.id} after {before.id} (a page is in ascending id order)")
        return GroupPage(name, answer["members"], answer["online"], users, answer.get("next"))

    def iter_group(self, name: str, online_only: bool = False, limit: Optional[int] = None) -> Iterator[UserPresence]:
        """Every member of the group (online ones only with online_only), ascending by id: the pages of
        group_presence, following next until the last. Members added or removed meanwhile are listed or not
        by the pages still to come, never twice. Each page reads the whole group's presence: a larger limit,
        fewer pages."""
        _check_name(name)
        cursor = None
        last = 0
        while True:
            page = self.group_presence(name, online_only, limit, cursor)
            if page.next is not None and not page.users:
                raise PresenceError(f"the service answered a page of group {name!r} with no members and a next cursor")
            for user in page.users:
                if user.id <= last:
                    raise PresenceError(f"the service answered member {user.id} of group {name!r} after {last} (pages go up by id)")
                last = user.id
                yield user
            if page.next is None:
                return
            cursor = page.next

    def groups_presence(self, names: Iterable[str]) -> List[GroupPresence]:
        """POST /v1/groups/presence: each group's aggregate presence, in the order asked (a repeated name is
        answered again; a group with no members is offline with 0 members), in requests of at most
        max_batch names. The groups of one request may hold at most the service's --max-group-size members
        in all (else 400 too-many-members: name fewer)."""
        wanted = [_check_name(n, f"names[{i}]") for i, n in enumerate(names)]
        if not wanted:
            raise ValueError("name at least one group")
        result: List[GroupPresence] = []
        for start in range(0, len(wanted), self.max_batch):
            chunk = wanted[start:start + self.max_batch]
            answer = self._json("POST", "/v1/groups/presence", {"names": chunk})
            groups = answer.get("groups") if isinstance(answer, dict) else None
            if not isinstance(groups, list) or len(groups) != len(chunk):
                raise PresenceError(f"asked for {len(chunk)} groups, the service answered {len(groups) if isinstance(groups, list) else 'no'} groups")
            result.extend(_group_presence(group, asked) for asked, group in zip(chunk, groups))
        return result

    def _group_size(self, answer, name: str) -> int:
        if not isinstance(answer, dict) or answer.get("name") != name or not _count(answer.get("members")):
            raise PresenceError(f"the query service at {self.base_url} answered a group size outside the contract: {answer!r}")
        return answer["members"]

    def ready(self) -> bool:
        """GET /readyz: whether the service's store answers."""
        connection = self._connect(self.timeout)
        try:
            connection.request("GET", self._path + "/readyz", headers=self._headers())
            response = connection.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException) as e:
            raise PresenceError(f"cannot reach the query service at {self.base_url}: {e}") from e
        finally:
            connection.close()

    # ---- events ----

    def events(self, ids: Iterable[int], last_event_id: Optional[str] = None, reconnect: bool = True,
               read_timeout: float = 45.0, max_reconnect_delay: float = 30.0, *, debounce: int = 0) -> "EventStream":
        """The presence events of ids (POST /v1/presence/events): iterate it for PresenceEvent values.

        The first connection's failure raises; after that, a dropped stream (or no byte for
        read_timeout seconds: the service sends a keepalive at least every 15 s) reconnects with
        Last-Event-ID, so the service resumes after the last event seen, or sends a fresh snapshot.

        debounce: a flap-free stream (docs/HTTP-API.md, "Debounce (flap-free streams)"), seconds S in
        0 .. 60, sent as ?debounce=S on every connection, reconnects included (0, the plain stream, sends
        none); anything else raises ValueError here. An offline is sent S s after its at, and when the
        user's next online reaches the service before then, neither is sent: a blink shorter than S is
        never shown. Online events are never delayed; a snapshot shows a user whose offline is held as
        online. A debounced stream resumes only on the query node that sent it: another node (or the
        same one restarted) answers a fresh snapshot, so keep a client's reconnects on one node."""
        return EventStream(self, _check_ids(ids), last_event_id, reconnect, read_timeout, max_reconnect_delay,
                           _check_debounce(debounce))

    def group_events(self, name: str, last_event_id: Optional[str] = None, reconnect: bool = True,
                     read_timeout: float = 45.0, max_reconnect_delay: float = 30.0, *, debounce: int = 0) -> "GroupEventStream":
        """One group's stream (GET /v1/groups/{name}/events): iterate it for GroupEvent values, a snapshot of its
        online members, then members coming online and going offline, and membership changes (member_removed,
        then member_added), each with the group's counts after it. A group with no members has a stream too
        (members 0). Reconnects and resumes as events() does; the service resumes while the group's membership
        is still the one of last_event_id's event, else sends a fresh snapshot. debounce as in events(), held
        per member: a debounced stream sends a membership change as a new snapshot. A bad name raises ValueError."""
        return GroupEventStream(self, _check_name(name), last_event_id, reconnect, read_timeout, max_reconnect_delay,
                                _check_debounce(debounce))

    def groups_events(self, names: Iterable[str], last_event_id: Optional[str] = None, reconnect: bool = True,
                      read_timeout: float = 45.0, max_reconnect_delay: float = 30.0, *, debounce: int = 0) -> "GroupsEventStream":
        """Many groups' stream (POST /v1/groups/events): iterate it for GroupsEvent values, a snapshot of each
        group's aggregate presence (as groups_presence answers it, a repeated name once), then a group's online when
        its first member comes online and offline when its last goes (or a membership change makes it so: reason
        'membership'); members coming and going while a group stays online send nothing. 1 to the service's
        --max-batch names (400 too-many-groups above), at most its --max-group-size members in all (400
        too-many-members). Reconnects and resumes as group_events() does: a membership change of any of the groups
        since last_event_id's event gives a fresh snapshot. No names or a bad one raises ValueError."""
        wanted = [_check_name(n, f"names[{i}]") for i, n in enumerate(names)]
        if not wanted:
            raise ValueError("name at least one group")
        return GroupsEventStream(self, wanted, last_event_id, reconnect, read_timeout, max_reconnect_delay,
                                 _check_debounce(debounce))

    # ---- plumbing ----

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=timeout)

    def _headers(self, extra: Optional[Dict[str, str]] = None, key: Optional[str] = None) -> Dict[str, str]:
        headers = {"Accept": "application/json"}
        if key or self._api_key:
            headers["Authorization"] = f"Bearer {key or self._api_key}"
        headers.update(extra or {})
        return headers

    def _json(self, method: str, path: str, body=None, expect: int = 200, key: Optional[str] = None):
        connection = self._connect(self.timeout)
        try:
            payload = None if body is None else json.dumps(body).encode("utf-8")
            headers = self._headers({"Content-Type": "application/json"} if payload is not None else None, key)
            connection.request(method, self._path + path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read()
            if response.status != expect:
                raise problem_error(response.status, response.getheader("Content-Type"), text, response.getheader("Retry-After"))
            if expect == 204:
                return None
            try:
                return json.loads(text)
            except ValueError as e:
                raise PresenceError(f"the query service at {self.base_url} answered JSON outside the contract: {e}") from e
        except socket.timeout as e:
            raise PresenceError(f"the query service at {self.base_url} did not answer within {self.timeout} s") from e
        except (OSError, http.client.HTTPException) as e:
            raise PresenceError(f"cannot reach the query service at {self.base_url}: {e}") from e
        finally:
            connection.close()


def _count(value) -> bool:
    """A count of the API: an int (not a bool) of at least 0."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _group_presence(group, asked: str) -> GroupPresence:
    """One entry of many groups' presence (POST /v1/groups/presence, the many-groups stream's snapshot) for the name asked."""
    if not isinstance(group, dict) or group.get("name") != asked:
        raise PresenceError(f"the service answered group {group.get('name') if isinstance(group, dict) else group!r} where {asked!r} was asked (answers keep request order)")
    online, members, on = group.get("onlineMembers"), group.get("members"), group.get("online")
    last_seen = group.get("lastSeenMs")
    if not _count(online) or not _count(members) or online > members or not isinstance(on, bool) or on != (online > 0) \
            or not (last_seen is None or _count(last_seen)):
        raise PresenceError(f"the service answered group {asked!r} outside the contract: {group!r}")
    return GroupPresence(asked, on, online, members, last_seen)


def _no_such_group(e: PresenceApiError) -> bool:
    """The service's answer for a group with no members on a single-group route: 404 group-not-found (a 404 of another
    type, such as an unknown route's not-found, is raised)."""
    return e.status == 404 and e.type == GROUP_NOT_FOUND


def problem_error(status: int, content_type: Optional[str], body: bytes, retry_after: Optional[str]) -> PresenceApiError:
    """The exception for an error answer: the problem document's fields when it is one, else the status."""
    seconds = int(retry_after) if retry_after and retry_after.strip().isdigit() else None
    document = None
    if content_type and "json" in content_type:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
    if isinstance(document, dict):
        return PresenceApiError(status, str(document.get("type", "about:blank")), str(document.get("title", "")),
                                str(document.get("detail", "")), document.get("id"), document.get("index"), seconds)
    text = body[:200].decode("utf-8", "replace").strip()
    return PresenceApiError(status, "about:blank", http.client.responses.get(status, "error"), text or "(no body)", retry_after=seconds)


class _Stream:
    """An events route's stream, shared by the id and group streams: iterate it for their events; it reconnects
    with Last-Event-ID. last_event_id is the id of the last event received (what to pass back to resume later);
    close() ends it. A subclass names its request (_method, _route, _body) and reads its events (_read)."""

    _method = "POST"

    def __init__(self, client: "PresenceClient", last_event_id: Optional[str], reconnect: bool, read_timeout: float,
                 max_reconnect_delay: float, debounce: int):
        self._client = client
        # Every connection, reconnects included, asks for the same debounce; 0 sends no parameter.
        debounce = _check_debounce(debounce)
        self._path = client._path + self._route() + (f"?debounce={debounce}" if debounce else "")
        self.last_event_id = last_event_id
        self._reconnect = reconnect
        self._read_timeout = read_timeout
        self._max_delay = max_reconnect_delay
        self._connection: Optional[http.client.HTTPConnection] = None
        self._closed = False
        self.connects = 0  # connections made, the first included

    def _route(self) -> str:
        raise NotImplementedError

    def _body(self):
        """The request's JSON document, or None for none (a GET)."""
        raise NotImplementedError

    def _read(self, kind: str, data: str, event_id: Optional[str]):
        raise NotImplementedError

    def __iter__(self):
        delay = 1.0
        retry_ms: Optional[int] = None
        while not self._closed:
            try:
                response = self._open()
            except PresenceApiError as e:
                if self.connects == 0 or not self._reconnect or e.status not in (429, 503):
                    raise
                self._sleep(e.retry_after if e.retry_after is not None else delay)
                delay = min(delay * 2, self._max_delay)
                continue
            except PresenceError:
                if self.connects == 0 or not self._reconnect:
                    raise
                self._sleep(retry_ms / 1000 if retry_ms is not None else delay)
                delay = min(delay * 2, self._max_delay)
                continue
            self.connects += 1
            delay = 1.0
            parser = SseParser()
            parser.last_event_id = self.last_event_id
            try:
                while not self._closed:
                    raw = response.readline()
                    if not raw:
                        break  # the service ended the stream
                    event = parser.feed(raw.decode("utf-8"))
                    if parser.retry_ms is not None:
                        retry_ms = parser.retry_ms
                    if event is not None:
                        self.last_event_id = event[2]
                        yield self._read(*event)
            except (OSError, http.client.HTTPException, ValueError):
                pass  # dropped or silent past read_timeout: reconnect below
            finally:
                self._drop()
            if not self._reconnect or self._closed:
                return
            self._sleep(retry_ms / 1000 if retry_ms is not None else 0)

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> http.client.HTTPResponse:
        client = self._client
        connection = client._connect(self._read_timeout)
        body = self._body()
        payload = None if body is None else json.dumps(body).encode("utf-8")
        extra = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if payload is not None:
            extra["Content-Type"] = "application/json"
        headers = client._headers(extra)
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        try:
            connection.request(self._method, self._path, body=payload, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as e:
            connection.close()
            raise PresenceError(f"cannot reach the query service at {client.base_url}: {e}") from e
        if response.status != 200:
            body = response.read()
            connection.close()
            raise problem_error(response.status, response.getheader("Content-Type"), body, response.getheader("Retry-After"))
        content_type = response.getheader("Content-Type") or ""
        if not content_type.startswith("text/event-stream"):
            connection.close()
            raise PresenceError(f"the events route answered {content_type!r}, not text/event-stream")
        self._connection = connection
        return response

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._closed and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))


class EventStream(_Stream):
    """An iterator of PresenceEvent (POST /v1/presence/events) that reconnects with Last-Event-ID. last_event_id is
    the id of the last event received (what to pass to PresenceClient.events to resume later); close() ends it."""

    def __init__(self, client: "PresenceClient", ids: List[int], last_event_id: Optional[str], reconnect: bool,
                 read_timeout: float, max_reconnect_delay: float, debounce: int = 0):
        if not ids:
            raise ValueError("give at least one id to watch")
        self._ids = ids
        super().__init__(client, last_event_id, reconnect, read_timeout, max_reconnect_delay, debounce)

    def __iter__(self) -> Iterator[PresenceEvent]:
        return super().__iter__()

    def __enter__(self) -> "EventStream":
        return self

    def _route(self) -> str:
        return "/v1/presence/events"

    def _body(self):
        return {"ids": [str(i) for i in self._ids]}

    def _read(self, kind: str, data: str, event_id: Optional[str]) -> PresenceEvent:
        return _event(kind, data, event_id)


class GroupEventStream(_Stream):
    """An iterator of GroupEvent (GET /v1/groups/{name}/events) that reconnects with Last-Event-ID, as EventStream."""

    _method = "GET"

    def __init__(self, client: "PresenceClient", name: str, last_event_id: Optional[str], reconnect: bool,
                 read_timeout: float, max_reconnect_delay: float, debounce: int = 0):
        self.name = _check_name(name)
        super().__init__(client, last_event_id, reconnect, read_timeout, max_reconnect_delay, debounce)

    def __iter__(self) -> Iterator[GroupEvent]:
        return super().__iter__()

    def __enter__(self) -> "GroupEventStream":
        return self

    def _route(self) -> str:
        return f"/v1/groups/{self.name}/events"

    def _body(self):
        return None

    def _read(self, kind: str, data: str, event_id: Optional[str]) -> GroupEvent:
        return _group_event(self.name, kind, data, event_id)


class GroupsEventStream(_Stream):
    """An iterator of GroupsEvent (POST /v1/groups/events) that reconnects with Last-Event-ID, as EventStream."""

    def __init__(self, client: "PresenceClient", names: List[str], last_event_id: Optional[str], reconnect: bool,
                 read_timeout: float, max_reconnect_delay: float, debounce: int = 0):
        if not names:
            raise ValueError("name at least one group")
        self.names = [_check_name(n, f"names[{i}]") for i, n in enumerate(names)]
        self._distinct = list(dict.fromkeys(self.names))  # the snapshot's entries: a repeated name once, in order
        super().__init__(client, last_event_id, reconnect, read_timeout, max_reconnect_delay, debounce)

    def __iter__(self) -> Iterator[GroupsEvent]:
        return super().__iter__()

    def __enter__(self) -> "GroupsEventStream":
        return self

    def _route(self) -> str:
        return "/v1/groups/events"

    def _body(self):
        return {"names": self.names}

    def _read(self, kind: str, data: str, event_id: Optional[str]) -> GroupsEvent:
        return _groups_event(self._distinct, kind, data, event_id)


def _data(kind: str, data: str):
    try:
        return json.loads(data)
    except ValueError as e:
        raise PresenceError(f"a {kind!r} event's data is not JSON: {data[:200]!r}") from e


def _event(kind: str, data: str, event_id: Optional[str]) -> PresenceEvent:
    body = _data(kind, data)
    if kind == "snapshot":
        users = [_user(u) for u in body.get("users", [])]
        return PresenceEvent(kind, event_id, users=users, online=body.get("online"), data=body)
    if kind in ("online", "offline"):
        return PresenceEvent(kind, event_id, user_id=_user_id(body.get("id")), at=body.get("at"), reason=body.get("reason"), data=body)
    # An event type this client does not know yet: passed on as it came.
    return PresenceEvent(kind, event_id, data=body if isinstance(body, dict) else {"value": body})


def _group_event(name: str, kind: str, data: str, event_id: Optional[str]) -> GroupEvent:
    body = _data(kind, data)
    if not isinstance(body, dict):
        return GroupEvent(kind, event_id, data={"value": body})
    wrong = PresenceError(f"a {kind!r} event of group {name!r} outside the contract: {data[:200]!r}")
    if kind == "snapshot":
        members, online, users = body.get("members"), body.get("online"), body.get("users")
        if body.get("name") != name or not _count(members) or not _count(online) or not isinstance(users, list) \
                or online != len(users) or online > members:
            raise wrong
        read = [_user(u) for u in users]
        if any(not u.online for u in read) or any(after.id <= before.id for before, after in zip(read, read[1:])):
            raise wrong  # online members only, ascending by id
        return GroupEvent(kind, event_id, name=name, users=read, members=members, online=online, count=online, data=body)
    if kind in ("online", "offline", "member_added", "member_removed"):
        user_id, count, members = _user_id(body.get("id")), body.get("count"), body.get("members")
        if not _count(count):
            raise wrong
        if kind in ("member_added", "member_removed") and (not _count(members) or count > members):
            raise wrong
        if kind == "member_added":
            last_seen = body.get("lastSeenMs")
            if not isinstance(body.get("online"), bool) or not (last_seen is None or _count(last_seen)):
                raise wrong
            user = UserPresence(user_id, body["online"], last_seen)
            return GroupEvent(kind, event_id, name=name, user_id=user_id, user=user, members=members, count=count, data=body)
        if kind == "member_removed":
            return GroupEvent(kind, event_id, name=name, user_id=user_id, members=members, count=count, data=body)
        at, reason = body.get("at"), body.get("reason")
        if not _count(at) or (kind == "offline" and reason not in ("timeout", "signout")):
            raise wrong
        return GroupEvent(kind, event_id, name=name, user_id=user_id, at=at, reason=reason, count=count, data=body)
    # An event type this client does not know yet: passed on as it came.
    return GroupEvent(kind, event_id, data=body)


def _groups_event(names: List[str], kind: str, data: str, event_id: Optional[str]) -> GroupsEvent:
    body = _data(kind, data)
    if not isinstance(body, dict):
        return GroupsEvent(kind, event_id, data={"value": body})
    wrong = PresenceError(f"a {kind!r} event of the groups stream outside the contract: {data[:200]!r}")
    if kind == "snapshot":
        groups = body.get("groups")
        if not isinstance(groups, list) or len(groups) != len(names):
            raise PresenceError(f"a snapshot of {len(groups) if isinstance(groups, list) else 'no'} groups for {len(names)} distinct names asked")
        read = [_group_presence(group, asked) for asked, group in zip(names, groups)]
        online = sum(1 for g in read if g.online)
        if body.get("online") != online:
            raise wrong
        return GroupsEvent(kind, event_id, groups=read, online=online, data=body)
    if kind in ("online", "offline"):
        name, at, reason = body.get("name"), body.get("at"), body.get("reason")
        if name not in names or not _count(at) or (kind == "offline" and reason not in ("timeout", "signout", "membership")):
            raise wrong
        return GroupsEvent(kind, event_id, name=name, at=at, reason=reason, data=body)
    return GroupsEvent(kind, event_id, data=body)
