"""Against the real services, started by the .NET integration tests (ClientPythonTests), which set:
  PRESENCE_TEST_INGEST      UDP HOST:PORT of a presence-ingest that requires signed frames
  PRESENCE_TEST_MASTER_KEY  its master key (64 hex digits), id PRESENCE_TEST_KEY_ID
  PRESENCE_TEST_QUERY       base URL of a presence-query reading the same store and prefix
  PRESENCE_TEST_FIRST_ID    the first of 1000 user ids this run may use
and, for the group tests, a second presence-query on the same store and prefix with admin and read keys:
  PRESENCE_TEST_GROUPS_QUERY  its base URL
  PRESENCE_TEST_ADMIN_KEY     a key of its --admin-keys
  PRESENCE_TEST_READ_KEY      a key of its --api-keys
Run: python3 -m unittest discover -s tests -t . -p 'e2e_*.py'"""
import os
import time
import unittest

from presence_client import (HEARTBEAT, Device, Gateway, GroupPage, GroupPresence, PresenceApiError, PresenceClient, Record,
                             UdpSender, UserPresence, derive_device_key)

ENV = os.environ
NEEDED = ("PRESENCE_TEST_INGEST", "PRESENCE_TEST_MASTER_KEY", "PRESENCE_TEST_KEY_ID", "PRESENCE_TEST_QUERY", "PRESENCE_TEST_FIRST_ID")
NEEDED_GROUPS = NEEDED + ("PRESENCE_TEST_GROUPS_QUERY", "PRESENCE_TEST_ADMIN_KEY", "PRESENCE_TEST_READ_KEY")


