"""Periodic duties of the scheduler tick: which process takes a duty's turn, once per period.

Any process's tick may ask; the turn goes to the one whose compare-and-set on the duty row's
``version`` succeeds, and ``due_at`` moves on in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.db import insert_unless_duplicate, rows_changed
from hub.models import Duty


def claim_duty(session: Session, name: str, now: datetime, every: timedelta) -> bool:
    """True when this transaction takes the duty's turn (and moves its next turn on).

    The first tick ever only schedules the first turn, ``every`` later: a process that just
    started (or a test's few minutes) does not act at once."""
    duty = session.get(Duty, name, populate_existing=True)
    if duty is None:
        session.execute(insert_unless_duplicate(session.connection(), Duty, "name")
                        .values(name=name, due_at=now + every, version=0))
        return False
    if duty.due_at > now:
        return False
    return rows_changed(session, (
        update(Duty).where(Duty.name == name, Duty.version == duty.version)
        .values(due_at=now + every, version=Duty.version + 1))) == 1
