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


def _post(path: str, params: dict[str, str], url: str | None) -> requests.Response:
    """Post a signed webhook; a 403 (the signature refused) prints why on stderr."""
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
    if response.status_code == 403:
        for line in refused_hints(base, path, settings.public_url):
            click.echo(f"hint: {line}", err=True)
    return response


def _show(response: requests.Response, who: str = "") -> ElementTree.Element | None:
    """Print the answer (what is said, dialled, recorded) and return its TwiML, if any."""
    click.echo(f"{who}HTTP {response.status_code}")
    if not response.headers.get("Content-Type", "").startswith("text/xml"):
        click.echo(response.text.strip())
        return None
    root = ElementTree.fromstring(response.text)
    for node in root.iter():
        if node.tag in ("Message", "Say") and node.text:
            click.echo(f"{who}{node.tag}: {node.text}")
        elif node.tag == "Number":
            click.echo(f"{who}Dial: {(node.text or '').strip()}")
        elif node.tag in ("Record", "Hangup"):
            click.echo(f"{who}{node.tag}")
    return root


def _send(path: str, params: dict[str, str], url: str | None) -> None:
    response = _post(path, params, url)
    _show(response)
    if response.status_code >= 400:
        raise click.exceptions.Exit(1)


def _path(absolute: str) -> str:
    return "/" + absolute.split("/", 3)[3] if absolute.startswith("http") else absolute


def _next(root: ElementTree.Element, key: str) -> tuple[str, dict[str, str]] | None:
    """Where Twilio goes from this answer when the caller presses ``key`` ("-": nothing)."""
    verbs = list(root)
    tags = [v.tag for v in verbs]
    if "Gather" not in tags:
        return None
    gather = verbs[tags.index("Gather")]
    if key != "-":
        return _path(gather.attrib["action"]), {"Digits": key}
    after = verbs[tags.index("Gather") + 1:]
    if after and after[0].tag == "Redirect":
        return _path((after[0].text or "").strip()), {}
    return None


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
@click.option("--press", "keys", multiple=True,
              help="a key (or digits) the caller presses at the next menu, in order; "
                   "'-' presses nothing")
@click.option("--accept", "accept_key", help="the staff member rung first answers and "
              "presses this key at the whisper (1 accepts, 2 passes)")
@click.option("--talk", type=int, default=0, help="seconds the accepted call lasts")
@with_appcontext
def simulate_call(sender: str, url: str | None, keys: tuple[str, ...], accept_key: str | None,
                  talk: int) -> None:
    """An inbound call to the practice number, then the caller's keys and the staff leg."""
    call_sid = "CA" + uuid.uuid4().hex
    caller = {"CallSid": call_sid, "From": sender, "Direction": "inbound"}
    root = _show(_post("/twilio/voice", {**caller, "CallStatus": "ringing"}, url))
    for key in keys:
        step = _next(root, key) if root is not None else None
        if step is None:
            raise click.ClickException(f"no menu is waiting for the key {key!r}")
        click.echo(f"-- caller presses {key if key != '-' else 'nothing'}")
        root = _show(_post(step[0], {**caller, **step[1]}, url))
    dial = root.find("Dial") if root is not None else None
    if accept_key is None or dial is None:
        return
    number = dial.find("Number")
    if number is None or "url" not in number.attrib:
        raise click.ClickException("the call was not dialled to a staff member")
    leg = {"CallSid": "CA" + uuid.uuid4().hex, "ParentCallSid": call_sid,
           "Direction": "outbound-dial"}
    click.echo(f"-- {(number.text or '').strip()} answers")
    whisper = _show(_post(_path(number.attrib["url"]), leg, url), "   staff ")
    step = _next(whisper, accept_key) if whisper is not None else None
    if step is None:
        raise click.ClickException("the staff leg asked for no key")
    click.echo(f"-- staff presses {accept_key}")
    _show(_post(step[0], {**leg, **step[1]}, url), "   staff ")
    click.echo(f"-- the call ends after {talk} s")
    _show(_post(_path(dial.attrib["action"]), {
        **caller, "DialCallStatus": "completed" if talk else "no-answer",
        "DialCallSid": leg["CallSid"], "DialCallDuration": str(talk)}, url))
