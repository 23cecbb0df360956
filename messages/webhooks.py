"""Twilio webhooks: thin views that verify, parse, call one domain function, answer TwiML."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy.orm import Session

from hub import lifecycle, runtime
from hub.matching import SenderMatch, match_sender, staff_by_phone
from hub.models import InboundReceipt, Page, Staff, utcnow
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from messages import forms, staff_replies, templates
from messages.kick import work_soon
from messages.signature import twilio_signed
from messages.status import record_status
from routing.escalation import Links

bp = Blueprint("twilio", __name__, url_prefix="/twilio")


def _xml(twiml: str) -> Response:
    return Response(twiml, status=200, mimetype="text/xml")


def _links() -> Links:
    return Links(runtime.current().settings.public_url)


def _handle_contact(session: Session, inbound: lifecycle.Inbound,
                    found: SenderMatch | None = None) -> str | None:
    """Store the contact (committed, encrypted); return the patient's language for the reply.

    Routing and paging follow on a background thread (and the scheduler tick, in any process,
    should this one die first): Twilio gets its answer without waiting for them.
    """
    contact, _created = lifecycle.receive(session, inbound, utcnow(), found)
    language = contact.patient.language if contact.patient else None
    work_soon(runtime.current())
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
        if staff is None or staff_replies.parse(body) is None:
            inbound = lifecycle.Inbound("sms", message_sid, sender, body)
            language = _handle_contact(session, inbound, match_sender(session, index))
            return _xml(templates.twiml_message(templates.patient_reply(language)))
        staff_id = staff.id
    return _xml(templates.twiml_message(_staff_reply(staff_id, message_sid, body)))


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    """An inbound call: recorded as a contact and paged like a text; the caller is told so."""
    call_sid = forms.sid("CallSid", ("CA",))
    sender = forms.sender(required=False)
    with runtime.current().session() as session:
        language = _handle_contact(session, lifecycle.Inbound("voice", call_sid, sender, None))
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
    work_soon(rt)
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


