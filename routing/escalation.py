"""The escalation engine: page a step's targets, wait, page the next, until someone ACKs.

Each wait is a :class:`~hub.models.Timer` row. :func:`run_due` claims due rows one at a time
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, compare-and-set on SQLite) and fires the step in
the same transaction that marks the row fired, so a step fires once even with many processes,
and a process killed mid-step leaves its row for the next claimer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub import contact_log
from hub.db import rows_changed
from hub.models import Contact, Outbound, Page, Staff, Timer
from messages import outbox, templates
from routing.oncall import resolve_target
from routing.policy import Policy

OPEN_STATES = ("received", "paging")


@dataclass(frozen=True)
class Links:
    """Where pages point: the staff page for a contact and the paging call's keypress URL."""

    public_url: str

    def contact(self, ref: str) -> str:
        return f"{self.public_url}/staff/c/{ref}"

    def call_gather(self, page_id: int) -> str:
        return f"{self.public_url}/twilio/page-ack/{page_id}"

    def status_callback(self) -> str:
        return f"{self.public_url}/twilio/status"


def _targets(session: Session, contact: Contact, targets: tuple[str, ...],
             at: datetime) -> list[Staff]:
    people: dict[int, Staff] = {}
    for target in targets:
        for staff in resolve_target(session, target, contact, at):
            people.setdefault(staff.id, staff)
    return list(people.values())


def _queue_page(session: Session, contact: Contact, page: Page, person: Staff, channel: str,
                now: datetime, links: Links) -> None:
    """Queue one page to one person on one channel (SMS text or paging-call TwiML)."""
    urgent = contact.urgency == "urgent"
    if channel == "call":
        body = templates.page_call_twiml(contact.ref, links.call_gather(page.id), urgent)
    else:
        plan_rules = tuple(json.loads(contact.triage or "{}").get("plan_rules", ()))
        body = templates.page_sms(contact.ref, contact.ack_code or "", links.contact(contact.ref),
                                  urgent, plan_rules)
    outbox.queue(session, kind="page", channel=channel, to=person.phone or "", body=body,
                 now=now, contact_id=contact.id, page_id=page.id, staff_id=person.id)


def call_instead(session: Session, page_id: int, now: datetime, links: Links) -> bool:
    """Page by call a person whose SMS cannot be delivered; False when this page already
    had a call (then only the next escalation step can help)."""
    page = session.get(Page, page_id)
    if page is None or page.staff is None or not page.staff.phone:
        return False
    if session.scalar(select(Outbound.id).where(Outbound.page_id == page_id,
                                                Outbound.channel == "call").limit(1)):
        return False
    _queue_page(session, page.contact, page, page.staff, "call", now, links)
    return True


def fire(session: Session, contact: Contact, policy: Policy, number: int, now: datetime,
         links: Links) -> int | None:
    """Page step ``number`` (skipping steps with nobody reachable); return the step paged.

    Urgent contacts follow the policy's urgent steps (a call beside the SMS by default).
    """
    policy = policy.for_urgency(contact.urgency)
    while (step := policy.step(number)) is not None:
        staff = _targets(session, contact, step.targets, now)
        reachable = [s for s in staff if s.phone]
        if not reachable:
            contact_log.append(session, "escalation.step_skipped", contact_id=contact.id, at=now,
                               detail={"step": number, "targets": list(step.targets),
                                       "reason": "nobody on call" if not staff else "no phone"})
            number += 1
            continue
        for person in reachable:
            page = Page(contact_id=contact.id, staff_id=person.id, step=number, created_at=now)
            session.add(page)
            session.flush()
            for channel in step.channels:
                _queue_page(session, contact, page, person, channel, now, links)
        contact.escalation_step = number
        contact.status = "paging"
        session.add(Timer(contact_id=contact.id, step=number + 1, due_at=now + step.wait))
        contact_log.append(session, "escalation.paged", contact_id=contact.id, at=now,
                           detail={"step": number, "staff_ids": [s.id for s in reachable],
                                   "channels": list(step.channels),
                                   "wait_seconds": step.wait.total_seconds()})
        return number
    contact_log.append(session, "escalation.exhausted", contact_id=contact.id, at=now,
                       detail={"last_step": number - 1})
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


def _callback_overdue(session: Session, contact: Contact, timer: Timer, policy: Policy,
                      now: datetime, links: Links) -> str:
    if contact.status != "acknowledged":
        return "stale"  # resolved in time
    contact_log.append(session, "callback.overdue", contact_id=contact.id, at=now,
                       detail={"acknowledged_by": contact.acknowledged_by_id,
                               "acknowledged_at": contact.acknowledged_at})
    contact.status = "paging"
    contact.version += 1
    return "fired" if fire(session, contact, policy, timer.step, now, links) is not None \
        else "exhausted"


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


def _claim_one(session: Session, now: datetime) -> Timer | None:
    """Lock a due timer's contact, then claim the timer by compare-and-set.

    Contact first, timer second: the same order as acknowledging (which locks the contact and
    then cancels its timers), so the two can never deadlock. A contact someone else holds is
    skipped this pass (SKIP LOCKED); on SQLite the immediate write lock serializes instead.
    """
    candidates = session.execute(
        select(Timer.id, Timer.contact_id, Timer.version)
        .where(Timer.fired_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id).limit(20)
    ).all()
    for timer_id, contact_id, version in candidates:
        locked = session.scalars(
            select(Contact.id).where(Contact.id == contact_id)
            .with_for_update(skip_locked=True, key_share=True)
        ).first()
        if locked is None:
            continue
        claimed = rows_changed(session, (
            update(Timer).where(Timer.id == timer_id, Timer.version == version,
                                Timer.fired_at.is_(None))
            .values(fired_at=now, version=Timer.version + 1)
        ))
        if claimed == 1:
            return session.get(Timer, timer_id, populate_existing=True)
    return None


def run_due(sessions: sessionmaker[Session], policy: Policy, links: Links, now: datetime,
            limit: int = 500) -> int:
    """Fire every due timer (up to ``limit``), each in its own transaction; return how many."""
    fired = 0
    for _ in range(limit):
        with sessions.begin() as session:
            timer = _claim_one(session, now)
            if timer is None:
                return fired
            contact = session.get(Contact, timer.contact_id, populate_existing=True)
            if contact is not None and timer.kind == "callback":
                timer.outcome = _callback_overdue(session, contact, timer, policy, now, links)
            elif contact is None or contact.status not in OPEN_STATES:
                timer.outcome = "stale"
            else:
                paged = fire(session, contact, policy, timer.step, now, links)
                timer.outcome = "fired" if paged is not None else "exhausted"
            fired += 1
    return fired
