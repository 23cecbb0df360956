"""Transition tasks and escalation: a task still open ``PAGE_LEAD`` before it is due becomes a
contact the engine pages like any other, the care manager first, then the policy's next steps.

The contact stands for the follow-up (channel ``transition``, the patient's number as its
sender so that "Call back" bridges the care manager to the patient); recording the contact,
or a callback that connected, closes the task and resolves the contact, which stops the
escalation. Claimed by compare-and-set on the task's version: one process pages each task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hub import transitions
from hub.contacts import new_ack_codes, new_ref
from hub.db import rows_changed
from hub.models import Contact, Patient, Staff, TransitionTask
from routing import escalation, lifecycle
from routing.policy import Policy
from routing.step_writer import PageWording, StepWriter

NO_WAIT = timedelta(minutes=5)  # a policy without steps still comes back


def contact_for(session: Session, task: TransitionTask, now: datetime,
                status: str = "paging", ack_code: str | None = None) -> Contact:
    """The task's contact, made now if it has none (sender: the patient's first number)."""
    if task.contact is not None:
        return task.contact
    phone = task.patient.phones[0] if task.patient.phones else None
    contact = Contact(
        ref=new_ref(), channel="transition", received_at=now, status=status, match="patient",
        patient_id=task.patient_id, urgency="routine", from_number=phone.phone if phone else None,
        from_index=phone.phone_index if phone else None, ack_code=ack_code,
        body="Discharge follow-up due", escalation_step=0)
    session.add(contact)
    session.flush()
    task.contact = contact
    return contact


def _claim(session: Session, now: datetime, limit: int) -> list[TransitionTask]:
    due = list(session.execute(
        select(TransitionTask.id, TransitionTask.version).where(
            TransitionTask.status == "open", TransitionTask.contact_id.is_(None),
            TransitionTask.page_at <= now)
        .order_by(TransitionTask.page_at).limit(limit)
        .with_for_update(skip_locked=True)).all())
    taken = [task_id for task_id, version in due if rows_changed(session, (
        update(TransitionTask).where(TransitionTask.id == task_id,
                                     TransitionTask.version == version)
        .values(version=version + 1)))]
    if not taken:
        return []
    return list(session.scalars(
        select(TransitionTask).where(TransitionTask.id.in_(taken))
        .options(selectinload(TransitionTask.patient).selectinload(Patient.phones),
                 selectinload(TransitionTask.care_manager))
        .execution_options(populate_existing=True)))


def page_due(sessions: sessionmaker[Session], policy: Policy, wording: PageWording,
             now: datetime, limit: int = 100) -> int:
    """Page about every open task whose paging time came (the care manager, by SMS, then the
    policy's next steps); return how many."""
    with sessions.begin() as session:
        tasks = _claim(session, now, limit)
        if not tasks:
            return 0
        writer = StepWriter(session, now, wording)
        routine = policy.for_urgency("routine")
        for task, code in zip(tasks, new_ack_codes(session, len(tasks)), strict=True):
            contact = contact_for(session, task, now, ack_code=code)
            writer.log("transition.paging", contact.id, {
                "task": task.ref, "patient_id": task.patient_id, "due_at": task.due_at})
            manager = task.care_manager
            if manager is not None and manager.active and manager.phone:
                first = routine.step(0)
                writer.page(contact, manager, 0, ("sms",))
                writer.advance(contact, 0)
                writer.timer(contact.id, 1, now + (first.wait if first else NO_WAIT))
                writer.log("escalation.paged", contact.id, {
                    "step": 0, "staff_ids": [manager.id], "channels": ["sms"],
                    "reason": "transition task: its care manager first"})
            else:  # nobody designated (or no phone): the policy from its first step
                escalation.fire(session, contact, routine, 0, now, wording, writer)
        writer.write()
        return len(tasks)


def complete(session: Session, task: TransitionTask, staff: Staff, method: str,
             minutes: int | None, now: datetime, via: str = "staff_page") -> bool:
    """Record a try at the interactive contact; one that reached the patient closes the
    task and resolves its contact (escalation stops). True when it closed the task."""
    closed = transitions.record(session, task, staff, method, minutes, now, via)
    if closed and task.contact is not None:
        lifecycle.resolve(session, task.contact, staff, now, via="transition",
                          disposition="transition follow-up done")
    return closed


def callback_ended(session: Session, contact: Contact, staff: Staff, seconds: int,
                   now: datetime) -> bool:
    """A bridged callback on a task's contact connected: the interactive contact is done."""
    task = transitions.for_contact(session, contact.id)
    if task is None or task.status != "open":
        return False
    return complete(session, task, staff, "phone", max(1, -(-seconds // 60)), now, "callback")
