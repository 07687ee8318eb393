"""The events stream against a small real SSE server on 127.0.0.1 port 0 (http.server in a thread),
for what the real presence-query (e2e_services.py) does not easily show: multi-line data, CRLF
lines, retry:, a dropped stream and a 503 with Retry-After before the resume, a problem before
the stream, debounce=S on every connection (and a bad one refused before any)."""
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from presence_client import PresenceApiError, PresenceClient, PresenceError, SseParser


class Script:
    """What the server answers, connection by connection, and what it was asked."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []  # (path, Last-Event-ID, body or None)
        self.methods = []
        self.lock = threading.Lock()


def _server(script: Script) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with script.lock:
                script.requests.append((self.path, self.headers.get("Last-Event-ID"), json.loads(body) if body else None))
                script.methods.append(self.command)
                answer = script.answers.pop(0) if script.answers else ("hold", None)
            kind, payload = answer
            if kind == "problem":
                status, problem, retry_after = payload
                data = json.dumps(problem).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/problem+json")
                self.send_header("Content-Length", str(len(data)))
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            if kind == "stream":
                self.wfile.write(payload.encode())
                self.wfile.flush()
                self.close_connection = True  # the stream ends: the client must reconnect
            else:
                # Hold the stream open until the client goes away.
                try:
                    while True:
                        self.wfile.write(b": keepalive\n\n")
                        self.wfile.flush()
                        threading.Event().wait(0.05)
                except OSError:
                    pass

        do_GET = do_POST  # a group's stream: no body

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


SNAPSHOT = 'event: snapshot\ndata: {"users":[{"id":"42","online":false,"lastSeenMs":null},' \
           '{"id":"18446744073709551615","online":true,"lastSeenMs":1764270000123}],"online":1}\n\n'


class SseTests(unittest.TestCase):
    def start(self, *answers) -> Script:
        script = Script(answers)
        server = _server(script)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return script

    def test_events_parsed_keepalives_ignored_and_resume_sends_last_event_id(self):
        script = self.start(
            ("stream", "retry: 10\n" + SNAPSHOT + ": keepalive\n\n"
             'id: 7\nevent: online\ndata: {"id":"42","at":1764270001000}\n\n'
             'id: 8\nevent: offline\ndata: {"id":"18446744073709551615",\ndata: "at":1764270031000,"reason":"timeout"}\n\n'),
            ("stream", 'id: 9\r\nevent: offline\r\ndata: {"id":"42","at":1764270040000,"reason":"signout"}\r\n\r\n'),
        )
        client = PresenceClient(self.url)
        events = []
        with client.events([42, 2**64 - 1], read_timeout=5) as stream:
            for event in stream:
                events.append(event)
                if len(events) == 4:
                    break
            self.assertEqual(stream.last_event_id, "9")
            self.assertEqual(stream.connects, 2)
        snapshot, online, timeout, signout = events
        self.assertEqual(snapshot.type, "snapshot")
        self.assertEqual([(u.id, u.online, u.last_seen_ms) for u in snapshot.users],
                         [(42, False, None), (2**64 - 1, True, 1764270000123)])
        self.assertEqual((online.type, online.event_id, online.user_id, online.at), ("online", "7", 42, 1764270001000))
        self.assertEqual((timeout.type, timeout.user_id, timeout.reason), ("offline", 2**64 - 1, "timeout"))
        self.assertEqual((signout.event_id, signout.reason, signout.at), ("9", "signout", 1764270040000))
        self.assertEqual([r[1] for r in script.requests], [None, "8"])
        self.assertEqual([r[0] for r in script.requests], ["/v1/presence/events"] * 2)  # no debounce: no parameter
        self.assertEqual(script.requests[0][2], {"ids": ["42", "18446744073709551615"]})

    def test_problem_before_the_stream_raises_what_was_wrong(self):
        self.start(("problem", (400, {"type": "urn:presence:problem:too-many-ids", "title": "More ids than one request may hold",
                                      "status": 400, "detail": "at most 10000 ids"}, None)))
        with self.assertRaises(PresenceApiError) as caught:
            next(iter(PresenceClient(self.url).events([1, 2])))
        e = caught.exception
        self.assertEqual((e.status, e.type), (400, "urn:presence:problem:too-many-ids"))
        self.assertIn("at most 10000 ids", str(e))

    def test_503_after_a_drop_waits_retry_after_then_resumes(self):
        script = self.start(
            ("stream", 'id: 1\nevent: online\ndata: {"id":"5","at":1}\n\n'),
            ("problem", (503, {"type": "urn:presence:problem:store-unavailable", "title": "t", "status": 503, "detail": "d"}, 0)),
            ("stream", 'id: 2\nevent: offline\ndata: {"id":"5","at":2,"reason":"signout"}\n\n'),
        )
        with PresenceClient(self.url).events([5], read_timeout=5) as stream:
            got = []
            for event in stream:
                got.append(event.event_id)
                if len(got) == 2:
                    break
        self.assertEqual(got, ["1", "2"])
        self.assertEqual([r[1] for r in script.requests], [None, "1", "1"])

    def test_debounce_sent_on_the_first_connection_and_every_reconnect(self):
        for debounce, path in ((5, "/v1/presence/events?debounce=5"), (60, "/v1/presence/events?debounce=60"),
                               (0, "/v1/presence/events")):
            with self.subTest(debounce=debounce):
                script = self.start(
                    ("stream", SNAPSHOT + 'id: 1\nevent: offline\ndata: {"id":"42","at":2,"reason":"timeout"}\n\n'),
                    ("problem", (503, {"type": "urn:presence:problem:store-unavailable", "title": "t", "status": 503, "detail": "d"}, 0)),
                    ("stream", 'id: 2\nevent: online\ndata: {"id":"42","at":3}\n\n'),
                )
                with PresenceClient(self.url).events([42], read_timeout=5, debounce=debounce) as stream:
                    got = []
                    for event in stream:
                        got.append(event.event_id)
                        if len(got) == 3:
                            break
                # The first connection, the retry the 503 refused and the resume: each asks for the same debounce.
                self.assertEqual(got, [None, "1", "2"])
                self.assertEqual([r[1] for r in script.requests], [None, "1", "1"])
                self.assertEqual([r[0] for r in script.requests], [path] * 3)

    def test_debounce_not_an_int_in_0_to_60_raises_before_any_request(self):
        script = self.start()
        client = PresenceClient(self.url)
        for bad in (61, -1, 1.5, 5.0, "5", True, None):
            with self.subTest(debounce=bad):
                with self.assertRaises(ValueError):
                    client.events([1], debounce=bad)  # type: ignore[arg-type]
        self.assertEqual(script.requests, [])

    def test_bad_debounce_problem_raises_it(self):
        # A service that allows less than the client still has its say: a 400 raises, it is never retried.
        script = self.start(("problem", (400, {"type": "urn:presence:problem:bad-debounce", "title": "t", "status": 400,
                                               "detail": "debounce must be 0-30"}, None)))
        with self.assertRaises(PresenceApiError) as caught:
            next(iter(PresenceClient(self.url).events([1], debounce=45)))
        self.assertEqual((caught.exception.status, caught.exception.type), (400, "urn:presence:problem:bad-debounce"))
        self.assertEqual([r[0] for r in script.requests], ["/v1/presence/events?debounce=45"])

    def test_first_connection_refused_raises(self):
        with self.assertRaises(PresenceError):
            next(iter(PresenceClient("http://127.0.0.1:1").events([1])))


class CommandLineTests(unittest.TestCase):
    def test_watch_debounce_outside_0_to_60_is_a_usage_error_before_any_request(self):
        from presence_client.__main__ import main
        for bad in ("61", "-1", "1.5", "x"):
            with self.subTest(debounce=bad), self.assertRaises(SystemExit) as caught:
                main(["watch", "--url", "http://127.0.0.1:1", "--debounce", bad, "1"])
            self.assertEqual(caught.exception.code, 2)


class ParserTests(unittest.TestCase):
    def test_parser_follows_the_standard(self):
        p = SseParser()
        lines = ["data\n", "\n", "event: x\n", "data:a\n", "data: b\n", "id: 3\n", "retry: 250\n", "\n", "id: bad\0\n", "data: c\n", "\n"]
        events = [e for e in (p.feed(line) for line in lines) if e is not None]
        self.assertEqual(events, [("message", "", None), ("x", "a\nb", "3"), ("message", "c", "3")])
        self.assertEqual(p.retry_ms, 250)


if __name__ == "__main__":
    unittest.main()
