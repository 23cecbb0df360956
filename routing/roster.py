"""Who is on call, layer by layer, and why: a pure function of the schedule and the time.

The inputs are plain values (no database): rotations, calendar shifts and overrides (a swap is
two paired replace overrides). The output is a list of :class:`OnCall` spans, each saying who
holds which layer from when to when and on what grounds, so the same decision serves the
engine (who to page now), ``hub oncall`` (why) and ``hub coverage`` (gaps over days).

Rotation hand-offs are wall-clock times in the rotation's zone (the practice's). A time the
clocks skip (02:00 on the spring-forward night) happens at the instant of the jump (03:00 EDT); one
that happens twice (01:30 on the fall-back night) happens the first time. Hand-offs are
instants, each shift runs from one to the next, so no hour is covered twice or left bare by
the change of clocks: the shift across it is simply an hour shorter or longer.

    spans = on_call(Schedule(rotations, shifts, overrides), start, end)
    now = [span for span in spans if span.holds(at)]
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OVERRIDE_KINDS = ("add", "remove", "replace", "swap")


@dataclass(frozen=True)
class RotationPlan:
    """A rotation: the ``members`` (staff ids) take turns, one hand-off every ``every_days``
    days at ``handoff`` wall time in ``tz`` from ``start`` (the first member's first day)."""

    name: str
    layer: str
    every_days: int
    handoff: time
    start: date
    members: tuple[int, ...]
    tz: ZoneInfo

    def handoff_at(self, number: int) -> datetime:
        """The UTC instant of hand-off ``number`` (0 is the rotation's start)."""
        return _handoff_at(self, number)

    def turn_at(self, at: datetime) -> int:
        """The number of the turn running at ``at`` (negative before the start)."""
        days = (at.astimezone(self.tz).date() - self.start).days
        number = days // self.every_days
        while number > -1 and self.handoff_at(number) > at:
            number -= 1
        while self.handoff_at(number + 1) <= at:
            number += 1
        return number


@functools.lru_cache(maxsize=65536)
def _handoff_at(plan: RotationPlan, number: int) -> datetime:
    # A pure function of the (immutable) plan, asked a hundred times per routing decision
    # for the same few hand-offs: a year of daily hand-offs of 25 rotations is 9,125 entries.
    day = plan.start + timedelta(days=number * plan.every_days)
    # fold=0: a skipped wall time is read at the offset before the jump (02:00 EST is
    # 03:00 EDT, the jump itself); a repeated one as its first occurrence.
    return datetime.combine(day, plan.handoff, tzinfo=plan.tz).replace(fold=0).astimezone(UTC)


@dataclass(frozen=True)
class CalendarShift:
    """A shift imported from a calendar: ``staff_id`` holds ``layer`` in [start, end)."""

    staff_id: int
    layer: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Override:
    """A change to the schedule in [start, end); see :mod:`hub.models.rotation`."""

    id: int
    kind: str
    layer: str | None
    staff_id: int | None
    replaces_id: int | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    """Everything the decision reads (only what overlaps the window need be given)."""

    rotations: Sequence[RotationPlan] = ()
    shifts: Sequence[CalendarShift] = ()
    overrides: Sequence[Override] = ()


@dataclass(frozen=True)
class OnCall:
    """``staff_id`` holds ``layer`` in [start, end).

    ``source`` is "rotation" (then ``rotation`` and ``turn_start``, the hand-off that began the
    turn), "calendar" or "override" (an add). ``covers`` is whom this person stands in for
    and ``override`` the id of the override or swap row that made it so (``kind`` says which).
    """

    staff_id: int
    layer: str
    start: datetime
    end: datetime
    source: str
    rotation: str | None = None
    turn_start: datetime | None = None
    covers: int | None = None
    override: int | None = None
    kind: str | None = None

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _rotation_turns(plan: RotationPlan, start: datetime, end: datetime) -> Iterable[OnCall]:
    if not plan.members:
        return
    number = max(plan.turn_at(start), 0)
    turn_start = plan.handoff_at(number)
    while turn_start < end:
        turn_end = plan.handoff_at(number + 1)
        if turn_end > start:
            yield OnCall(plan.members[number % len(plan.members)], plan.layer, turn_start,
                         turn_end, "rotation", rotation=plan.name, turn_start=turn_start)
        number, turn_start = number + 1, turn_end


def _apply(spans: list[OnCall], override: Override) -> list[OnCall]:
    """The spans after one override: the replaced person's time inside the override goes
    to the covering person (replace, swap) or to nobody (remove); add adds a span."""
    if override.kind == "add":
        if override.staff_id is None or override.layer is None:
            return spans
        return [*spans, OnCall(override.staff_id, override.layer, override.start, override.end,
                               "override", override=override.id, kind="add")]
    result: list[OnCall] = []
    for span in spans:
        hit = (span.staff_id == override.replaces_id
               and (override.layer is None or override.layer == span.layer)
               and span.start < override.end and override.start < span.end)
        if not hit:
            result.append(span)
            continue
        if span.start < override.start:
            result.append(replace(span, end=override.start))
        if override.end < span.end:
            result.append(replace(span, start=override.end))
        if override.kind != "remove" and override.staff_id is not None:
            result.append(replace(span, staff_id=override.staff_id,
                                  start=max(span.start, override.start),
                                  end=min(span.end, override.end),
                                  covers=span.staff_id, override=override.id,
                                  kind=override.kind))
    return result


def base_spans(schedule: Schedule, start: datetime, end: datetime) -> list[OnCall]:
    """The rotation turns and calendar shifts overlapping [start, end), before overrides."""
    spans: list[OnCall] = []
    for plan in schedule.rotations:
        spans.extend(_rotation_turns(plan, start, end))
    spans.extend(OnCall(s.staff_id, s.layer, s.start, s.end, "calendar")
                 for s in schedule.shifts if s.start < end and start < s.end)
    return spans


def apply_overrides(spans: list[OnCall], overrides: Iterable[Override], start: datetime,
                    end: datetime) -> list[OnCall]:
    """The spans after the overrides (oldest first, so a cover of a cover works: "Ben covers
    Nora", then "Maya covers Ben"), those overlapping [start, end), in time order."""
    for override in sorted(overrides, key=lambda o: o.id):
        spans = _apply(spans, override)  # one outside every span changes nothing
    spans = [s for s in spans if s.start < s.end and s.start < end and start < s.end]
    return sorted(spans, key=lambda s: (s.start, s.layer, s.end, s.staff_id))


def on_call(schedule: Schedule, start: datetime, end: datetime) -> list[OnCall]:
    """Every span of on-call that overlaps [start, end), after overrides, in time order.

    Spans keep their real bounds (a rotation turn from hand-off to hand-off, cut only by
    overrides), so "since" and "until" read true when every override touching them is given.
    """
    return apply_overrides(base_spans(schedule, start, end), schedule.overrides, start, end)


def by_layer(spans: Iterable[OnCall], at: datetime) -> dict[str, list[OnCall]]:
    """The spans holding ``at``: {layer: spans}, one span per person, earliest first."""
    layers: dict[str, dict[int, OnCall]] = {}
    for span in spans:
        if span.holds(at):
            layers.setdefault(span.layer, {}).setdefault(span.staff_id, span)
    return {layer: list(people.values()) for layer, people in layers.items()}


def on_call_at(schedule: Schedule, at: datetime) -> dict[str, list[OnCall]]:
    """Who holds each layer at ``at``: {layer: spans}, one span per person, earliest first."""
    return by_layer(on_call(schedule, at, at + timedelta(microseconds=1)), at)
