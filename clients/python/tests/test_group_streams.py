"""The group streams (docs/HTTP-API.md, "group streams") against the small real SSE server of test_sse.py: every
event type read, a dropped stream and a 503 before the resume (Last-Event-ID, the same debounce and body), what
the service would refuse raised before any request, events outside the contract raised, and the watch-group and
watch-groups commands. The real service: e2e_services.py."""
import contextlib
import io
import json
import unittest

from presence_client import GroupEvent, GroupPresence, GroupsEvent, PresenceApiError, PresenceClient, PresenceError, UserPresence
from presence_client.__main__ import main
from tests.test_sse import Script, _server

SNAPSHOT = 'event: snapshot\ndata: {"name":"room-1","members":3,"online":2,"users":[{"id":"5","online":true,"lastSeenMs":1764270000123},' \
           '{"id":"18446744073709551615","online":true,"lastSeenMs":1764270000456}]}\n\n'
GROUPS_SNAPSHOT = 'event: snapshot\ndata: {"groups":[{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000123},' \
                  '{"name":"bob","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":1}\n\n'
UNAVAILABLE = ("problem", (503, {"type": "urn:presence:problem:store-unavailable", "title": "t", "status": 503, "detail": "d"}, 0))


def _take(stream, count):
    events = []
    with stream:
        for event in stream:
            events.append(event)
            if len(events) == count:
                break
    return events


