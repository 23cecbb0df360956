"""Due escalation timers, claimed and fired exactly once by whichever process gets them.

Each wait is a :class:`~hub.models.Timer` row. :func:`run_due` claims due rows a batch at a
time (their contacts locked ``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL, each timer taken
by compare-and-set; SQLite's immediate write lock serializes instead) and fires their steps in
the transaction that marks them fired: a step fires once even with many processes, and a
process killed mid-step leaves its rows for the next claimer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker

from hub import quarantine
from hub.contacts import WAITING
from hub.db import id_in
from hub.models import Contact, Patient, Timer
from routing.escalation import fire
from routing.oncall import PATIENT_TARGETS
from routing.policy import Policy
from routing.step_writer import PageWording, StepWriter


def _callback_overdue(writer: StepWriter, contact: Contact, step: int, policy: Policy) -> str:
    if contact.status != "acknowledged":
        return "stale"  # resolved in time
    writer.log("callback.overdue", contact.id,
               {"acknowledged_by": contact.acknowledged_by_id,
                "acknowledged_at": contact.acknowledged_at})
    contact.status = "paging"
    contact.version += 1
    fire(writer.session, contact, policy, step, writer.now, writer.wording, writer)
    return "fired"


@dataclass(frozen=True)
class Claimed:
    """A due timer this transaction holds: it fires when the transaction commits, or returns
    to the pool for any process if the transaction dies."""

    timer_id: int
    contact_id: int
    kind: str
    step: int


def claim_due(session: Session, now: datetime, limit: int,
              skip: set[int] | frozenset[int] = frozenset(),
              only: int | None = None) -> list[Claimed]:
    """Lock the contacts of up to ``limit`` due timers, then claim those timers by
    compare-and-set.

    Contact first, timer second: the same order as acknowledging (which locks the contact and
    then cancels its timers), so the two can never deadlock. Contacts another process holds
    are skipped (SKIP LOCKED), and the candidates are read four deep, so processes running
    side by side take different contacts instead of queueing on the same ones. On SQLite the
    immediate write lock serializes instead.
    """
    query = select(Timer.id, Timer.contact_id).where(Timer.fired_at.is_(None),
                                                     Timer.due_at <= now)
    if only is not None:
        query = query.where(Timer.id == only)
    if skip:  # failed alone in this run: left to the next tick
        query = query.where(Timer.id.not_in(skip))
    candidates = session.execute(query.order_by(Timer.due_at, Timer.id).limit(4 * limit)).all()
    if not candidates:
        return []
    locked = set(session.scalars(
        select(Contact.id).where(id_in(session, Contact.id, (c for _, c in candidates)))
        .order_by(Contact.id).limit(limit).with_for_update(skip_locked=True, key_share=True)
    ))
    wanted = [timer_id for timer_id, contact_id in candidates if contact_id in locked]
    if not wanted:
        return []
    claimed = session.execute(
        update(Timer).where(id_in(session, Timer.id, wanted), Timer.fired_at.is_(None))
        # "fired" as most end; the others are corrected before the transaction commits.
        .values(fired_at=now, outcome="fired", version=Timer.version + 1)
        .returning(Timer.id, Timer.contact_id, Timer.kind, Timer.step, Timer.due_at)
        .execution_options(synchronize_session=False)
    ).all()
    in_due_order = sorted(claimed, key=lambda row: (row.due_at, row.id))
    return [Claimed(row.id, row.contact_id, row.kind, row.step) for row in in_due_order]


def _load_patients_for(session: Session, claimed: list[Claimed], contacts: dict[int, Contact],
                       policy: Policy) -> None:
    """Read, in one query, the patients whose step names someone through them (the care
    manager, the care team): the others' steps page whoever is on call, the same for all."""
    wanted = set()
    for timer in claimed:
        contact = contacts.get(timer.contact_id)
        step = policy.for_urgency(contact.urgency).step(timer.step) if contact else None
        if contact is not None and contact.patient_id is not None and step is not None \
                and set(step.targets) & set(PATIENT_TARGETS):
            wanted.add(contact.patient_id)
    if wanted:  # into the session: each contact.patient is then found without a query
        session.scalars(select(Patient).where(id_in(session, Patient.id, wanted))
                        .options(selectinload(Patient.care_manager))).all()


def _fire_claimed(session: Session, claimed: list[Claimed], policy: Policy, now: datetime,
                  wording: PageWording) -> None:
    contacts = {contact.id: contact for contact in session.scalars(
        select(Contact).where(id_in(session, Contact.id, (c.contact_id for c in claimed)))
        .options(defer(Contact.body), defer(Contact.from_number))  # paging needs neither
        .execution_options(populate_existing=True)
    )}
    _load_patients_for(session, claimed, contacts, policy)
    writer = StepWriter(session, now, wording)
    outcomes: dict[str, list[int]] = {}
    for timer in claimed:
        contact = contacts.get(timer.contact_id)
        if contact is not None and timer.kind == "callback":
            outcome = _callback_overdue(writer, contact, timer.step, policy)
        elif contact is None or contact.status not in WAITING:
            outcome = "stale"
        else:  # a step, or past the last one a last-resort round: fired either way
            fire(session, contact, policy, timer.step, now, wording, writer)
            outcome = "fired"
        if outcome != "fired":  # claimed as fired
            outcomes.setdefault(outcome, []).append(timer.timer_id)
    for outcome, timer_ids in outcomes.items():
        session.execute(update(Timer).where(id_in(session, Timer.id, timer_ids))
                        .values(outcome=outcome)
                        .execution_options(synchronize_session=False))
    writer.write()  # last: its log entries hold the log's head until the commit


def run_due(sessions: sessionmaker[Session], policy: Policy, wording: PageWording,
            now: datetime,
            limit: int = 500, batch: int = 100) -> int:
    """Fire every due timer (up to ``limit``), ``batch`` to a transaction; return how many.

    A batch that raises is fired again one timer to a transaction: a timer that fails alone
    is counted, and set aside at the limit (:mod:`hub.quarantine`); the others fire.
    """
    return quarantine.in_batches(
        sessions, "timer", lambda session, count, skip: claim_due(session, now, count, skip),
        lambda session, claimed: _fire_claimed(session, claimed, policy, now, wording),
        lambda timer: timer.timer_id,
        lambda session, one: _fire_one(session, one, policy, now, wording),
        now, wording.set_aside, limit, batch)


def _fire_one(session: Session, timer_id: int, policy: Policy, now: datetime,
              wording: PageWording) -> int:
    claimed = claim_due(session, now, 1, only=timer_id)
    if claimed:
        _fire_claimed(session, claimed, policy, now, wording)
    return len(claimed)
