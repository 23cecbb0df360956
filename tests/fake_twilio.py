"""A loopback HTTP server speaking Twilio's REST API, for the real ``twilio`` client to talk to.

Responses are built from the examples in Twilio's own OpenAPI description
(../shared/twilio/twilio_api_v2010.json, read in place). Tests can queue failures (a 500, a
429, a 21610 opt-out, a timeout) and wait for requests to arrive. The Conversations API
(``/v1/...``) and MMS media are :mod:`tests.fake_conversations`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.fake_conversations import ConversationsApi, Media
from tests.shared_data import SHARED

SPEC = SHARED / "twilio" / "twilio_api_v2010.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
CALLS = "/2010-04-01/Accounts/{AccountSid}/Calls.json"


def _examples() -> dict[str, dict[str, object]]:
    """The 201 example bodies of message and call creation, from Twilio's OpenAPI file."""
    found: dict[str, dict[str, object]] = {}
    if SPEC.exists():
        spec = json.loads(SPEC.read_text())
        for name, path in (("Messages", MESSAGES), ("Calls", CALLS)):
            content = spec["paths"][path]["post"]["responses"]["201"]["content"]
            examples = content["application/json"].get("examples", {})
            if examples:
                found[name] = dict(next(iter(examples.values()))["value"])
    return found


@dataclass
class Request:
    """One request the hub made: which resource, the account, and the form fields."""

    resource: str  # "Messages" | "Calls"
    account: str
    form: dict[str, str]
    at: float
    sid: str = ""


@dataclass
class Failure:
    status: int
    code: int | None = None
    delay: float = 0.0  # seconds to sleep first (a timeout when longer than the client's)
    taken: bool = False  # the request is carried out all the same (Twilio hung, then sent)