class GroupStreamTests(unittest.TestCase):
    def start(self, *answers) -> Script:
        script = Script(answers)
        server = _server(script)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/api"
        return script

    def test_group_events_every_type_read_then_resumed_after_a_drop_and_a_503(self):
        script = self.start(
            ("stream", SNAPSHOT + ": keepalive\n\n"
             'id: 7.1\nevent: online\ndata: {"id":"9","at":1764270001000,"count":3}\n\n'
             'id: 8.1\nevent: offline\ndata: {"id":"5","at":1764270031000,"reason":"timeout","count":2}\n\n'
             'id: 9.2\nevent: member_removed\ndata: {"id":"9","members":2,"count":1}\n\n'
             'id: 9.2\nevent: member_added\ndata: {"id":"11","online":true,"lastSeenMs":1764270033000,"members":3,"count":2}\n\n'
             'id: 9.2\nevent: member_added\ndata: {"id":"12","online":false,"lastSeenMs":null,"members":4,"count":2}\n\n'
             'id: 9.3\nevent: something-newer\ndata: {"x":1}\n\n'),
            UNAVAILABLE,
            ("stream", 'id: 10.3\r\nevent: offline\r\ndata: {"id":"11","at":1764270040000,"reason":"signout","count":1}\r\n\r\n'),
        )
        client = PresenceClient(self.url, api_key="read-key")
        events = _take(client.group_events("room-1", read_timeout=5, debounce=5), 8)
        self.assertEqual(events[0], GroupEvent("snapshot", None, name="room-1", members=3, online=2, count=2,
                                               users=[UserPresence(5, True, 1764270000123), UserPresence(2**64 - 1, True, 1764270000456)],
                                               data=events[0].data))
        self.assertEqual([(e.type, e.event_id, e.user_id, e.at, e.reason, e.user, e.members, e.count) for e in events[1:]], [
            ("online", "7.1", 9, 1764270001000, None, None, None, 3),
            ("offline", "8.1", 5, 1764270031000, "timeout", None, None, 2),
            ("member_removed", "9.2", 9, None, None, None, 2, 1),
            ("member_added", "9.2", 11, None, None, UserPresence(11, True, 1764270033000), 3, 2),
            ("member_added", "9.2", 12, None, None, UserPresence(12, False, None), 4, 2),
            ("something-newer", "9.3", None, None, None, None, None, None),
            ("offline", "10.3", 11, 1764270040000, "signout", None, None, 1),
        ])
        self.assertEqual(events[6].data, {"x": 1})
        # The first connection, the retry the 503 refused and the resume: a GET with no body, the same debounce.
        self.assertEqual(script.requests, [("/api/v1/groups/room-1/events?debounce=5", None, None),
                                           ("/api/v1/groups/room-1/events?debounce=5", "9.3", None),
                                           ("/api/v1/groups/room-1/events?debounce=5", "9.3", None)])
        self.assertEqual(script.methods, ["GET"] * 3)

    def test_group_events_resume_from_an_id_given_and_no_debounce_no_parameter(self):
        script = self.start(("stream", 'id: 7.1\nevent: online\ndata: {"id":"9","at":1,"count":1}\n\n'))
        events = _take(PresenceClient(self.url).group_events("user:42", last_event_id="6.1", read_timeout=5), 1)
        self.assertEqual([e.event_id for e in events], ["7.1"])
        self.assertEqual(script.requests, [("/api/v1/groups/user:42/events", "6.1", None)])

    def test_groups_events_every_type_read_then_resumed_with_the_same_names(self):
        script = self.start(
            ("stream", GROUPS_SNAPSHOT
             + 'id: 7.4\nevent: offline\ndata: {"name":"alice","at":1764270031000,"reason":"timeout"}\n\n'
             'id: 8.4\nevent: online\ndata: {"name":"bob","at":1764270032000}\n\n'),
            UNAVAILABLE,
            ("stream", 'id: 9.5\nevent: offline\ndata: {"name":"bob","at":1764270033000,"reason":"membership"}\n\n'),
        )
        events = _take(PresenceClient(self.url).groups_events(["alice", "bob", "alice"], read_timeout=5, debounce=60), 4)
        self.assertEqual(events[0], GroupsEvent("snapshot", None, online=1, data=events[0].data,
                                                groups=[GroupPresence("alice", True, 2, 3, 1764270000123), GroupPresence("bob", False, 0, 0, None)]))
        self.assertEqual([(e.type, e.event_id, e.name, e.at, e.reason) for e in events[1:]], [
            ("offline", "7.4", "alice", 1764270031000, "timeout"),
            ("online", "8.4", "bob", 1764270032000, None),
            ("offline", "9.5", "bob", 1764270033000, "membership"),
        ])
        self.assertEqual([r[1] for r in script.requests], [None, "8.4", "8.4"])
        self.assertEqual({(r[0], json.dumps(r[2])) for r in script.requests},
                         {("/api/v1/groups/events?debounce=60", '{"names": ["alice", "bob", "alice"]}')})
        self.assertEqual(script.methods, ["POST"] * 3)

    def test_group_events_outside_the_contract_raise(self):
        self.outside_the_contract(lambda client: client.group_events("g", read_timeout=5), (
                ("snapshot", '{"name":"other","members":1,"online":0,"users":[]}'),
                ("snapshot", '{"name":"g","members":1,"online":1,"users":[{"id":"1","online":false,"lastSeenMs":null}]}'),
                ("snapshot", '{"name":"g","members":2,"online":2,"users":[{"id":"2","online":true,"lastSeenMs":1},{"id":"1","online":true,"lastSeenMs":1}]}'),
                ("snapshot", '{"name":"g","members":2,"online":2,"users":[{"id":"1","online":true,"lastSeenMs":1}]}'),
                ("snapshot", '{"name":"g","online":0,"users":[]}'),
                ("online", '{"id":"1","at":5}'),
                ("online", '{"id":"0","at":5,"count":1}'),
                ("offline", '{"id":"1","count":0,"reason":"timeout"}'),
                ("offline", '{"id":"1","at":5,"count":0,"reason":"membership"}'),
                ("member_added", '{"id":"1","online":true,"lastSeenMs":5,"count":1}'),
                ("member_added", '{"id":"1","lastSeenMs":5,"members":1,"count":1}'),
                ("member_removed", '{"id":"1","members":1,"count":2}'),
                ("member_removed", '{"id":"1","count":0}'),
                ("member_removed", 'not json')))

    def test_groups_events_outside_the_contract_raise(self):
        self.outside_the_contract(lambda client: client.groups_events(["a", "b", "a"], read_timeout=5), (
                ("snapshot", '{"groups":[{"name":"a","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":0}'),
                ("snapshot", '{"groups":[{"name":"b","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null},'
                             '{"name":"a","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":0}'),
                ("snapshot", '{"groups":[{"name":"a","online":true,"onlineMembers":1,"members":1,"lastSeenMs":1},'
                             '{"name":"b","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":2}'),
                ("online", '{"name":"c","at":5}'),
                ("online", '{"name":"a"}'),
                ("offline", '{"name":"a","at":5,"reason":"gone"}'),
                ("offline", '{"name":"a","at":5}')))

    def outside_the_contract(self, watch, cases):
        """Each event of cases, one stream each (one server answers them in turn), raises PresenceError, not a problem."""
        script = self.start(*[("stream", f"id: 1\nevent: {kind}\ndata: {data}\n\n") for kind, data in cases])
        for kind, data in cases:
            with self.subTest(kind=kind, data=data):
                with self.assertRaises(PresenceError) as caught:
                    _take(watch(PresenceClient(self.url)), 1)
                self.assertNotIsInstance(caught.exception, PresenceApiError)
        self.assertEqual(len(script.requests), len(cases))  # one connection each: nothing was retried

    def test_a_problem_before_the_stream_raises_it(self):
        # A service without group streams answers their routes 404 not-found: raised, never read as an empty group.
        self.start(("problem", (404, {"type": "urn:presence:problem:not-found", "title": "t", "status": 404, "detail": "d"}, None)))
        with self.assertRaises(PresenceApiError) as caught:
            _take(PresenceClient(self.url).group_events("room-1"), 1)
        self.assertEqual((caught.exception.status, caught.exception.type), (404, "urn:presence:problem:not-found"))

    def test_what_the_service_would_refuse_raises_value_error_before_any_request(self):
        script = self.start()
        client = PresenceClient(self.url)
        refused = {
            "bad name": lambda: client.group_events("a b"),
            "dot segment": lambda: client.group_events(".."),
            "129 characters": lambda: client.group_events("x" * 129),
            "not a str": lambda: client.group_events(42),
            "debounce 61": lambda: client.group_events("g", debounce=61),
            "debounce a float": lambda: client.group_events("g", debounce=1.5),
            "no names": lambda: client.groups_events([]),
            "a bad name among names": lambda: client.groups_events(["ok", "not ok"]),
            "a dot among names": lambda: client.groups_events(["ok", "."]),
            "groups debounce -1": lambda: client.groups_events(["g"], debounce=-1),
        }
        for what, call in refused.items():
            with self.subTest(what):
                with self.assertRaises(ValueError):
                    call()
        self.assertEqual(script.requests, [])

    def test_cli_watch_group_and_watch_groups_print_one_json_line_per_event(self):
        bad = ("problem", (400, {"type": "urn:presence:problem:bad-debounce", "title": "t", "status": 400, "detail": "d"}, None))
        script = self.start(("stream", SNAPSHOT + 'id: 7.1\nevent: member_removed\ndata: {"id":"5","members":2,"count":1}\n\n'), bad,
                            ("stream", GROUPS_SNAPSHOT), bad)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # Each ends at the 400 its reconnect is answered: the error, exit 1.
            self.assertEqual(main(["watch-group", "--url", self.url, "--api-key", "rk", "--debounce", "3", "--last-event-id", "6.1", "room-1"]), 1)
            self.assertEqual(main(["watch-groups", "--url", self.url, "alice", "bob"]), 1)
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual([(line["event"], line["id"]) for line in lines], [("snapshot", "6.1"), ("member_removed", "7.1"), ("snapshot", None)])
        self.assertEqual(lines[1]["data"], {"id": "5", "members": 2, "count": 1})
        self.assertEqual(lines[2]["data"]["online"], 1)
        self.assertIn("bad-debounce", err.getvalue())
        self.assertEqual([(r[0], r[1]) for r in script.requests],
                         [("/api/v1/groups/room-1/events?debounce=3", "6.1"), ("/api/v1/groups/room-1/events?debounce=3", "7.1"),
                          ("/api/v1/groups/events", None), ("/api/v1/groups/events", None)])

    def test_cli_bad_debounce_or_name_is_a_usage_error_before_any_request(self):
        script = self.start()
        for argv in (["watch-group", "--url", self.url, "--debounce", "61", "g"], ["watch-group", "--url", self.url, "not ok"],
                     ["watch-groups", "--url", self.url, "--debounce", "x", "g"], ["watch-groups", "--url", self.url]):
            with self.subTest(argv=argv), contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as caught:
                main(argv)
            self.assertEqual(caught.exception.code, 2)
        self.assertEqual(script.requests, [])


if __name__ == "__main__":
    unittest.main()
