"""A contact as the core keeps it: its states, and storing it (encrypted) on arrival.

Life of a contact: received (committed first) -> queued (waiting for opening hours) or
paging -> acknowledged -> resolved. A call is stored ``on_call`` while the caller is in the
live flow (menu, dials to staff): intake leaves it alone until the call is accepted
(acknowledged), or goes to voicemail, is hung up or reaches nobody (then ``received``).
Routing moves it along (:mod:`routing.intake`, :mod:`routing.lifecycle`,
:mod:`routing.live_call`); this module only stores and reads it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import care_rules, hot_path
from hub.db import insert_unless_duplicate
from hub.matching import SenderMatch
from hub.models import Contact, Page, Staff
from hub.triage import Triage

# Contacts nobody has taken yet: received, waiting for opening hours, being paged, a caller
# still in the live call flow, or one the engine set aside (staff may still take it).
WAITING = ("received", "queued", "paging", "on_call", "quarantined")
OPEN = (*WAITING, "acknowledged")
ACK_DIGITS, MAX_ACK_DIGITS = 4, 8  # a code's length: 4 digits, more when crowded
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
    thread: str | None = None  # a chat's Twilio Conversation (CH...), where answers go


def lock(session: Session, contact: Contact) -> None:
    """Re-read the contact under a row lock for the rest of the transaction.

    FOR NO KEY UPDATE (key_share), not FOR UPDATE: log entries and pages inserted by other
    transactions take a KEY SHARE lock on the contact through their foreign key, and a full
    FOR UPDATE here would deadlock with a transaction that holds the log head and inserts one.
    """
    session.refresh(contact, with_for_update={"key_share": True})


def new_ref() -> str:
    """A fresh opaque reference (16 letters and digits) for a URL or a page."""
    # 32 letters: a random byte modulo 32 picks each one without bias (256 = 8 * 32).
    return "".join(REF_ALPHABET[byte % 32] for byte in secrets.token_bytes(8))


@dataclass(frozen=True)
class Received:
    """What the webhook needs back: the stored contact and whether this delivery made it."""

    contact_id: int
    ref: str
    created: bool


def receive(conn: Connection, inbound: Inbound, sender: SenderMatch, triage: Triage,
            now: datetime, status: str = "received") -> Received:
    """Store the contact (encrypted) with who sent it, in ``conn``'s transaction.

    A Sid stored before (Twilio retrying) changes nothing and returns the first contact.
    Logging, routing and paging are :func:`process`, after the commit, so the webhook answers
    at once and never waits on the log's single head row. Core statements: every inbound
    contact pays for this while Twilio waits.
    """
    e164 = inbound.from_e164
    ref = new_ref()
    stored = hot_path.run(
        conn, insert_unless_duplicate(conn, Contact, "provider_sid", returning=Contact.id), {
            "ref": ref, "channel": inbound.channel, "provider_sid": inbound.sid,
            "from_number": e164 or inbound.from_raw,
            "from_index": inbound.from_index, "body": inbound.body,
            "conversation_sid": inbound.thread,
            "received_at": now, "status": status, "match": sender.kind,
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


def new_ack_codes(session: Session, count: int) -> list[str]:
    """``count`` distinct ACK codes, none used by an open contact.

    Four digits while they have room; when more than half of the codes drawn are taken (some
    4,500 contacts open at once), five, then six, up to eight: a burst never leaves a contact
    without a code. Only the drawn codes are looked up (one indexed query per length tried),
    never every open contact's.
    """
    codes: list[str] = []
    digits = ACK_DIGITS
    while len(codes) < count:
        need = count - len(codes)
        low = 10 ** (digits - 1)
        drawn = {f"{secrets.randbelow(9 * low) + low}" for _ in range(2 * need + 8)}
        taken = set(session.scalars(select(Contact.ack_code).where(
            Contact.ack_code.in_(drawn), Contact.status.in_(OPEN))))
        codes.extend(list(drawn - taken)[:need])
        if 2 * len(taken) > len(drawn) and digits < MAX_ACK_DIGITS:
            digits += 1  # crowded: longer codes, still easy to type, never running out
    return codes


def open_pages_for(session: Session, staff: Staff) -> list[Contact]:
    """Contacts this staff member was paged about that still wait for an ACK or RESOLVE."""
    return list(session.scalars(
        select(Contact).join(Page, Page.contact_id == Contact.id)
        .where(Page.staff_id == staff.id, Contact.status.in_(OPEN))
        .distinct().order_by(Contact.received_at)
    ))