@dataclass
class FakeTwilio:
    """Start with :meth:`start`; ``url`` is the base to put in HUB_TWILIO_API_URL."""

    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    url: str = ""
    latency: float = 0.0  # seconds each accepted request takes, as Twilio's API does
    max_in_flight: int = 0  # the most requests being answered at one moment
    lists: int = 0  # GET requests answered (the hub asking what was sent)

    def __post_init__(self) -> None:
        self._examples = _examples()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Twilio's API: a client reuses its connection between requests.
            protocol_version = "HTTP/1.1"
            timeout = 5  # an idle kept-alive connection is closed (its thread ends)
            # Headers and body go out as two writes: without this, Nagle's algorithm holds the
            # body until the client's delayed ACK, 40 ms per request on a kept-alive socket.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                fake._other(self) or fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._other(self) or fake._list(self)

            def do_DELETE(self) -> None:  # noqa: N802
                fake._other(self) or fake._reply(self, 404, {"code": 20404, "status": 404})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.conversations = ConversationsApi()
        self.media = Media(self.url)

    def start(self) -> FakeTwilio:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, status: int, code: int | None = None, delay: float = 0.0,
                  times: int = 1, taken: bool = False) -> None:
        """Answer the next ``times`` requests with an error instead of success (``taken``:
        carry each out all the same, as a Twilio that hangs after accepting it)."""
        with self._lock:
            self.failures.extend(Failure(status, code, delay, taken) for _ in range(times))

    def recover(self) -> None:
        """The outage is over: no more injected failures."""
        with self._lock:
            self.failures.clear()

    def _other(self, handler: BaseHTTPRequestHandler) -> bool:
        """The Conversations API and MMS media (injected failures apply to them too); False
        for a path of the Messages and Calls resources."""
        path = handler.path.split("?")[0]
        if not (path.startswith("/v1/") or Media.handles(path)):
            return False
        length = int(handler.headers.get("Content-Length", 0))
        raw = handler.rfile.read(length).decode() if length else ""
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            time.sleep(failure.delay)
            self._reply(handler, failure.status, {"code": failure.code or failure.status,
                                                  "message": "injected failure",
                                                  "status": failure.status})
            return True
        if path.startswith("/v1/") and not Media.handles(path):
            form = {k: v[-1] for k, v in parse_qs(raw).items()}
            with self._arrived:
                status, payload = self.conversations.answer(handler.command, path, form)
                self._arrived.notify_all()
            self._reply(handler, status, payload)
            return True
        status, data, content_type = self.media.answer(
            handler.command, path, handler.headers.get("Authorization", ""))
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return True

    def _list(self, handler: BaseHTTPRequestHandler) -> None:
        """GET .../Messages.json?To=&From=: the account's messages, newest first, in
        Twilio's page format."""
        path, _, query = handler.path.partition("?")
        wanted = {k: v[-1] for k, v in parse_qs(query).items()}
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            time.sleep(failure.delay)
            self._reply(handler, failure.status, {"code": failure.code or failure.status,
                                                  "message": "injected failure",
                                                  "status": failure.status})
            return
        if not path.endswith("/Messages.json"):
            self._reply(handler, 404, {"code": 20404, "message": "not found", "status": 404})
            return
        with self._lock:
            found = [r for r in reversed(self.requests) if r.resource == "Messages"
                     and all(r.form.get(k) == wanted[k] for k in ("To", "From") if k in wanted)]
        size = int(wanted.get("PageSize", 50))
        messages = [{**self._examples.get("Messages", {}), "sid": r.sid, "body": r.form["Body"],
                     "to": r.form["To"], "from": r.form["From"], "status": "queued"}
                    for r in found[:size]]
        self._reply(handler, 200, {"messages": messages, "page": 0, "page_size": size,
                                   "start": 0, "end": max(len(messages) - 1, 0),
                                   "uri": path, "first_page_uri": path,
                                   "next_page_uri": None, "previous_page_uri": None})
        self.lists += 1

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Request]:
        """Block until at least ``count`` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} requests to the Twilio API, got {len(self.requests)}")
                self._arrived.wait(left)
            return list(self.requests)

    def sent_to(self, number: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.form.get("To") == number]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = handler.path.split("?")[0].strip("/").split("/")
        length = int(handler.headers.get("Content-Length", 0))
        raw = handler.rfile.read(length).decode()  # read whole, so the connection can be reused
        # 2010-04-01 / Accounts / {sid} / Messages.json
        if len(parts) != 4 or parts[1] != "Accounts" or parts[3] not in ("Messages.json",
                                                                          "Calls.json"):
            self._reply(handler, 404, {"code": 20404, "message": "not found", "status": 404})
            return
        form = {k: v[-1] for k, v in parse_qs(raw).items()}
        resource = parts[3].removesuffix(".json")
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None and not failure.taken:
            time.sleep(failure.delay)
            self._reply(handler, failure.status, {"code": failure.code or failure.status,
                                                  "message": "injected failure",
                                                  "status": failure.status})
            return
        missing = [f for f in ("To", "From") if not form.get(f)]
        if resource == "Messages" and not form.get("Body"):
            missing.append("Body")
        if resource == "Calls" and not (form.get("Twiml") or form.get("Url")):
            missing.append("Url or Twiml")
        if resource == "Calls" and form.get("MachineDetection") not in (
                None, "Enable", "DetectMessageEnd"):
            missing.append("MachineDetection (Enable or DetectMessageEnd)")
        if missing:
            self._reply(handler, 400, {"code": 21604, "message": f"missing {missing}",
                                       "status": 400})
            return
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        time.sleep(self.latency)
        prefix = "SM" if resource == "Messages" else "CA"
        sid = prefix + uuid.uuid4().hex
        with self._arrived:
            self._in_flight -= 1
            self.requests.append(Request(resource, parts[2], form, time.monotonic(), sid))
            self._arrived.notify_all()
        if failure is not None:  # taken, then the answer hangs past the client's patience
            time.sleep(failure.delay)
            self._reply(handler, failure.status, {"code": failure.code or failure.status,
                                                  "message": "injected failure",
                                                  "status": failure.status})
            return
        body = dict(self._examples.get(resource, {}))
        body.update({"sid": sid, "account_sid": parts[2],
                     "to": form["To"], "from": form["From"], "status": "queued"})
        if resource == "Messages":
            body["body"] = form["Body"]
        self._reply(handler, 201, body)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int,
               payload: dict[str, object] | None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (an injected timeout)
