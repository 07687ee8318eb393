"""Against the real services, started by the .NET integration tests (ClientPythonTests), which set:
  PRESENCE_TEST_INGEST      UDP HOST:PORT of a presence-ingest that requires signed frames
  PRESENCE_TEST_MASTER_KEY  its master key (64 hex digits), id PRESENCE_TEST_KEY_ID
  PRESENCE_TEST_QUERY       base URL of a presence-query reading the same store and prefix
  PRESENCE_TEST_FIRST_ID    the first of 1000 user ids this run may use
Run: python3 -m unittest discover -s tests -t . -p 'e2e_*.py'"""
import os
import time
import unittest

from presence_client import (HEARTBEAT, Device, Gateway, PresenceApiError, PresenceClient, Record, UdpSender,
                             derive_device_key)

ENV = os.environ
NEEDED = ("PRESENCE_TEST_INGEST", "PRESENCE_TEST_MASTER_KEY", "PRESENCE_TEST_KEY_ID", "PRESENCE_TEST_QUERY", "PRESENCE_TEST_FIRST_ID")


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


if __name__ == "__main__":
    unittest.main()
