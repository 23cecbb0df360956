"""The Conversations API (and MMS media) of the loopback Twilio server.

Answers from Twilio's own OpenAPI description of the Conversations API
(../shared/twilio/twilio_conversations_v1.json, read in place): a path the description does
not hold is a 404, a method it does not allow a 405, anything else its example answer. A
message posted to a conversation is kept (the hub's replies) and listed back newest first.

MMS media (the 2010 API's Media resource): a test adds a photo with :meth:`Media.add`; its
``MediaUrl`` answers GET with the bytes and content type, ``.json`` with the resource's
example, and DELETE with 204. A chat medium (:meth:`Media.add_chat`) answers on the Media
Content Service's ``/v1/Services/{IS}/Media/{ME}/Content`` (HUB_TWILIO_MCS_URL points here
too). Each request is kept with the credentials it came with.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.shared_data import SHARED

SPEC = SHARED / "twilio" / "twilio_conversations_v1.json"
API_SPEC = SHARED / "twilio" / "twilio_api_v2010.json"
MEDIA_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json"


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(path)) + "$")


def _example(operation: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The first success answer of an operation and its first example (or an empty body)."""
    for status, answer in operation.get("responses", {}).items():
        if status.startswith("2"):
            content = answer.get("content", {}).get("application/json", {})
            examples = content.get("examples", {})
            value = next(iter(examples.values()))["value"] if examples else {}
            return int(status), dict(value)
    return 200, {}


@dataclass
class Posted:
    """A message the hub posted into a conversation."""

    conversation: str
    form: dict[str, str]
    sid: str


@dataclass
class ConversationsApi:
    messages: list[Posted] = field(default_factory=list)

    def __post_init__(self) -> None:
        spec = json.loads(SPEC.read_text())
        self._paths = [(_template(path), ops) for path, ops in spec["paths"].items()]

    def answer(self, method: str, path: str, form: dict[str, str]
               ) -> tuple[int, dict[str, Any] | None]:
        operations = next((ops for pattern, ops in self._paths if pattern.match(path)), None)
        if operations is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        operation = operations.get(method.lower())
        if operation is None:
            return 405, {"code": 20004, "message": "method not allowed", "status": 405}
        status, body = _example(operation)
        parts = path.strip("/").split("/")
        if parts[1:2] == ["Conversations"] and parts[3:] == ["Messages"]:
            return self._messages(method, parts[2], form, status, body)
        return status, body if status != 204 else None

    def _messages(self, method: str, conversation: str, form: dict[str, str], status: int,
                  body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "POST":
            if not form.get("Body") and not form.get("MediaSid"):
                return 400, {"code": 50504, "message": "Body or MediaSid is required",
                             "status": 400}
            posted = Posted(conversation, form, "IM" + uuid.uuid4().hex)
            self.messages.append(posted)
            return status, self._resource(body, posted)
        listed = [m for m in reversed(self.messages) if m.conversation == conversation]
        example = (body.get("messages") or [{}])[0]
        return status, {**body, "messages": [self._resource(example, m) for m in listed]}

    @staticmethod
    def _resource(example: dict[str, Any], posted: Posted) -> dict[str, Any]:
        return {**example, "sid": posted.sid, "conversation_sid": posted.conversation,
                "body": posted.form.get("Body"), "author": posted.form.get("Author", "system"),
                "media": None}


@dataclass
class MediaRequest:
    method: str
    path: str
    user: str  # the basic-auth user:password it came with ("" without)


@dataclass
class Media:
    """Photos Twilio holds for inbound MMS, until the hub deletes them."""

    base_url: str
    held: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[MediaRequest] = field(default_factory=list)
    down: int | None = None  # answer every media request with this status (Twilio down)

    def __post_init__(self) -> None:
        spec = json.loads(API_SPEC.read_text())
        self._resource = _example(spec["paths"][MEDIA_PATH]["get"])[1]

    def add(self, account: str, message_sid: str, data: bytes, content_type: str) -> str:
        """Hold one photo of an inbound MMS; return its MediaUrl as Twilio sends it."""
        path = f"/2010-04-01/Accounts/{account}/Messages/{message_sid}/Media/ME{uuid.uuid4().hex}"
        self.held[path] = (data, content_type)
        return self.base_url + path

    def add_chat(self, service_sid: str, data: bytes, content_type: str) -> str:
        """Hold one medium of a chat message on the Media Content Service; return its Sid."""
        sid = f"ME{uuid.uuid4().hex}"
        self.held[f"/v1/Services/{service_sid}/Media/{sid}/Content"] = (data, content_type)
        return sid

    @staticmethod
    def handles(path: str) -> bool:
        return "/Media/ME" in path and path.startswith(("/2010-04-01/Accounts/",
                                                        "/v1/Services/"))

    def answer(self, method: str, path: str, authorization: str
               ) -> tuple[int, bytes, str]:
        user = ""
        if authorization.startswith("Basic "):
            user = base64.b64decode(authorization[6:]).decode()
        self.requests.append(MediaRequest(method, path, user))
        if self.down is not None:
            return self.down, b'{"code": 20500, "message": "down"}', "application/json"
        resource = path.removesuffix(".json")
        if resource not in self.held:
            return 404, b'{"code": 20404, "message": "not found", "status": 404}', \
                "application/json"
        if method == "DELETE" and path.endswith(".json"):
            del self.held[resource]
            return 204, b"", "application/json"
        if method == "GET" and path.endswith(".json"):
            data, content_type = self.held[resource]
            return 200, json.dumps({**self._resource, "content_type": content_type,
                                    "sid": resource.rsplit("/", 1)[1]}).encode(), \
                "application/json"
        if method == "GET":
            return 200, *self.held[resource]
        return 405, b'{"code": 20004, "message": "method not allowed"}', "application/json"
