"""The voice line's webhooks: thin views over :mod:`messages.call_flow`.

``/twilio/voice`` answers a call; the menus' callbacks are under ``/twilio/call/``, the staff
leg's whisper and keypress under ``/twilio/call/whisper|accept/<attempt>/<staff>``, and the
end of each ``<Dial>`` under ``/twilio/call/dial-done/<attempt>``. A callback for a call or
leg the hub does not know gets a 404 naming what is unknown, or (on a staff leg) a TwiML
hang-up; never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import contact_log, contacts
from hub.matching import identify
from hub.models import Call, CallAttempt, Outbound, Page, utcnow
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from hub.triage import Triage
from messages import call_flow, call_twiml, forms, outage, page_calls, runtime, twiml
from messages.kick import work_soon
from messages.links import Links
from messages.page_texts import PageTexts
from messages.signature import twilio_signed
from routing.escalation import hasten

bp = Blueprint("voice", __name__, url_prefix="/twilio")
DIGITS = re.compile(r"[0-9*#]{0,20}")


def _xml(twiml: str) -> Response:
    return Response(twiml, status=200, mimetype="text/xml")


def _line() -> call_flow.Line:
    rt = runtime.current()
    return call_flow.Line(Links(rt.settings.public_url), rt.settings.practice_number,
                          rt.settings.fallback_number, rt.policy)


def _digits() -> str:
    """The keys pressed: none is a choice too (silence moves on); garbage is none."""
    value = request.form.get("Digits", "")
    return value if DIGITS.fullmatch(value) else ""


def _call(session: Session, call_sid: str) -> Call:
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        abort(404, description="no live call with that CallSid")
    return call


def _unreachable() -> Response:
    """The database failed as the call came in (the call is on the spool): the emergency
    numbers, the fallback number when set, else a voicemail Twilio keeps."""
    rt = runtime.current()
    return _xml(call_twiml.unreachable(rt.settings.fallback_number,
                                       Links(rt.settings.public_url).call("kept")))


@bp.post("/voice")
@twilio_signed
@outage.kept_when_down("voice", _unreachable)
def voice() -> Response:
    """A call comes in: stored first (a contact in ``on_call``), the emergency numbers, then
    the menus. Should the database be unreachable, the call still goes somewhere."""
    call_sid = forms.sid("CallSid", ("CA",))
    sender = forms.sender(required=False)
    return _xml(_answer(call_sid, sender, utcnow()))


def _answer(call_sid: str, sender: str | None, now: datetime) -> str:
    rt = runtime.current()
    try:
        e164 = to_e164(sender) if sender else None
    except NotAPhoneNumber:
        e164 = None
    inbound = contacts.Inbound("voice", call_sid, sender, e164,
                               phone_index(e164) if e164 else None, None)
    line = _line()
    with rt.session() as session:
        conn = session.connection()
        found = identify(conn, inbound.from_index)
        received = contacts.receive(conn, inbound, found, Triage("routine"), now,
                                    status="on_call")
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        if call is None:
            contact = session.get(contacts.Contact, received.contact_id)
            assert contact is not None
            stage, language = call_flow.first_stage(session, contact)
            call = Call(call_sid=call_sid, contact_id=contact.id, stage=stage,
                        language=language, started_at=now)
            session.add(call)
            session.flush()
            call_flow.log(session, call, "answered", now, match=found.kind, stage=stage,
                          language=language)
        return call_flow.prompt(session, call, line, greet=call.language is not None)


def _stage(step: Callable[[Session, Call, str, call_flow.Line, datetime], str]) -> Response:
    call_sid = forms.sid("CallSid", ("CA",))
    with runtime.current().session() as session:
        return _xml(step(session, _call(session, call_sid), _digits(), _line(), utcnow()))


@bp.post("/call/language")
@twilio_signed
def language() -> Response:
    """1 English (or silence), 2 Spanish."""
    return _stage(call_flow.choose_language)


@bp.post("/call/which")
@twilio_signed
def which() -> Response:
    """Which of the caller's patients (by first name); silence files it under none."""
    return _stage(call_flow.choose_patient)


@bp.post("/call/birth-date")
@twilio_signed
def birth_date() -> Response:
    """An unknown caller keys the patient's date of birth (MMDDYYYY)."""
    return _stage(call_flow.enter_birth_date)


@bp.post("/call/menu")
@twilio_signed
def menu() -> Response:
    """1 or silence: connect now; 2: voicemail."""
    rt = runtime.current()
    response = _stage(call_flow.menu_choice)
    work_soon(rt)  # a voicemail's contact is paged now
    return response


@bp.post("/call/whisper/<int:attempt_id>/<int:staff_id>")
@twilio_signed
def whisper(attempt_id: int, staff_id: int) -> Response:
    """The staff leg answered: the opaque reference and press 1 to accept."""
    with runtime.current().session() as session:
        attempt = session.get(CallAttempt, attempt_id)
        return _xml(call_flow.whisper(session, attempt, staff_id, _line(), utcnow()))


