"""The escalation decision: page a step's targets, wait, page the next, until someone ACKs.

Given a contact, the policy and the instant, :func:`fire` decides whom a step pages (skipping
steps with nobody reachable) and what it waits for; the rows it decides are written by a
:class:`~routing.step_writer.StepWriter`. Timers that bring the next step due are claimed
and fired by :mod:`routing.timers`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from hub import contact_log
from hub.db import rows_changed
from hub.models import Contact, Outbound, Page, Timer
from routing.policy import Policy
from routing.step_writer import PageWording, StepWriter, page_row


def call_instead(session: Session, page_id: int, now: datetime,
                 wording: PageWording) -> bool:
    """Page by call a person whose SMS cannot be delivered; False when this page already
    had a call (then only the next escalation step can help)."""
    page = session.get(Page, page_id)
    if page is None or page.staff is None or not page.staff.phone:
        return False
    if session.scalar(select(Outbound.id).where(Outbound.page_id == page_id,
                                                Outbound.channel == "call").limit(1)):
        return False
    session.execute(insert(Outbound), [page_row(page.contact, page.id, page.staff, "call", now,
                                                wording)])
    return True


def fire(session: Session, contact: Contact, policy: Policy, number: int, now: datetime,
         wording: PageWording, writer: StepWriter | None = None) -> int:
    """Page step ``number`` (skipping steps with nobody reachable); return the step paged.

    Past the last step, a last-resort round (the managers, the fallback number) that
    repeats on its own timer: a contact nobody acknowledged always has one.

    Urgent contacts follow the policy's urgent steps (a call beside the SMS by default).
    With a ``writer`` the rows wait for its :meth:`StepWriter.write`; without, they are
    written before this returns.
    """
    own = writer is None
    writer = writer or StepWriter(session, now, wording)
    paged = _decide(writer, contact, policy.for_urgency(contact.urgency), number)
    if own:
        writer.write()
    return paged


def _decide(writer: StepWriter, contact: Contact, policy: Policy, number: int) -> int:
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
    return _last_resort(writer, contact, policy, number)


def _last_resort(writer: StepWriter, contact: Contact, policy: Policy, number: int) -> int:
    """The steps ran out and nobody acknowledged: page the managers, call the fallback number
    and come back after ``last_resort.every``, round after round, until a person ACKs."""
    if contact.escalation_step < number:  # the first round
        writer.log("escalation.exhausted", contact.id, {"last_step": number - 1})
    managers = [s for s in writer.targets(contact, ("role:manager",)) if s.phone]
    for person in managers:
        writer.page(contact, person, number, ("sms", "call"), last_resort=True)
    fallback = policy.last_resort.number
    if fallback:
        writer.fallback_call(contact, fallback)
    writer.advance(contact, number)
    writer.timer(contact.id, number, writer.now + policy.last_resort.every)
    writer.log("escalation.last_resort", contact.id,
               {"step": number, "staff_ids": [s.id for s in managers],
                "fallback_called": bool(fallback),
                "again_in_seconds": policy.last_resort.every.total_seconds()})
    return number


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
