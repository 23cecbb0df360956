"""Interruptions: how often each staff member was paged, split into working, off and sleep
hours of the practice's clock.

Sleep hours are 21:00 to 08:00 in the practice's time zone whatever the day (a nurse woken
five times a night is a staffing problem); the rest is working time when the practice is
open (its opening hours, handed in by the caller: they are routing's) and off time
otherwise. Pages written to one person at the same instant (several contacts bundled into
one message, or one page by SMS and call) are one interruption.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Page

SLEEP_FROM = time(21, 0)
SLEEP_UNTIL = time(8, 0)
KINDS = ("working", "off", "sleep")


def kind_of(at: datetime, tz: ZoneInfo, is_working: Callable[[datetime], bool] | None) -> str:
    """sleep | working | off for an instant."""
    wall = at.astimezone(tz).time()
    if wall >= SLEEP_FROM or wall < SLEEP_UNTIL:
        return "sleep"
    return "working" if is_working is not None and is_working(at) else "off"


@dataclass
class Interruptions:
    """One staff member's interruptions by kind, and the nights with the most."""

    staff_id: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    nights: dict[str, int] = field(default_factory=dict)  # night's date -> pages

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def worst_night(self) -> tuple[str, int] | None:
        if not self.nights:
            return None
        night = max(self.nights, key=lambda day: (self.nights[day], day))
        return night, self.nights[night]


def per_staff(session: Session, start: datetime, end: datetime, tz: ZoneInfo,
              is_working: Callable[[datetime], bool] | None = None) -> list[Interruptions]:
    """Everyone paged in [start, end), most interrupted first."""
    moments = session.execute(
        select(Page.staff_id, Page.created_at)
        .where(Page.created_at >= start, Page.created_at < end)
        .group_by(Page.staff_id, Page.created_at))
    found: dict[int, Interruptions] = defaultdict(lambda: Interruptions(0))
    for staff_id, at in moments:
        person = found[staff_id]
        person.staff_id = staff_id
        kind = kind_of(at, tz, is_working)
        person.counts[kind] += 1
        if kind == "sleep":
            wall = at.astimezone(tz)
            # A night is named by the evening it began: 02:00 on the 5th is the night of the 4th.
            evening = wall.date() if wall.time() >= SLEEP_FROM else (
                wall.date().fromordinal(wall.date().toordinal() - 1))
            person.nights[evening.isoformat()] = person.nights.get(evening.isoformat(), 0) + 1
    return sorted(found.values(), key=lambda p: (-p.counts["sleep"], -p.total, p.staff_id))
