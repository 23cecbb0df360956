"""A contact's life: received (committed first) -> paging -> acknowledged -> resolved."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from hub import care_rules, contact_log, hot_path, patient_chart
from hub.db import id_in, insert_unless_duplicate
from hub.matching import SenderMatch
from hub.models import Contact, Page, Staff
from hub.triage import Triage
from routing import escalation
from routing.policy import Policy

OPEN = (*escalation.WAITING, "acknowledged")
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


@dataclass(frozen=True)
class Inbound:
    """One inbound contact as the edge parsed it (already validated)."""

    channel: str
    sid: str | None
    from_raw: str | None  # as Twilio sent it (kept, encrypted, when it is not a number)
    from_e164: str | None  # None for a withheld or malformed caller ID: matched to nobody
    from_index: str | None  # the number's keyed hash (phone_index), found by and stored with
    body: str | None


def lock(session: Session, contact: Contact) -> None:
    """Re-read the contact under a row lock for the rest of the transaction.

    FOR NO KEY UPDATE (key_share), not FOR UPDATE: log entries and pages inserted by other
    transactions take a KEY SHARE lock on the contact through their foreign key, and a full
    FOR UPDATE here would deadlock with a transaction that holds the log head and inserts one.
    """
    session.refresh(contact, with_for_update={"key_share": True})


def _new_ref() -> str:
    # 32 letters: a random byte modulo 32 picks each one without bias (256 = 8 * 32).
    return "".join(REF_ALPHABET[byte % 32] for byte in secrets.token_bytes(8))


def _new_ack_codes(session: Session, count: int) -> list[str]:
    """``count`` distinct 4-digit codes, none used by an open contact."""
    taken = set(session.scalars(select(Contact.ack_code).where(
        Contact.status.in_(OPEN), Contact.ack_code.is_not(None))))
    free = 9000 - len(taken)
    if free < count:
        raise RuntimeError(f"only {free} free ACK codes among 9000: too many open contacts")
    codes: list[str] = []
    while len(codes) < count:
        code = f"{secrets.randbelow(9000) + 1000}"
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


@dataclass(frozen=True)
class Received:
    """What the webhook needs back: the stored contact and whether this delivery made it."""

    contact_id: int
    ref: str
    created: bool


def receive(conn: Connection, inbound: Inbound, sender: SenderMatch, triage: Triage,
            now: datetime) -> Received:
    """Store the contact (encrypted) with who sent it, in ``conn``'s transaction.

    A Sid stored before (Twilio retrying) changes nothing and returns the first contact.
    Logging, routing and paging are :func:`process`, after the commit, so the webhook answers
    at once and never waits on the log's single head row. Core statements: every inbound
    contact pays for this while Twilio waits.
    """
    e164 = inbound.from_e164
    ref = _new_ref()
    stored = hot_path.run(
        conn, insert_unless_duplicate(conn, Contact, "provider_sid", returning=Contact.id), {
            "ref": ref, "channel": inbound.channel, "provider_sid": inbound.sid,
            "from_number": e164 or inbound.from_raw,
            "from_index": inbound.from_index, "body": inbound.body,
            "received_at": now, "status": "received", "match": sender.kind,
            "patient_id": sender.patient_id, "caregiver_id": sender.caregiver_id,
            "candidates": ",".join(map(str, sender.candidates)) or None,
            "urgency": triage.urgency, "triage": json.dumps(triage.audit()),
            "escalation_step": 0, "version": 0,
        })
    contact_id = stored[0][0] if stored else None
    if contact_id is None:
        first_id, first_ref = conn.execute(
            select(Contact.id, Contact.ref).where(Contact.provider_sid == inbound.sid)).one()
        return Received(first_id, first_ref, created=False)
    if sender.patient_id is not None:
        care_rules.keep_readings(conn, sender.patient_id, contact_id, triage.readings, now)
    return Received(contact_id, ref, created=True)


def _start(writer: escalation.StepWriter, contact: Contact, ack_code: str, consented: bool,
           policy: Policy) -> None:
    """Log a received contact and its triage, give it its ACK code, and page the policy's
    first step, or queue it for opening hours (a routine text at night)."""
    writer.log("contact.received", contact.id, at=contact.received_at, actor=contact.channel,
               detail={"channel": contact.channel, "sid": contact.provider_sid,
                       "from": contact.from_number, "body": contact.body,
                       "match": contact.match, "patient_id": contact.patient_id,
                       "caregiver_id": contact.caregiver_id,
                       "candidate_patient_ids": contact.candidate_ids})
    # Why the contact is (or is not) urgent, rule by rule, for the manager's audit.
    writer.log("contact.triaged", contact.id, at=contact.received_at,
               detail=json.loads(contact.triage or "{}"))
    contact.ack_code = ack_code
    opening = policy.held_until(contact.urgency, contact.channel, writer.now)
    if opening is not None:
        contact.status = "queued"
        writer.timer(contact.id, 0, opening)
        writer.log("contact.queued", contact.id,
                   detail={"until": opening, "reason": "outside opening hours"})
    else:
        escalation.fire(writer.session, contact, policy, 0, writer.now, writer.links, writer)
        contact.status = "paging"
    contact.version += 1
    # Routed exactly as any other contact (paged first); the manager sees the gap in the log.
    if contact.patient_id is not None and not consented:
        writer.log("consent.missing", contact.id, at=contact.received_at,
                   detail={"patient_id": contact.patient_id})


def process_received(sessions: sessionmaker[Session], policy: Policy, links: escalation.Links,
                     now: datetime, limit: int = 500, batch: int = 50) -> int:
    """Route and page every contact still waiting in ``received``, ``batch`` to a transaction.

    Run right after a webhook commits and by every scheduler tick, in any process: each batch
    locks its contacts (SKIP LOCKED: another process takes the next ones), and a contact
    leaves ``received`` in the transaction that pages it, so exactly one process pages for it.
    """
    processed = 0
    while processed < limit:
        with sessions.begin() as session:
            ids = list(session.scalars(
                select(Contact.id).where(Contact.status == "received")
                .order_by(Contact.received_at, Contact.id).limit(min(batch, limit - processed))
                .with_for_update(skip_locked=True, key_share=True)))
            if not ids:
                return processed
            contacts = list(session.scalars(
                select(Contact).where(id_in(session, Contact.id, ids))
                .order_by(Contact.received_at, Contact.id)
                .execution_options(populate_existing=True)))
            consented = patient_chart.patients_with_ccm_consent(
                session, {c.patient_id for c in contacts if c.patient_id is not None})
            writer = escalation.StepWriter(session, now, links)
            for contact, code in zip(contacts, _new_ack_codes(session, len(contacts)),
                                     strict=True):
                _start(writer, contact, code, contact.patient_id in consented, policy)
            writer.write()
            processed += len(contacts)
    return processed


def add_transcript(session: Session, contact: Contact, transcript: str, triage: Triage,
                   policy: Policy, links: escalation.Links, now: datetime) -> bool:
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
            escalation.fire(session, contact, policy, 0, now, links)
        # "received": process() pages it as urgent; acknowledged: the nurse already has it.
    contact.version += 1
    return True


def open_pages_for(session: Session, staff: Staff) -> list[Contact]:
    """Contacts this staff member was paged about that still wait for an ACK or RESOLVE."""
    return list(session.scalars(
        select(Contact).join(Page, Page.contact_id == Contact.id)
        .where(Page.staff_id == staff.id, Contact.status.in_(OPEN))
        .distinct().order_by(Contact.received_at)
    ))


def acknowledge(session: Session, contact: Contact, staff: Staff, now: datetime,
                via: str, policy: Policy | None = None) -> bool:
    """Stop escalation; return False when the contact was already acknowledged or closed.

    With the policy's callback deadline, a timer is set: a contact not resolved by then
    resumes escalation at the next step (the nurse who took it may not have called back).
    """
    lock(session, contact)
    if contact.status not in escalation.WAITING:
        return False
    contact.status = "acknowledged"
    contact.acknowledged_by_id = staff.id
    contact.acknowledged_at = now
    contact.version += 1
    escalation.cancel_timers(session, contact.id, now, "acknowledged")
    deadline = policy.for_urgency(contact.urgency).callback if policy else None
    if deadline is not None:
        escalation.set_callback_deadline(session, contact, now + deadline)
    contact_log.append(session, "contact.acknowledged", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}", detail={
                           "via": via, "callback_due": (now + deadline) if deadline else None,
                           "seconds_to_ack": (now - contact.received_at).total_seconds()})
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
