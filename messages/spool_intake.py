"""Taking in what the spool kept while the database was unreachable, once and in order.

The engine's tick calls :func:`take_in` in every process; a process with no tick of its own
(``HUB_ENGINE=separate`` web workers) calls it after a webhook it answered while its host's
spool holds requests (:func:`after_webhook`). One process of a host drains at a time (the
spool's lock), oldest first, each request in its own transaction, its file removed only after
the commit; a drain cut short (the database gone again, the process killed) leaves the rest, and
one that runs a request twice changes nothing: each is idempotent by its Sid, as Twilio's own
retries are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, g, request
from sqlalchemy import select

from hub import contact_log, contacts
from hub.crypto import Undecryptable
from hub.matching import identify
from hub.models import Call
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from hub.spool import Kept
from hub.triage import Triage
from messages import call_flow, kick, runtime, voice, webhooks
from messages.outage import UNREACHABLE
from messages.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 500  # requests per drain; a longer spool goes on at the next tick


def _text(rt: Runtime, kept: Kept) -> None:
    webhooks.take_in_kept_text(rt, kept.form, kept.at)


def _status(rt: Runtime, kept: Kept) -> None:
    form = kept.form
    field = "MessageSid" if form.get("MessageSid") else "CallSid"
    state = form.get("MessageStatus") or form.get("SmsStatus") or form.get("CallStatus") or ""
    code = form.get("ErrorCode", "")
    seconds = form.get("CallDuration", "")
    webhooks.take_in_status(rt, field, form[field], state,
                            int(code) if code.isdigit() else None, kept.at,
                            int(seconds) if seconds.isdigit() and len(seconds) <= 6 else 0)


def _call(rt: Runtime, kept: Kept) -> None:
    """A call the hub answered from the spool (the fallback number, or a voicemail Twilio
    keeps): a contact like a hung-up call, paged so someone calls back; then its voicemail."""
    sid, sender = kept.form["CallSid"], kept.form.get("From")
    try:
        e164 = to_e164(sender) if sender else None
    except NotAPhoneNumber:
        e164 = None
    inbound = contacts.Inbound("voice", sid, sender, e164, phone_index(e164) if e164 else None,
                               None)
    with rt.session() as session:
        conn = session.connection()
        found = identify(conn, inbound.from_index)
        received = contacts.receive(conn, inbound, found, Triage("routine"), kept.at)
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        if call is None:
            call = Call(call_sid=sid, contact_id=received.contact_id, stage="ended",
                        started_at=kept.at)
            session.add(call)
            session.flush()
            call_flow.log(session, call, "answered_while_down", kept.at, match=found.kind,
                          fallback=rt.settings.fallback_number is not None)
        if kept.kind == "voicemail":
            duration = kept.form.get("RecordingDuration", "")
            voice.voicemail_recorded(session, sid, kept.form.get("RecordingUrl"),
                                     int(duration) if duration.isdigit() else 0)


KINDS: dict[str, Callable[[Runtime, Kept], None]] = {
    "sms": _text, "status": _status, "voice": _call, "voicemail": _call}


def take_in(rt: Runtime) -> int:
    """Take in what this host's spool holds, oldest first; the number taken in."""
    spool = rt.spool()
    if not spool.waiting() and not spool.has_losses():
        return 0
    taken = 0
    with spool.draining() as names:
        if names is None:
            return 0  # another process of this host is at it
        for name in names[:BATCH]:
            try:
                kept = spool.read(name)
                handle = KINDS[kept.kind]
            except (Undecryptable, ValueError, KeyError) as exc:
                where = spool.set_aside(name)
                log.error("a spooled request could not be read (%s): set aside at %s",
                          type(exc).__name__, where)
                continue
            try:
                handle(rt, kept)
            except UNREACHABLE as exc:
                log.warning("the database is still unreachable (%s): %d spooled requests "
                            "wait", type(exc).__name__, len(names) - taken)
                break
            except Exception as exc:  # one bad request never blocks those behind it
                where = spool.set_aside(name)
                log.error("a spooled %s request failed (%s): set aside at %s", kept.kind,
                          type(exc).__name__, where)
                continue
            spool.done(name)
            taken += 1
        else:
            if len(names) <= BATCH:
                spool.tidy()
            _report(rt, taken, spool.lost())
    return taken


def _report(rt: Runtime, taken: int, lost: int) -> None:
    """Say in the contact log (and the process log) what the spool gave back and lost."""
    if not taken and not lost:
        return
    with rt.session() as session:
        contact_log.append(session, "spool.taken_in", actor="system",
                           detail={"taken_in": taken, "lost_while_full": lost})
    rt.spool().forget_lost(lost)
    if lost:
        log.error("the spool was full while the database was down: %d webhooks were lost",
                  lost)
    log.warning("the database is back: %d requests taken in from this host's spool", taken)


def after_webhook(response: Response) -> Response:
    """For a process without a tick: once a webhook got through, drain this host's spool."""
    if (request.path.startswith("/twilio/") and response.status_code < 500
            and not g.get("hub_kept_on_spool")):
        rt = runtime.current()
        if rt.spool().waiting():
            kick.soon(take_in, rt)
    return response
