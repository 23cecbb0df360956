"""Who is on call at a given instant, and whom a policy target means for one contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from hub.models import Contact, Shift, Staff


def on_call_shifts(session: Session, layer: str, at: datetime) -> list[Shift]:
    """The shifts of active staff holding ``layer`` at ``at`` (earliest start first), each
    with its ``staff`` loaded."""
    return list(session.scalars(
        select(Shift).join(Shift.staff).options(contains_eager(Shift.staff))
        .where(Shift.layer == layer, Shift.starts_at <= at, Shift.ends_at > at,
               Staff.active.is_(True))
        .order_by(Shift.starts_at, Staff.id)
    ))


def on_call(session: Session, layer: str, at: datetime) -> list[Staff]:
    """Active staff holding ``layer`` at ``at`` (earliest-starting shift first)."""
    return list(dict.fromkeys(shift.staff for shift in on_call_shifts(session, layer, at)))


def is_on_shift(session: Session, staff_id: int, at: datetime) -> bool:
    """True when the staff member holds any on-call layer at ``at``."""
    return session.scalar(
        select(Shift.id).where(Shift.staff_id == staff_id, Shift.starts_at <= at,
                               Shift.ends_at > at).limit(1)
    ) is not None


def on_shift_until(session: Session, staff_id: int, at: datetime) -> datetime | None:
    """When the shift(s) the staff member holds at ``at`` end (the latest), or None."""
    return session.scalar(
        select(func.max(Shift.ends_at)).where(Shift.staff_id == staff_id, Shift.starts_at <= at,
                                              Shift.ends_at > at)
    )


def continuity(session: Session, contact: Contact, at: datetime) -> list[Staff]:
    """The patient's designated care manager when on shift, else the primary on-call."""
    manager = contact.patient.care_manager if contact.patient else None
    if manager is not None and manager.active and is_on_shift(session, manager.id, at):
        return [manager]
    return on_call(session, "primary", at)


def resolve_target(session: Session, target: str, contact: Contact, at: datetime) -> list[Staff]:
    """The staff a policy target names for this contact at this instant (maybe nobody)."""
    if target == "continuity":
        return continuity(session, contact, at)
    if target in ("primary", "backup"):
        return on_call(session, target, at)
    if target.startswith("role:"):
        return list(session.scalars(
            select(Staff).where(Staff.role == target[5:], Staff.active.is_(True))
            .order_by(Staff.id)
        ))
    raise ValueError(f"unknown target {target!r}")


def why_paged(target: str, person: Staff, care_manager: Staff | None, patient_name: str,
              until: str | None = None) -> str:
    """Why a policy ``target`` names ``person`` for a patient (for the manager, never logs).

    Reads :func:`continuity`'s choice back: the care manager when chosen, else the primary
    on call and why the care manager was passed over. ``until`` is the shift's end as shown.
    """
    first = patient_name.split()[0] if patient_name.strip() else "the patient"
    shift = f" until {until}" if until else ""
    if target == "continuity":
        if care_manager is not None and person.id == care_manager.id:
            return f"{first}'s designated care manager, on shift{shift}"
        if care_manager is None:
            passed_over = f"{first} has no designated care manager"
        elif not care_manager.active:
            passed_over = f"the care manager {care_manager.name} is inactive"
        else:
            passed_over = f"the care manager {care_manager.name} is not on shift"
        return f"primary on call{shift} ({passed_over})"
    if target in ("primary", "backup"):
        return f"{target} on call{shift}"
    if target.startswith("role:"):
        return f"every active {target[5:]} ({target})"
    raise ValueError(f"unknown target {target!r}")
