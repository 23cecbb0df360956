"""Twilio webhooks: thin views that verify, parse, call one domain function, answer TwiML."""

from __future__ import annotations

import logging
import sys

from flask import Blueprint, Response

from hub import lifecycle, runtime
from hub.matching import staff_by_phone
from hub.models import InboundReceipt, Page, Staff, utcnow
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from messages import forms, staff_replies, templates
from messages.kick import dispatch_soon
from messages.signature import twilio_signed
from messages.status import record_status
from routing.escalation import Links

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
log = logging.getLogger(__name__)


def _xml(twiml: str) -> Response:
    return Response(twiml, status=200, mimetype="text/xml")


def _links() -> Links:
    return Links(runtime.current().settings.public_url)


def _handle_contact(inbound: lifecycle.Inbound) -> str | None:
    """Receive (commit), then process; return the patient's language for the reply."""
    rt = runtime.current()
    now = utcnow()
    with rt.session() as session:
        contact, _created = lifecycle.receive(session, inbound, now)
        try:
            # A retried Sid whose first delivery failed after receive is processed now.
            lifecycle.process(session, contact, rt.policy, _links(), now)
            session.commit()
        except Exception:
            # The contact is committed; the scheduler's sweep pages for it. Answer anyway.
            session.rollback()
            log.error("processing contact %s failed (%s); left for the sweep", contact.id,
                      type(sys.exc_info()[1]).__name__)
        language = contact.patient.language if contact.patient else None
    dispatch_soon(rt)
    return language


def _staff_reply(staff_id: int, sid: str, body: str) -> str:
    rt = runtime.current()
    with rt.session() as session:
        seen = session.get(InboundReceipt, sid)
        if seen is not None:
            return seen.reply or ""
        staff = session.get(Staff, staff_id)
        command = staff_replies.parse(body)
        if command is None or staff is None:
            reply = templates.STAFF_HELP
        else:
            reply = staff_replies.handle(session, staff, command, utcnow())
        session.add(InboundReceipt(sid=sid, kind="staff", reply=reply))
    return reply


@bp.post("/sms")
@twilio_signed
def sms() -> Response:
    """An inbound SMS/MMS: a staff member's reply to a page, or a patient contact."""
    message_sid = forms.sid("MessageSid", ("SM", "MM"))
    sender = forms.sender()
    body = forms.body()
    try:
        index = phone_index(to_e164(sender or ""))
    except NotAPhoneNumber:
        index = None
    with runtime.current().session() as session:
        staff = staff_by_phone(session, index)
        staff_id = staff.id if staff else None
    if staff_id is not None and staff_replies.parse(body) is not None:
        return _xml(templates.twiml_message(_staff_reply(staff_id, message_sid, body)))
    language = _handle_contact(lifecycle.Inbound("sms", message_sid, sender, body))
    return _xml(templates.twiml_message(templates.patient_reply(language)))


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    """An inbound call: recorded as a contact and paged like a text; the caller is told so."""
    call_sid = forms.sid("CallSid", ("CA",))
    sender = forms.sender(required=False)
    language = _handle_contact(lifecycle.Inbound("voice", call_sid, sender, None))
    return _xml(templates.twiml_say(templates.patient_call_greeting(language)))


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Delivery status of a page or call we sent."""
    found = forms.optional_sid("MessageSid", "CallSid")
    if found is None:
        return Response("MessageSid or CallSid is missing", status=400)
    state = forms.status("MessageStatus", "SmsStatus", "CallStatus")
    code = forms.error_code()
    rt = runtime.current()
    with rt.session() as session:
        record_status(session, found[1], state, code, utcnow())
    dispatch_soon(rt)
    return Response(status=204)


@bp.post("/page-ack/<int:page_id>")
@twilio_signed
def page_ack(page_id: int) -> Response:
    """A keypress on a paging call: 1 acknowledges."""
    digits = forms.request.form.get("Digits", "")
    rt = runtime.current()
    with rt.session() as session:
        page = session.get(Page, page_id)
        acknowledged = False
        if page is not None and digits == "1":
            lifecycle.acknowledge(session, page.contact, page.staff, utcnow(), via="call")
            acknowledged = page.contact.status in ("acknowledged", "resolved")
    return _xml(templates.call_ack_twiml(acknowledged))


