"""The escalation engine: page a step's targets, wait, page the next, until someone ACKs.

Each wait is a :class:`~hub.models.Timer` row. :func:`run_due` claims due rows a batch at a
time (their contacts locked ``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL, each timer taken
by compare-and-set; SQLite's immediate write lock serializes instead) and fires their steps in
the transaction that marks them fired: a step fires once even with many processes, and a
process killed mid-step leaves its rows for the next claimer. A :class:`StepWriter` gathers
the pages, outbound rows, next timers and log entries of every step fired in a transaction and
writes them with a handful of statements, so a storm of due steps costs a few statements per
batch, not per step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from hub import contact_log, crypto
from hub.db import id_in, insert_rows, rows_changed
from hub.models import Contact, Outbound, Page, Patient, Staff, Timer
from messages import outbox, templates
from routing.oncall import PATIENT_TARGETS, picks_for
from routing.policy import Policy
from routing.schedule_store import Roster, roster_at

# Contacts nobody has taken yet: received, waiting for opening hours, or being paged.
WAITING = ("received", "queued", "paging")


@dataclass(frozen=True)
class Links:
    """Where pages point: the staff page for a contact and the paging call's keypress URL."""

    public_url: str

    def contact(self, ref: str) -> str:
        return f"{self.public_url}/staff/c/{ref}"

    def inbox(self) -> str:
        return f"{self.public_url}/staff"

    def call_gather(self, page_id: int) -> str:
        return f"{self.public_url}/twilio/page-ack/{page_id}"

    def status_callback(self) -> str:
        return f"{self.public_url}/twilio/status"


@dataclass
class _PlannedPage:
    contact: Contact
    person: Staff
    step: int
    channels: tuple[str, ...]


@dataclass
class StepWriter:
    """The rows of the steps fired in one transaction, written together by :meth:`write`.

    Who a target names is looked up once per transaction (per patient where it depends on
    the patient): every step fired in it is decided at the same instant.
    """

    session: Session
    now: datetime
    links: Links
    _pages: list[_PlannedPage] = field(default_factory=list)
    _timers: list[dict[str, object]] = field(default_factory=list)
    _log: list[contact_log.Entry] = field(default_factory=list)
    _staff_for: dict[tuple[str, int | None], list[Staff]] = field(default_factory=dict)
    _roster: Roster | None = None
    _advanced: dict[int, int] = field(default_factory=dict)  # contact id -> step paged

    def targets(self, contact: Contact, targets: tuple[str, ...]) -> list[Staff]:
        if self._roster is None:  # who is on call at this instant: read once
            self._roster = roster_at(self.session, self.now, exact_bounds=False)
        people: dict[int, Staff] = {}
        for target in targets:
            key = (target, contact.patient_id if target in PATIENT_TARGETS else None)
            if key not in self._staff_for:
                self._staff_for[key] = [pick.staff for pick in picks_for(
                    self.session, target, contact, self._roster)]
            for staff in self._staff_for[key]:
                people.setdefault(staff.id, staff)
        return list(people.values())

    def log(self, event: str, contact_id: int, detail: dict[str, object],
            at: datetime | None = None, actor: str = "system", alike: bool = False) -> None:
        self._log.append(contact_log.Entry(event, contact_id, actor, detail, at or self.now,
                                           alike))

    def page(self, contact: Contact, person: Staff, step: int, channels: tuple[str, ...]) -> None:
        self._pages.append(_PlannedPage(contact, person, step, channels))

    def advance(self, contact: Contact, step: int) -> None:
        """The contact is being paged at ``step``: one UPDATE per step for all the contacts
        advanced in the transaction (at :meth:`write`), not one per contact at the flush."""
        if not inspect(contact).persistent:  # not in the database yet: its INSERT says it
            contact.escalation_step, contact.status = step, "paging"
            return
        # What write() stores, without marking the object changed (that is the UPDATE per row).
        set_committed_value(contact, "escalation_step", step)
        set_committed_value(contact, "status", "paging")
        self._advanced[contact.id] = step

    def timer(self, contact_id: int, step: int, due: datetime) -> None:
        self._timers.append({"contact_id": contact_id, "kind": "escalate", "step": step,
                             "due_at": due, "version": 0})

    def write(self) -> None:
        """Update the advanced contacts, insert the pages (ids returned in order), their
        outbound rows and the timers, and append the log entries; the contacts' other changes
        flush with the session."""
        session = self.session
        by_step: dict[int, list[int]] = {}
        for contact_id, step in self._advanced.items():
            by_step.setdefault(step, []).append(contact_id)
        for step, contact_ids in by_step.items():
            session.execute(update(Contact).where(id_in(session, Contact.id, contact_ids))
                            .values(escalation_step=step, status="paging")
                            .execution_options(synchronize_session=False))
        session.flush()  # the contacts' new status before the log mentions them
        conn = session.connection()
        if self._pages:
            page_ids = conn.scalars(
                insert(Page).returning(Page.id, sort_by_parameter_order=True),
                [{"contact_id": p.contact.id, "staff_id": p.person.id, "step": p.step,
                  "created_at": self.now} for p in self._pages]).all()
            phones = {person.id: crypto.active().seal(person.phone or "")
                      for person in {p.person for p in self._pages}}
            insert_rows(conn, Outbound, [
                _outbound_row(planned.contact, page_id, planned.person, channel, self.now,
                              self.links, phones[planned.person.id])
                for planned, page_id in zip(self._pages, page_ids, strict=True)
                for channel in planned.channels])
        insert_rows(conn, Timer, self._timers)
        contact_log.append_all(conn, self._log)
        self._pages, self._timers, self._log, self._advanced = [], [], [], {}


