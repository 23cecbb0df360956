"""``hub simulate``: send a correctly signed Twilio webhook to a running hub (no Twilio account)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import click
import requests
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from messages import runtime


def signed_post(base_url: str, path: str, params: dict[str, str], auth_token: str,
                timeout: float = 10.0) -> requests.Response:
    """POST form params to the hub as Twilio would, signed with the account's token."""
    url = base_url.rstrip("/") + path
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature},
                         timeout=timeout)


def _send(path: str, params: dict[str, str], url: str | None) -> None:
    settings = runtime.current().settings
    base = (url or settings.public_url).rstrip("/")
    params = {"AccountSid": settings.twilio_account_sid, "To": settings.practice_number,
              **params}
    try:
        response = signed_post(base, path, params, settings.twilio_auth_token)
    except requests.RequestException as exc:
        raise click.ClickException(
            f"the hub does not answer at {base} ({type(exc).__name__}); is python app.py "
            "running? It serves where it printed 'Care-line hub serving on ...': give that "
            "URL as --url (or set HUB_PUBLIC_URL)") from None
    click.echo(f"HTTP {response.status_code}")
    if response.headers.get("Content-Type", "").startswith("text/xml"):
        for node in ElementTree.fromstring(response.text).iter():
            if node.tag in ("Message", "Say") and node.text:
                click.echo(f"{node.tag}: {node.text}")
    else:
        click.echo(response.text.strip())
    if response.status_code == 403:
        for line in refused_hints(base, path, settings.public_url):
            click.echo(f"hint: {line}", err=True)
    if response.status_code >= 400:
        raise click.exceptions.Exit(1)


_LOOPBACK = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}


def refused_hints(base: str, path: str, public_url: str) -> list[str]:
    """Why a hub answers a signed webhook with 403, and what to post to instead: the
    signature covers the exact URL posted to, and the hub checks it against its own
    HUB_PUBLIC_URL + path."""
    hints = [f"the hub refused the signature. hub simulate signs the URL it posts to "
             f"({base}{path}), as Twilio does, and the hub checks it against its own "
             f"HUB_PUBLIC_URL + {path}: post to the URL python app.py printed ('Care-line "
             "hub serving on ...'), written the same way"]
    parts = urlsplit(base)
    other = _LOOPBACK.get(parts.hostname or "")
    if other is not None:
        netloc = other + (f":{parts.port}" if parts.port else "")
        hints.append(f"{parts.hostname} and {other} are different URLs to the signature: "
                     f"try --url {urlunsplit(parts._replace(netloc=netloc))}")
    elif base != public_url.rstrip("/"):
        hints.append(f"HUB_PUBLIC_URL here is {public_url}: leave --url out to post there")
    hints.append("a hub with other Twilio credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) "
                 "than this shell's refuses it too")
    return hints


@click.group("simulate")
def simulate() -> None:
    """Send signed Twilio webhooks to a running hub."""


@simulate.command("sms")
@click.option("--from", "sender", required=True, help="the sender's number, e.g. +12025550142")
@click.option("--url", help="the hub's base URL (default HUB_PUBLIC_URL)")
@click.argument("text")
@with_appcontext
def simulate_sms(sender: str, url: str | None, text: str) -> None:
    """An inbound text to the practice number."""
    _send("/twilio/sms", {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "Body": text,
                          "NumMedia": "0"}, url)


@simulate.command("call")
@click.option("--from", "sender", required=True)
@click.option("--url", help="the hub's base URL (default HUB_PUBLIC_URL)")
@with_appcontext
def simulate_call(sender: str, url: str | None) -> None:
    """An inbound call to the practice number."""
    _send("/twilio/voice", {"CallSid": "CA" + uuid.uuid4().hex, "From": sender,
                            "CallStatus": "ringing", "Direction": "inbound"}, url)