@bp.post("/call/accept/<int:attempt_id>/<int:staff_id>")
@twilio_signed
def accept(attempt_id: int, staff_id: int) -> Response:
    """The staff member's keypress: 1 takes the call."""
    rt = runtime.current()
    with rt.session() as session:
        attempt = session.get(CallAttempt, attempt_id)
        answer = call_flow.accept(session, attempt, staff_id, _digits(), _line(), utcnow())
    work_soon(rt)  # the SMS with the ACK code to the person who took it
    return _xml(answer)


@bp.post("/call/dial-done/<int:attempt_id>")
@twilio_signed
def dial_done(attempt_id: int) -> Response:
    """A <Dial> ended (DialCallStatus, DialCallDuration): over, or the next person."""
    call_sid = forms.sid("CallSid", ("CA",))
    status = forms.status("DialCallStatus")
    seconds = forms.seconds("DialCallDuration")
    rt = runtime.current()
    with rt.session() as session:
        call = _call(session, call_sid)
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None or attempt.call_id != call.id:
            abort(404, description="no dial of this call with that id")
        answer = call_flow.dial_ended(session, call, attempt, status, seconds, _line(),
                                      utcnow())
    work_soon(rt)
    return _xml(answer)


@bp.post("/call/kept")
@twilio_signed
def kept() -> Response:
    """The end of a voicemail recorded while the database was unreachable: the recording's
    URL is kept on the spool, after the call's own request (taken in after it, in order,
    whether or not the database is back by now); the caller is thanked."""
    forms.sid("CallSid", ("CA",))
    forms.recording_url()
    forms.seconds("RecordingDuration")
    outage.keep("voicemail")
    return _xml(call_twiml.goodbye(None))


def call_ended(session: Session, call_sid: str, status: str) -> bool:
    """The inbound call's status callback (``/twilio/status``); False: not a live call."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        return False
    if status in ("completed", "busy", "failed", "no-answer", "canceled"):
        call_flow.ended(session, call, status, utcnow())
    return True


def voicemail_recorded(session: Session, call_sid: str, recording_url: str | None,
                       seconds: int) -> None:
    """Keep the recording's URL (encrypted; it is never sent to a staff phone) and log it."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None or recording_url is None or call.recording_url == recording_url:
        return
    call.recording_url = recording_url
    call_flow.log(session, call, "voicemail_recorded", utcnow(), seconds=seconds)


MACHINES = {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other",
            "fax"}


@bp.post("/page-call/<int:page_id>")
@twilio_signed
def page_call(page_id: int) -> Response:
    """A paging call was answered (``MachineDetection=Enable``): a person (or Twilio not
    sure) hears the page and press 1; a machine or fax gets nothing left on it, counts as
    not reached, and the next escalation step is brought forward."""
    answered_by = request.form.get("AnsweredBy", "unknown")
    rt = runtime.current()
    now = utcnow()
    with rt.session() as session:
        page = session.get(Page, page_id)
        if page is None:
            abort(404, description="no page with that id")
        if answered_by in MACHINES:
            contact_log.append(session, "page.machine", contact_id=page.contact_id, at=now,
                               detail={"page_id": page.id, "staff_id": page.staff_id,
                                       "answered_by": answered_by})
            if page.contact.status in contacts.WAITING:
                hasten(session, page.contact_id, now, f"page {page.id} reached a machine")
            answer = call_twiml.hang_up()
        else:
            answer = PageTexts(Links(rt.settings.public_url)).page(page.contact, page.id, "call")
    work_soon(rt)
    return _xml(answer)


@bp.post("/page-bundle-call/<int:bundle_id>")
@twilio_signed
def page_bundle_call(bundle_id: int) -> Response:
    """One paging call about several contacts was answered: a person hears how many wait
    and their references, and presses 1 to acknowledge them all; a machine gets nothing, and
    each contact still waiting is brought to its next step, as for a single paging call."""
    answered_by = request.form.get("AnsweredBy", "unknown")
    rt = runtime.current()
    now = utcnow()
    with rt.session() as session:
        bundle = session.get(Outbound, bundle_id)
        if bundle is None or bundle.kind != page_calls.KIND:
            abort(404, description="no paging call with that id")
        waiting = page_calls.waiting(session, bundle)
        if answered_by in MACHINES:
            for contact in waiting:
                contact_log.append(session, "page.machine", contact_id=contact.id, at=now,
                                   detail={"bundle_id": bundle.id, "staff_id": bundle.staff_id,
                                           "answered_by": answered_by})
                hasten(session, contact.id, now, f"call {bundle.id} reached a machine")
            answer = call_twiml.hang_up()
        elif not waiting:
            answer = twiml.all_taken()
        else:
            answer = twiml.page_bundle_call(
                [c.ref for c in waiting], sum(c.urgency == "urgent" for c in waiting),
                Links(rt.settings.public_url).round_ack(bundle.id))
    work_soon(rt)
    return _xml(answer)
