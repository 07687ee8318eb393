"""The group methods and the group/groups commands against a small scripted HTTP server on 127.0.0.1 port 0
(http.server in a thread): the requests they build (method, path, key, body), arguments the service would
refuse raised as ValueError before any request, a group with no members read as 0 members, paging that
follows next, answers outside the contract raised. The real service: e2e_services.py."""
import contextlib
import io
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from presence_client import GroupPage, GroupPresence, PresenceApiError, PresenceClient, PresenceError, UserPresence
from presence_client.__main__ import main

NOT_FOUND = (404, {"type": "urn:presence:problem:group-not-found", "title": "The group has no members", "status": 404, "detail": "no members"})


class Script:
    """Answers (status, JSON document or None) in order, then 200 {}; records (method, path, Authorization, body)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.lock = threading.Lock()


def _server(script: Script) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length)) if length else None
            with script.lock:
                script.requests.append((self.command, self.path, self.headers.get("Authorization"), body))
                status, document = script.answers.pop(0) if script.answers else (200, {})
            data = b"" if status == 204 else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _page(name, members, online, ids, nxt):
    return 200, {"name": name, "members": members, "online": online, "next": nxt,
                 "users": [{"id": str(i), "online": on, "lastSeenMs": seen} for i, on, seen in ids]}


class GroupTests(unittest.TestCase):
    def start(self, *answers) -> Script:
        script = Script(answers)
        server = _server(script)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/api"
        return script

    def test_replace_puts_ids_as_decimal_strings_with_the_admin_key(self):
        script = self.start((200, {"name": "user:42", "members": 2}), (200, {"name": "user:42", "members": 0}))
        client = PresenceClient(self.url, api_key="read-key")
        self.assertEqual(client.replace_group("user:42", [7, 2**64 - 1, 7], "admin-key"), 2)
        self.assertEqual(client.replace_group("user:42", [], "admin-key"), 0)
        self.assertEqual(script.requests, [
            ("PUT", "/api/v1/groups/user:42", "Bearer admin-key", {"ids": ["7", "18446744073709551615", "7"]}),
            ("PUT", "/api/v1/groups/user:42", "Bearer admin-key", {"ids": []}),
        ])

    def test_change_posts_the_lists_given(self):
        script = self.start(*[(200, {"name": "room-1", "members": 5})] * 3)
        client = PresenceClient(self.url)
        self.assertEqual(client.change_group("room-1", add=[1, 2], remove=[3], admin_key="k"), 5)
        client.change_group("room-1", add=[1], admin_key="k")
        client.change_group("room-1", remove=iter([9]), admin_key="k")
        self.assertEqual([(r[0], r[1], r[2]) for r in script.requests], [("POST", "/api/v1/groups/room-1/members", "Bearer k")] * 3)
        self.assertEqual([r[3] for r in script.requests], [{"remove": ["3"], "add": ["1", "2"]}, {"add": ["1"]}, {"remove": ["9"]}])

    def test_delete_204_is_done_a_problem_is_raised(self):
        script = self.start((204, None), (403, {"type": "urn:presence:problem:forbidden", "title": "t", "status": 403, "detail": "d"}))
        client = PresenceClient(self.url)
        self.assertIsNone(client.delete_group("room-1", "admin-key"))
        with self.assertRaises(PresenceApiError) as caught:
            client.delete_group("room-1", "read-key")
        self.assertEqual((caught.exception.status, caught.exception.type), (403, "urn:presence:problem:forbidden"))
        self.assertEqual([(r[0], r[1], r[2]) for r in script.requests],
                         [("DELETE", "/api/v1/groups/room-1", "Bearer admin-key"), ("DELETE", "/api/v1/groups/room-1", "Bearer read-key")])

    def test_group_size_no_members_404_is_zero_other_problems_raise(self):
        script = self.start((200, {"name": "room-1", "members": 3}), NOT_FOUND,
                            (503, {"type": "urn:presence:problem:store-unavailable", "title": "t", "status": 503, "detail": "d"}),
                            (404, {"type": "about:blank"}),
                            (404, {"type": "urn:presence:problem:not-found", "title": "No such resource", "status": 404, "detail": "d"}))
        client = PresenceClient(self.url, api_key="read-key")
        self.assertEqual(client.group_size("room-1"), 3)
        self.assertEqual(client.group_size("room-1"), 0)
        with self.assertRaises(PresenceApiError) as caught:
            client.group_size("room-1")
        self.assertEqual(caught.exception.type, "urn:presence:problem:store-unavailable")
        with self.assertRaises(PresenceApiError):  # a 404 that is not the service's group-not-found says nothing of the group
            client.group_size("room-1")
        with self.assertRaises(PresenceApiError):  # nor an unknown route's not-found (a wrong base path)
            client.group_size("room-1")
        self.assertEqual(script.requests, [("GET", "/api/v1/groups/room-1", "Bearer read-key", None)] * 5)

    def test_group_presence_reads_a_page_and_no_members_is_an_empty_page(self):
        script = self.start(_page("room-1", 4, 2, [(5, True, 1764270000123), (2**64 - 1, True, None)], "18446744073709551615"),
                            NOT_FOUND)
        client = PresenceClient(self.url)
        page = client.group_presence("room-1", online_only=True, limit=2, cursor="4")
        self.assertEqual(page, GroupPage("room-1", 4, 2, [UserPresence(5, True, 1764270000123), UserPresence(2**64 - 1, True, None)],
                                         "18446744073709551615"))
        self.assertEqual(client.group_presence("gone"), GroupPage("gone", 0, 0, [], None))
        self.assertEqual([r[1] for r in script.requests],
                         ["/api/v1/groups/room-1/presence?online=only&limit=2&cursor=4", "/api/v1/groups/gone/presence"])

    def test_cursor_is_escaped(self):
        script = self.start(_page("x", 0, 0, [], None))
        PresenceClient(self.url).group_presence("x", limit=7, cursor="a b&c=d/é")
        self.assertEqual(script.requests[0][1], "/api/v1/groups/x/presence?limit=7&cursor=a%20b%26c%3Dd%2F%C3%A9")

    def test_iter_group_follows_next_until_none(self):
        script = self.start(_page("g", 5, 1, [(1, False, None), (2, True, 9)], "2"),
                            _page("g", 5, 1, [(3, False, 8000), (4, False, None)], "4"),
                            _page("g", 5, 1, [(5, False, None)], None),
                            _page("g", 5, 1, [(6, False, None)], None))
        ids = [u.id for u in PresenceClient(self.url).iter_group("g", limit=2)]
        self.assertEqual(ids, [1, 2, 3, 4, 5])
        self.assertEqual([r[1] for r in script.requests], ["/api/v1/groups/g/presence?limit=2", "/api/v1/groups/g/presence?limit=2&cursor=2",
                                                           "/api/v1/groups/g/presence?limit=2&cursor=4"])

    def test_iter_group_a_page_repeating_a_member_raises_instead_of_looping(self):
        same = _page("g", 2, 0, [(1, False, None)], "1")
        script = self.start(same, same)
        with self.assertRaises(PresenceError) as caught:
            list(PresenceClient(self.url).iter_group("g"))
        self.assertIn("member 1 of group 'g' after 1", str(caught.exception))
        self.assertEqual(len(script.requests), 2)

    def test_group_page_outside_the_contract_raises(self):
        for answer in ({"name": "other", "members": 1, "online": 0, "users": [], "next": None},
                       {"name": "g", "members": 1, "online": 2, "users": [], "next": None},
                       {"name": "g", "online": 0, "users": [], "next": None},
                       {"name": "g", "members": 1, "online": 0, "users": [], "next": ""},
                       _page("g", 3, 0, [(2, False, None), (1, False, None)], None)[1],
                       _page("g", 3, 0, [(0, False, None)], None)[1]):
            with self.subTest(answer=answer):
                self.start((200, answer))
                with self.assertRaises(PresenceError) as caught:
                    PresenceClient(self.url).group_presence("g")
                self.assertNotIsInstance(caught.exception, PresenceApiError)

    def test_groups_presence_split_by_max_batch_in_request_order(self):
        alice = {"name": "alice", "online": True, "onlineMembers": 2, "members": 3, "lastSeenMs": 1764270000123}
        bob = {"name": "bob", "online": False, "onlineMembers": 0, "members": 0, "lastSeenMs": None}
        script = self.start((200, {"groups": [alice, bob], "online": 1}), (200, {"groups": [alice], "online": 1}))
        answer = PresenceClient(self.url, max_batch=2).groups_presence(["alice", "bob", "alice"])
        self.assertEqual(answer, [GroupPresence("alice", True, 2, 3, 1764270000123), GroupPresence("bob", False, 0, 0, None),
                                  GroupPresence("alice", True, 2, 3, 1764270000123)])
        self.assertEqual(script.requests, [("POST", "/api/v1/groups/presence", None, {"names": ["alice", "bob"]}),
                                           ("POST", "/api/v1/groups/presence", None, {"names": ["alice"]})])

    def test_groups_presence_outside_the_contract_raises(self):
        for groups in ([{"name": "bob", "online": False, "onlineMembers": 0, "members": 0, "lastSeenMs": None}],
                       [],
                       [{"name": "alice", "online": False, "onlineMembers": 1, "members": 1, "lastSeenMs": None}],
                       [{"name": "alice", "online": True, "members": 1, "lastSeenMs": None}]):
            with self.subTest(groups=groups):
                self.start((200, {"groups": groups, "online": 0}))
                with self.assertRaises(PresenceError) as caught:
                    PresenceClient(self.url).groups_presence(["alice"])
                self.assertNotIsInstance(caught.exception, PresenceApiError)

    def test_what_the_service_would_refuse_raises_value_error_before_any_request(self):
        script = self.start()
        client = PresenceClient(self.url)
        refused = {
            "bad name": lambda: client.replace_group("a b", [1], "k"),
            "dot segment": lambda: client.replace_group("..", [1], "k"),
            "129 characters": lambda: client.group_size("x" * 129),
            "empty name": lambda: client.group_size(""),
            "not a str": lambda: client.group_size(42),
            "a newline": lambda: client.group_size("a\n"),
            "non-ASCII": lambda: client.delete_group("é", "k"),
            "id 0": lambda: client.replace_group("g", [1, 0], "k"),
            "id too large": lambda: client.change_group("g", add=[2**64], admin_key="k"),
            "no admin key": lambda: client.replace_group("g", [1], ""),
            "admin key None": lambda: client.delete_group("g", None),
            "nothing to change": lambda: client.change_group("g", admin_key="k"),
            "limit 0": lambda: client.group_presence("g", limit=0),
            "limit a bool": lambda: client.group_presence("g", limit=True),
            "empty cursor": lambda: client.group_presence("g", cursor=""),
            "dot page": lambda: client.group_presence("."),
            "iter a bad name": lambda: next(client.iter_group("a/b")),
            "no names": lambda: client.groups_presence([]),
            "a bad name among names": lambda: client.groups_presence(["ok", "not ok"]),
        }
        for what, call in refused.items():
            with self.subTest(what):
                with self.assertRaises(ValueError):
                    call()
        self.assertEqual(script.requests, [])

    def test_dot_names_are_no_names_in_a_body_either(self):
        script = self.start()
        for name in (".", ".."):
            with self.subTest(name):
                with self.assertRaises(ValueError):
                    PresenceClient(self.url).groups_presence(["ok", name])
        self.assertEqual(script.requests, [])

    def test_cli_group_lists_every_page_and_groups_one_line_each(self):
        script = self.start(_page("user:42", 3, 1, [(1, True, 9), (2, False, None)], "2"), _page("user:42", 3, 1, [(3, False, 5000)], None),
                            (200, {"groups": [{"name": "user:42", "online": True, "onlineMembers": 1, "members": 3, "lastSeenMs": 9},
                                              {"name": "x", "online": False, "onlineMembers": 0, "members": 0, "lastSeenMs": None}],
                                   "online": 1}))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(main(["group", "--url", self.url, "--api-key", "rk", "--online-only", "--limit", "2", "user:42"]), 0)
            self.assertEqual(main(["groups", "--url", self.url, "user:42", "x"]), 0)
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(lines, [{"id": "1", "online": True, "lastSeenMs": 9}, {"id": "2", "online": False, "lastSeenMs": None},
                                 {"id": "3", "online": False, "lastSeenMs": 5000},
                                 {"name": "user:42", "online": True, "onlineMembers": 1, "members": 3, "lastSeenMs": 9},
                                 {"name": "x", "online": False, "onlineMembers": 0, "members": 0, "lastSeenMs": None}])
        self.assertEqual([(r[1], r[2]) for r in script.requests],
                         [("/api/v1/groups/user:42/presence?online=only&limit=2", "Bearer rk"),
                          ("/api/v1/groups/user:42/presence?online=only&limit=2&cursor=2", "Bearer rk"),
                          ("/api/v1/groups/presence", None)])

    def test_cli_a_bad_group_name_is_a_usage_error(self):
        script = self.start()
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as caught:
            main(["groups", "--url", self.url, "ok", "not ok"])
        self.assertEqual(caught.exception.code, 2)
        self.assertIn("is no group name", err.getvalue())
        self.assertEqual(script.requests, [])


if __name__ == "__main__":
    unittest.main()
