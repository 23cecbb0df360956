"""The schedule as the database holds it, read into :mod:`routing.roster`'s plain values.

A few small queries (the rotations, whose members are read again only when they change; the
calendar shifts and overrides around the time asked, through narrow index ranges): the
decision itself is :func:`routing.roster.on_call`, never re-made here.

    roster = roster_at(session, at)
    roster.holders("primary")      # [OnCall(...)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    literal,
    null,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from hub.models import Rotation, RotationMember, ScheduleOverride, Shift
from hub.models.base import LONG_SPAN, UTCDateTime
from routing.roster import (
    CalendarShift,
    OnCall,
    Override,
    RotationPlan,
    Schedule,
    apply_overrides,
    base_spans,
    by_layer,
    on_call,
)

_TICK = timedelta(microseconds=1)


def rotation_plans(session: Session) -> list[RotationPlan]:
    """Every rotation with its members in order.

    Rotations are only ever added or removed whole (never edited), so their ids and creation
    times identify their content: one small query checks them, and the plans read last time
    with the same identity are used again (the database decides; the memo saves parsing)."""
    identity = tuple(session.execute(
        select(Rotation.id, Rotation.created_at).order_by(Rotation.id)).all())
    return _plans_for(session, identity)


def _plans_for(session: Session, identity: tuple[object, ...]) -> list[RotationPlan]:
    key = (str(session.get_bind().engine.url), identity)
    plans = _PLANS.get(key)
    if plans is None:
        plans = _read_plans(session)
        _PLANS.clear()  # one database's current rotations; a change replaces them
        _PLANS[key] = plans
    return list(plans)


_PLANS: dict[tuple[object, ...], tuple[RotationPlan, ...]] = {}


def _read_plans(session: Session) -> tuple[RotationPlan, ...]:
    rows = session.execute(
        select(Rotation.name, Rotation.layer, Rotation.every_days, Rotation.handoff_minute,
               Rotation.start_date, Rotation.time_zone, RotationMember.staff_id)
        .outerjoin(RotationMember, RotationMember.rotation_id == Rotation.id)
        .order_by(Rotation.id, RotationMember.position)
    ).all()
    heads: dict[str, tuple[str, int, int, date, str]] = {}
    members: dict[str, list[int]] = {}
    for name, layer, every, minute, start, zone, staff_id in rows:
        heads.setdefault(name, (layer, every, minute, start, zone))
        if staff_id is not None:
            members.setdefault(name, []).append(staff_id)
    return tuple(RotationPlan(name, layer, every, time(minute // 60, minute % 60), start,
                              tuple(members.get(name, ())), ZoneInfo(zone))
                 for name, (layer, every, minute, start, zone) in heads.items())


def held_layers(session: Session) -> set[str]:
    """Every layer a rotation or a calendar shift holds, and primary and backup, which the
    hub always knows (policies and coverage name them)."""
    return {"primary", "backup", *session.scalars(
        union(select(Rotation.layer), select(Shift.layer)))}


def _overlapping(model: type[Shift] | type[ScheduleOverride], *columns: Any) -> Select[Any]:
    """Rows of ``model`` overlapping [:start, :end), in two index range scans: short spans by
    their start time (no earlier than :near, LONG_SPAN before start), long ones by their flag.
    Built once: the statement is the same for every call, only its parameters change."""
    start, end, near = (bindparam(name, type_=UTCDateTime()) for name in ("start", "end", "near"))
    short = select(*columns).where(model.starts_at > near, model.starts_at < end,
                                   model.ends_at > start)
    long = select(*columns).where(model.is_long == True, model.ends_at > start,  # noqa: E712 (an index needs "= true")
                                  model.starts_at <= near, model.starts_at < end)
    return cast("Select[Any]", union_all(short, long))


_SHIFTS = _overlapping(Shift, Shift.staff_id, Shift.layer, Shift.starts_at, Shift.ends_at)
# A swap is shown, listed and removed by its first half's id: both halves carry it.
_OVERRIDE_ID = case((ScheduleOverride.pair_id < ScheduleOverride.id, ScheduleOverride.pair_id),
                    else_=ScheduleOverride.id)
_OVERRIDES = _overlapping(ScheduleOverride, _OVERRIDE_ID, ScheduleOverride.kind,
                          ScheduleOverride.layer, ScheduleOverride.staff_id,
                          ScheduleOverride.replaces_id, ScheduleOverride.starts_at,
                          ScheduleOverride.ends_at)


def _window(start: datetime, end: datetime) -> dict[str, datetime]:
    return {"start": start, "end": end, "near": start - LONG_SPAN}


def _shifts(session: Session, start: datetime, end: datetime) -> list[CalendarShift]:
    return [CalendarShift(*row) for row in session.execute(_SHIFTS, _window(start, end))]


def _overrides(session: Session, start: datetime, end: datetime) -> list[Override]:
    return [Override(*row) for row in session.execute(_OVERRIDES, _window(start, end))]


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
    """Who is on call at one instant; ``rotations`` names every rotation. Inactive staff are
    still here: whoever turns spans into people to page leaves them out."""

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


def roster_at(session: Session, at: datetime, *, exact_bounds: bool = True) -> Roster:
    """Who holds each layer at ``at``, from the database.

    With ``exact_bounds`` (what people read), every override touching the turns that hold
    ``at`` is applied, so "since" and "until" are true even when an override ends before
    ``at`` or starts after it. Without (the engine, which only needs who), one query reads
    the rotations' identity and the shifts and overrides holding ``at``: who is the same.
    """
    if not exact_bounds:
        return _roster_in_one_read(session, at)
    plans = rotation_plans(session)
    turns = base_spans(Schedule(plans, _shifts(session, at, at + _TICK)), at, at + _TICK)
    start = min((s.start for s in turns), default=at)
    end = max((s.end for s in turns), default=at + _TICK)
    layers = by_layer(apply_overrides(turns, _overrides(session, start, end), at, at + _TICK),
                      at)
    return Roster(at, layers, frozenset(plan.name for plan in plans))


def _holding_at() -> Select[Any]:
    """One statement: rotations' identity, and the shifts and overrides holding :at (short
    ones by start time, long ones by their flag), as rows (source, id, staff, replaces,
    layer, kind, start, end)."""
    at = bindparam("at", type_=UTCDateTime())
    near = bindparam("near", type_=UTCDateTime())
    no_id, no_text, no_time = null().cast(Integer), null().cast(String), null().cast(UTCDateTime)
    s, o = Shift, ScheduleOverride
    branches = []
    for model in (s, o):
        columns = ([literal("shift", String), s.id, s.staff_id, no_id, s.layer, no_text]
                   if model is s else
                   [literal("override", String), _OVERRIDE_ID, o.staff_id, o.replaces_id,
                    o.layer, o.kind])
        columns += [model.starts_at, model.ends_at]
        branches += [
            select(*columns).where(model.starts_at > near, model.starts_at <= at,
                                   model.ends_at > at),
            select(*columns).where(model.is_long == True, model.ends_at > at,  # noqa: E712
                                   model.starts_at <= near)]
    branches.append(select(literal("rotation", String), Rotation.id, no_id, no_id, no_text,
                           no_text, Rotation.created_at, no_time))
    return cast("Select[Any]", union_all(*branches))


_HOLDING_AT = _holding_at()


def _roster_in_one_read(session: Session, at: datetime) -> Roster:
    shifts, overrides, identity = [], [], []
    # Core rows through the session's connection: no ORM entities here, so none of the ORM's
    # per-execution work for every routing decision.
    for source, row_id, staff_id, replaces_id, layer, kind, start, end in (
            session.connection().execute(_HOLDING_AT, {"at": at, "near": at - LONG_SPAN})):
        if source == "shift":
            shifts.append(CalendarShift(staff_id, layer, start, end))
        elif source == "override":
            overrides.append(Override(row_id, kind, layer, staff_id, replaces_id, start, end))
        else:
            identity.append((row_id, start))
    plans = _plans_for(session, tuple(sorted(identity)))
    turns = base_spans(Schedule(plans, shifts), at, at + _TICK)
    layers = by_layer(apply_overrides(turns, overrides, at, at + _TICK), at)
    return Roster(at, layers, frozenset(plan.name for plan in plans))
