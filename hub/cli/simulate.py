"""``hub simulate``: send a correctly signed Twilio webhook to a running hub (no Twilio account)."""

from __future__ import annotations

import uuid
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
    params = {"AccountSid": settings.twilio_account_sid, "To": settings.practice_number,
              **params}
    try:
        response = signed_post(url or settings.public_url, path, params,
                               settings.twilio_auth_token)
    except requests.RequestException as exc:
        raise click.ClickException(f"the hub does not answer at {url or settings.public_url} "
                                   f"({type(exc).__name__}); is python app.py running?") from None
    click.echo(f"HTTP {response.status_code}")
    if response.headers.get("Content-Type", "").startswith("text/xml"):
        for node in ElementTree.fromstring(response.text).iter():
            if node.tag in ("Message", "Say") and node.text:
                click.echo(f"{node.tag}: {node.text}")
    else:
        click.echo(response.text.strip())
    if response.status_code >= 400:
        raise click.exceptions.Exit(1)


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
