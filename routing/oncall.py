"""Who is on call at a given instant, and whom a policy target means for one contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Contact, Shift, Staff


def on_call(session: Session, layer: str, at: datetime) -> list[Staff]:
    """Active staff holding ``layer`` at ``at`` (earliest-starting shift first)."""
    rows = session.scalars(
        select(Staff).join(Shift, Shift.staff_id == Staff.id)
        .where(Shift.layer == layer, Shift.starts_at <= at, Shift.ends_at > at,
               Staff.active.is_(True))
        .order_by(Shift.starts_at, Staff.id)
    )
    return list(dict.fromkeys(rows))


def is_on_shift(session: Session, staff_id: int, at: datetime) -> bool:
    """True when the staff member holds any on-call layer at ``at``."""
    return session.scalar(
        select(Shift.id).where(Shift.staff_id == staff_id, Shift.starts_at <= at,
                               Shift.ends_at > at).limit(1)
    ) is not None


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
