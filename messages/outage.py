"""Webhooks while the database cannot be reached: answer with the emergency guidance, and
keep the request on this host's spool (:mod:`hub.spool`) to be taken in when it answers again
(:mod:`messages.spool_intake`).

Twilio does not resend a text, a status callback or a call answered with an error, so an
error here would lose them: the answer never needs the database, and a request that cannot
be kept (the spool full, the disk failing) is still answered, and logged without patient data.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hub import language
from hub.models import utcnow
from hub.spool import SpoolFull
from messages import keywords, runtime, texts, twiml

log = logging.getLogger(__name__)
# A webhook keeps its request on any database error (kept is better than lost)...
DOWN = (DBAPIError, PoolTimeout)
# ...and the spool's drain waits for the next tick only when the database refused, dropped or
# never answered (a pool with no connection to give counts; so do a deadlock and a busy
# SQLite file): any other error is the request's own, and it is set aside.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)
# What each kind keeps of Twilio's form: what taking it in reads, nothing more.
FIELDS = {
    "sms": ("MessageSid", "From", "Body"),
    "voice": ("CallSid", "From"),
    "voicemail": ("CallSid", "From", "RecordingUrl", "RecordingDuration"),
    "status": ("MessageSid", "CallSid", "MessageStatus", "SmsStatus", "CallStatus",
               "ErrorCode"),
}


def _key(kind: str) -> str:
    """One request's identity on the spool: a Twilio retry has the same (a status callback
    is its Sid and its status: each status of one message is a request of its own)."""
    form = request.form
    sid = form.get("MessageSid") or form.get("CallSid") or ""
    if kind == "status":
        state = (form.get("MessageStatus") or form.get("SmsStatus") or form.get("CallStatus")
                 or "")
        return f"{sid}.{state}"
    return sid


def keep(kind: str) -> None:
    """Keep the current request on this host's spool; log (no patient data) what came of it."""
    rt = runtime.current()
    form = {name: request.form[name] for name in FIELDS[kind] if name in request.form}
    try:
        kept = rt.spool().keep(kind, _key(kind), form, utcnow())
    except SpoolFull:
        log.error("a %s webhook was NOT kept: the spool at %s is full (HUB_SPOOL_MAX_MB); "
                  "the loss is counted and reported when the database returns", kind,
                  rt.settings.spool_dir)
        return
    except (OSError, ValueError) as exc:
        log.error("a %s webhook was NOT kept: the spool at %s failed (%s)", kind,
                  rt.settings.spool_dir, type(exc).__name__)
        return
    log.warning("the database is unreachable: a %s webhook was kept on this host's spool%s",
                kind, "" if kept else " (a retry of one kept already)")


def kept_when_down(kind: str, answer: Callable[[], Response]
                   ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a webhook view: should the database fail, keep the request and give
    ``answer()`` (which must not need the database) instead of an error."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except DOWN as exc:
                log.error("a %s webhook met a database failure (%s)", kind,
                          type(exc).__name__)
                g.hub_kept_on_spool = True
                keep(kind)
                return answer()

        return guarded

    return decorate


def text_answer() -> Response:
    """A text kept while down: the emergency numbers and that it is kept, in its language;
    nothing to STOP or START, which Twilio confirms itself."""
    body = request.form.get("Body", "")
    keyword = keywords.match(body)
    if keyword is not None and keyword.kind in ("opt_out", "opt_in"):
        reply = None
    else:
        reply = texts.kept_while_down(language.written_in(body))
    return Response(twiml.message(reply), status=200, mimetype="text/xml")
