"""The schedule as the database holds it, read into :mod:`routing.roster`'s plain values.

Three small queries (rotations with their members, calendar shifts not yet ended, overrides
not yet ended) and one more for who of the people on call is active: the decision itself is
:func:`routing.roster.on_call`, never re-made here.

    roster = roster_at(session, at)
    roster.holders("primary")      # [OnCall(...)], active staff only
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Rotation, RotationMember, ScheduleOverride, Shift, Staff
from routing.roster import (
    CalendarShift,
    OnCall,
    Override,
    RotationPlan,
    Schedule,
    on_call,
    on_call_at,
)

_TICK = timedelta(microseconds=1)


def rotation_plans(session: Session) -> list[RotationPlan]:
    """Every rotation with its members in order, in one query."""
    rows = session.execute(
        select(Rotation.name, Rotation.layer, Rotation.every_days, Rotation.handoff_minute,
               Rotation.start_date, Rotation.time_zone, RotationMember.staff_id)
        .outerjoin(RotationMember, RotationMember.rotation_id == Rotation.id)
        .order_by(Rotation.id, RotationMember.position)
    ).all()
    plans: dict[str, RotationPlan] = {}
    for name, layer, every, minute, start, zone, staff_id in rows:
        plan = plans.get(name) or RotationPlan(name, layer, every, time(minute // 60, minute % 60),
                                               start, (), ZoneInfo(zone))
        plans[name] = plan if staff_id is None else replace(plan,
                                                            members=(*plan.members, staff_id))
    return list(plans.values())


def _shifts(session: Session, start: datetime, end: datetime) -> list[CalendarShift]:
    return [CalendarShift(*row) for row in session.execute(
        select(Shift.staff_id, Shift.layer, Shift.starts_at, Shift.ends_at)
        .where(Shift.ends_at > start, Shift.starts_at < end))]


def _overrides(session: Session, start: datetime, end: datetime) -> list[Override]:
    return [Override(*row) for row in session.execute(
        select(ScheduleOverride.id, ScheduleOverride.kind, ScheduleOverride.layer,
               ScheduleOverride.staff_id, ScheduleOverride.replaces_id,
               ScheduleOverride.starts_at, ScheduleOverride.ends_at)
        .where(ScheduleOverride.ends_at > start, ScheduleOverride.starts_at < end))]


def load_schedule(session: Session, start: datetime, end: datetime) -> Schedule:
    """What the decision needs for [start, end): all rotations, and the calendar shifts and
    overrides that overlap the window."""
    return Schedule(rotation_plans(session), _shifts(session, start, end),
                    _overrides(session, start, end))


def spans_between(session: Session, start: datetime, end: datetime) -> list[OnCall]:
    """Every on-call span overlapping [start, end) (inactive staff included: coverage
    reports them)."""
    return on_call(load_schedule(session, start, end), start, end)


@dataclass(frozen=True)
class Roster:
    """Who is on call at one instant, active staff only; ``rotations`` names every rotation."""

    at: datetime
    layers: dict[str, list[OnCall]]
    rotations: frozenset[str]

    def holders(self, layer: str) -> list[OnCall]:
        return list(self.layers.get(layer, ()))

    def of_rotation(self, name: str) -> list[OnCall]:
        return [s for spans in self.layers.values() for s in spans if s.rotation == name]

    def span_of(self, staff_id: int) -> OnCall | None:
        """The staff member's span that runs longest from now, any layer, or None."""
        spans = [s for spans in self.layers.values() for s in spans if s.staff_id == staff_id]
        return max(spans, key=lambda s: s.end) if spans else None


def roster_at(session: Session, at: datetime) -> Roster:
    """Who holds each layer at ``at`` (the staff member active), from the database."""
    # The turns that hold ``at`` before any override, then every override that touches them:
    # so "since" and "until" are true even when an override ends before ``at`` or starts later.
    base = Schedule(rotation_plans(session), _shifts(session, at, at + _TICK))
    turns = on_call(base, at, at + _TICK)
    start = min((s.start for s in turns), default=at)
    end = max((s.end for s in turns), default=at + _TICK)
    schedule = Schedule(base.rotations, base.shifts, _overrides(session, start, end))
    layers = on_call_at(schedule, at)
    ids = {span.staff_id for spans in layers.values() for span in spans}
    active = set(session.scalars(
        select(Staff.id).where(Staff.id.in_(ids), Staff.active.is_(True)))) if ids else set()
    return Roster(at, {layer: [s for s in spans if s.staff_id in active]
                       for layer, spans in layers.items()},
                  frozenset(plan.name for plan in schedule.rotations))
