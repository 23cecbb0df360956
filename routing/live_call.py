"""A caller on the line: whom the hub dials now, who accepted, and when the call becomes an
ordinary contact to page.

Routing decides; the edge (:mod:`messages.call_flow`) words it in TwiML. A live call's
contact waits in ``on_call`` (intake leaves it alone) until a staff member accepts it (it is
then admitted and acknowledged like any paged contact) or until the caller leaves a
voicemail, hangs up, or nobody accepts (it is released to ``received``: intake pages and
escalates it like a text). A call left ``on_call`` longer than :data:`STALE_AFTER` (a lost
callback, a crashed worker) is released by the engine's tick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log
from hub.contacts import lock, new_ack_codes
from hub.db import read_snapshot, rows_changed
from hub.models import CallAttempt, Contact, Page, Staff
from routing import lifecycle
from routing.policy import Policy
from routing.schedule_store import roster_at
from routing.step_writer import named_people

STALE_AFTER = timedelta(minutes=5)
MAX_NUMBERS = 10  # Twilio rings at most ten <Number> nouns of one <Dial> together


@dataclass(frozen=True)
class DialPlan:
    """Whom to ring together at escalation step ``step``, and for how long."""

    step: int
    people: tuple[Staff, ...]
    ring_seconds: int


def next_dial(session: Session, contact: Contact, policy: Policy, after_step: int,
              now: datetime) -> DialPlan | None:
    """The first policy step after ``after_step`` that names someone with a phone now (one
    pass over the steps: the caller is not held through the repeats), or None."""
    steps = policy.for_urgency(contact.urgency).steps
    roster = roster_at(session, now, exact_bounds=False)
    for number in range(after_step + 1, len(steps)):
        step = steps[number]
        people = [p for p in named_people(session, contact, step.targets, roster) if p.phone]
        if people:
            return DialPlan(number, tuple(people[:MAX_NUMBERS]), step.ring_seconds)
        contact_log.append(session, "call.step_skipped", contact_id=contact.id, at=now,
                           detail={"step": number, "targets": list(step.targets)})
    return None


def ring_again(session: Session, attempt: CallAttempt) -> list[int]:
    """Who of a step rung together never answered, once a phone that did answered without
    accepting (a voicemail, or 2): Twilio hung up the others when it answered, so they are
    rung again before the next step. Each round leaves out everyone who answered one."""
    if attempt.step < 0 or attempt.answered_by_id is None:
        return []
    answered = set(session.scalars(select(CallAttempt.answered_by_id).where(
        CallAttempt.call_id == attempt.call_id, CallAttempt.step == attempt.step,
        CallAttempt.answered_by_id.is_not(None))))
    return [staff_id for staff_id in attempt.rung if staff_id not in answered]


def release(session: Session, contact_id: int, now: datetime, reason: str) -> bool:
    """The live call is over without a staff member taking it: the contact becomes
    ``received``, paged and escalated like a text. False when it had already left
    ``on_call`` (accepted, or released by another callback)."""
    moved = rows_changed(session, update(Contact).where(
        Contact.id == contact_id, Contact.status == "on_call")
        .values(status="received", version=Contact.version + 1)
        .execution_options(synchronize_session=False))
    if moved:
        contact_log.append(session, "call.released", contact_id=contact_id, at=now,
                           detail={"reason": reason})
    return bool(moved)


def release_stale(sessions: sessionmaker[Session], now: datetime) -> int:
    """Release every call contact left ``on_call`` past :data:`STALE_AFTER` (the engine's
    tick, before intake pages them); looked for in a read first, so a tick that finds none
    takes no write lock."""
    stale = select(Contact.id).where(Contact.status == "on_call",
                                     Contact.received_at < now - STALE_AFTER)
    with read_snapshot(sessions) as session:
        if session.scalars(stale.limit(1)).first() is None:
            return 0
    with sessions.begin() as session:
        ids = list(session.scalars(stale))
        return sum(release(session, contact_id, now, "no word from the call")
                   for contact_id in ids)


def accept(session: Session, attempt: CallAttempt, staff: Staff, now: datetime,
           policy: Policy) -> bool:
    """``staff`` pressed 1 on the whisper: the first to do so takes the call (compare-and-set
    on the attempt), and the contact is admitted and acknowledged by them. False for anyone
    after the first."""
    won = rows_changed(session, update(CallAttempt).where(
        CallAttempt.id == attempt.id, CallAttempt.accepted_by_id.is_(None))
        .values(accepted_by_id=staff.id, accepted_at=now)
        .execution_options(synchronize_session=False))
    if not won:
        return False
    session.refresh(attempt)
    call = attempt.call
    call.accepted_by_id, call.accepted_at, call.stage = staff.id, now, "connected"
    contact = call.contact
    lock(session, contact)
    # The log's entries of the acceptance are appended together: one turn at the log's head
    # while the staff member waits to be connected.
    log: list[contact_log.Entry] = []
    if contact.ack_code is None:  # not paged yet: admitted here as intake would
        log += admit(contact, new_ack_codes(session, 1)[0])
    session.add(Page(contact_id=contact.id, staff_id=staff.id, step=max(attempt.step, 0),
                     created_at=now))
    log.append(contact_log.Entry("call.accepted", contact.id, f"staff:{staff.id}",
                                 {"attempt_id": attempt.id, "step": attempt.step}, now))
    session.flush()  # acknowledge() re-reads the contact under its lock: the code goes first
    lifecycle.acknowledge(session, contact, staff, now, via="call", policy=policy, log=log)
    session.flush()
    contact_log.append_all(session.connection(), log)
    return True


def admit(contact: Contact, ack_code: str) -> list[contact_log.Entry]:
    """Give a call contact its ACK code (so RESOLVE by SMS works) and return the log entries
    that say it was received and triaged, as intake logs them, without paging it: the person
    who accepted has it."""
    contact.ack_code = ack_code
    contact.version += 1
    return [
        contact_log.Entry("contact.received", contact.id, contact.channel, {
            "channel": contact.channel, "sid": contact.provider_sid,
            "from": contact.from_number, "body": contact.body, "match": contact.match,
            "patient_id": contact.patient_id, "caregiver_id": contact.caregiver_id,
            "candidate_patient_ids": contact.candidate_ids}, contact.received_at),
        contact_log.Entry("contact.triaged", contact.id, "system",
                          json.loads(contact.triage or "{}"), contact.received_at)]
