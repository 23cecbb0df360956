"""Sending through Twilio's REST API (the real ``twilio`` client) or into the local outbox.

The Twilio client's base URL is rewritten to ``HUB_TWILIO_API_URL`` so tests and staging can
point it at a loopback server speaking Twilio's API.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from config.settings import Settings

TWILIO_API = "https://api.twilio.com"
# Each of Twilio's products has its own host; HUB_TWILIO_API_URL stands in for all of them.
TWILIO_HOSTS = (TWILIO_API, "https://conversations.twilio.com")
# Twilio error codes that mean "this number cannot take this channel": retrying won't help.
UNREACHABLE_CODES = {21211, 21214, 21408, 21610, 21612, 21614}


class SendError(Exception):
    """Sending failed; ``retryable`` says whether a later attempt may succeed, ``unsure``
    that Twilio may have taken the request all the same (it timed out, or the connection
    broke once it was sent): ask Twilio before sending it again."""

    def __init__(self, reason: str, *, retryable: bool, code: int | None = None,
                 unsure: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.code = code
        self.unsure = unsure


class Transport(Protocol):
    def send(self, channel: str, to: str, body: str, status_callback: str,
             url: str | None = None) -> str:
        """Send an SMS (body = text), post into a Twilio Conversation (channel "chat", ``to``
        its ConversationSid) or place a call (body = TwiML; or, with ``url``, the TwiML
        fetched from there once answering machine detection has spoken); return the
        provider Sid."""
        ...

    def find_sent(self, channel: str, to: str, body: str) -> str | None:
        """The Sid of a message Twilio already holds with this body for this number, if any
        (after an unsure attempt); raises :class:`SendError` when Twilio cannot be asked."""
        ...


class _EnvironmentOnce(requests.Session):
    """A requests session that reads the environment's settings (proxies, ``NO_PROXY``, the
    CA bundle) once per host rather than on every request: scanning every environment
    variable twice a request cost about a millisecond of CPU a page, more than the rest of
    the request. The same settings, read at the first request to each host."""

    def __init__(self) -> None:
        super().__init__()
        self._read: dict[tuple[str, str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def, override]
        if stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())))
        settings = self._read.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, None, None, None)
            if len(self._read) < 64:  # the API's host or two; never grows with the traffic
                self._read[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


class _BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to another base URL."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        adapter = self.session.get_adapter("https://") if self.session else None
        self.session = _EnvironmentOnce()
        if adapter is not None:  # Twilio's pool size for its API
            self.session.mount("https://", adapter)
        self._base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        for host in TWILIO_HOSTS:
            if url.startswith(host):
                url = self._base_url + url[len(host):]
                break
        return super().request(method, url, *args, **kwargs)


class TwilioTransport:
    """Pages and calls through the Twilio REST API; safe to use from several threads (each
    thread gets its own client and HTTP session)."""

    def __init__(self, settings: Settings, timeout: float = 10.0) -> None:
        self._from = settings.practice_number
        self._identity = settings.conversations_identity
        self._settings = settings
        self.timeout = timeout  # seconds per request to Twilio, for every thread's client
        self._local = threading.local()

    @property
    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client(
                self._settings.twilio_account_sid,
                self._settings.twilio_auth_token,
                http_client=_BaseUrlHttpClient(self._settings.twilio_api_url, self.timeout),
            )
            self._local.client = client
        client.http_client.timeout = self.timeout
        return client

    def send(self, channel: str, to: str, body: str, status_callback: str,
             url: str | None = None) -> str:
        try:
            if channel == "call" and url is not None:
                # A paging call: Twilio tells the hub who answered (AnsweredBy) when it
                # fetches ``url``; a machine gets nothing and escalation goes on.
                call = self._client.calls.create(
                    to=to, from_=self._from, url=url, method="POST", machine_detection="Enable",
                    status_callback=status_callback, status_callback_event=["completed"],
                )
                return str(call.sid)
            if channel == "chat":  # the Conversations REST API, as the practice's identity
                posted = self._client.conversations.v1.conversations(to).messages.create(
                    author=self._identity, body=body)
                return str(posted.sid)
            if channel == "call":
                call = self._client.calls.create(
                    to=to, from_=self._from, twiml=body, status_callback=status_callback,
                    status_callback_event=["completed"],
                )
                return str(call.sid)
            message = self._client.messages.create(
                to=to, from_=self._from, body=body, status_callback=status_callback
            )
            return str(message.sid)
        except TwilioRestException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise SendError(f"Twilio API {exc.status} (code {exc.code})",
                            retryable=retryable, code=exc.code) from None
        except requests.RequestException as exc:
            # Not connected: Twilio has nothing. Timed out or cut off later: it may have (a
            # refused connection is counted unsure too; asking first costs one request).
            unsure = not isinstance(exc, requests.ConnectTimeout)
            raise SendError(f"Twilio API unreachable: {type(exc).__name__}",
                            retryable=True, unsure=unsure) from None

    def find_sent(self, channel: str, to: str, body: str) -> str | None:
        if channel not in ("sms", "chat"):
            return None  # a call cannot be told from another; ringing twice beats never
        try:
            # Newest first: the attempt was moments ago, and pages' bodies are unique (an ACK
            # code and a link of their own).
            if channel == "chat":
                for posted in self._client.conversations.v1.conversations(to).messages.list(
                        order="desc", limit=50):
                    if posted.body == body and posted.author == self._identity:
                        return str(posted.sid)
                return None
            for message in self._client.messages.list(to=to, from_=self._from, limit=50):
                if message.body == body:
                    return str(message.sid)
        except TwilioException as exc:  # a list page's error is not a TwilioRestException
            status = getattr(exc.args[-1], "status_code", None) if exc.args else None
            raise SendError(f"Twilio API {status or 'error'} asking about a send",
                            retryable=True, unsure=True) from None
        except requests.RequestException as exc:
            raise SendError(f"Twilio API unreachable asking about a send: "
                            f"{type(exc).__name__}", retryable=True, unsure=True) from None
        return None


class OutboxTransport:
    """Local mode: nothing leaves the machine; the outbound table is the outbox."""

    def find_sent(self, channel: str, to: str, body: str) -> str | None:
        return None

    def send(self, channel: str, to: str, body: str, status_callback: str,
             url: str | None = None) -> str:
        prefix = {"call": "CA", "chat": "IM"}.get(channel, "SM")
        return prefix + uuid.uuid4().hex


def make_transport(settings: Settings) -> Transport:
    return OutboxTransport() if settings.local_mode else TwilioTransport(settings)
