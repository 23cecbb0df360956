"""Care transitions: a discharge opens a task for the interactive contact the transitional-care
rule asks for, due by the end of the second business day after discharge (practice time
zone; weekends and US federal holidays skipped), assigned to the patient's designated care
manager.

A task is opened once per Encounter: the same FHIR id, or the same encounter identifier
under another id, finds the task already there. It is ``done`` when the care manager records
reaching the patient (phone, video, in person, or a bridged callback that connected); "could
not reach" is kept as a try and leaves it open. The engine pages about a task still open
``PAGE_LEAD`` before it is due (routing.transition_pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from hub import contact_log
from hub.business_days import due_after
from hub.contacts import new_ref
from hub.models import Patient, Staff, TransitionAttempt, TransitionTask

# Encounter.class codes (v3 ActCode) of a stay or visit the patient is discharged from.
DISCHARGE_CLASSES = {"IMP": "inpatient", "EMER": "emergency", "ACUTE": "inpatient acute",
                     "NONAC": "inpatient non-acute", "SS": "short stay"}
BUSINESS_DAYS = 2
PAGE_LEAD = timedelta(hours=4)  # still open this long before it is due: page
# A discharge older than this owes no follow-up any more (the transitional-care period is
# 30 days): an import of a patient's whole history opens no task for old stays.
RECENT = timedelta(days=30)
METHODS = {"phone": "by phone", "video": "by video", "in_person": "in person",
           "not_reached": "could not reach, tried"}
REACHED = ("phone", "video", "in_person")


@dataclass(frozen=True)
class Discharge:
    """What the hub keeps of an Encounter that ended in a discharge."""

    encounter_id: str
    identifier: str | None  # "system|value"
    encounter_class: str
    disposition: str | None
    discharged_at: datetime


def existing(session: Session, discharge: Discharge) -> TransitionTask | None:
    """The task an earlier delivery of this Encounter opened (by id, or by identifier)."""
    where = [TransitionTask.encounter_fhir_id == discharge.encounter_id]
    if discharge.identifier:
        where.append(TransitionTask.encounter_identifier == discharge.identifier)
    return session.scalars(select(TransitionTask).where(or_(*where))).first()


def too_old(discharge: Discharge, now: datetime) -> bool:
    return now - discharge.discharged_at > RECENT


def open_task(session: Session, patient: Patient, discharge: Discharge, tz: ZoneInfo,
              now: datetime, source: str) -> TransitionTask:
    """A new open task for the patient's care manager (the caller checked ``existing``)."""
    due = due_after(discharge.discharged_at, BUSINESS_DAYS, tz)
    task = TransitionTask(
        ref=new_ref(), patient=patient, encounter_fhir_id=discharge.encounter_id,
        encounter_identifier=discharge.identifier, encounter_class=discharge.encounter_class,
        disposition=discharge.disposition, discharged_at=discharge.discharged_at,
        due_at=due, page_at=max(due - PAGE_LEAD, discharge.discharged_at),
        care_manager=patient.care_manager, status="open", source=source, created_at=now)
    session.add(task)
    session.flush()
    contact_log.append(session, "transition.opened", at=now, actor=source, detail={
        "task": task.ref, "patient_id": patient.id, "class": discharge.encounter_class,
        "discharged_at": discharge.discharged_at, "due_at": due,
        "care_manager_id": patient.care_manager_id})
    return task


def record(session: Session, task: TransitionTask, staff: Staff, method: str,
           minutes: int | None, now: datetime, via: str = "staff_page") -> bool:
    """Record one try at the interactive contact; True when it closed the task."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    reached = method in REACHED
    session.add(TransitionAttempt(task=task, staff_id=staff.id, at=now, method=method,
                                  reached=reached, minutes=minutes, via=via))
    closes = reached and task.status == "open"
    if closes:
        task.status, task.done_at, task.done_by_id = "done", now, staff.id
        task.version += 1
    contact_log.append(session, "transition.done" if closes else "transition.tried", at=now,
                       actor=f"staff:{staff.id}", detail={
                           "task": task.ref, "patient_id": task.patient_id, "method": method,
                           "minutes": minutes, "via": via, "on_time": now <= task.due_at})
    return closes


def state(task: TransitionTask, now: datetime) -> str:
    """``done``, ``done late``, ``late`` (open past due) or ``due``."""
    if task.status == "done":
        assert task.done_at is not None
        return "done" if task.done_at <= task.due_at else "done late"
    return "late" if now > task.due_at else "due"


def for_staff(staff_id: int, sees_everyone: bool) -> Select[Any]:
    """Open tasks this staff member works (their patients', or all for managers), soonest
    due first."""
    query = (select(TransitionTask).where(TransitionTask.status == "open")
             .options(selectinload(TransitionTask.patient)).order_by(TransitionTask.due_at))
    if not sees_everyone:
        query = query.where(or_(TransitionTask.care_manager_id == staff_id,
                                TransitionTask.patient.has(Patient.care_manager_id == staff_id)))
    return query


def for_contact(session: Session, contact_id: int) -> TransitionTask | None:
    """The task a paging contact stands for, if any."""
    return session.scalars(select(TransitionTask).where(
        TransitionTask.contact_id == contact_id)).first()
