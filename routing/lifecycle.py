"""A contact's life after intake: acknowledged, resolved, or raised to urgent by its
voicemail transcript; each stops, restarts or times escalation."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from hub import care_rules, contact_log
from hub.contacts import WAITING, lock
from hub.models import Contact, Staff
from hub.triage import Triage
from routing import escalation
from routing.policy import Policy
from routing.step_writer import PageWording


def add_transcript(session: Session, contact: Contact, transcript: str, triage: Triage,
                   policy: Policy, wording: PageWording, now: datetime) -> bool:
    """A call's voicemail transcript: kept (encrypted), triaged and logged; when it makes the
    contact urgent, escalation restarts at once on the urgent steps (SMS and a call).

    Returns False when the transcript is already there (Twilio repeated its callback).
    """
    lock(session, contact)
    if contact.body == transcript:
        return False
    contact.body = transcript
    contact.triage = json.dumps(triage.audit())
    contact_log.append(session, "contact.transcribed", contact_id=contact.id, at=now,
                       actor="voice", detail={"transcript": transcript})
    contact_log.append(session, "contact.triaged", contact_id=contact.id, at=now,
                       detail=triage.audit())
    if contact.patient_id is not None:
        care_rules.keep_readings(session.connection(), contact.patient_id, contact.id,
                                 triage.readings, now)
    if triage.urgent and contact.urgency != "urgent":
        contact.urgency = "urgent"
        if contact.status in ("queued", "paging"):  # still nobody's: page now, as urgent
            escalation.cancel_timers(session, contact.id, now, "raised to urgent")
            escalation.fire(session, contact, policy, 0, now, wording)
        # "received": process() pages it as urgent; acknowledged: the nurse already has it.
    contact.version += 1
    return True


def acknowledge(session: Session, contact: Contact, staff: Staff, now: datetime,
                via: str, policy: Policy | None = None,
                log: list[contact_log.Entry] | None = None) -> bool:
    """Stop escalation; return False when the contact was already acknowledged or closed.

    With the policy's callback deadline, a timer is set: a contact not resolved by then
    resumes escalation at the next step (the nurse who took it may not have called back).
    With ``log``, the log entry joins that list (the caller appends them all at once).
    """
    lock(session, contact)
    if contact.status not in WAITING:
        return False
    contact.status = "acknowledged"
    contact.acknowledged_by_id = staff.id
    contact.acknowledged_at = now
    contact.version += 1
    escalation.cancel_timers(session, contact.id, now, "acknowledged")
    deadline = policy.for_urgency(contact.urgency).callback if policy else None
    if deadline is not None:
        escalation.set_callback_deadline(session, contact, now + deadline)
    entry = contact_log.Entry("contact.acknowledged", contact.id, f"staff:{staff.id}", {
        "via": via, "callback_due": (now + deadline) if deadline else None,
        "seconds_to_ack": (now - contact.received_at).total_seconds()}, now)
    if log is not None:
        log.append(entry)
    else:
        contact_log.append(session, entry.event, contact_id=entry.contact_id,
                           actor=entry.actor, detail=entry.detail, at=now)
    return True


def resolve(session: Session, contact: Contact, staff: Staff, now: datetime, via: str,
            disposition: str | None = None) -> bool:
    """Close the contact (acknowledging it first if nobody had); False if already closed."""
    lock(session, contact)
    if contact.status == "resolved":
        return False
    if contact.status != "acknowledged":
        acknowledge(session, contact, staff, now, via)
    escalation.cancel_timers(session, contact.id, now, "resolved")  # the callback deadline
    contact.status = "resolved"
    contact.resolved_by_id = staff.id
    contact.resolved_at = now
    contact.version += 1
    contact_log.append(session, "contact.resolved", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}",
                       detail={"via": via, "disposition": disposition})
    return True
