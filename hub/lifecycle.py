"""A contact's life: received (committed first) -> paging -> acknowledged -> resolved."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import contact_log
from hub.matching import match_sender
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


def receive(session: Session, inbound: Inbound, now: datetime) -> tuple[Contact, bool]:
    """Store the contact (encrypted) and commit it; a Sid seen before returns the first one.

    Returns (contact, created). Nothing is decided here: that is :func:`process`.
    """
    if inbound.sid:
        existing = session.scalar(select(Contact).where(Contact.provider_sid == inbound.sid))
        if existing is not None:
            return existing, False
    try:
        e164: str | None = to_e164(inbound.from_raw) if inbound.from_raw else None
    except NotAPhoneNumber:
        e164 = None  # withheld or malformed caller ID: kept encrypted as given, matched to nobody
    contact = Contact(
        ref=_new_ref(), channel=inbound.channel, provider_sid=inbound.sid,
        from_number=e164 or inbound.from_raw, from_index=phone_index(e164) if e164 else None,
        body=inbound.body, received_at=now, status="received",
    )
    session.add(contact)
    try:
        session.flush()
        contact_log.append(session, "contact.received", contact_id=contact.id, at=now,
                           actor=inbound.channel,
                           detail={"channel": inbound.channel, "sid": inbound.sid,
                                   "from": contact.from_number, "body": inbound.body})
        session.commit()
    except IntegrityError:
        # The same Sid arrived twice at once; the other delivery won.
        session.rollback()
        existing = session.scalar(select(Contact).where(Contact.provider_sid == inbound.sid))
        if existing is None:
            raise
        return existing, False
    return contact, True


def process(session: Session, contact: Contact, policy: Policy, links: escalation.Links,
            now: datetime) -> None:
    """Match the sender, then start escalation; safe to repeat (only a received contact moves)."""
    lock(session, contact)
    if contact.status != "received":
        return
    found = match_sender(session, contact.from_index)
    contact.match = found.kind
    contact.patient_id = found.patient.id if found.patient else None
    contact.caregiver_id = found.caregiver.id if found.caregiver else None
    contact.ack_code = _new_ack_code(session)
    session.flush()
    contact_log.append(session, "contact.matched", contact_id=contact.id, at=now, detail={
        "match": found.kind,
        "patient_id": contact.patient_id,
        "caregiver_id": contact.caregiver_id,
        "candidate_patient_ids": [p.id for p in found.candidates],
    })
    escalation.fire(session, contact, policy, 0, now, links)
    contact.status = "paging"
    contact.version += 1


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
