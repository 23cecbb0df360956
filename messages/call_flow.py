"""A live call, stage by stage: each callback moves the call's row on and returns the TwiML
of the next stage. Routing decides whom to dial (:mod:`routing.live_call`); this module
words it (:mod:`messages.call_twiml`). Every step is a log event of the call's contact.

Nothing is kept in the process: the call's row holds its stage, so a repeated or
out-of-order callback is answered with the TwiML of the stage the call is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import care_time, contact_log, outbox, which_patient
from hub.models import Call, CallAttempt, Contact, Patient, Staff
from hub.models.people import birth_date_index
from messages import call_twiml, texts
from messages.links import Links
from routing import live_call
from routing.policy import Policy


@dataclass(frozen=True)
class Line:
    """What a call's TwiML needs from the settings: links, the practice number shown to
    staff (never the caller's), the fallback number."""

    links: Links
    practice_number: str
    fallback_number: str | None
    policy: Policy


def log(session: Session, call: Call, event: str, now: datetime, **detail: object) -> None:
    contact_log.append(session, f"call.{event}", contact_id=call.contact_id, at=now,
                       actor="voice", detail={"call_id": call.id, **detail})


def first_stage(session: Session, contact: Contact) -> tuple[str, str | None]:
    """The stage a new call starts in and its language (None: the caller is asked)."""
    if contact.match in ("patient", "caregiver") and contact.patient is not None:
        return "menu", contact.patient.language
    if contact.match == "ambiguous":
        languages = set(session.scalars(select(Patient.language).where(
            Patient.id.in_(contact.candidate_ids))))
        if len(languages) == 1 and 1 < len(contact.candidate_ids) <= 9:
            return "which", languages.pop()
    return "language", None


def after_language(contact: Contact) -> str:
    if contact.match == "ambiguous" and 1 < len(contact.candidate_ids) <= 9:
        return "which"
    if contact.match == "unknown" and contact.patient_id is None:
        return "birth_date"
    return "menu"


def prompt(session: Session, call: Call, line: Line, greet: bool = False) -> str:
    """The TwiML of the stage ``call`` is in (a repeated callback gets the same answer)."""
    links, lang = line.links, call.language
    if call.stage == "language":
        return call_twiml.ask_language(links.call("language"))
    if call.stage == "which":
        names = which_patient.first_names(session, call.contact.candidate_ids)
        return call_twiml.ask_which(lang, names, links.call("which"), greet)
    if call.stage == "birth_date":
        return call_twiml.ask_birth_date(lang, links.call("birth-date"), greet)
    if call.stage == "menu":
        return call_twiml.menu(lang, links.call("menu"), greet)
    if call.stage == "dialing":
        attempt = session.scalars(select(CallAttempt).where(CallAttempt.call_id == call.id)
                                  .order_by(CallAttempt.id.desc()).limit(1)).first()
        if attempt is not None:
            return _dial_twiml(session, call, attempt, line, first=False)
    if call.stage == "voicemail":
        return call_twiml.voicemail(lang, links.transcription(), links.voicemail_done())
    return call_twiml.goodbye(lang)


def choose_language(session: Session, call: Call, digits: str, line: Line,
                    now: datetime) -> str:
    if call.stage == "language":
        call.language = "es" if digits == "2" else "en"
        log(session, call, "language", now, language=call.language, pressed=digits or None)
        call.stage = after_language(call.contact)
        return prompt(session, call, line, greet=call.language != "en")
    return prompt(session, call, line)


def choose_patient(session: Session, call: Call, digits: str, line: Line,
                   now: datetime) -> str:
    if call.stage == "which":
        contact = call.contact
        candidates = contact.candidate_ids
        if digits.isdigit() and 1 <= int(digits) <= len(candidates):
            contact.patient_id = candidates[int(digits) - 1]
            contact.version += 1
            contact_log.append(session, "contact.patient_chosen", contact_id=contact.id,
                               at=now, actor="caller",
                               detail={"patient_id": contact.patient_id, "choice": int(digits)})
        log(session, call, "identified", now, by="which_patient",
            patient_id=contact.patient_id, pressed=digits or None)
        call.stage = "menu"
    return prompt(session, call, line)


def enter_birth_date(session: Session, call: Call, digits: str, line: Line,
                     now: datetime) -> str:
    """MMDDYYYY keyed in: one patient with that birth date files the call under them;
    none, several or nothing keyed still reach the menu (never a dead end)."""
    if call.stage == "birth_date":
        contact = call.contact
        found: list[int] = []
        if len(digits) == 8 and digits.isdigit():
            index = birth_date_index(f"{digits[4:]}-{digits[:2]}-{digits[2:4]}")
            found = list(session.scalars(select(Patient.id).where(Patient.birth_index == index)
                                         .limit(10)))
        if len(found) == 1:
            contact.patient_id = found[0]
        elif found:
            contact.candidates = ",".join(map(str, found))
        contact.version += 1
        log(session, call, "identified", now, by="birth_date", matches=len(found),
            patient_id=contact.patient_id, keyed=len(digits))
        call.stage = "menu"
    return prompt(session, call, line)


def menu_choice(session: Session, call: Call, digits: str, line: Line, now: datetime) -> str:
    """2: voicemail; 1, silence or anything else: connect to the on-call person now."""
    if call.stage != "menu":
        return prompt(session, call, line)
    if digits == "2":
        log(session, call, "menu", now, choice="voicemail", pressed=digits)
        return to_voicemail(session, call, line, now, nobody=False)
    log(session, call, "menu", now, choice="connect", pressed=digits or None)
    return dial_next(session, call, line, now, first=True)


def to_voicemail(session: Session, call: Call, line: Line, now: datetime,
                 nobody: bool) -> str:
    call.stage = "voicemail"
    live_call.release(session, call.contact_id, now, "voicemail")
    log(session, call, "voicemail", now, reason="nobody accepted" if nobody else "chosen")
    return call_twiml.voicemail(call.language, line.links.transcription(),
                                line.links.voicemail_done(), nobody=nobody)


def dial_next(session: Session, call: Call, line: Line, now: datetime, first: bool) -> str:
    """Ring the next policy step's people, then the fallback number, then voicemail."""
    contact = call.contact
    plan = live_call.next_dial(session, contact, line.policy, call.dial_step, now)
    if plan is not None:
        attempt = CallAttempt(call_id=call.id, step=plan.step, ring_seconds=plan.ring_seconds,
                              staff_ids=",".join(str(p.id) for p in plan.people),
                              started_at=now)
        session.add(attempt)
        call.stage, call.dial_step = "dialing", plan.step
        session.flush()
        log(session, call, "dialled", now, attempt_id=attempt.id, step=plan.step,
            staff_ids=[p.id for p in plan.people], ring_seconds=plan.ring_seconds)
        return _dial_twiml(session, call, attempt, line, first)
    call.dial_step = len(line.policy.for_urgency(contact.urgency).steps)
    if line.fallback_number and not call.fallback_tried:
        call.fallback_tried, call.stage = True, "dialing"
        attempt = CallAttempt(call_id=call.id, step=-1, ring_seconds=30, started_at=now)
        session.add(attempt)
        session.flush()
        # Outside the team: the team is paged as well, as for a text.
        live_call.release(session, contact.id, now, "nobody on the team accepted")
        log(session, call, "dialled", now, attempt_id=attempt.id, step="fallback")
        return _dial_twiml(session, call, attempt, line, first)
    return to_voicemail(session, call, line, now, nobody=True)


def _dial_twiml(session: Session, call: Call, attempt: CallAttempt, line: Line,
                first: bool) -> str:
    if attempt.step < 0:
        return call_twiml.dial_fallback(call.language, line.fallback_number or "",
                                        line.links.dial_done(attempt.id), line.practice_number)
    people = [session.get(Staff, staff_id) for staff_id in attempt.rung]
    numbers = [(p.phone, line.links.whisper(attempt.id, p.id)) for p in people
               if p is not None and p.phone]
    return call_twiml.dial(call.language, numbers, attempt.ring_seconds,
                           line.links.dial_done(attempt.id), line.practice_number, first)


def whisper(session: Session, attempt: CallAttempt | None, staff_id: int, line: Line,
            now: datetime) -> str:
    """The staff leg answered: ask for the keypress (an attempt no longer ringing: hang up)."""
    if attempt is None or staff_id not in attempt.rung or attempt.dial_status is not None \
            or attempt.call.stage != "dialing":
        return call_twiml.hang_up("This call is no longer waiting. Goodbye.")
    if attempt.answered_by_id is None:
        attempt.answered_by_id = staff_id
    log(session, attempt.call, "whisper_answered", now, attempt_id=attempt.id,
        staff_id=staff_id)
    return call_twiml.whisper(attempt.call.contact.ref, line.links.accept(attempt.id, staff_id))


def accept(session: Session, attempt: CallAttempt | None, staff_id: int, digits: str,
           line: Line, now: datetime) -> str:
    """1 takes the call (the first to press it); 2, another key or none passes it on."""
    staff = session.get(Staff, staff_id)
    if attempt is None or staff is None or staff_id not in attempt.rung \
            or attempt.dial_status is not None:
        return call_twiml.hang_up("This call is no longer waiting. Goodbye.")
    call = attempt.call
    if digits != "1":
        log(session, call, "passed", now, attempt_id=attempt.id, staff_id=staff_id,
            pressed=digits or None)
        return call_twiml.hang_up()
    if not live_call.accept(session, attempt, staff, now, line.policy):
        return call_twiml.hang_up("Someone else took this call. Goodbye.")
    contact = call.contact
    if staff.phone:
        outbox.queue(session, kind="reply", channel="sms", to=staff.phone,
                     body=texts.staff_took_call(contact.ref, contact.ack_code or "",
                                                line.links.contact(contact.ref)),
                     now=now, contact_id=contact.id, staff_id=staff.id)
    return call_twiml.accepted()


def dial_ended(session: Session, call: Call, attempt: CallAttempt, status: str, seconds: int,
               line: Line, now: datetime) -> str:
    """Twilio's <Dial> ended: connected time is care time; not accepted, the next step."""
    if attempt.dial_status is not None:  # Twilio repeating the callback
        return prompt(session, call, line)
    attempt.dial_status, attempt.seconds, attempt.ended_at = status, seconds, now
    accepted = attempt.accepted_by_id is not None
    log(session, call, "dial_ended", now, attempt_id=attempt.id, status=status,
        seconds=seconds, accepted=accepted)
    if accepted:
        call.stage, call.ended_at = "ended", now
        staff = session.get(Staff, attempt.accepted_by_id)
        if staff is not None and seconds > 0:
            care_time.add_for_contact(session, call.contact, staff, seconds, "call", now)
        return call_twiml.goodbye(call.language)
    if call.ended_at is not None:  # the caller hung up while it rang: nothing more to dial
        return call_twiml.hang_up()
    if attempt.step < 0 and status == "completed" and seconds > 0:
        call.stage, call.ended_at = "ended", now  # the fallback number answered
        return call_twiml.goodbye(call.language)
    if attempt.step < 0:
        return to_voicemail(session, call, line, now, nobody=True)
    rest = live_call.ring_again(session, attempt)
    if rest:
        again = CallAttempt(call_id=call.id, step=attempt.step, ring_seconds=attempt.ring_seconds,
                            staff_ids=",".join(map(str, rest)), started_at=now)
        session.add(again)
        session.flush()
        log(session, call, "dialled", now, attempt_id=again.id, step=again.step,
            staff_ids=rest, ring_seconds=again.ring_seconds, again=True)
        return _dial_twiml(session, call, again, line, first=False)
    return dial_next(session, call, line, now, first=False)


def ended(session: Session, call: Call, status: str, now: datetime) -> None:
    """The inbound call's own status callback: hung up mid-menu or while ringing, the
    contact is paged like a text."""
    if call.ended_at is None:
        call.ended_at = now
    if call.stage not in ("connected", "ended", "voicemail"):
        log(session, call, "hung_up", now, stage=call.stage, status=status)
        live_call.release(session, call.contact_id, now, f"caller hung up ({call.stage})")
    call.stage = "ended" if call.stage != "voicemail" else call.stage