def _until(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for: {what}")
        time.sleep(0.05)


@unittest.skipUnless(all(n in ENV for n in NEEDED), "needs the services the .NET integration tests start")
class ServiceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.master = bytes.fromhex(ENV["PRESENCE_TEST_MASTER_KEY"])
        cls.key_id = int(ENV["PRESENCE_TEST_KEY_ID"])
        cls.first = int(ENV["PRESENCE_TEST_FIRST_ID"])
        cls.query = PresenceClient(ENV["PRESENCE_TEST_QUERY"], timeout=10)
        cls.sender = UdpSender(ENV["PRESENCE_TEST_INGEST"])

    @classmethod
    def tearDownClass(cls):
        cls.sender.close()

    def device(self, offset):
        user = self.first + offset
        return Device(user, derive_device_key(self.master, user), self.key_id, seq=int(time.time()) & 0xFFFF,
                      sender=self.sender)

    def test_signed_heartbeat_then_sign_out(self):
        device = self.device(1)
        device.heartbeat()
        user = _until(lambda: (lambda u: u if u.online else None)(self.query.get(device.user_id)), "user online")
        self.assertGreater(user.last_seen_ms, (time.time() - 60) * 1000)
        device.sign_out()
        _until(lambda: not self.query.get(device.user_id).online, "user offline after the sign-out")

    def test_gateway_batch_is_answered_in_order(self):
        users = [self.first + 100 + i for i in range(120)]
        now = int(time.time())
        gateway = Gateway(self.sender, {self.key_id: self.master})
        self.assertEqual(gateway.send(Record(u, now, 1, HEARTBEAT, self.key_id) for u in users), 3)
        asked = users[::-1] + [self.first + 999]  # the last one never heartbeated
        client = PresenceClient(ENV["PRESENCE_TEST_QUERY"], max_batch=50)  # 3 requests, order kept across them
        answer = _until(lambda: (lambda a: a if all(u.online for u in a[:-1]) else None)(client.get_many(asked)),
                        "120 gateway users online")
        self.assertEqual([u.id for u in answer], asked)
        self.assertFalse(answer[-1].online)
        self.assertIsNone(answer[-1].last_seen_ms)

    def test_problems_are_raised_with_what_was_wrong(self):
        too_many = PresenceClient(ENV["PRESENCE_TEST_QUERY"], max_batch=5000)
        with self.assertRaises(PresenceApiError) as caught:
            too_many.get_many(range(1, 1002))
        self.assertEqual((caught.exception.status, caught.exception.type), (400, "urn:presence:problem:too-many-ids"))
        with self.assertRaises(PresenceApiError) as caught:
            self.query._json("GET", "/v1/presence/not-a-number")
        self.assertEqual((caught.exception.status, caught.exception.id), (400, "not-a-number"))
        self.assertIn("not an integer", str(caught.exception))

    def test_online_count_counts_a_device_and_erasing_needs_an_admin_key(self):
        device = self.device(3)
        device.heartbeat()
        count = _until(lambda: (lambda c: c if c.online >= 1 else None)(self.query.count()), "the device counted online")
        self.assertGreater(count.at_ms, (time.time() - 600) * 1000)
        with self.assertRaises(PresenceApiError) as caught:
            self.query.erase_last_seen(device.user_id, admin_key="not-an-admin-key")  # the service has no --admin-keys
        self.assertEqual((caught.exception.status, caught.exception.type), (403, "urn:presence:problem:forbidden"))

    def test_events_stream_reports_online_and_offline(self):
        device = self.device(2)
        with self.query.events([device.user_id], read_timeout=30) as stream:
            events = iter(stream)
            snapshot = next(events)
            self.assertEqual(snapshot.type, "snapshot")
            self.assertEqual([(u.id, u.online) for u in snapshot.users], [(device.user_id, False)])
            device.heartbeat()
            online = next(events)
            self.assertEqual((online.type, online.user_id), ("online", device.user_id))
            self.assertIsNotNone(online.event_id)
            device.sign_out()
            offline = next(events)
            self.assertEqual((offline.type, offline.user_id, offline.reason), ("offline", device.user_id, "signout"))
            self.assertGreaterEqual(offline.at, online.at)
            resume_from = online.event_id
        # Resuming after the online event replays the offline one.
        with self.query.events([device.user_id], last_event_id=resume_from, read_timeout=30) as stream:
            replayed = next(iter(stream))
            self.assertEqual((replayed.type, replayed.event_id), ("offline", offline.event_id))

    def test_debounced_stream_hides_a_flap_shorter_than_the_debounce(self):
        device, marker = self.device(4), self.device(5)
        device.heartbeat()
        _until(lambda: self.query.get(device.user_id).online, "the device online")
        with self.query.events([device.user_id, marker.user_id], read_timeout=30, debounce=20) as stream:
            events = iter(stream)
            snapshot = next(events)
            self.assertEqual([(u.id, u.online) for u in snapshot.users], [(device.user_id, True), (marker.user_id, False)])
            device.sign_out()
            _until(lambda: not self.query.get(device.user_id).online, "the device offline (its key gone)")
            device.heartbeat()
            _until(lambda: self.query.get(device.user_id).online, "the device back")
            marker.heartbeat()
            first = next(events)  # the flap (offline, online) was not sent: the marker's online comes first
            self.assertEqual((first.type, first.user_id), ("online", marker.user_id))


@unittest.skipUnless(all(n in ENV for n in NEEDED_GROUPS), "needs the services the .NET integration tests start")
class GroupServiceTests(unittest.TestCase):
    """Groups (docs/HTTP-API.md, "Groups") on the real query service: membership only with an admin key,
    paging, a user with several devices (each a signed device of the real ingest) online while any is, and the
    group streams (membership changes and heartbeats as events, a resume without a snapshot)."""

    @classmethod
    def setUpClass(cls):
        cls.master = bytes.fromhex(ENV["PRESENCE_TEST_MASTER_KEY"])
        cls.key_id = int(ENV["PRESENCE_TEST_KEY_ID"])
        cls.first = int(ENV["PRESENCE_TEST_FIRST_ID"])
        cls.admin_key = ENV["PRESENCE_TEST_ADMIN_KEY"]
        cls.read_key = ENV["PRESENCE_TEST_READ_KEY"]
        cls.query = PresenceClient(ENV["PRESENCE_TEST_GROUPS_QUERY"], api_key=cls.read_key, timeout=10)
        cls.sender = UdpSender(ENV["PRESENCE_TEST_INGEST"])

    @classmethod
    def tearDownClass(cls):
        cls.sender.close()

    def device(self, offset):
        user = self.first + offset
        return Device(user, derive_device_key(self.master, user), self.key_id, seq=int(time.time()) & 0xFFFF,
                      sender=self.sender)

    def test_membership_needs_an_admin_key(self):
        name = f"room:{self.first}"
        for write in (lambda: self.query.replace_group(name, [1, 2], self.read_key),
                      lambda: self.query.change_group(name, add=[1], admin_key=self.read_key),
                      lambda: self.query.delete_group(name, self.read_key)):
            with self.assertRaises(PresenceApiError) as caught:
                write()
            self.assertEqual((caught.exception.status, caught.exception.type), (403, "urn:presence:problem:forbidden"))
        self.assertEqual(self.query.group_size(name), 0)  # nothing was written

    def test_replace_change_page_and_delete(self):
        name = f"site:{self.first}"
        members = [self.first + 300 + i * 2 for i in range(250)]  # ids 300 .. 798 of this run's 1000
        self.assertEqual(self.query.replace_group(name, reversed(members), self.admin_key), 250)
        self.assertEqual(self.query.group_size(name), 250)
        listed = list(self.query.iter_group(name, limit=100))  # three pages
        self.assertEqual([u.id for u in listed], members)
        self.assertEqual(self.query.group_presence(name, limit=100).next, str(members[99]))
        # Remove first, then add: the first member leaves, a new one joins.
        self.assertEqual(self.query.change_group(name, add=[self.first + 999], remove=[members[0]], admin_key=self.admin_key), 250)
        self.assertEqual([u.id for u in self.query.iter_group(name, limit=1000)][:1], [members[1]])
        with self.assertRaises(PresenceApiError) as caught:
            self.query.group_presence(name, cursor="not-a-cursor")
        self.assertEqual((caught.exception.status, caught.exception.type), (400, "urn:presence:problem:bad-cursor"))
        self.query.delete_group(name, self.admin_key)
        self.assertEqual(self.query.group_size(name), 0)
        self.assertEqual(self.query.group_presence(name), GroupPage(name, 0, 0, [], None))
        self.assertEqual(list(self.query.iter_group(name)), [])

    def test_a_user_with_two_devices_is_online_while_either_is(self):
        phone, laptop = self.device(10), self.device(11)
        user = f"user:{self.first}"
        self.assertEqual(self.query.replace_group(user, [phone.user_id, laptop.user_id], self.admin_key), 2)
        phone.heartbeat()
        laptop.heartbeat()
        both = _until(lambda: (lambda g: g if g[0].online_members == 2 else None)(self.query.groups_presence([user, "nobody"])),
                      "both devices online")
        self.assertEqual((both[0].online, both[0].members), (True, 2))
        self.assertGreater(both[0].last_seen_ms, (time.time() - 60) * 1000)
        self.assertEqual(both[1], GroupPresence("nobody", False, 0, 0, None))
        phone.sign_out()
        one = _until(lambda: (lambda g: g if g.online_members == 1 else None)(self.query.groups_presence([user])[0]),
                     "the phone signed out")
        self.assertTrue(one.online)  # still online on the laptop
        self.assertEqual([(u.id, u.online) for u in self.query.iter_group(user, online_only=True)], [(laptop.user_id, True)])
        laptop.sign_out()
        gone = _until(lambda: (lambda g: g if not g.online and g.last_seen_ms is not None else None)(self.query.groups_presence([user])[0]),
                      "both signed out, the user's last seen written")
        self.assertEqual(gone.online_members, 0)
        self.assertEqual(gone.last_seen_ms % 1000, 0)  # a last seen: whole seconds

    def test_group_stream_tells_membership_changes_and_heartbeats_and_resumes(self):
        a, b, c = self.device(20), self.device(21), self.device(22)
        room = f"room:{self.first}:stream"
        self.assertEqual(self.query.replace_group(room, [a.user_id, b.user_id], self.admin_key), 2)
        with self.query.group_events(room, read_timeout=30) as stream:
            events = iter(stream)
            snapshot = next(events)
            self.assertEqual((snapshot.type, snapshot.name, snapshot.members, snapshot.online, snapshot.users), ("snapshot", room, 2, 0, []))
            # One change: its removal, then its addition; only the last carries the change's id (a client cut off
            # inside a change resumes from the id before it, of the old membership, and gets a snapshot).
            self.assertEqual(self.query.change_group(room, add=[c.user_id], remove=[b.user_id], admin_key=self.admin_key), 2)
            removed, added = next(events), next(events)
            self.assertEqual((removed.type, removed.user_id, removed.members, removed.count), ("member_removed", b.user_id, 1, 0))
            self.assertEqual((added.type, added.user, added.members, added.count), ("member_added", UserPresence(c.user_id, False, None), 2, 0))
            self.assertEqual(removed.event_id, snapshot.event_id)
            self.assertNotEqual(added.event_id, snapshot.event_id)
            # A member's heartbeat: online with the group's count; its sign-out: offline.
            a.heartbeat()
            online = next(events)
            self.assertEqual((online.type, online.user_id, online.count), ("online", a.user_id, 1))
            a.sign_out()
            offline = next(events)
            self.assertEqual((offline.type, offline.user_id, offline.reason, offline.count), ("offline", a.user_id, "signout", 0))
        # Resuming after the online (the membership still that event's): the sign-out again, no snapshot.
        with self.query.group_events(room, last_event_id=online.event_id, read_timeout=30) as stream:
            replayed = next(iter(stream))
            self.assertEqual((replayed.type, replayed.event_id, replayed.count), ("offline", offline.event_id, 0))

    def test_groups_stream_tells_a_group_online_while_any_member_is(self):
        phone, laptop = self.device(30), self.device(31)
        user = f"user:{self.first}:stream"
        self.assertEqual(self.query.replace_group(user, [phone.user_id, laptop.user_id], self.admin_key), 2)
        with self.query.groups_events([user, "nobody", user], read_timeout=30) as stream:
            events = iter(stream)
            snapshot = next(events)
            self.assertEqual((snapshot.type, snapshot.groups, snapshot.online),
                             ("snapshot", [GroupPresence(user, False, 0, 2, None), GroupPresence("nobody", False, 0, 0, None)], 0))
            phone.heartbeat()
            online = next(events)
            self.assertEqual((online.type, online.name), ("online", user))
            # The laptop's heartbeat and the phone's sign-out send nothing: the user stays online on the laptop ...
            laptop.heartbeat()
            _until(lambda: self.query.get(laptop.user_id).online, "the laptop online")
            phone.sign_out()
            _until(lambda: not self.query.get(phone.user_id).online, "the phone signed out")
            # ... until the laptop leaves the group.
            self.assertEqual(self.query.change_group(user, remove=[laptop.user_id], admin_key=self.admin_key), 1)
            offline = next(events)
            self.assertEqual((offline.type, offline.name, offline.reason), ("offline", user, "membership"))
            self.assertGreaterEqual(offline.at, online.at)


if __name__ == "__main__":
    unittest.main()
