"""The manager's view of care transitions: each week's tasks (by the week they were due, in
the practice's zone) counted as done on time, done late, late (still open past due) or due,
and the tasks themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.models import TransitionTask
from hub.transitions import state

STATES = ("done", "done late", "late", "due")


@dataclass
class Week:
    """One week (Monday first) of tasks due."""

    monday: date
    counts: Counter[str] = field(default_factory=Counter)


def weeks(tasks: list[TransitionTask], tz: ZoneInfo, now: datetime) -> list[Week]:
    """The counts of each week with a task due, newest week first."""
    found: dict[date, Week] = {}
    for task in tasks:
        day = task.due_at.astimezone(tz).date()
        monday = day - timedelta(days=day.weekday())
        found.setdefault(monday, Week(monday)).counts[state(task, now)] += 1
    return [found[m] for m in sorted(found, reverse=True)]


def recent(session: Session, since: datetime) -> list[TransitionTask]:
    """Tasks due since ``since`` or still open, soonest due first."""
    return list(session.scalars(
        select(TransitionTask).where((TransitionTask.due_at >= since)
                                     | (TransitionTask.status == "open"))
        .options(selectinload(TransitionTask.patient),
                 selectinload(TransitionTask.care_manager))
        .order_by(TransitionTask.due_at, TransitionTask.id)))
