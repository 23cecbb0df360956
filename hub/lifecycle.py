"""A contact's life: received (committed first) -> paging -> acknowledged -> resolved."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log
from hub.matching import SenderMatch, match_sender
from hub.models import Contact, Page, Staff
from hub.phones import NotAPhoneNumber, phone_index, to_e164
from routing import escalation
from routing.policy import Policy

OPEN = ("received", "paging", "acknowledged")
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


@dataclass(frozen=True)
class Inbound:
    """One inbound contact as the edge parsed it (already validated)."""

    channel: str
    sid: str | None
    from_raw: str | None
    body: str | None


def lock(session: Session, contact: Contact) -> None:
    """Re-read the contact under a row lock for the rest of the transaction.

    FOR NO KEY UPDATE (key_share), not FOR UPDATE: log entries and pages inserted by other
    transactions take a KEY SHARE lock on the contact through their foreign key, and a full
    FOR UPDATE here would deadlock with a transaction that holds the log head and inserts one.
    """
    session.refresh(contact, with_for_update={"key_share": True})


def _new_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def _new_ack_code(session: Session) -> str:
    """A 4-digit code not used by any open contact."""
    for _ in range(50):
        code = f"{secrets.randbelow(9000) + 1000}"
        taken = session.scalar(
            select(Contact.id).where(Contact.ack_code == code, Contact.status.in_(OPEN)).limit(1)
        )
        if taken is None:
            return code
    raise RuntimeError("no free ACK code among 9000: too many open contacts")


def receive(session: Session, inbound: Inbound, now: datetime,
            found: SenderMatch | None = None) -> tuple[Contact, bool]:
    """Store the contact (encrypted) with who sent it, and commit; a Sid seen before returns
    the first one.

    Returns (contact, created). Routing and paging are :func:`process`, after the commit, so
    the webhook can answer at once; ``found`` is the sender's match when the caller has it.
    """
    try:
        e164: str | None = to_e164(inbound.from_raw) if inbound.from_raw else None
    except NotAPhoneNumber:
        e164 = None  # withheld or malformed caller ID: kept encrypted as given, matched to nobody
    from_index = phone_index(e164) if e164 else None
    if found is None:
        found = match_sender(session, from_index)
    contact = Contact(
        ref=_new_ref(), channel=inbound.channel, provider_sid=inbound.sid,
        from_number=e164 or inbound.from_raw, from_index=from_index,
        body=inbound.body, received_at=now, status="received", match=found.kind,
        patient_id=found.patient.id if found.patient else None,
        caregiver_id=found.caregiver.id if found.caregiver else None,
    )
    session.add(contact)
    try:
        # Insert first: a Twilio retry is rare, and the unique Sid turns it away.
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(select(Contact).where(Contact.provider_sid == inbound.sid))
        if existing is None:
            raise
        return existing, False
    contact_log.append(session, "contact.received", contact_id=contact.id, at=now,
                       actor=inbound.channel,
                       detail={"channel": inbound.channel, "sid": inbound.sid,
                               "from": contact.from_number, "body": inbound.body,
                               "match": found.kind, "patient_id": contact.patient_id,
                               "caregiver_id": contact.caregiver_id,
                               "candidate_patient_ids": [p.id for p in found.candidates]})
    session.commit()
    return contact, True


def process(session: Session, contact: Contact, policy: Policy, links: escalation.Links,
            now: datetime) -> bool:
    """Start escalation for a received contact; safe to repeat (only a received one moves)."""
    lock(session, contact)
    if contact.status != "received":
        return False
    contact.ack_code = _new_ack_code(session)
    escalation.fire(session, contact, policy, 0, now, links)
    contact.status = "paging"
    contact.version += 1
    return True


def process_received(sessions: sessionmaker[Session], policy: Policy, links: escalation.Links,
                     now: datetime, limit: int = 50) -> int:
    """Route and page every contact still waiting in ``received``; one transaction each.

    Run right after a webhook commits and by every scheduler tick, in any process: the row
    lock in :func:`process` lets exactly one of them page for a contact.
    """
    with sessions() as session:
        ids = list(session.scalars(
            select(Contact.id).where(Contact.status == "received")
            .order_by(Contact.received_at, Contact.id).limit(limit)
        ))
    processed = 0
    for contact_id in ids:
        with sessions.begin() as session:
            contact = session.get(Contact, contact_id)
            if contact is not None and process(session, contact, policy, links, now):
                processed += 1
    return processed


def open_pages_for(session: Session, staff: Staff) -> list[Contact]:
    """Contacts this staff member was paged about that still wait for an ACK or RESOLVE."""
    return list(session.scalars(
        select(Contact).join(Page, Page.contact_id == Contact.id)
        .where(Page.staff_id == staff.id, Contact.status.in_(OPEN))
        .distinct().order_by(Contact.received_at)
    ))


def acknowledge(session: Session, contact: Contact, staff: Staff, now: datetime,
                via: str) -> bool:
    """Stop escalation; return False when the contact was already acknowledged or closed."""
    lock(session, contact)
    if contact.status not in ("received", "paging"):
        return False
    contact.status = "acknowledged"
    contact.acknowledged_by_id = staff.id
    contact.acknowledged_at = now
    contact.version += 1
    escalation.cancel_timers(session, contact.id, now, "acknowledged")
    contact_log.append(session, "contact.acknowledged", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}", detail={"via": via,
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
    contact.status = "resolved"
    contact.resolved_by_id = staff.id
    contact.resolved_at = now
    contact.version += 1
    contact_log.append(session, "contact.resolved", contact_id=contact.id, at=now,
                       actor=f"staff:{staff.id}",
                       detail={"via": via, "disposition": disposition})
    return True
