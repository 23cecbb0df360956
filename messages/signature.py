"""Reject any webhook not signed by Twilio for our account: 403, and one more in the tally of
refused webhooks (:mod:`hub.refusals`), which the engine summarises in the log once a minute."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import abort, request
from twilio.request_validator import RequestValidator

from hub import refusals
from hub.models import utcnow
from messages import runtime


def signed_url() -> str:
    """The URL Twilio signed: our public base + path (+ query), as Twilio requested it."""
    base = runtime.current().settings.public_url
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def _valid(token: str, signature: str) -> bool:
    """Whether Twilio signed this request with our auth token.

    The URL as we know it is checked first, with one HMAC; only when that fails does the
    library's ``validate`` try its other spellings of the URL (with and without the port).
    """
    validator = RequestValidator(token)
    url = signed_url()
    expected = validator.compute_signature(url, request.form)
    return (hmac.compare_digest(expected.encode(), signature.encode())
            or validator.validate(url, request.form, signature))


def _refuse(reason: str) -> None:
    # Counted only: never the log head's lock, nothing the request sent is kept.
    refusals.count(runtime.current().engine, utcnow())
    abort(403, description=reason)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a webhook view: check X-Twilio-Signature and the AccountSid before anything."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        settings = runtime.current().settings
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not _valid(settings.twilio_auth_token, signature):
            _refuse("missing or invalid X-Twilio-Signature")
        account = request.form.get("AccountSid")
        if account is not None and account != settings.twilio_account_sid:
            _refuse("AccountSid is not this practice's account")
        return view(*args, **kwargs)

    return checked
