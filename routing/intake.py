"""Intake: route and page every contact the webhooks stored, exactly once across processes.

Each received contact is logged with its triage, given its ACK code, and paged at the
policy's first step, or queued for opening hours (a routine text at night).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub import outreach, patient_chart, quarantine
from hub.contacts import new_ack_codes
from hub.db import id_in, read_snapshot
from hub.models import Contact
from routing import escalation
from routing.policy import Policy
from routing.step_writer import PageWording, StepWriter


def _start(writer: StepWriter, contact: Contact, ack_code: str, consented: bool,
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
        escalation.fire(writer.session, contact, policy, 0, writer.now, writer.wording, writer)
        contact.status = "paging"
    contact.version += 1
    # Routed exactly as any other contact (paged first); the manager sees the gap in the log.
    if contact.patient_id is not None and not consented:
        writer.log("consent.missing", contact.id, at=contact.received_at,
                   detail={"patient_id": contact.patient_id})


def process_received(sessions: sessionmaker[Session], policy: Policy, wording: PageWording,
                     now: datetime, limit: int = 500, batch: int = 50,
                     look_first: bool = True) -> int:
    """Route and page every contact still waiting in ``received``, ``batch`` to a transaction.

    Run right after a webhook commits and by every scheduler tick, in any process: each batch
    locks its contacts (SKIP LOCKED: another process takes the next ones), and a contact
    leaves ``received`` in the transaction that pages it, so exactly one process pages for it.
    A batch that raises is taken again one contact to a transaction: a contact that fails
    alone is counted, and set aside at the limit (:mod:`hub.quarantine`); the rest are paged.
    ``look_first``: look for a received contact in a read before taking the write lock (not
    when a commit has just said one is there).
    """
    if look_first and not _any_received(sessions):  # a tick with nothing to route writes nothing
        return 0
    return quarantine.in_batches(
        sessions, "contact", _claim,
        lambda session, ids: _route(session, ids, policy, wording, now), lambda row: row,
        lambda session, one: _route(session, _claim(session, 1, only=one), policy, wording, now),
        now, wording.set_aside, limit, batch)


def _any_received(sessions: sessionmaker[Session]) -> bool:
    with read_snapshot(sessions) as session:
        return session.scalars(select(Contact.id).where(Contact.status == "received")
                               .limit(1)).first() is not None


def _claim(session: Session, limit: int, skip: set[int] | frozenset[int] = frozenset(),
           only: int | None = None) -> list[int]:
    """Lock up to ``limit`` received contacts, oldest first (others' locked ones skipped)."""
    query = select(Contact.id).where(Contact.status == "received")
    if only is not None:
        query = query.where(Contact.id == only)
    if skip:
        query = query.where(Contact.id.not_in(skip))
    return list(session.scalars(query.order_by(Contact.received_at, Contact.id).limit(limit)
                                .with_for_update(skip_locked=True, key_share=True)))


def _route(session: Session, ids: list[int], policy: Policy, wording: PageWording,
           now: datetime) -> int:
    """Start each of these locked contacts (logged, given an ACK code, paged or queued)."""
    if not ids:
        return 0
    contacts = list(session.scalars(
        select(Contact).where(id_in(session, Contact.id, ids))
        .order_by(Contact.received_at, Contact.id)
        .execution_options(populate_existing=True)))
    consented = patient_chart.patients_with_ccm_consent(
        session, {c.patient_id for c in contacts if c.patient_id is not None})
    writer = StepWriter(session, now, wording)
    for contact, code in zip(contacts, new_ack_codes(session, len(contacts)), strict=True):
        _start(writer, contact, code, contact.patient_id in consented, policy)
    writer.write()
    outreach.link_replies(session, contacts, now)  # a text back answers the hub's outreach
    return len(contacts)