def _outbound_row(contact: Contact, page_id: int, person: Staff, channel: str, now: datetime,
                  links: Links, phone: str | None = None) -> dict[str, object]:
    """One page to one person on one channel (SMS text or paging-call TwiML), as a row
    (``phone``: the person's phone, sealed once for all their rows)."""
    urgent = contact.urgency == "urgent"
    if channel == "call":
        body = templates.page_call_twiml(contact.ref, links.call_gather(page_id), urgent)
    else:
        plan_rules = tuple(json.loads(contact.triage or "{}").get("plan_rules", ()))
        body = templates.page_sms(contact.ref, contact.ack_code or "", links.contact(contact.ref),
                                  urgent, plan_rules)
    return outbox.row(kind="page", channel=channel, to=phone or person.phone or "", body=body,
                      now=now, contact_id=contact.id, page_id=page_id, staff_id=person.id)


def call_instead(session: Session, page_id: int, now: datetime, links: Links) -> bool:
    """Page by call a person whose SMS cannot be delivered; False when this page already
    had a call (then only the next escalation step can help)."""
    page = session.get(Page, page_id)
    if page is None or page.staff is None or not page.staff.phone:
        return False
    if session.scalar(select(Outbound.id).where(Outbound.page_id == page_id,
                                                Outbound.channel == "call").limit(1)):
        return False
    session.execute(insert(Outbound), [_outbound_row(page.contact, page.id, page.staff, "call",
                                                     now, links)])
    return True


def fire(session: Session, contact: Contact, policy: Policy, number: int, now: datetime,
         links: Links, writer: StepWriter | None = None) -> int | None:
    """Page step ``number`` (skipping steps with nobody reachable); return the step paged.

    Urgent contacts follow the policy's urgent steps (a call beside the SMS by default).
    With a ``writer`` the rows wait for its :meth:`StepWriter.write`; without, they are
    written before this returns.
    """
    own = writer is None
    writer = writer or StepWriter(session, now, links)
    paged = _decide(writer, contact, policy.for_urgency(contact.urgency), number)
    if own:
        writer.write()
    return paged


def _decide(writer: StepWriter, contact: Contact, policy: Policy, number: int) -> int | None:
    while (step := policy.step(number)) is not None:
        staff = writer.targets(contact, step.targets)
        reachable = [s for s in staff if s.phone]
        if not reachable:
            writer.log("escalation.step_skipped", contact.id,
                       {"step": number, "targets": list(step.targets),
                        "reason": "nobody on call" if not staff else "no phone"})
            number += 1
            continue
        for person in reachable:
            writer.page(contact, person, number, step.channels)
        writer.advance(contact, number)
        writer.timer(contact.id, number + 1, writer.now + step.wait)
        writer.log("escalation.paged", contact.id,
                   {"step": number, "staff_ids": [s.id for s in reachable],
                    "channels": list(step.channels), "wait_seconds": step.wait.total_seconds()},
                   alike=True)
        return number
    writer.log("escalation.exhausted", contact.id, {"last_step": number - 1})
    return None


