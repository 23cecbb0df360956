"""Twilio webhooks: thin views that verify, parse, call one domain function, answer TwiML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import care_rules, contact_log, contacts, language, media_fetches, outbox, which_patient
from hub.db import once_more_if_disconnected, quick_write
from hub.matching import SenderMatch, identify
from hub.media_fetches import MediaRef
from hub.models import Contact, InboundReceipt, Outbound, Page, Staff, utcnow
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from hub.triage import Triage
from messages import (
    callback_call,
    forms,
    keywords,
    mms,
    outage,
    runtime,
    staff_replies,
    texts,
    twiml,
    voice,
)
from messages.kick import soon, work_soon
from messages.links import Links
from messages.media_fetch import fetch_due
from messages.page_texts import PageTexts
from messages.signature import twilio_signed
from messages.status import record_status
from routing import lifecycle

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
PHOTO_ONLY = "photo received"  # the triage of a text that is only a photo


def _xml(twiml: str) -> Response:
    return Response(twiml, status=200, mimetype="text/xml")


def _pages() -> PageTexts:
    return PageTexts(Links(runtime.current().settings.public_url))


def _answer(rt: runtime.Runtime, message_sid: str, sender: str | None,
            body: str, now: datetime, form: Mapping[str, str] | None = None) -> str | None:
    """All an inbound text does, from a webhook or from the spool; the reply (None: none).
    ``form``: the webhook's fields, for an MMS's media."""
    if which_patient.CHOICE.fullmatch(body) and (chosen := _patient_chosen(
            rt, message_sid, sender, body, now)):
        return chosen
    keyword = keywords.match(body)
    if keyword is not None and (answer := keywords.answer(
            keyword, message_sid, _e164(sender), rt, now)) is not None:
        return answer or None
    media, refused = mms.media_of(form or {}, rt.settings.twilio_api_url,
                                  rt.settings.twilio_account_sid)
    taken = take_in(rt, "sms", message_sid, sender, body, now, media, refused)
    if taken.triage is None and taken.found.staff_id is not None:
        return _staff_reply(rt, taken.found.staff_id, message_sid, body, now)
    return patient_reply(rt, taken, body, now)


def take_in_kept_text(rt: runtime.Runtime, form: Mapping[str, str], at: datetime) -> None:
    """A text kept on the spool while the database was down: handled as on arrival (at its
    arrival time), its reply not sent (the sender was answered from the spool)."""
    _answer(rt, form["MessageSid"], form.get("From"), form.get("Body", ""), at, form)


def take_in_secure_message(rt: runtime.Runtime, sid: str, number: str | None,
                           sender: SenderMatch, body: str,
                           now: datetime) -> tuple[int, str, bool]:
    """A portal message: stored, triaged, routed and paged exactly as a text is (one contact
    per ``sid``, the form's idempotency token); its contact id, the answer for the page
    (911/988 first when triage says so, in the language it is written in) and whether
    triage found it urgent."""
    taken = take_in(rt, "portal", sid, number, body, now, known=sender)
    assert taken.contact_id is not None and taken.triage is not None
    return (taken.contact_id, patient_reply(rt, taken, body, now) or "",
            taken.triage.urgency == "urgent")


def _e164(sender: str | None) -> str | None:
    try:
        return to_e164(sender) if sender else None
    except NotAPhoneNumber:
        return None


def _is_staff_reply(found: SenderMatch, body: str | None) -> bool:
    """A staff member's text is a reply to pages, whatever it says; from a number that is
    also a patient's or a caregiver's, only a command is (the rest reaches the line)."""
    return found.staff_id is not None and (
        found.kind == "unknown" or staff_replies.parse(body) is not None)


@dataclass(frozen=True)
class Taken:
    """What intake made of a text or call: who sent it, its triage (None for a staff reply,
    which is no contact) and, when only the care plan's thresholds fired, what it says."""

    found: SenderMatch
    triage: Triage | None
    plan_instructions: tuple[str, ...] = ()
    contact_id: int | None = None


def take_in(rt: runtime.Runtime, channel: str, sid: str, sender: str | None,
            body: str | None, now: datetime, media: tuple[MediaRef, ...] = (),
            refused: tuple[MediaRef, ...] = (), thread: str | None = None,
            known: SenderMatch | None = None) -> Taken:
    """Triage and store the contact (committed, encrypted) unless it is a staff reply, with
    its media to fetch (``refused``: media URLs the hub will never request) and,
    for a chat, its conversation (``thread``); ``known``: who sent it, when the edge knows
    already (a signed-in portal user).

    Routing and paging follow on a background thread (and the scheduler tick, in any process,
    should this one die first): Twilio gets its answer without waiting for them; so does the
    fetching of media (the engine's ``media`` duty).
    """
    e164 = _e164(sender)
    inbound = contacts.Inbound(channel, sid, sender, e164, phone_index(e164) if e164 else None,
                               body, thread)

    def store() -> Taken:
        with quick_write(rt.engine) as conn:
            found = known or identify(conn, inbound.from_index)
            if _is_staff_reply(found, body):
                return Taken(found, None)
            if channel == "voice":
                triage = Triage("routine")
            elif (media or refused) and not (body or "").strip():
                triage = Triage("routine", fired=(PHOTO_ONLY,))  # a photo is not an empty text
            else:
                triage = care_rules.classify(conn, rt.triager, body, found.patient_id, now)
            received = contacts.receive(conn, inbound, found, triage, now)
            if received.created:  # a retried MessageSid keeps nothing twice
                media_fetches.keep(conn, received.contact_id, media, now, refused)
            plan = (care_rules.instructions(conn, found.patient_id, triage.plan_rules)
                    if triage.guidance == "plan" and found.patient_id is not None else [])
        return Taken(found, triage, tuple(plan), received.contact_id)

    # Twilio does not resend a text answered with a 500: a dead connection is retried here.
    taken = once_more_if_disconnected(rt.engine, store)
    if taken.triage is not None:
        work_soon(rt)
        if media and rt.settings.engine == "inline":
            soon(fetch_media, rt)  # the tick would within a second: the nurse sees it sooner
    return taken


def fetch_media(rt: runtime.Runtime) -> int:
    """The engine's media duty, run now (after an MMS webhook)."""
    return fetch_due(rt, utcnow())


def _staff_reply(rt: runtime.Runtime, staff_id: int, sid: str, body: str,
                 now: datetime) -> str:
    with rt.session() as session:
        seen = session.get(InboundReceipt, sid)
        if seen is not None:
            return seen.reply or ""
        staff = session.get(Staff, staff_id)
        command = staff_replies.parse(body)
        if staff is None:
            reply = texts.STAFF_HELP
        elif command is None:
            reply = staff_replies.not_understood(session, staff)
        else:
            line = callback_call.Line(rt.settings.practice_number, rt.settings.public_url)
            reply = staff_replies.handle(session, staff, command, now, rt.policy, line)
        session.add(InboundReceipt(sid=sid, kind="staff", reply=reply))
    work_soon(rt)  # a CALL queued a call to the staff member's phone
    return reply


def patient_reply(rt: runtime.Runtime, taken: Taken, body: str,
                  now: datetime) -> str | None:
    """The answer to a patient's or caregiver's text, in the language it is written in when
    that is clear (else their own); none to a number that opted out of texts."""
    found, triage = taken.found, taken.triage
    assert triage is not None
    if found.opted_out:
        return None
    lang = language.written_in(body) or found.language
    policy = rt.policy
    opening = policy.held_until(triage.urgency, "sms", now)
    reply = texts.patient_reply(
        lang, triage.guidance, triage.needs_details, policy.hours is not None,
        opening.astimezone(policy.hours.zone) if opening and policy.hours else None,
        taken.plan_instructions)
    if found.kind == "ambiguous" and 1 < len(found.candidates) <= 9:
        with rt.session() as session:
            names = which_patient.first_names(session, list(found.candidates))
        reply = f"{reply} {texts.which_patient(names, lang)}"
    return reply


@bp.post("/sms")
@twilio_signed
@outage.kept_when_down("sms", outage.text_answer)
def sms() -> Response:
    """An inbound SMS/MMS: a staff member's reply to a page, a keyword (STOP, HELP...), or a
    patient contact."""
    message_sid = forms.sid("MessageSid", ("SM", "MM"))
    sender = forms.sender()
    body = forms.body()
    return _xml(twiml.message(_answer(runtime.current(), message_sid, sender, body,
                                      utcnow(), request.form)))


def _patient_chosen(rt: runtime.Runtime, sid: str, sender: str | None, body: str,
                    now: datetime) -> str | None:
    """A bare "1" or "2" answering the question of which patient: the reply, or None when it
    answers no question (then it is an ordinary contact)."""
    e164 = _e164(sender)
    with rt.session() as session:
        seen = session.get(InboundReceipt, sid)
        if seen is not None:
            return seen.reply
        chosen = which_patient.answer(session, phone_index(e164) if e164 else None, body,
                                      now)
        if chosen is None:
            return None
        _contact, patient_id = chosen
        name = which_patient.first_names(session, [patient_id])[0]
        # The question went out in the practice's default language (the sender's is unknown).
        reply = texts.patient_noted(name, None)
        session.add(InboundReceipt(sid=sid, kind="choice", reply=reply))
        return reply


def _call_contact(session: Session, call_sid: str) -> Contact:
    contact = session.scalar(select(Contact).where(Contact.provider_sid == call_sid))
    if contact is None:
        abort(404, description="no call with that CallSid")
    return contact


@bp.post("/voicemail-done")
@twilio_signed
def voicemail_done() -> Response:
    """The caller finished the voicemail: thank them and hang up."""
    call_sid = forms.sid("CallSid", ("CA",))
    recording = forms.recording_url()
    with runtime.current().session() as session:
        contact = _call_contact(session, call_sid)
        language = contact.patient.language if contact.patient else None
        voice.voicemail_recorded(session, call_sid, recording, forms.seconds(
            "RecordingDuration"))
    return _xml(twiml.voicemail_thanks(language))


@bp.post("/transcription")
@twilio_signed
def transcription() -> Response:
    """The voicemail's transcript: triaged like a text; an urgent one escalates at once."""
    call_sid = forms.sid("CallSid", ("CA",))
    text = forms.body("TranscriptionText").strip()
    state = request.form.get("TranscriptionStatus", "completed")
    rt = runtime.current()
    now = utcnow()
    with rt.session() as session:
        contact = _call_contact(session, call_sid)
        if state != "completed" or not text:
            contact_log.append(session, "contact.transcription_failed", contact_id=contact.id,
                               at=now, actor="voice", detail={"status": state})
            return Response(status=204)
        triage = care_rules.classify(session.connection(), rt.triager, text,
                                     contact.patient_id, now)
        lifecycle.add_transcript(session, contact, text, triage, rt.policy, _pages(), now)
    work_soon(rt)
    return Response(status=204)


@bp.post("/status")
@twilio_signed
@outage.kept_when_down("status", lambda: Response(status=204))
def status() -> Response:
    """Delivery status of a page or call we sent."""
    found = forms.optional_sid("MessageSid", "CallSid")
    if found is None:
        return Response("MessageSid or CallSid is missing", status=400)
    state = forms.status("MessageStatus", "SmsStatus", "CallStatus")
    rt = runtime.current()
    take_in_status(rt, found[0], found[1], state, forms.error_code(), utcnow(),
                   forms.seconds("CallDuration"))
    work_soon(rt)
    return Response(status=204)


def take_in_status(rt: runtime.Runtime, field: str, sid: str, state: str, code: int | None,
                   now: datetime, seconds: int = 0) -> None:
    """Apply one status callback (from the webhook, or kept on the spool)."""
    with rt.session() as session:
        if not record_status(session, sid, state, code, now, seconds) and field == "CallSid":
            voice.call_ended(session, sid, state)


@bp.post("/callback-done/<int:outbound_id>")
@twilio_signed
def callback_done(outbound_id: int) -> Response:
    """A callback through the practice line ended: its connected time is care time."""
    call_sid = forms.sid("CallSid", ("CA",))
    dial_status = forms.status("DialCallStatus")
    seconds = forms.seconds("DialCallDuration")
    with runtime.current().session() as session:
        connected = callback_call.finished(session, outbound_id, call_sid, dial_status,
                                           seconds, utcnow())
    if connected is None:
        abort(404, description="no callback with that id")
    return _xml(twiml.callback_done(connected))


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
            lifecycle.acknowledge(session, page.contact, page.staff, utcnow(), via="call",
                                  policy=rt.policy)
            acknowledged = page.contact.status in ("acknowledged", "resolved")
    return _xml(twiml.call_ack(acknowledged))


@bp.post("/round-ack/<int:bundle_id>")
@twilio_signed
def round_ack(bundle_id: int) -> Response:
    """A keypress on a last-resort round's call about several contacts: 1 acknowledges every
    one of them still waiting, by the manager the call rang."""
    digits = forms.request.form.get("Digits", "")
    rt = runtime.current()
    with rt.session() as session:
        bundle = session.get(Outbound, bundle_id)
        if bundle is None or bundle.kind not in outbox.BUNDLE_KINDS or bundle.staff_id is None:
            abort(404, description="no round call with that id")
        staff, taken, now = session.get(Staff, bundle.staff_id), 0, utcnow()
        for page in outbox.carried(session, bundle) if digits == "1" and staff else []:
            contact = session.get(Contact, page.contact_id)
            if contact is not None and staff is not None and lifecycle.acknowledge(
                    session, contact, staff, now, via="call", policy=rt.policy):
                taken += 1
    return _xml(twiml.call_ack(taken > 0))
