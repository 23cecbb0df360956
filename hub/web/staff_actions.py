"""What a nurse does from a contact's page: acknowledge, resolve (disposition and minutes),
note care time, start the bridged callback, reply to the sender by SMS, and mark the triage
wrong ("should have been urgent" / "false alarm"). Each needs the
same access as the page itself (her contact, or a break-glass of this session)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from hub import care_time, contact_log, opt_outs, outbox, triage_feedback
from hub.models import Contact, Staff, utcnow
from hub.web.staff import access
from messages import callback_call, kick, portal_reply, runtime
from routing import lifecycle

bp = Blueprint("staff_actions", __name__)

REPLY_LIMIT = 600  # characters: at most four SMS segments


@bp.post("/staff/c/<ref>/<action>")
@login_required
def contact_action(ref: str, action: str) -> Any:
    if action not in ("ack", "resolve", "time", "call", "reply", "feedback"):
        abort(404, description="unknown action")
    minutes, source = _care_time_form() if action in ("resolve", "time") else (None, "callback")
    if action == "time" and minutes is None:
        abort(400, description="minutes: give the minutes spent (1 to 240)")
    with runtime.current().session() as db:
        contact = db.scalar(select(Contact).where(Contact.ref == ref))
        staff = db.get(Staff, current_user.id)
        if contact is None or staff is None:
            abort(404, description="no contact with that reference")
        if access(db, contact.patient, contact) is None:
            abort(403, description="not your patient: open the contact to break the glass")
        now = utcnow()
        if action == "feedback":
            try:
                triage_feedback.record(db, contact, staff.id, request.form.get("verdict", ""),
                                       request.form.get("note"), now)
            except triage_feedback.BadFeedback as exc:
                abort(400, description=str(exc))
        elif action == "call":
            _call_back(db, contact, staff)
        elif action == "reply":
            _reply(db, contact, staff)
        elif action == "ack":
            lifecycle.acknowledge(db, contact, staff, now, via="web",
                                  policy=runtime.current().policy)
        elif action == "time" or lifecycle.resolve(
                db, contact, staff, now, via="web",
                disposition=request.form.get("disposition") or None):
            if minutes is not None and care_time.add_for_contact(
                    db, contact, staff, minutes * 60, source, now) is None:
                abort(409, description="care time needs the contact filed under one patient")
    if action in ("call", "reply"):
        kick.work_soon(runtime.current())
    return redirect(url_for("staff.contact_page", ref=ref))


def _reply(db: DbSession, contact: Contact, staff: Staff) -> None:
    """Queue an SMS to the sender from the practice number (never to a number that sent STOP);
    a portal message is answered in the portal (:func:`portal_reply.answer`)."""
    body = request.form.get("body", "").strip()
    if not 1 <= len(body) <= REPLY_LIMIT:
        abort(400, description=f"body: write the reply, 1 to {REPLY_LIMIT} characters")
    if contact.channel == "portal":
        portal_reply.answer(db, contact, staff, body, utcnow(),
                            runtime.current().settings.public_url.rstrip("/") + "/portal")
        return
    if contact.channel == "chat":
        return _reply_in_chat(db, contact, staff, body)
    if not contact.from_number or not contact.from_index:
        abort(409, description="cannot reply: the sender's number is withheld")
    if opt_outs.opted_out(db, [contact.from_index]):
        abort(409, description="cannot reply: this number opted out of texts (STOP); call")
    now = utcnow()
    outbox.queue(db, kind="reply", channel="sms", to=contact.from_number, body=body, now=now,
                 contact_id=contact.id, staff_id=staff.id)
    contact_log.append(db, "contact.replied", contact_id=contact.id, actor=f"staff:{staff.id}",
                       detail={"channel": "sms", "characters": len(body)}, at=now)


def _reply_in_chat(db: DbSession, contact: Contact, staff: Staff, body: str) -> None:
    """Queue a message into the contact's Twilio Conversation, as the practice's identity."""
    if not contact.conversation_sid:
        abort(409, description="cannot reply: this chat contact has no conversation")
    now = utcnow()
    outbox.queue(db, kind="reply", channel="chat", to=contact.conversation_sid, body=body,
                 now=now, contact_id=contact.id, staff_id=staff.id)
    contact_log.append(db, "contact.replied", contact_id=contact.id, actor=f"staff:{staff.id}",
                       detail={"channel": "chat", "characters": len(body)}, at=now)


def _call_back(db: DbSession, contact: Contact, staff: Staff) -> None:
    """Ring the staff member and connect them to the sender from the practice number."""
    rt = runtime.current()
    line = callback_call.Line(rt.settings.practice_number, rt.settings.public_url)
    try:
        callback_call.start(db, contact, staff, line, utcnow(), rt.policy)
    except callback_call.CannotCall as exc:
        abort(409, description=f"cannot call back: {exc}")


def _care_time_form() -> tuple[int | None, str]:
    """The minutes and source of a resolve or care-time form, or a 400 naming the field."""
    try:
        minutes = care_time.parse_minutes(request.form.get("minutes"))
    except care_time.BadMinutes as exc:
        abort(400, description=f"minutes: {exc}")
    source = request.form.get("source") or "callback"
    if source not in care_time.TYPED_SOURCES:
        abort(400, description="source: not one of " + ", ".join(care_time.TYPED_SOURCES))
    return minutes, source