def cancel_timers(session: Session, contact_id: int, now: datetime, outcome: str) -> None:
    """Mark every pending timer of a contact as done without firing it."""
    session.execute(
        update(Timer).where(Timer.contact_id == contact_id, Timer.fired_at.is_(None))
        .values(fired_at=now, outcome=outcome, version=Timer.version + 1)
    )


def set_callback_deadline(session: Session, contact: Contact, due: datetime) -> None:
    """A timer that resumes escalation if the acknowledged contact is not resolved by ``due``."""
    session.add(Timer(contact_id=contact.id, kind="callback",
                      step=contact.escalation_step + 1, due_at=due))


def _callback_overdue(writer: StepWriter, contact: Contact, step: int, policy: Policy) -> str:
    if contact.status != "acknowledged":
        return "stale"  # resolved in time
    writer.log("callback.overdue", contact.id,
               {"acknowledged_by": contact.acknowledged_by_id,
                "acknowledged_at": contact.acknowledged_at})
    contact.status = "paging"
    contact.version += 1
    return "fired" if fire(writer.session, contact, policy, step, writer.now, writer.links,
                           writer) is not None else "exhausted"


def hasten(session: Session, contact_id: int, now: datetime, reason: str) -> None:
    """Bring the contact's next escalation step forward to now (a page could not be delivered)."""
    moved = rows_changed(session, (
        update(Timer).where(Timer.contact_id == contact_id, Timer.fired_at.is_(None),
                            Timer.due_at > now)
        .values(due_at=now, version=Timer.version + 1)
    ))
    if moved:
        contact_log.append(session, "escalation.hastened", contact_id=contact_id, at=now,
                           detail={"reason": reason})


@dataclass(frozen=True)
class Claimed:
    """A due timer this transaction holds: it fires when the transaction commits, or returns
    to the pool for any process if the transaction dies."""

    timer_id: int
    contact_id: int
    kind: str
    step: int


def claim_due(session: Session, now: datetime, limit: int) -> list[Claimed]:
    """Lock the contacts of up to ``limit`` due timers, then claim those timers by
    compare-and-set.

    Contact first, timer second: the same order as acknowledging (which locks the contact and
    then cancels its timers), so the two can never deadlock. Contacts another process holds
    are skipped (SKIP LOCKED), and the candidates are read four deep, so processes running
    side by side take different contacts instead of queueing on the same ones. On SQLite the
    immediate write lock serializes instead.
    """
    candidates = session.execute(
        select(Timer.id, Timer.contact_id)
        .where(Timer.fired_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id).limit(4 * limit)
    ).all()
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
                  links: Links) -> None:
    contacts = {contact.id: contact for contact in session.scalars(
        select(Contact).where(id_in(session, Contact.id, (c.contact_id for c in claimed)))
        .options(defer(Contact.body), defer(Contact.from_number))  # paging needs neither
        .execution_options(populate_existing=True)
    )}
    _load_patients_for(session, claimed, contacts, policy)
    writer = StepWriter(session, now, links)
    outcomes: dict[str, list[int]] = {}
    for timer in claimed:
        contact = contacts.get(timer.contact_id)
        if contact is not None and timer.kind == "callback":
            outcome = _callback_overdue(writer, contact, timer.step, policy)
        elif contact is None or contact.status not in WAITING:
            outcome = "stale"
        else:
            paged = fire(session, contact, policy, timer.step, now, links, writer)
            outcome = "fired" if paged is not None else "exhausted"
        if outcome != "fired":  # claimed as fired
            outcomes.setdefault(outcome, []).append(timer.timer_id)
    for outcome, timer_ids in outcomes.items():
        session.execute(update(Timer).where(id_in(session, Timer.id, timer_ids))
                        .values(outcome=outcome)
                        .execution_options(synchronize_session=False))
    writer.write()  # last: its log entries hold the log's head until the commit


def run_due(sessions: sessionmaker[Session], policy: Policy, links: Links, now: datetime,
            limit: int = 500, batch: int = 100) -> int:
    """Fire every due timer (up to ``limit``), ``batch`` to a transaction; return how many."""
    fired = 0
    while fired < limit:
        with sessions.begin() as session:
            claimed = claim_due(session, now, min(batch, limit - fired))
            if not claimed:
                return fired
            _fire_claimed(session, claimed, policy, now, links)
            fired += len(claimed)
    return fired
