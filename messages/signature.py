"""Reject any webhook not signed by Twilio for our account (403, recorded as a security event)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, request
from twilio.request_validator import RequestValidator

from hub import contact_log, runtime


def signed_url() -> str:
    """The URL Twilio signed: our public base + path (+ query), as Twilio requested it."""
    base = runtime.current().settings.public_url
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def _refuse(reason: str) -> None:
    rt = runtime.current()
    with rt.session() as session:
        contact_log.append(session, "security.webhook_refused", actor="twilio", detail={
            "path": request.path, "reason": reason, "remote_addr": request.remote_addr,
        })
    abort(403, description=reason)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a webhook view: check X-Twilio-Signature and the AccountSid before anything."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        settings = runtime.current().settings
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(settings.twilio_auth_token)
        if not signature or not validator.validate(signed_url(), request.form, signature):
            _refuse("missing or invalid X-Twilio-Signature")
        account = request.form.get("AccountSid")
        if account is not None and account != settings.twilio_account_sid:
            _refuse("AccountSid is not this practice's account")
        return view(*args, **kwargs)

    return checked
